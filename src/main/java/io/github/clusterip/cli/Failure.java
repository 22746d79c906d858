package io.github.clusterip.cli;

/**
 * Ends a command with one line on standard error and an exit code. A usage failure also prints
 * the usage line of its command.
 */
final class Failure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The exit code. */
    final int code;
    /** The usage line to print after the message, or null. */
    final String usage;

    private Failure(int code, String message, String usage) {
        super(message, null, false, false);
        this.code = code;
        this.usage = usage;
    }

    /** Bad arguments: the message, then {@code usage}, exit code 2. */
    static Failure usage(String message, String usage) {
        return new Failure(ExitCode.BAD_INPUT, message, usage);
    }

    /** Bad input data: the message alone, exit code 2. */
    static Failure badInput(String message) {
        return new Failure(ExitCode.BAD_INPUT, message, null);
    }

    /** A file that cannot be read or written: the message alone, exit code 3. */
    static Failure io(String message) {
        return new Failure(ExitCode.IO_ERROR, message, null);
    }

    /** etcd cannot be reached or answered with an error: the message alone, exit code 6. */
    static Failure etcdUnavailable(String message) {
        return new Failure(ExitCode.ETCD_UNAVAILABLE, message, null);
    }

    /** The etcd key does not exist: the message alone, exit code 7. */
    static Failure keyNotFound(String message) {
        return new Failure(ExitCode.KEY_NOT_FOUND, message, null);
    }

    /** The value is encrypted at rest: the message alone, exit code 8. */
    static Failure encrypted(String message) {
        return new Failure(ExitCode.ENCRYPTED, message, null);
    }

    /** Standard output is closed: no message, exit code 141. */
    static Failure closedOutput() {
        return new Failure(ExitCode.CLOSED_OUTPUT, "standard output is closed", null);
    }
}
