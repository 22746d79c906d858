package io.github.clusterip.bench;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.RangeFullException;
import io.github.clusterip.ServiceCidr;
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
 * Filling a whole range from empty: {@code allocateNext} called until every usable address is
 * allocated (1,048,574 calls for the default {@code 10.96.0.0/12}), on a fresh allocator each
 * time (single-shot time, ms/op; one op = one complete fill, the allocator's creation excluded).
 *
 * <p>This includes the expensive tail: the last dynamic addresses (found by scanning an almost full
 * band) and then the whole static band (found only after the dynamic band is known to be full).
 * For kubernetes that tail is bit-by-bit scans of the full dynamic band, as in kube-apiserver.
 *
 * <p>Each iteration's tear-down checks that the allocator holds every usable address and reports
 * full on one more {@code allocateNext}; the trial set-up runs the small-range self-check.
 *
 * <p>Run:
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.args="FillBenchmark"
 * </pre>
 * Short: {@code -Djmh.args="FillBenchmark -p implementation=clusterip -f 1 -wi 2 -i 3"}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@State(Scope.Benchmark)
public class FillBenchmark {

    /** Which allocator: {@code clusterip}, {@code kubernetes} or {@code bitset}. */
    @Param({"clusterip", "kubernetes", "bitset"})
    public String implementation;

    /** The Service CIDR to fill. */
    @Param({"10.96.0.0/12"})
    public String cidr;

    private Impl impl;
    private ServiceCidr range;
    private int usable;
    private long iteration;
    private ClusterIpAllocator clusterIp;
    private IndexAllocator baseline;

    @Setup(Level.Trial)
    public void setUpTrial() {
        impl = Impl.of(implementation);
        Fixtures.selfCheck(impl);
        range = ServiceCidr.parse(cidr);
        usable = Fixtures.usable(range);
    }

    /** A fresh, empty allocator for every fill (each with its own seed). */
    @Setup(Level.Iteration)
    public void setUpIteration() {
        long seed = Fixtures.ALLOCATOR_SEED + iteration++;
        if (impl == Impl.CLUSTERIP) {
            clusterIp = ClusterIpAllocator.builder(range).seed(seed).build();
        } else {
            baseline = Fixtures.newIndexAllocator(impl, range, seed);
        }
    }

    @TearDown(Level.Iteration)
    public void checkFull() {
        if (impl == Impl.CLUSTERIP) {
            Fixtures.check(clusterIp.used() == usable, "fill ended with ", clusterIp.used(), " used, expected ", usable);
            try {
                clusterIp.allocateNext();
                throw new IllegalStateException("allocateNext succeeded on a full range");
            } catch (RangeFullException expected) {
                // full, as it must be
            }
            clusterIp = null;
        } else {
            Fixtures.check(baseline.used() == usable, "fill ended with ", baseline.used(), " used, expected ", usable);
            Fixtures.check(baseline.allocateNextIndex() == -1, "allocateNext succeeded on a full range", "", "", "");
            baseline = null;
        }
    }

    /**
     * Fills the range.
     *
     * @param blackhole receives every allocated address
     */
    @Benchmark
    public void fill(Blackhole blackhole) {
        if (impl == Impl.CLUSTERIP) {
            ClusterIpAllocator allocator = clusterIp;
            for (int i = 0; i < usable; i++) {
                blackhole.consume(allocator.allocateNext());
            }
        } else {
            IndexAllocator allocator = baseline;
            for (int i = 0; i < usable; i++) {
                int index = allocator.allocateNextIndex();
                if (index < 0) {
                    throw new IllegalStateException("full after " + i + " of " + usable);
                }
                blackhole.consume(index);
            }
        }
    }
}
