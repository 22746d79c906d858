package io.github.clusterip.bench;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.ServiceCidr;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * Retained heap of one allocator (not a JMH benchmark): for each implementation and for an empty
 * and a full range, it creates N allocators held in an array, forces full collections, and divides
 * the growth of the used heap ({@link MemoryMXBean}) by N. The {@link ServiceCidr} is shared by all
 * allocators and not counted; everything an allocator owns (bitmap, summary, lock, random source,
 * fields) is. A control row measures a bare {@code long[]} of the bitmap's size, whose exact
 * size is known (16 bytes of header plus 8 per word), to show the error of the method.
 *
 * <p>"full" for clusterip means filled with {@code allocateNext} until full; for the baselines,
 * every index allocated with {@code allocate(index)} (the same state, reached faster). Note that
 * the kubernetes baseline pre-allocates its {@code long[]}, while Go's {@code big.Int} only grows
 * to the highest set bit, so an empty kube-apiserver bitmap is smaller than this baseline's.
 *
 * <p>Run (arguments: CIDR, N; defaults {@code 10.96.0.0/12 32}; under a minute) with the serial
 * collector, whose heap accounting after {@code System.gc()} is exact (G1 reports a few KiB per
 * allocator too much for allocators made of small objects plus one large array, although it
 * measures the control row exactly):
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.main=io.github.clusterip.bench.MemoryFootprint -Djmh.jvmArgs=-XX:+UseSerialGC -Djmh.args="10.96.0.0/12 32"
 * </pre>
 *
 * <p>With {@code --sparse} it measures clusterip alone on a range too large for a dense bitmap,
 * holding a given number of addresses: arguments CIDR, COUNT, N, defaults {@code fd00::/64 1000000
 * 2}: a {@code /64} holding 1,000,000 addresses, each allocator filled by {@code allocateNext}
 * (every address checked) from {@code builder(cidr).seed(i)}. Target: under 64 MiB per allocator.
 * The control row is a bare {@code long[COUNT]}. The baselines cannot represent such a range at
 * all. A few seconds plus 3 checked fills (N measured, one to warm up); well under a minute if a
 * fill of a million addresses takes a few seconds:
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.main=io.github.clusterip.bench.MemoryFootprint -Djmh.jvmArgs=-XX:+UseSerialGC -Djmh.args="--sparse fd00::/64 1000000 2"
 * </pre>
 */
public final class MemoryFootprint {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private MemoryFootprint() {
    }

    /**
     * Prints the table.
     *
     * @param args optional CIDR and number of allocators per measurement
     * @throws InterruptedException if interrupted between collections
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help"))) {
            System.out.println("usage: MemoryFootprint [CIDR [N]]                   (defaults: 10.96.0.0/12 32)");
            System.out.println("       MemoryFootprint --sparse [CIDR [COUNT [N]]]  (defaults: fd00::/64 1000000 2)");
            return;
        }
        if (args.length > 0 && args[0].equals("--sparse")) {
            sparse(args);
            return;
        }
        ServiceCidr cidr = ServiceCidr.parse(args.length > 0 ? args[0] : "10.96.0.0/12");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int usable = Fixtures.usable(cidr);
        int offset = Fixtures.offset(cidr);

        for (Fixtures.Impl impl : Fixtures.Impl.values()) {
            Fixtures.selfCheck(impl);
        }

        System.out.printf(Locale.ROOT, "Retained heap per allocator, %s (%,d usable addresses, bitmap alone %,d bytes"
                + " = %.1f KiB), N = %d, %s%n", cidr, usable, (long) GoBigIntBytes.wordsFor(usable) * 8,
                GoBigIntBytes.wordsFor(usable) * 8 / 1024.0, n, System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version"));
        printCollectors();
        System.out.printf(Locale.ROOT, "%-14s %-6s %14s %10s%n", "allocator", "state", "bytes", "KiB");

        int words = GoBigIntBytes.wordsFor(usable);
        row("long[" + words + "]", "-", n, i -> new long[words]); // control: the bare bitmap array
        row("clusterip", "empty", n, i -> ClusterIpAllocator.builder(cidr).seed(i).build());
        row("clusterip", "full", n, i -> {
            ClusterIpAllocator a = ClusterIpAllocator.builder(cidr).seed(i).build();
            for (int k = 0; k < usable; k++) {
                a.allocateNext();
            }
            Fixtures.check(a.free() == 0, "clusterip not full: ", a.free(), " free", "");
            return a;
        });
        row("kubernetes", "empty", n, i -> new KubernetesStrategyAllocator(usable, offset, i));
        row("kubernetes", "full", n, i -> full(new KubernetesStrategyAllocator(usable, offset, i)));
        row("bitset", "empty", n, i -> new BitSetAllocator(usable, offset, i));
        row("bitset", "full", n, i -> full(new BitSetAllocator(usable, offset, i)));
    }

    /** Target of the sparse mode: the retained heap of one allocator, in bytes. */
    private static final long SPARSE_TARGET = 64L << 20;

    /** clusterip alone, holding COUNT addresses of a (large) range. */
    private static void sparse(String[] args) throws InterruptedException {
        ServiceCidr cidr = ServiceCidr.parse(args.length > 1 ? args[1] : "fd00::/64");
        int count = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        try {
            ClusterIpAllocator.create(cidr);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the sparse footprint needs an allocator that accepts " + cidr + ": "
                    + e.getMessage(), e);
        }
        System.out.printf(Locale.ROOT, "Retained heap per allocator, %s (%s usable addresses) holding %,d addresses"
                + " allocated by allocateNext, N = %d, %s%n", cidr, cidr.usableCount(), count, n,
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        printCollectors();
        System.out.printf(Locale.ROOT, "%-14s %14s %10s %12s%n", "allocator", "bytes", "MiB", "bytes/addr");
        double control = measure(n, i -> new long[count]);
        System.out.printf(Locale.ROOT, "%-14s %,14.0f %10.1f %12.1f%n", "long[" + count + "]", control,
                control / (1 << 20), control / count);
        double bytes = measure(n, i -> {
            ClusterIpAllocator a = ClusterIpAllocator.builder(cidr).seed(i).build();
            Fixtures.allocateNextChecked(a, count);
            return a;
        });
        System.out.printf(Locale.ROOT, "%-14s %,14.0f %10.1f %12.1f   target < %d MiB: %s%n", "clusterip", bytes,
                bytes / (1 << 20), bytes / count, SPARSE_TARGET >> 20, bytes < SPARSE_TARGET ? "met" : "MISSED");
    }

    private static void printCollectors() {
        String collectors = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName).collect(Collectors.joining(", "));
        System.out.println("collectors: " + collectors + (collectors.contains("G1")
                ? "  (G1 over-reports by a few KiB per allocator; prefer -Djmh.jvmArgs=-XX:+UseSerialGC)" : ""));
    }

    private static IndexAllocator full(IndexAllocator a) {
        for (int k = 0; k < a.size(); k++) {
            a.allocate(k);
        }
        Fixtures.check(a.used() == a.size(), "not full: ", a.used(), " used of ", a.size());
        return a;
    }

    private static void row(String name, String state, int n, IntFunction<Object> factory) throws InterruptedException {
        double perAllocator = measure(n, factory);
        System.out.printf(Locale.ROOT, "%-14s %-6s %,14.0f %10.1f%n", name, state, perAllocator, perAllocator / 1024);
    }

    /** Retained heap per object made by {@code factory}: the growth of the heap holding n of them, over n. */
    private static double measure(int n, IntFunction<Object> factory) throws InterruptedException {
        factory.apply(-1); // warm up class loading and the JIT outside the measurement
        Object[] held = new Object[n];
        long before = usedAfterGc();
        for (int i = 0; i < n; i++) {
            held[i] = factory.apply(i);
        }
        long after = usedAfterGc();
        Reference.reachabilityFence(held);
        return (after - before) / (double) n;
    }

    private static long usedAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, MEMORY.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
