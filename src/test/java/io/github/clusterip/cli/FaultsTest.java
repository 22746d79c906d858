package io.github.clusterip.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Closed standard output, running out of memory, and errors nobody expected. */
class FaultsTest {

    private static final String NL = System.lineSeparator();

    /** An output that takes {@code capacity} bytes, then fails every write, as a pipe whose reader has gone. */
    private static final class ClosedAfter extends OutputStream {
        private long left;
        long written;

        ClosedAfter(long capacity) {
            this.left = capacity;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > left) {
                left = 0;
                throw new IOException("Broken pipe");
            }
            left -= len;
            written += len;
        }
    }

    @Test
    void allocateStopsPromptlyWhenStandardOutputIsClosed() {
        AtomicLong allocations = new AtomicLong();
        ClosedAfter pipe = new ClosedAfter(100);
        long start = System.nanoTime();
        Console c = Console.exec(new ByteArrayInputStream(new byte[0]), pipe, stage -> allocations.incrementAndGet(),
                "allocate", "10.0.0.0/8", "--dynamic", "16000000");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(c.code).isEqualTo(ExitCode.CLOSED_OUTPUT).isEqualTo(141);
        assertThat(c.err).isEmpty();
        // It notices within one check interval of the first failed write, not 16 million allocations later.
        assertThat(allocations.get()).isLessThanOrEqualTo(CommandLine.CHECK_EVERY);
        assertThat(millis).isLessThan(5_000);
    }

    @Test
    void inspectAddressesStopsPromptlyWhenStandardOutputIsClosed() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("10.0.0.0/16"));
        for (int i = 0; i < 60_000; i++) {
            allocator.allocateNext();
        }
        AtomicLong listed = new AtomicLong();
        Console c = Console.exec(new ByteArrayInputStream(allocator.compactSnapshot()), new ClosedAfter(300),
                stage -> listed.addAndGet(stage == CommandLine.Stage.LIST ? 1 : 0), "inspect", "--addresses");
        assertThat(c.code).isEqualTo(141);
        assertThat(c.err).isEmpty();
        assertThat(listed.get()).isPositive().isLessThanOrEqualTo(CommandLine.CHECK_EVERY);
    }

    @Test
    void portCommandsStopPromptlyWhenStandardOutputIsClosed() {
        AtomicLong allocations = new AtomicLong();
        Console c = Console.exec(new ByteArrayInputStream(new byte[0]), new ClosedAfter(100),
                stage -> allocations.incrementAndGet(), "allocate", "1-65535", "--dynamic", "65535");
        assertThat(c.code).isEqualTo(141);
        assertThat(c.err).isEmpty();
        assertThat(allocations.get()).isLessThanOrEqualTo(CommandLine.CHECK_EVERY);

        NodePortAllocator allocator = NodePortAllocator.create(PortRange.parse("1-65535"));
        for (int i = 0; i < 60_000; i++) {
            allocator.allocateNext();
        }
        AtomicLong listed = new AtomicLong();
        c = Console.exec(new ByteArrayInputStream(allocator.compactSnapshot()), new ClosedAfter(300),
                stage -> listed.addAndGet(stage == CommandLine.Stage.LIST ? 1 : 0), "inspect", "--ports");
        assertThat(c.code).isEqualTo(141);
        assertThat(c.err).isEmpty();
        assertThat(listed.get()).isPositive().isLessThanOrEqualTo(CommandLine.CHECK_EVERY);
        for (String[] args : List.of(new String[] {"bands", "30000-32767"},
                new String[] {"allocate", "30000-32767", "--dynamic", "3"})) {
            c = Console.exec(new ByteArrayInputStream(new byte[0]), new ClosedAfter(0), stage -> { }, args);
            assertThat(c.code).as(String.join(" ", args)).isEqualTo(141);
            assertThat(c.err).isEmpty();
        }
    }

    @Test
    void aShortCommandWhoseOutputIsClosedExits141Too() {
        for (String[] args : List.of(new String[] {"bands", "10.96.0.0/24"}, new String[] {"--help"},
                new String[] {"allocate", "10.96.0.0/24", "--dynamic", "3"})) {
            Console c = Console.exec(new ByteArrayInputStream(new byte[0]), new ClosedAfter(0), stage -> { }, args);
            assertThat(c.code).as(String.join(" ", args)).isEqualTo(141);
            assertThat(c.err).isEmpty();
        }
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/24"));
        allocator.allocate(IpAddress.parse("10.96.0.1"));
        Console c = Console.exec(new ByteArrayInputStream(allocator.compactSnapshot()), new ClosedAfter(0), stage -> { },
                "convert", "--to", "json");
        assertThat(c.code).isEqualTo(141);
    }

    @Test
    void runningOutOfMemoryWhileAllocatingIsOneLineExitFour() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicLong allocations = new AtomicLong();
        Console c = Console.exec(new ByteArrayInputStream(new byte[0]), out, stage -> {
            if (allocations.incrementAndGet() == 1000) {
                throw new OutOfMemoryError("Java heap space");
            }
        }, "allocate", "0.0.0.0/0", "--dynamic", "4000000000");
        assertThat(c.code).isEqualTo(ExitCode.OUT_OF_MEMORY).isEqualTo(4);
        assertThat(c.err.lines()).hasSize(1);
        assertThat(c.err).startsWith("error: out of memory (Java heap space) while allocating address 1000 of 4000000000:"
                + " the Java heap is limited to about ").contains(" MiB; raise the limit with the java option -Xmx,"
                + " for example -Xmx");
        // What was allocated before is printed; no summary follows.
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(999).allMatch(l -> l.startsWith("allocated "));
    }

    @Test
    void runningOutOfMemoryWhileDecodingNamesTheInput() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/24"));
        byte[] compact = allocator.compactSnapshot();
        Console c = Console.exec(new ByteArrayInputStream(compact), new ByteArrayOutputStream(), stage -> {
            throw new OutOfMemoryError("Java heap space");
        }, "inspect");
        assertThat(c.code).isEqualTo(4);
        assertThat(c.err).isEqualTo("error: out of memory (Java heap space) while decoding the compact snapshot of"
                + " standard input (" + compact.length + " bytes): " + c.err.substring(c.err.indexOf("the Java heap")));
        Console meta = Console.exec(new ByteArrayInputStream(compact), new ByteArrayOutputStream(), stage -> {
            throw new OutOfMemoryError("Metaspace");
        }, "inspect");
        assertThat(meta.err).contains("(Metaspace)", "-XX:MaxMetaspaceSize").doesNotContain("-Xmx");
    }

    @Test
    void anyOtherThrowableIsOneLineExitFive() {
        for (Throwable t : List.of(new IllegalStateException("boom\nINFO forged"), new StackOverflowError(),
                new AssertionError("bug"))) {
            Console c = Console.exec(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(), stage -> {
                if (t instanceof RuntimeException e) {
                    throw e;
                }
                throw (Error) t;
            }, "allocate", "10.96.0.0/24", "--dynamic", "1");
            assertThat(c.code).isEqualTo(ExitCode.INTERNAL_ERROR).isEqualTo(5);
            assertThat(c.err.lines()).hasSize(1);
            assertThat(c.err).startsWith("error: internal error: " + t.getClass().getName() + ": ")
                    .contains("this is a bug in clusterip").doesNotContain("\tat ");
        }
        Console c = Console.exec(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(), stage -> {
            throw new IllegalStateException("boom\nINFO forged");
        }, "allocate", "10.96.0.0/24", "--dynamic", "1");
        assertThat(c.err).contains("boom\\u000aINFO forged");
    }

    // ---- the packaged entry point, in a JVM of its own

    private static Process start(List<String> jvmOptions, String... args) throws IOException, URISyntaxException {
        Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xshare:off");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classes.toString(), Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).start();
    }

    @Test
    void theRealEntryPointEndsAtOnceWhenItsReaderGoesAway() throws Exception {
        Process process = start(List.of(), "allocate", "10.0.0.0/8", "--dynamic", "16000000");
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).startsWith("allocated 10.");
        } // closed, as by head -1
        boolean ended = process.waitFor(20, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly();
        }
        assertThat(ended).as("ended after its output was closed").isTrue();
        assertThat(process.exitValue()).isEqualTo(141);
        assertThat(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void theRealEntryPointReportsARealOutOfMemoryInOneLine() throws Exception {
        Process process = start(List.of("-Xmx16m"), "allocate", "0.0.0.0/0", "--dynamic", "4000000000");
        process.getOutputStream().close();
        Thread drain = new Thread(() -> {
            try {
                process.getInputStream().transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                // the process ended
            }
        });
        drain.start();
        boolean ended = process.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly();
        }
        drain.join();
        assertThat(ended).isTrue();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(err).isEqualTo(4);
        assertThat(err).matches("error: out of memory \\(Java heap space\\) while allocating address [0-9]+ of 4000000000:"
                + " the Java heap is limited to about 1[0-9] MiB; raise the limit with the java option -Xmx, for example"
                + " -Xmx[0-9]+m" + NL);
    }
}
