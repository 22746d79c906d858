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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Throughput of allocate+release churn on one allocator shared by one or two threads (operations
 * per microsecond; one operation = one {@code allocateNext} plus the release of the address it
 * returned).
 *
 * <ul>
 *   <li>{@code threads1}: one thread.</li>
 *   <li>{@code threads2}: two threads churning on the same allocator at once. JMH reports the
 *       <em>total</em> throughput of both threads, so the scaling of an implementation is
 *       {@code threads2 / threads1} at the same fill: about 2 if the threads do not get in each
 *       other's way, 1 or less if they serialize on a lock (or fight over cache lines).</li>
 * </ul>
 * The two-thread numbers mean something only on a machine with at least two otherwise idle cores
 * (preferably more, so that the JVM's own threads do not compete); do not override the thread
 * counts with {@code -t}, which would apply to both methods.
 *
 * <p>Set-up (once per trial, shared by the threads, as in {@link ChurnBenchmark}): an allocator of
 * the CIDR filled to the given fraction with the same seeded uniform choice of addresses for every
 * implementation, with the fill, a few thousand single-threaded allocate+release pairs and the
 * small-range self-check verified. Every operation undoes itself, so the fill stays constant (up to
 * the two addresses in flight); an operation whose release returns false (an address handed to two
 * threads at once) fails the run, and the trial's tear-down checks that the allocator holds
 * exactly the addresses of the fill again.
 *
 * <ul>
 *   <li>{@code clusterip}: {@link ClusterIpAllocator#allocateNext()} and
 *       {@link ClusterIpAllocator#release(IpAddress)} on {@link ClusterIpAllocator#create}, the
 *       default unseeded allocator (lock-free, random starts from a thread-local generator);
 *       {@code -p clusteripRandom=seeded} uses {@code builder(cidr).seed(42)} instead, whose
 *       generator is called under a lock.</li>
 *   <li>{@code kubernetes}: {@link KubernetesStrategyAllocator}, one lock, as kube-apiserver.</li>
 *   <li>{@code bitset}: {@link BitSetAllocator}, one lock.</li>
 * </ul>
 *
 * <p>Run (12 trials: 3 implementations x 2 fills x 2 thread counts, x 2 forks of about 20 s each:
 * about 8 minutes):
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.args="ThroughputBenchmark"
 * </pre>
 * Short: {@code -Djmh.args="ThroughputBenchmark -p implementation=clusterip -p fill=0.99 -f 1 -wi 1 -i 1 -w 1s -r 1s"}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@State(Scope.Benchmark)
public class ThroughputBenchmark {

    /** Which allocator: {@code clusterip}, {@code kubernetes} or {@code bitset}. */
    @Param({"clusterip", "kubernetes", "bitset"})
    public String implementation;

    /** The Service CIDR. */
    @Param({"10.96.0.0/12"})
    public String cidr;

    /** The fraction of usable addresses allocated before measuring. */
    @Param({"0.5", "0.99"})
    public String fill;

    /** How the pre-allocated addresses are chosen: {@code uniform} or {@code kubernetes}. */
    @Param({"uniform"})
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
     * Churn by one thread.
     *
     * @param blackhole JMH's sink
     */
    @Benchmark
    @Threads(1)
    public void threads1(Blackhole blackhole) {
        allocateAndRelease(blackhole);
    }

    /**
     * Churn by two threads on the same allocator; the score is their total.
     *
     * @param blackhole JMH's sink (one per thread)
     */
    @Benchmark
    @Threads(2)
    public void threads2(Blackhole blackhole) {
        allocateAndRelease(blackhole);
    }

    private void allocateAndRelease(Blackhole blackhole) {
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
