package io.github.clusterip.cli;

/** The exit codes of the command line; the help text and the README list them. */
final class ExitCode {

    /** The command did what it was asked. */
    static final int OK = 0;
    /** The allocator refused an allocation; the Kubernetes error is printed. */
    static final int REFUSED = 1;
    /** Bad usage (arguments) or bad input (a snapshot that cannot be read). */
    static final int BAD_INPUT = 2;
    /** A file could not be read or written. */
    static final int IO_ERROR = 3;
    /** The Java heap ran out. */
    static final int OUT_OF_MEMORY = 4;
    /** A bug: an error the command line did not expect. */
    static final int INTERNAL_ERROR = 5;
    /** etcd could not be reached, did not answer in time, or answered with an error ({@code --etcd}). */
    static final int ETCD_UNAVAILABLE = 6;
    /** The key given with {@code --key} does not exist in etcd. */
    static final int KEY_NOT_FOUND = 7;
    /** The stored value is encrypted at rest (it starts with {@code k8s:enc:}). */
    static final int ENCRYPTED = 8;
    /**
     * Standard output was closed or could not be written, for example by {@code | head}: 141, the
     * status a shell reports for a process ended by SIGPIPE (128 + 13).
     */
    static final int CLOSED_OUTPUT = 141;

    private ExitCode() {
    }
}
