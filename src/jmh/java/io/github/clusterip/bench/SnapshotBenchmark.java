package io.github.clusterip.bench;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.RangeAllocation;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.bench.Fixtures.Impl;
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

/**
 * Snapshot and restore of a full range in kube-apiserver's RangeAllocation form (average time,
 * microseconds/op). The range defaults to a full {@code 10.96.0.0/12}: 1,048,574 bits, 131,072
 * bytes of data ({@code -p fill=0.5} and the like measure partly filled ranges).
 *
 * <ul>
 *   <li>{@code snapshot}: clusterip {@link ClusterIpAllocator#snapshot()} (the
 *       {@link RangeAllocation} record, range text and Go {@code big.Int.Bytes()} data);
 *       the baselines' {@link IndexAllocator#snapshotBytes()}, the same bytes (what
 *       kube-apiserver's {@code Snapshot()} returns, {@code big.Int.Bytes()}).</li>
 *   <li>{@code restore}: clusterip {@link ClusterIpAllocator#restore(RangeAllocation)} of that
 *       snapshot (which also parses and compares the range); the baselines'
 *       {@link IndexAllocator#restoreBytes(byte[])} ({@code SetBytes} plus counting the bits, as
 *       kube-apiserver's {@code Restore()} does; no range text to check).</li>
 * </ul>
 * Restoring the same state again leaves the allocator as it was, so every operation does the same
 * work. The set-up checks that all implementations produce byte-identical data and that a
 * restored allocator holds every address.
 *
 * <p>Run:
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.args="SnapshotBenchmark"
 * </pre>
 * Short: {@code -Djmh.args="SnapshotBenchmark -p implementation=clusterip -f 1 -wi 1 -i 1 -w 1s -r 1s"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@State(Scope.Benchmark)
public class SnapshotBenchmark {

    /** Which allocator: {@code clusterip}, {@code kubernetes} or {@code bitset}. */
    @Param({"clusterip", "kubernetes", "bitset"})
    public String implementation;

    /** The Service CIDR. */
    @Param({"10.96.0.0/12"})
    public String cidr;

    /**
     * The fraction of usable addresses allocated: 1 (the whole range) by default; a lower value
     * picks a seeded random choice of addresses, the same for every implementation.
     */
    @Param({"1"})
    public String fill;

    private Impl impl;
    private int expectedUsed;
    private ClusterIpAllocator clusterIp;
    private IndexAllocator baseline;
    private RangeAllocation clusterIpSnapshot;
    private byte[] baselineSnapshot;

    @Setup(Level.Trial)
    public void setUp() {
        impl = Impl.of(implementation);
        Fixtures.selfCheck(impl);
        ServiceCidr range = ServiceCidr.parse(cidr);
        int usable = Fixtures.usable(range);
        int count = Fixtures.fillCount(usable, Double.parseDouble(fill));
        int[] chosen;
        if (count == usable) {
            chosen = new int[usable];
            Arrays.setAll(chosen, i -> i);
        } else {
            chosen = Fixtures.chooseIndexes(usable, count, Fixtures.FILL_SEED);
        }
        expectedUsed = count;
        IndexAllocator allocator = Fixtures.newIndexAllocator(impl, range, Fixtures.ALLOCATOR_SEED);
        Fixtures.fill(allocator, chosen); // checks the count and the bytes against the expected bitmap
        byte[] expected = GoBigIntBytes.toBytes(Fixtures.bitmapOf(chosen, usable));
        if (impl == Impl.CLUSTERIP) {
            clusterIp = ((Fixtures.ClusterIpIndexes) allocator).allocator;
            clusterIpSnapshot = clusterIp.snapshot();
            Fixtures.check(Arrays.equals(clusterIpSnapshot.data(), expected), "snapshot data differ", "", "", "");
            Fixtures.check(clusterIpSnapshot.range().equals(range.toString()), "snapshot range ",
                    clusterIpSnapshot.range(), " differs from ", range);
        } else {
            baseline = allocator;
            baselineSnapshot = baseline.snapshotBytes();
            Fixtures.check(Arrays.equals(baselineSnapshot, expected), "snapshot data differ", "", "", "");
        }
    }

    @TearDown(Level.Trial)
    public void checkStillFull() {
        long used = impl == Impl.CLUSTERIP ? clusterIp.used() : baseline.used();
        Fixtures.check(used == expectedUsed, "after the run the allocator holds ", used, " addresses, expected ",
                expectedUsed);
    }

    /**
     * Takes a snapshot of the range.
     *
     * @return the snapshot (a {@link RangeAllocation} or the data bytes)
     */
    @Benchmark
    public Object snapshot() {
        return impl == Impl.CLUSTERIP ? clusterIp.snapshot() : baseline.snapshotBytes();
    }

    /**
     * Restores the range from its snapshot.
     *
     * @return the number of allocated addresses after the restore
     */
    @Benchmark
    public long restore() {
        if (impl == Impl.CLUSTERIP) {
            clusterIp.restore(clusterIpSnapshot);
            return clusterIp.used();
        }
        baseline.restoreBytes(baselineSnapshot);
        return baseline.used();
    }
}
