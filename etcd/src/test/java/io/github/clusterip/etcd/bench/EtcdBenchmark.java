package io.github.clusterip.etcd.bench;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.SharedClusterIpAllocator;
import io.github.clusterip.etcd.EtcdKeyValueStore;
import io.github.clusterip.etcd.testing.EtcdCluster;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.github.clusterip.store.StoreLayout;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The multi-process benchmark of the shared allocators: for each workload, CIDR, fill and number
 * of JVMs, it fills the range, starts that many {@link BenchWorker} JVMs against one etcd, lets
 * them run the workload (allocate + release pairs, or Service create + delete) for a warm-up and
 * a measured time, once for each layout, one after the other under the same conditions, and
 * prints a table: operations per second of all JVMs together, latency percentiles of one
 * operation, and the share of commits that lost to another writer and were retried.
 *
 * <p>JMH measures one JVM; this needs several processes and a server, hence a harness of its own.
 * Run it as the README says; {@code --help} lists the options.
 */
public final class EtcdBenchmark {

    private EtcdBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args the options
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>(Map.of(
                "--jvms", "1,2,4",
                "--cidrs", "10.96.0.0/16,10.96.0.0/12",
                "--fills", "0.5,0.99",
                "--layouts", "RANGE_OBJECT,BLOCKS",
                "--workloads", "alloc,service",
                "--warmup", "3",
                "--threads", "1",
                "--block-bits", "1024",
                "--seconds", "10"));
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("help")) {
                System.out.println("usage: EtcdBenchmark [--jvms 1,2,4] [--cidrs 10.96.0.0/16,10.96.0.0/12] [--fills 0.5,0.99]\n"
                        + "    [--layouts RANGE_OBJECT,BLOCKS] [--workloads alloc,service] [--warmup SECONDS] [--seconds SECONDS]\n"
                        + "    [--threads N (per JVM)] [--block-bits N (of the BLOCKS layout)]\n"
                        + "    [--endpoints URL]\n"
                        + "Without --endpoints it starts its own etcd, on loopback, with its data in a new temporary directory.");
                return;
            }
            if (i + 1 >= args.length || !o.containsKey(args[i]) && !args[i].equals("--endpoints")) {
                throw new IllegalArgumentException("unknown option or missing value: " + args[i] + " (see --help)");
            }
            o.put(args[i], args[++i]);
        }
        long warmupMs = Long.parseLong(o.get("--warmup")) * 1000;
        long measureMs = Long.parseLong(o.get("--seconds")) * 1000;
        EtcdForBench etcd = o.containsKey("--endpoints") ? null : EtcdForBench.start();
        String endpoints = etcd == null ? o.get("--endpoints") : etcd.endpoint();
        System.out.println("# etcd at " + endpoints + "; " + Runtime.getRuntime().availableProcessors() + " cores; java "
                + System.getProperty("java.version") + "; warm-up " + warmupMs / 1000 + " s, measured " + measureMs / 1000 + " s");
        System.out.println("# threads per JVM: " + o.get("--threads") + "; blocks of " + o.get("--block-bits") + " bits");
        System.out.println("| workload | CIDR | fill | JVMs | layout | ops/s | p50 ms | p99 ms | lost commits |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        int caseNo = 0;
        try (EtcdKeyValueStore store = EtcdKeyValueStore.builder().endpoints(endpoints.split(","))
                .timeout(Duration.ofSeconds(60)).build()) {
            for (String workload : o.get("--workloads").split(",")) {
                for (String cidrText : o.get("--cidrs").split(",")) {
                    ServiceCidr cidr = ServiceCidr.parse(cidrText);
                    for (String fill : o.get("--fills").split(",")) {
                        for (String jvms : o.get("--jvms").split(",")) {
                            for (String layoutName : o.get("--layouts").split(",")) {
                                caseNo++;
                                StoreLayout layout = StoreLayout.valueOf(layoutName);
                                String prefix = "/bench/" + caseNo + "/";
                                int blockBits = Integer.parseInt(o.get("--block-bits"));
                                fillRange(store, cidr, layout, blockBits, prefix, Double.parseDouble(fill), caseNo);
                                Result r = run(endpoints, cidr, layout, prefix, workload, Integer.parseInt(jvms),
                                        Integer.parseInt(o.get("--threads")), blockBits, warmupMs, measureMs);
                                System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %.0f | %.2f | %.2f | %.1f%% |%n",
                                        workload.equals("alloc") ? "allocate + release" : "Service create + delete",
                                        cidrText, fill, jvms, layoutName, r.opsPerSecond, r.p50Ms, r.p99Ms, r.lostPercent);
                                System.out.flush();
                                if (etcd != null) {
                                    etcd.compact();
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
        }
    }

    private static void fillRange(EtcdKeyValueStore store, ServiceCidr cidr, StoreLayout layout, int blockBits, String prefix,
            double fill, long seed) {
        ClusterIpAllocator local = ClusterIpAllocator.builder(cidr).seed(seed).build();
        long target = cidr.usableCount().multiply(BigInteger.valueOf(Math.round(fill * 1000))).divide(BigInteger.valueOf(1000))
                .longValueExact();
        for (long i = 0; i < target; i++) {
            local.allocateNext();
        }
        try (SharedClusterIpAllocator shared = SharedClusterIpAllocator.builder(store, cidr).prefix(prefix).layout(layout)
                .blockBits(blockBits).build()) {
            shared.restore(local.snapshot());
        }
    }

    private record Result(double opsPerSecond, double p50Ms, double p99Ms, double lostPercent) {
    }

    private static Result run(String endpoints, ServiceCidr cidr, StoreLayout layout, String prefix, String workload, int jvms,
            int threads, int blockBits, long warmupMs, long measureMs) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> workers = new ArrayList<>();
        List<BufferedReader> outs = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        try {
            for (int i = 0; i < jvms; i++) {
                List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m"));
                String extra = System.getProperty("bench.workerJvmArgs", "").replace("{id}", Integer.toString(i));
                if (!extra.isBlank()) {
                    cmd.addAll(List.of(extra.trim().split("\\s+")));
                }
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchWorker.class.getName(), "--endpoints", endpoints, "--cidr", cidr.toString(), "--layout",
                        layout.name(), "--prefix", prefix, "--workload", workload, "--warmup-ms", Long.toString(warmupMs),
                        "--measure-ms", Long.toString(measureMs), "--id", Integer.toString(i), "--threads", Integer.toString(threads), "--block-bits", Integer.toString(blockBits)));
                ProcessBuilder pb = new ProcessBuilder(cmd);
                Path log = Files.createTempFile("bench-worker-", ".log");
                log.toFile().deleteOnExit();
                logs.add(log);
                pb.redirectError(log.toFile());
                Process p = pb.start();
                workers.add(p);
                outs.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
            }
            for (BufferedReader out : outs) {
                String line = out.readLine();
                // a JVM option such as a flight recording may print a line of its own first
                for (int skipped = 0; line != null && !line.equals("READY") && skipped < 10; skipped++) {
                    line = out.readLine();
                }
                if (!"READY".equals(line)) {
                    throw new IllegalStateException("a worker did not get ready: " + line + "; its log: " + logs);
                }
            }
            long go = System.currentTimeMillis() + 1000;
            for (Process p : workers) {
                Writer w = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
                w.write("GO " + go + "\n");
                w.flush();
            }
            long ops = 0;
            long commits = 0;
            long lost = 0;
            List<long[]> all = new ArrayList<>();
            for (BufferedReader out : outs) {
                String line = out.readLine();
                if (line == null || !line.startsWith("RESULT ")) {
                    throw new IllegalStateException("a worker gave no result: " + line + "; its log: " + logs);
                }
                Map<String, String> f = new HashMap<>();
                for (String part : line.substring(7).split(" ")) {
                    int eq = part.indexOf('=');
                    f.put(part.substring(0, eq), part.substring(eq + 1));
                }
                long n = Long.parseLong(f.get("ops"));
                ops += n;
                commits += Long.parseLong(f.get("commits"));
                lost += Long.parseLong(f.get("lost"));
                all.add(n == 0 ? new long[0] : Arrays.stream(f.get("us").split(",")).mapToLong(Long::parseLong).toArray());
            }
            long[] lat = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            double p50 = lat.length == 0 ? Double.NaN : lat[(int) Math.min(lat.length - 1, Math.floor(lat.length * 0.50))] / 1000.0;
            double p99 = lat.length == 0 ? Double.NaN : lat[(int) Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] / 1000.0;
            return new Result(ops * 1000.0 / measureMs, p50, p99, commits == 0 ? 0 : 100.0 * lost / commits);
        } finally {
            for (Process p : workers) {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /** The benchmark's own etcd: one member of the test fixture, and a client to compact it between cases. */
    private static final class EtcdForBench implements AutoCloseable {
        private final EtcdCluster cluster;
        private final Client client;

        private EtcdForBench(EtcdCluster cluster) {
            this.cluster = cluster;
            this.client = Client.builder().endpoints(cluster.endpoints().toArray(String[]::new)).build();
        }

        static EtcdForBench start() {
            // 8 GiB of backend quota: the kube-apiserver layout of a /12 writes 128 KiB per change
            return new EtcdForBench(EtcdCluster.start(1, List.of("--quota-backend-bytes=8589934592")));
        }

        String endpoint() {
            return cluster.endpoints().get(0);
        }

        /** Compacts away every old revision and defragments, so that cases do not weigh on each other. */
        void compact() throws Exception {
            long rev = client.getKVClient().get(ByteSequence.from("/", StandardCharsets.UTF_8)).get().getHeader().getRevision();
            client.getKVClient().compact(rev).get();
            client.getMaintenanceClient().defragmentMember(endpoint()).get();
        }

        @Override
        public void close() {
            client.close();
            cluster.close();
        }
    }
}
