package io.github.clusterip.bench;

import io.github.clusterip.Band;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.PortRange;
import io.github.clusterip.RangeFullException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
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
 * {@link NodePortAllocator} on kube-apiserver's default range {@code 30000-32767} (2768 ports,
 * static band 30000-30085, dynamic band 30086-32767), through the public API:
 *
 * <ul>
 *   <li>{@link #churn}: one {@code allocateNext} followed by the release of the port just
 *       allocated, at a constant fill level (average time, ns/op, single thread). Set-up (once per
 *       trial): an allocator as applications make it ({@link NodePortAllocator#create}, unseeded)
 *       is filled to the given fraction with a seeded uniform choice of ports; every operation
 *       then restores the state it started from, so the fill stays exactly constant. The set-up
 *       checks the fill count, the snapshot against an independent conversion
 *       ({@link BigInteger}), and a few thousand checked allocate+release pairs (a free port, of
 *       the dynamic band while it has a free port, state unchanged after); the tear-down checks
 *       that the allocator still holds exactly the ports of the fill. Any failure aborts the
 *       benchmark.</li>
 *   <li>{@link #fill}: {@code allocateNext} called 2768 times on a fresh, seeded, empty allocator,
 *       until every port is allocated: the dynamic band, its nearly full tail, then the whole
 *       static band (single-shot time, us/op; one op = one complete fill, the allocator's creation
 *       excluded). Each iteration's tear-down checks that every port is allocated, each once, and
 *       that one more {@code allocateNext} reports the range full.</li>
 * </ul>
 *
 * <p>Run (the two churn fills, 2 forks of 16 s each, then 2 forks of 700 single-shot fills: about
 * 2 minutes):
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.args="NodePortBenchmark"
 * </pre>
 * Short: {@code -Djmh.args="NodePortBenchmark.churn -p fill=0.99 -f 1 -wi 1 -i 1 -w 1s -r 1s"}.
 */
public class NodePortBenchmark {

    /** kube-apiserver's default {@code --service-node-port-range}. */
    static final PortRange RANGE = PortRange.parse("30000-32767");

    /** Seed of the choice of pre-allocated ports. */
    static final long FILL_SEED = 0x5EED_F111L;

    /** The churn's state: an allocator filled to {@link #fill}, and the ports of that fill. */
    @State(Scope.Benchmark)
    public static class Churn {

        /** The fraction of the range's ports allocated before measuring. */
        @Param({"0.5", "0.99"})
        public String fill;

        NodePortAllocator allocator;
        private BitSet filled;

        @Setup(Level.Trial)
        public void setUp() {
            int size = RANGE.size();
            int count = (int) Math.round(Double.parseDouble(fill) * size);
            // A seeded uniform choice of `count` indexes: a partial Fisher-Yates shuffle.
            int[] indexes = new int[size];
            Arrays.setAll(indexes, i -> i);
            SplittableRandom random = new SplittableRandom(FILL_SEED);
            filled = new BitSet(size);
            for (int i = 0; i < count; i++) {
                int j = i + random.nextInt(size - i);
                int swap = indexes[i];
                indexes[i] = indexes[j];
                indexes[j] = swap;
                filled.set(indexes[i]);
            }
            allocator = NodePortAllocator.create(RANGE);
            for (int k = filled.nextSetBit(0); k >= 0; k = filled.nextSetBit(k + 1)) {
                allocator.allocate(RANGE.base() + k);
            }
            check(allocator.used() == count, "fill: used() is ", allocator.used(), " expected ", count);
            checkSnapshot();

            // Checked pairs: a free port, of the dynamic band while that band has a free port,
            // and nothing changed after its release.
            boolean dynamicHasFree = allocator.free(Band.DYNAMIC) > 0;
            for (int i = 0; i < 5000; i++) {
                int port = allocator.allocateNext();
                int k = port - RANGE.base();
                check(RANGE.contains(port), "allocateNext gave ", port, " outside ", RANGE);
                check(!filled.get(k), "allocateNext gave ", port, ", which the fill holds", "");
                check(!dynamicHasFree || k >= RANGE.bandOffset(), "allocateNext gave static ", port,
                        " while the dynamic band has free ports", "");
                check(allocator.release(port), "release of ", port, " returned false", "");
            }
            checkUnchanged();
        }

        @TearDown(Level.Trial)
        public void checkUnchanged() {
            check(allocator.used() == filled.cardinality(), "used() is ", allocator.used(), " expected ",
                    filled.cardinality());
            int[] expected = filled.stream().map(k -> k + RANGE.base()).toArray();
            check(Arrays.equals(allocator.allocatedPorts().toArray(), expected), "the allocated ports differ from ",
                    "the fill", "", "");
        }

        private void checkSnapshot() {
            BigInteger value = BigInteger.ZERO;
            for (int k = filled.nextSetBit(0); k >= 0; k = filled.nextSetBit(k + 1)) {
                value = value.setBit(k);
            }
            byte[] expected = value.signum() == 0 ? new byte[0] : value.toByteArray();
            if (expected.length > 0 && expected[0] == 0) {
                expected = Arrays.copyOfRange(expected, 1, expected.length); // BigInteger's sign byte
            }
            check(Arrays.equals(allocator.snapshot().data(), expected), "the snapshot differs from ",
                    "big.Int.Bytes() of the fill", "", "");
        }
    }

    /** The fill's state: a fresh, seeded, empty allocator for every iteration. */
    @State(Scope.Benchmark)
    public static class Fill {

        NodePortAllocator allocator;
        private long iteration;

        @Setup(Level.Iteration)
        public void setUp() {
            allocator = NodePortAllocator.builder(RANGE).seed(42 + iteration++).build();
        }

        @TearDown(Level.Iteration)
        public void checkFull() {
            check(allocator.used() == RANGE.size(), "fill ended with ", allocator.used(), " used, expected ",
                    RANGE.size());
            check(allocator.allocatedPorts().count() == RANGE.size(), "allocatedPorts() has ",
                    allocator.allocatedPorts().count(), " ports, expected ", RANGE.size());
            try {
                allocator.allocateNext();
                throw new IllegalStateException("allocateNext succeeded on a full range");
            } catch (RangeFullException expected) {
                // full, as it must be
            }
            allocator = null;
        }
    }

    /**
     * One allocation and the release of the same port. The port goes to the blackhole, so the
     * work cannot be eliminated.
     *
     * @param state the filled allocator
     * @param blackhole JMH's sink
     */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    @Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
    public void churn(Churn state, Blackhole blackhole) {
        NodePortAllocator allocator = state.allocator;
        int port = allocator.allocateNext();
        if (!allocator.release(port)) {
            throw new IllegalStateException("release of " + port + " returned false");
        }
        blackhole.consume(port);
    }

    /**
     * Fills the default range from empty.
     *
     * @param state the fresh allocator
     * @param blackhole receives every allocated port
     */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 500)
    @Measurement(iterations = 200)
    @Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
    public void fill(Fill state, Blackhole blackhole) {
        NodePortAllocator allocator = state.allocator;
        for (int i = 0; i < 2768; i++) {
            blackhole.consume(allocator.allocateNext());
        }
    }

    private static void check(boolean condition, String a, Object b, Object c, Object d) {
        if (!condition) {
            throw new IllegalStateException("NodePortBenchmark self-check failed: " + a + b + c + d);
        }
    }
}
