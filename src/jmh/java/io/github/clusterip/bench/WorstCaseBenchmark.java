package io.github.clusterip.bench;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The worst case of a forward scan: a range with exactly one free address, placed just before the
 * random start, so that the scan from the start must go round the whole dynamic band before it
 * finds it (average time of one {@code allocateNext} plus the release of the address it returned,
 * ns/op, single thread). Target for clusterip: at most 200 ns/op on a {@code /12}.
 *
 * <p>Set-up (once per trial), the same for every implementation:
 * <ol>
 *   <li>The allocator's random starts come from a {@link FixedFractionRandom} that always returns
 *       half of the range it is asked for ({@code nextInt(bound)}, {@code nextLong(bound)} and
 *       {@code nextLong()} all agree), so the start is the same on every call: clusterip through
 *       {@code ClusterIpAllocator.builder(cidr).random(generator)}, the baselines through their
 *       {@code RandomGenerator} constructors.</li>
 *   <li>The start is found by experiment, not by formula: an {@code allocateNext} on an empty
 *       allocator of that kind returns the start itself. The free address is the one before it in
 *       the dynamic band (the band's last address if the start is its first).</li>
 *   <li>A second allocator is restored from a snapshot in which every usable address of both bands
 *       is allocated except that one. The set-up checks the count, that the snapshot reads back
 *       byte for byte, that {@code allocateNext} returns exactly the free address (three times,
 *       releasing it in between), that the range is then full, and runs the small-range self-check
 *       of the implementation.</li>
 * </ol>
 * Every operation returns the allocator to that state, so each one does the full scan. The trial's
 * tear-down checks that the state is unchanged.
 *
 * <ul>
 *   <li>{@code clusterip}: {@link ClusterIpAllocator#allocateNext()} and
 *       {@link ClusterIpAllocator#release(IpAddress)}, the public API.</li>
 *   <li>{@code kubernetes}: {@link KubernetesStrategyAllocator}: about 1,048,000 one-bit probes,
 *       so milliseconds per op; this is what kube-apiserver does in this state.</li>
 *   <li>{@code bitset}: {@link BitSetAllocator}: {@link java.util.BitSet#nextClearBit(int)} to the
 *       end of the band, then again from its start: about 16,400 words.</li>
 * </ul>
 *
 * <p>Run (3 trials x 2 forks of about 20 s each: about 2 minutes):
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.args="WorstCaseBenchmark"
 * </pre>
 * Short: {@code -Djmh.args="WorstCaseBenchmark -p implementation=clusterip -f 1 -wi 1 -i 1 -w 1s -r 1s"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@State(Scope.Benchmark)
public class WorstCaseBenchmark {

    /** The fraction of the band at which the fixed random start lies. */
    static final double START_FRACTION = 0.5;

    /** Which allocator: {@code clusterip}, {@code kubernetes} or {@code bitset}. */
    @Param({"clusterip", "kubernetes", "bitset"})
    public String implementation;

    /** The Service CIDR (IPv4). */
    @Param({"10.96.0.0/12"})
    public String cidr;

    private Impl impl;
    private ClusterIpAllocator clusterIp;
    private IndexAllocator baseline;
    private IndexAllocator indexes;
    private int free;

    @Setup(Level.Trial)
    public void setUp() {
        impl = Impl.of(implementation);
        Fixtures.selfCheck(impl);
        ServiceCidr range = ServiceCidr.parse(cidr);
        int usable = Fixtures.usable(range);
        int offset = Fixtures.offset(range);
        Fixtures.check(usable - offset >= 2, cidr, " has fewer than two addresses in its dynamic band", "", "");
        FixedFractionRandom generator = new FixedFractionRandom(START_FRACTION);

        int start = Fixtures.newIndexAllocator(impl, range, generator).allocateNextIndex();
        Fixtures.check(start >= offset && start < usable, "the fixed start ", start, " is not in the dynamic band of ",
                range);
        free = start == offset ? usable - 1 : start - 1;

        long[] words = new long[GoBigIntBytes.wordsFor(usable)];
        Arrays.fill(words, -1L);
        if ((usable & 63) != 0) {
            words[words.length - 1] = -1L >>> (64 - (usable & 63));
        }
        words[free >>> 6] &= ~(1L << free);
        byte[] allButOne = GoBigIntBytes.toBytes(words);

        indexes = Fixtures.newIndexAllocator(impl, range, generator);
        indexes.restoreBytes(allButOne);
        Fixtures.check(indexes.used() == usable - 1, "restored ", indexes.used(), " addresses, expected ", usable - 1);
        Fixtures.check(!indexes.isAllocated(free), "the free index ", free, " is allocated", "");
        Fixtures.check(Arrays.equals(indexes.snapshotBytes(), allButOne), "the snapshot does not read back");
        for (int i = 0; i < 3; i++) {
            int got = indexes.allocateNextIndex();
            Fixtures.check(got == free, "allocateNext returned ", got, " instead of the only free index ", free);
            Fixtures.check(indexes.allocateNextIndex() == -1, "allocateNext succeeded on a full range");
            Fixtures.check(indexes.release(free), "release of ", free, " returned false", "");
        }
        if (impl == Impl.CLUSTERIP) {
            clusterIp = ((Fixtures.ClusterIpIndexes) indexes).allocator;
        } else {
            baseline = indexes;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        int size = indexes.size();
        Fixtures.check(indexes.used() == size - 1, "after the run ", indexes.used(), " are used, expected ", size - 1);
        Fixtures.check(!indexes.isAllocated(free), "after the run the free index ", free, " is allocated", "");
    }

    /**
     * Allocates the one free address and releases it again.
     *
     * @param blackhole receives the allocated address or index
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
