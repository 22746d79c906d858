package io.github.clusterip.etcd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Real etcd processes on the loopback interface, for tests: one member or a cluster of several,
 * each on free ports with a fresh data directory under a temporary directory, which
 * {@link #close()} kills and deletes (a shutdown hook does the same if the JVM exits first).
 *
 * <p>The binary is {@code $ETCD_BINARY}, else {@code /usr/bin/etcd}, else {@code etcd} on the
 * {@code PATH}. Without one, {@link #requireEtcd()} skips the calling test, or fails it when the
 * environment variable {@code CI} is {@code true}. Each member's output goes to {@code etcd.log}
 * beside its data directory; a member that does not become healthy has that log's tail in the
 * failure.
 */
public final class EtcdCluster implements AutoCloseable {

    /** What a test says when there is no etcd binary. */
    public static final String MISSING = "etcd is not installed: apt-get install -y etcd-server (Debian), or set ETCD_BINARY";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private static final Pattern MEMBER_ID = Pattern.compile("\"member_id\"\\s*:\\s*\"?(\\d+)");
    private static final Pattern LEADER = Pattern.compile("\"leader\"\\s*:\\s*\"?(\\d+)");

    private final Path root;
    private final List<Member> members;
    private final Thread cleanup;

    private EtcdCluster(Path root, List<Member> members) {
        this.root = root;
        this.members = List.copyOf(members);
        this.cleanup = new Thread(this::destroyAll, "etcd-cluster-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /**
     * Finds the etcd binary, or ends the calling test: skipped, or failed if {@code CI=true}.
     *
     * @return the binary
     */
    public static Path requireEtcd() {
        Optional<Path> found = findBinary();
        if (found.isEmpty()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(MISSING);
            }
            Assumptions.abort(MISSING);
        }
        return found.get();
    }

    /**
     * Looks for the etcd binary: {@code $ETCD_BINARY}, {@code /usr/bin/etcd}, {@code etcd} on the
     * {@code PATH}.
     *
     * @return the binary, or empty if there is none
     */
    public static Optional<Path> findBinary() {
        String env = System.getenv("ETCD_BINARY");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        Path usr = Path.of("/usr/bin/etcd");
        if (Files.isExecutable(usr)) {
            return Optional.of(usr);
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, "etcd");
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Starts one member and waits until it is healthy.
     *
     * @return the running member's cluster
     */
    public static EtcdCluster startSingle() {
        return start(1);
    }

    /**
     * Starts a cluster and waits until every member is healthy and there is a leader.
     *
     * @param size the number of members
     * @return the running cluster
     */
    public static EtcdCluster start(int size) {
        return start(size, List.of());
    }

    /**
     * Starts a cluster whose members get more flags, and waits until every member is healthy
     * and there is a leader.
     *
     * @param size the number of members
     * @param extraFlags flags added to every member's command line, such as
     *        {@code --quota-backend-bytes=8589934592}
     * @return the running cluster
     */
    public static EtcdCluster start(int size, List<String> extraFlags) {
        Path binary = requireEtcd();
        Path root;
        try {
            root = Files.createTempDirectory("etcd-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            members.add(new Member(binary, "m" + i, root.resolve("m" + i), freePort(), freePort(), List.copyOf(extraFlags)));
        }
        StringBuilder initial = new StringBuilder();
        for (Member m : members) {
            initial.append(initial.length() == 0 ? "" : ",").append(m.name).append("=").append(m.peerUrl());
        }
        String token = root.getFileName().toString();
        for (Member m : members) {
            m.initialCluster = initial.toString();
            m.token = token;
        }
        EtcdCluster cluster = new EtcdCluster(root, members);
        try {
            for (Member m : members) {
                m.launch();
            }
            cluster.awaitHealthy(START_TIMEOUT);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * Returns the members, in the order they were started.
     *
     * @return the members
     */
    public List<Member> members() {
        return members;
    }

    /**
     * Returns one member.
     *
     * @param index its index
     * @return the member
     */
    public Member member(int index) {
        return members.get(index);
    }

    /**
     * Returns the client URLs of all members.
     *
     * @return such as {@code http://127.0.0.1:40001}
     */
    public List<String> endpoints() {
        return members.stream().map(Member::clientUrl).toList();
    }

    /**
     * Waits until every running member answers {@code /health} with true (which etcd does only
     * when the member has a leader).
     *
     * @param timeout how long to wait at most
     */
    public void awaitHealthy(Duration timeout) {
        for (Member m : members) {
            if (m.isRunning()) {
                m.awaitHealthy(timeout);
            }
        }
    }

    /**
     * Finds the leader, asking the running members' maintenance status API until one of them
     * names a leader that is itself a running member.
     *
     * @param timeout how long to wait at most
     * @return the leader
     */
    public Member leader(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Member m : members) {
                if (!m.isRunning()) {
                    continue;
                }
                Optional<String[]> status = m.status();
                if (status.isPresent() && status.get()[0].equals(status.get()[1])) {
                    return m;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no etcd leader within " + timeout);
            }
            sleep(100);
        }
    }

    /** Kills every member and deletes the data directories. */
    @Override
    public void close() {
        destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // The JVM is exiting; the hook runs anyway.
        }
    }

    private void destroyAll() {
        for (Member m : members) {
            m.kill();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort: the directory is under the system's temporary directory.
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** One etcd process: started, stopped, killed and restarted on the same ports and data. */
    public static final class Member {
        private final Path binary;
        private final String name;
        private final Path dir;
        private final int clientPort;
        private final int peerPort;
        private final List<String> extraFlags;
        private String initialCluster;
        private String token;
        private Process process;

        Member(Path binary, String name, Path dir, int clientPort, int peerPort, List<String> extraFlags) {
            this.binary = binary;
            this.extraFlags = extraFlags;
            this.name = name;
            this.dir = dir;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
        }

        /**
         * Returns the member's name.
         *
         * @return such as {@code m0}
         */
        public String name() {
            return name;
        }

        /**
         * Returns the client URL.
         *
         * @return {@code http://127.0.0.1:port}
         */
        public String clientUrl() {
            return "http://127.0.0.1:" + clientPort;
        }

        String peerUrl() {
            return "http://127.0.0.1:" + peerPort;
        }

        /**
         * Returns the data directory.
         *
         * @return the directory
         */
        public Path dataDir() {
            return dir.resolve("data");
        }

        /**
         * Returns the log file of the member's output.
         *
         * @return the file
         */
        public Path logFile() {
            return dir.resolve("etcd.log");
        }

        /**
         * Returns whether the process is alive.
         *
         * @return true if running
         */
        public synchronized boolean isRunning() {
            return process != null && process.isAlive();
        }

        synchronized void launch() {
            if (isRunning()) {
                throw new IllegalStateException("member " + name + " is running");
            }
            try {
                Files.createDirectories(dir);
                List<String> cmd = new ArrayList<>(List.of(binary.toString(),
                        "--name", name,
                        "--data-dir", dataDir().toString(),
                        "--listen-client-urls", clientUrl(),
                        "--advertise-client-urls", clientUrl(),
                        "--listen-peer-urls", peerUrl(),
                        "--initial-advertise-peer-urls", peerUrl(),
                        "--initial-cluster", initialCluster,
                        "--initial-cluster-state", "new",
                        "--initial-cluster-token", token,
                        "--heartbeat-interval", "50",
                        "--election-timeout", "500",
                        "--logger", "zap",
                        "--log-outputs", "stderr"));
                cmd.addAll(extraFlags);
                process = new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start etcd member " + name, e);
            }
        }

        /**
         * Starts the member again on the same ports and data directory and waits until it is
         * healthy.
         *
         * @param timeout how long to wait at most
         */
        public void restart(Duration timeout) {
            launch();
            awaitHealthy(timeout);
        }

        /** Stops the member with SIGTERM and waits for it to exit. */
        public void stop() {
            Process p;
            synchronized (this) {
                p = process;
            }
            if (p != null && p.isAlive()) {
                p.destroy();
                try {
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Kills the member with SIGKILL and waits for it to exit. */
        public void kill() {
            Process p;
            synchronized (this) {
                p = process;
            }
            if (p != null && p.isAlive()) {
                try {
                    p.destroyForcibly().waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /**
         * Waits until the member answers {@code /health} with true.
         *
         * @param timeout how long to wait at most
         */
        public void awaitHealthy(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            String last = "no answer";
            while (System.nanoTime() < deadline) {
                if (!isRunning()) {
                    throw new AssertionError("etcd member " + name + " exited\n" + logTail());
                }
                try {
                    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(clientUrl() + "/health"))
                            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
                    last = r.statusCode() + " " + r.body();
                    if (r.statusCode() == 200 && r.body().contains("\"true\"")) {
                        return;
                    }
                } catch (IOException e) {
                    last = e.toString();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
                sleep(50);
            }
            throw new AssertionError("etcd member " + name + " not healthy within " + timeout + " (last: " + last + ")\n"
                    + logTail());
        }

        /** Returns {member id, leader id} from /v3/maintenance/status, or empty if no answer. */
        Optional<String[]> status() {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(clientUrl() + "/v3/maintenance/status"))
                        .timeout(Duration.ofSeconds(1))
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
                Matcher id = MEMBER_ID.matcher(r.body());
                Matcher leader = LEADER.matcher(r.body());
                if (r.statusCode() == 200 && id.find() && leader.find()) {
                    return Optional.of(new String[] {id.group(1), leader.group(1)});
                }
            } catch (IOException e) {
                // Not answering: no status.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Optional.empty();
        }

        /**
         * Returns the last lines of the member's log.
         *
         * @return up to 40 lines
         */
        public String logTail() {
            try {
                List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
                return "--- tail of " + logFile() + " ---\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        /**
         * Names the member and its client URL.
         *
         * @return a short description
         */
        @Override
        public String toString() {
            return name + "@" + clientUrl();
        }
    }
}
