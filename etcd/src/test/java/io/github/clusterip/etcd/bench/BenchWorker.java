package io.github.clusterip.etcd.bench;

import io.github.clusterip.IpAddress;
import io.github.clusterip.Owner;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.SharedClusterIpAllocator;
import io.github.clusterip.etcd.EtcdKeyValueStore;
import io.github.clusterip.service.Protocol;
import io.github.clusterip.service.ServicePort;
import io.github.clusterip.service.ServiceSpec;
import io.github.clusterip.service.SharedServiceAllocator;
import io.github.clusterip.store.StoreLayout;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One JVM of {@link EtcdBenchmark}: opens the allocator, says READY, waits for GO on its standard
 * input, runs the workload for the warm-up and the measured time, and prints one RESULT line with
 * the measured operations and the latency of each, in microseconds.
 */
public final class BenchWorker {

    private BenchWorker() {
    }

    /**
     * Runs one worker; see {@link EtcdBenchmark} for the options it is given.
     *
     * @param args options as pairs
     * @throws Exception on any failure, reported by a non-zero exit
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        ServiceCidr cidr = ServiceCidr.parse(o.get("--cidr"));
        StoreLayout layout = StoreLayout.valueOf(o.get("--layout"));
        String prefix = o.get("--prefix");
        String workload = o.get("--workload");
        long warmupMs = Long.parseLong(o.get("--warmup-ms"));
        long measureMs = Long.parseLong(o.get("--measure-ms"));
        String id = o.get("--id");
        int threads = Integer.parseInt(o.getOrDefault("--threads", "1"));
        int blockBits = Integer.parseInt(o.getOrDefault("--block-bits", "1024"));
        CountingStore store = new CountingStore(EtcdKeyValueStore.builder().endpoints(o.get("--endpoints").split(","))
                .timeout(Duration.ofSeconds(30)).build());
        long[][] latencies = new long[threads][];
        int[] counts = new int[threads];
        long[] marks = new long[2];
        try (store) {
            SharedClusterIpAllocator ips = workload.equals("alloc")
                    ? SharedClusterIpAllocator.builder(store, cidr).prefix(prefix).layout(layout).blockBits(blockBits).build()
                    : null;
            // a SharedServiceAllocator runs one call at a time: one per thread
            SharedServiceAllocator[] services = new SharedServiceAllocator[threads];
            if (ips == null) {
                for (int t = 0; t < threads; t++) {
                    services[t] = SharedServiceAllocator.builder(store).cidr(cidr).prefix(prefix).layout(layout)
                            .blockBits(blockBits).build();
                }
            }
            System.out.println("READY");
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String go = in.readLine();
            if (go == null || !go.startsWith("GO ")) {
                throw new IllegalStateException("expected GO, got " + go);
            }
            long startAt = Long.parseLong(go.substring(3));
            long wait = startAt - System.currentTimeMillis();
            if (wait > 0) {
                Thread.sleep(wait);
            }
            long t0 = System.nanoTime();
            long measureStart = t0 + warmupMs * 1_000_000L;
            long end = measureStart + measureMs * 1_000_000L;
            Thread[] running = new Thread[threads];
            Throwable[] failure = new Throwable[1];
            for (int t = 0; t < threads; t++) {
                int me = t;
                running[t] = new Thread(() -> {
                    try {
                        Owner owner = new Owner("bench", "w" + id + "-" + me);
                        ServiceSpec spec = ServiceSpec.builder(owner).ports(ServicePort.of("http", Protocol.TCP, 80)).build();
                        long[] lat = new long[1 << 14];
                        int n = 0;
                        while (true) {
                            long s = System.nanoTime();
                            if (s >= end) {
                                break;
                            }
                            if (ips != null) {
                                IpAddress ip = ips.allocateNext(owner);
                                ips.release(ip);
                            } else {
                                services[me].create(spec);
                                services[me].delete(owner);
                            }
                            long e = System.nanoTime();
                            if (s >= measureStart) {
                                if (n == lat.length) {
                                    lat = Arrays.copyOf(lat, n * 2);
                                }
                                lat[n++] = (e - s) / 1000;
                            }
                        }
                        latencies[me] = lat;
                        counts[me] = n;
                    } catch (Throwable e) {
                        synchronized (failure) {
                            failure[0] = e;
                        }
                    }
                });
                running[t].start();
            }
            long toStart = measureStart - System.nanoTime();
            if (toStart > 0) {
                Thread.sleep(toStart / 1_000_000L, (int) (toStart % 1_000_000L));
            }
            marks[0] = store.commits();
            marks[1] = store.lost();
            for (Thread t : running) {
                t.join();
            }
            if (failure[0] != null) {
                throw new IllegalStateException("a worker thread failed", failure[0]);
            }
            if (ips != null) {
                ips.close();
            }
            for (SharedServiceAllocator a : services) {
                if (a != null) {
                    a.close();
                }
            }
        }
        int n = 0;
        for (int c : counts) {
            n += c;
        }
        StringBuilder sb = new StringBuilder("RESULT ops=").append(n).append(" commits=")
                .append(store.commits() - marks[0]).append(" lost=").append(store.lost() - marks[1]).append(" us=");
        boolean first = true;
        for (int t = 0; t < latencies.length; t++) {
            for (int i = 0; i < counts[t]; i++) {
                sb.append(first ? "" : ",").append(latencies[t][i]);
                first = false;
            }
        }
        System.out.println(sb);
        System.out.flush();
    }
}
