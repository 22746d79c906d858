package io.github.clusterip.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;

/**
 * The entry point of the jar ({@code java -jar clusterip-allocator.jar ...}): the commands
 * {@code bands}, {@code allocate}, {@code inspect}, {@code convert} and {@code repair}; {@code --help} explains
 * them and lists the exit codes. Not part of the API: its package is not exported.
 */
public final class Main {

    private Main() {
    }

    /**
     * Runs the command line and exits the JVM with its exit code when that is not 0.
     *
     * @param args the command and its arguments
     */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                false, stdoutCharset());
        int code = run(args, System.in, out, System.err);
        out.flush();
        if (code != ExitCode.OK) {
            System.exit(code);
        }
    }

    /**
     * Runs the command line over the given streams and returns its exit code; never exits the JVM
     * and never lets a throwable out.
     */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return new CommandLine(in, out, err, stage -> { }).run(args);
    }

    /** The charset {@code System.out} would use. */
    private static Charset stdoutCharset() {
        for (String property : new String[] {"stdout.encoding", "sun.stdout.encoding"}) {
            String name = System.getProperty(property);
            if (name != null) {
                try {
                    return Charset.forName(name);
                } catch (IllegalArgumentException e) {
                    // unknown or unsupported: try the next
                }
            }
        }
        return Charset.defaultCharset();
    }
}
