package io.github.clusterip.etcd.multi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An {@link AllocWorker} in a JVM of its own, its output read line by line; closing kills it. */
final class Worker implements AutoCloseable {

    private static final String EOF = "\u0000EOF";

    private final Process process;
    private final Path errors;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> all = new ArrayList<>();

    private Worker(Process process, Path errors) {
        this.process = process;
        this.errors = errors;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process was killed
            } finally {
                lines.add(EOF);
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a worker with the test's class path. */
    static Worker start(String mode, String... options) throws IOException {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), AllocWorker.class.getName(), mode));
        cmd.addAll(List.of(options));
        Path err = Files.createTempFile("worker-", ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        return new Worker(p, err);
    }

    /** The next line, or an AssertionError if none comes in time or the worker ended. */
    String next(Duration timeout) throws InterruptedException {
        String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null || line.equals(EOF)) {
            if (line != null) {
                lines.add(EOF);
            }
            throw new AssertionError((line == null ? "no line from the worker in " + timeout : "the worker ended")
                    + "; its lines: " + all + "; its errors: " + errorTail());
        }
        all.add(line);
        return line;
    }

    /** Every line until the worker exits, which it must within the timeout with status 0. */
    List<String> rest(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> out = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = lines.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("the worker did not end in " + timeout + "; its lines: " + all);
            }
            if (line.equals(EOF)) {
                break;
            }
            all.add(line);
            out.add(line);
        }
        if (!process.waitFor(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the worker did not exit in " + timeout);
        }
        if (process.exitValue() != 0) {
            throw new AssertionError("the worker exited with " + process.exitValue() + ": " + errorTail());
        }
        return out;
    }

    /** Writes a line on the worker's standard input. */
    void send(String line) throws IOException {
        OutputStream out = process.getOutputStream();
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Closes the worker's standard input. */
    void endInput() throws IOException {
        process.getOutputStream().close();
    }

    /** Kills the worker with SIGKILL and waits for it to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the worker survived SIGKILL");
        }
    }

    private String errorTail() {
        try {
            String s = Files.readString(errors);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Files.deleteIfExists(errors);
            } catch (IOException e) {
                // a temporary file
            }
        }
    }
}
