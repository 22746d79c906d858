package io.github.clusterip.bench;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.bench.Fixtures.ClusterIpRandom;
import io.github.clusterip.bench.Fixtures.Impl;
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
 * Steady-state churn: the cost of one {@code allocateNext} followed by the release of the address
 * just allocated, at a constant fill level (average time, ns/op, single thread).
 *
 * <p>Set-up (once per trial): an allocator of the given CIDR is filled to the given fraction with a
 * seeded choice of addresses, the same choice for every implementation. With
 * {@code pattern=uniform} the addresses are drawn uniformly, so free addresses are spread evenly;
 * with {@code pattern=kubernetes} they are the addresses kube-apiserver's own strategy hands out
 * when it fills the range from empty, which leaves the free addresses clustered as in a real
 * cluster's range (long allocated runs, which a bit-by-bit or word-by-word scan must cross).
 * Every operation then restores the state it
 * started from, so the fill stays exactly constant and each operation starts the scan at a fresh
 * random point. The set-up checks the fill count, the snapshot against an independent conversion,
 * a few thousand checked allocate+release pairs (free, right band, state unchanged), and runs the
 * small-range self-check of the implementation; any failure aborts the benchmark. The trial's
 * tear-down checks that the allocator still holds exactly the addresses of the fill.
 *
 * <ul>
 *   <li>{@code clusterip}: {@link ClusterIpAllocator#allocateNext()} and
 *       {@link ClusterIpAllocator#release(IpAddress)}, the public API (so the cost includes making
 *       the {@link IpAddress} and mapping it back to an index). By default the allocator is
 *       {@link ClusterIpAllocator#create} with its default, unseeded random source, as
 *       applications use it (in the lock-free allocator, a thread-local generator and no lock);
 *       {@code -p clusteripRandom=seeded} measures {@code builder(cidr).seed(42)} instead, whose
 *       generator is called under a lock (the set-up of earlier runs of this benchmark). The
 *       parameter does not apply to the baselines, which are always seeded.</li>
 *   <li>{@code kubernetes}: {@link KubernetesStrategyAllocator}, kube-apiserver's bit-at-a-time
 *       random scan, on indexes.</li>
 *   <li>{@code bitset}: {@link BitSetAllocator}, {@link java.util.BitSet#nextClearBit(int)} from a
 *       random start, on indexes.</li>
 * </ul>
 *
 * <p>Run (all 36 combinations, defaults below, x 2 forks of 20 to 40 s each, the
 * {@code kubernetes} fills of a {@code /12} being slow to set up: about 30 minutes):
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.args="ChurnBenchmark"
 * </pre>
 * One combination, short: {@code -Djmh.args="ChurnBenchmark -p implementation=clusterip
 * -p cidr=10.96.0.0/12 -p fill=0.99 -f 1 -wi 1 -i 1 -w 1s -r 1s"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@State(Scope.Benchmark)
public class ChurnBenchmark {

    /** Which allocator: {@code clusterip}, {@code kubernetes} or {@code bitset}. */
    @Param({"clusterip", "kubernetes", "bitset"})
    public String implementation;

    /** The Service CIDR. */
    @Param({"10.96.0.0/16", "10.96.0.0/12"})
    public String cidr;

    /** The fraction of usable addresses allocated before measuring. */
    @Param({"0.5", "0.99", "0.999"})
    public String fill;

    /** How the pre-allocated addresses are chosen: {@code uniform} or {@code kubernetes}. */
    @Param({"uniform", "kubernetes"})
    public String pattern;

    /**
     * clusterip's random source: {@code unseeded} ({@link ClusterIpAllocator#create}, the default)
     * or {@code seeded} ({@code builder(cidr).seed(42)}); ignored by the baselines.
     */
    @Param({"unseeded"})
    public String clusteripRandom;

    private Impl impl;
    private ClusterIpAllocator clusterIp;
    private IndexAllocator baseline;
    private Fixtures.Filled filled;

    @Setup(Level.Trial)
    public void setUp() {
        filled = Fixtures.filledForChurn(implementation, cidr, Double.parseDouble(fill), pattern,
                ClusterIpRandom.of(clusteripRandom));
        impl = filled.impl;
        clusterIp = filled.clusterIp;
        baseline = filled.baseline;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        filled.checkUnchanged();
    }

    /**
     * One allocation and the release of the same address. The allocated address (an
     * {@link IpAddress} for clusterip, the index for the baselines) goes to the blackhole, so the
     * work cannot be eliminated.
     *
     * @param blackhole JMH's sink
     */
    @Benchmark
    public void allocateAndRelease(Blackhole blackhole) {
        if (impl == Impl.CLUSTERIP) {
            IpAddress address = clusterIp.allocateNext();
            if (!clusterIp.release(address)) {
                throw new IllegalStateException("release of " + address + " returned false");
            }
            blackhole.consume(address);
        } else {
            int index = baseline.allocateNextIndex();
            if (!baseline.release(index)) {
                throw new IllegalStateException("release of " + index + " returned false");
            }
            blackhole.consume(index);
        }
    }
}
