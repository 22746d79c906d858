package io.github.clusterip.bench;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.ServiceCidr;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * clusterip on a range far too large for a dense bitmap: an IPv6 {@code /64} (2<sup>64</sup> - 1
 * usable addresses) holding 1,000,000 allocated addresses, kept in the allocator's sparse storage
 * (average time, single thread).
 *
 * <ul>
 *   <li>{@code allocateAndRelease} (ns/op): {@link ClusterIpAllocator#allocateNext()} plus the
 *       release of the address it returned; the state is unchanged after each op.</li>
 *   <li>{@code compactSnapshot} (ms/op): {@link ClusterIpAllocator#compactSnapshot()} of that
 *       state.</li>
 *   <li>{@code restoreCompact} (ms/op): {@link ClusterIpAllocator#restoreCompact(byte[])} of those
 *       bytes into a fresh, empty allocator of the same CIDR, created in the op
 *       ({@link ClusterIpAllocator#create}; creating an empty allocator is cheap beside restoring a
 *       million addresses).</li>
 * </ul>
 * The baselines do not apply: they are dense bitmaps of one bit per usable address, indexed by
 * {@code int}, so they cannot represent a range of more than 2<sup>31</sup> addresses at all (a
 * {@code /64} would need 2 EiB of bitmap).
 *
 * <p>Set-up (once per trial): {@link ClusterIpAllocator#create} (the default, unseeded allocator)
 * of the CIDR, then {@code count} calls of {@code allocateNext}, every address checked (a usable
 * address of the dynamic band, all distinct, the count). Then the compact snapshot is checked by
 * reading it back twice, with {@link ClusterIpAllocator#fromCompactSnapshot(byte[])} and with
 * {@code restoreCompact} into a fresh allocator: same CIDR, same count, every allocated address
 * present. A few thousand allocate+release pairs are checked to return only free addresses and to
 * leave the count unchanged. The trial's tear-down checks the count again. The set-up alone takes
 * some seconds, which is why this class runs fewer iterations than the others.
 *
 * <p>Allocators that cannot hold the CIDR fail the set-up with the library's message.
 * {@code -p cidr=fd00::/104 -p count=100000} runs the same code on a range a dense bitmap can
 * hold, for comparison.
 *
 * <p>Run (3 trials x 2 forks of about 20 s each, depending on the set-up: about 2 minutes):
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.args="SparseBenchmark"
 * </pre>
 * Short: {@code -Djmh.args="SparseBenchmark -f 1 -wi 1 -i 1 -w 1s -r 1s"}.
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Benchmark)
public class SparseBenchmark {

    /** The Service CIDR. */
    @Param({"fd00::/64"})
    public String cidr;

    /** The number of addresses allocated before measuring. */
    @Param({"1000000"})
    public int count;

    private ServiceCidr range;
    private ClusterIpAllocator allocator;
    private byte[] compact;

    @Setup(Level.Trial)
    public void setUp() {
        range = ServiceCidr.parse(cidr);
        try {
            allocator = ClusterIpAllocator.create(range);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("SparseBenchmark needs an allocator that accepts " + range + ": "
                    + e.getMessage(), e);
        }
        IpAddress[] allocated = Fixtures.allocateNextChecked(allocator, count);

        compact = allocator.compactSnapshot();
        Fixtures.check(compact != null && compact.length > 0, "compactSnapshot returned no data");
        ClusterIpAllocator read = ClusterIpAllocator.fromCompactSnapshot(compact);
        checkHolds("fromCompactSnapshot", read, allocated);
        ClusterIpAllocator fresh = ClusterIpAllocator.create(range);
        fresh.restoreCompact(compact);
        checkHolds("restoreCompact", fresh, allocated);

        long[] keys = Fixtures.sortedLow64(allocated);
        for (int i = 0; i < 5_000; i++) {
            IpAddress address = allocator.allocateNext();
            Fixtures.check(Arrays.binarySearch(keys, Fixtures.low64(address)) < 0, "allocateNext returned allocated ", address, "", "");
            Fixtures.check(allocator.release(address), "release of just allocated ", address, " returned false", "");
        }
        Fixtures.check(allocator.used() == count, "churn changed the count from ", count, " to ", allocator.used());
    }

    private void checkHolds(String how, ClusterIpAllocator other, IpAddress[] allocated) {
        Fixtures.check(other.cidr().equals(range), how + " made an allocator of ", other.cidr(), " instead of ", range);
        Fixtures.check(other.used() == allocated.length, how + " made an allocator holding ", other.used(),
                " addresses instead of ", allocated.length);
        for (IpAddress address : allocated) {
            Fixtures.check(other.isAllocated(address), how + " lost ", address, "", "");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Fixtures.check(allocator.used() == count, "after the run the allocator holds ", allocator.used(),
                " addresses, expected ", count);
    }

    /**
     * One allocation and the release of the same address.
     *
     * @param blackhole receives the allocated address
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void allocateAndRelease(Blackhole blackhole) {
        IpAddress address = allocator.allocateNext();
        if (!allocator.release(address)) {
            throw new IllegalStateException("release of " + address + " returned false");
        }
        blackhole.consume(address);
    }

    /**
     * Takes the compact snapshot of the allocator.
     *
     * @return the snapshot bytes
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public byte[] compactSnapshot() {
        return allocator.compactSnapshot();
    }

    /**
     * Restores the compact snapshot into a new, empty allocator of the same CIDR.
     *
     * @return the restored allocator
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public ClusterIpAllocator restoreCompact() {
        ClusterIpAllocator fresh = ClusterIpAllocator.create(range);
        fresh.restoreCompact(compact);
        return fresh;
    }
}
