package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract of {@link NodePortAllocator}. Expected values come from outside the code under
 * test: the band rule of Kubernetes' port allocator worked out here
 * ({@code pkg/registry/core/service/portallocator/allocator.go}, calculateRangeOffset: offset 0 for
 * 16 ports or fewer, otherwise min(max(16, size / 32), 128)), Go's {@code big.Int.Bytes()} layout
 * computed with {@link BigInteger}, and a compact-snapshot writer of the test's own with
 * {@link CRC32C} from the JDK.
 *
 * <p>The model-based test names its seed in every assertion message; replay one seed with
 * {@code -Dclusterip.seed=<seed>}.
 */
class NodePortAllocatorTest {

    private static final PortRange DEFAULT = PortRange.parse("30000-32767");
    private static final String NOT_IN_RANGE = "provided port is not in the valid range. The range of valid ports is ";
    private static final String ALREADY = "provided port is already allocated";
    private static final String MISMATCH = "the provided port range does not match the current port range";
    private static final String INVALID_COMPACT = "invalid compact snapshot: ";

    // ---- independent helpers ----------------------------------------------------------------------

    /** Kubernetes' calculateRangeOffset for ports, written out here from the Go source. */
    private static int kubernetesOffset(int size) {
        if (size <= 16) {
            return 0;
        }
        int offset = size / 32;
        if (offset < 16) {
            return 16;
        }
        return Math.min(offset, 128);
    }

    private static NodePortAllocator sequential(PortRange range) {
        return NodePortAllocator.builder(range).scanStrategy(ScanStrategy.SEQUENTIAL).build();
    }

    private static NodePortAllocator with(PortRange range, int... ports) {
        NodePortAllocator allocator = NodePortAllocator.create(range);
        for (int port : ports) {
            allocator.allocate(port);
        }
        return allocator;
    }

    private static List<Integer> ports(NodePortAllocator allocator) {
        return allocator.allocatedPorts().boxed().collect(Collectors.toList());
    }

    /** Go's big.Int.Bytes() of the set bits: BigInteger's two's complement without its sign byte. */
    static byte[] goBytesViaBigInteger(BitSet bits) {
        BigInteger value = BigInteger.ZERO;
        for (int k = bits.nextSetBit(0); k >= 0; k = bits.nextSetBit(k + 1)) {
            value = value.setBit(k);
        }
        if (value.signum() == 0) {
            return new byte[0];
        }
        byte[] bytes = value.toByteArray();
        return bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }


    private static BitSet indexesOf(PortRange range, int... ports) {
        BitSet bits = new BitSet();
        for (int port : ports) {
            bits.set(port - range.base());
        }
        return bits;
    }

    /**
     * A compact snapshot written by the test from the format: "CIPS", version, kind, header,
     * varint count, varint run count, per run varint gap and varint length - 1, CRC-32C big-endian.
     */
    static byte[] compact(int version, int kind, byte[] header, long count, long[][] runs, boolean validCrc) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {'C', 'I', 'P', 'S', (byte) version, (byte) kind});
        out.writeBytes(header);
        varint(out, count);
        varint(out, runs.length);
        long end = 0;
        for (long[] run : runs) {
            varint(out, run[0] - end);
            varint(out, run[1] - 1);
            end = run[0] + run[1];
        }
        byte[] body = out.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body);
        int value = (int) crc.getValue() ^ (validCrc ? 0 : 1);
        out.writeBytes(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    static byte[] portHeader(int first, int last) {
        return new byte[] {(byte) (first >>> 8), (byte) first, (byte) (last >>> 8), (byte) last};
    }

    /** The compact snapshot of a port range holding {@code bits}, written by the test. */
    static byte[] compactOf(PortRange range, BitSet bits) {
        List<long[]> runs = new ArrayList<>();
        for (int k = bits.nextSetBit(0); k >= 0; ) {
            int end = bits.nextClearBit(k);
            runs.add(new long[] {k, end - k});
            k = bits.nextSetBit(end);
        }
        return compact(2, 'P', portHeader(range.base(), range.last()), bits.cardinality(),
                runs.toArray(new long[0][]), true);
    }

    /** Everything observable of an allocator, to show that a failed call changed nothing. */
    private record State(RangeAllocation snapshot, List<Integer> ports, int used, int usedStatic, int usedDynamic,
            byte[] compact) {

        static State of(NodePortAllocator allocator) {
            return new State(allocator.snapshot(), NodePortAllocatorTest.ports(allocator), allocator.used(), allocator.used(Band.STATIC),
                    allocator.used(Band.DYNAMIC), allocator.compactSnapshot());
        }

        void assertSame(NodePortAllocator allocator, String what) {
            State now = of(allocator);
            assertThat(now.snapshot).as("%s: snapshot", what).isEqualTo(snapshot);
            assertThat(now.ports).as("%s: allocatedPorts", what).isEqualTo(ports);
            assertThat(now.used).as("%s: used", what).isEqualTo(used);
            assertThat(now.usedStatic).as("%s: used(STATIC)", what).isEqualTo(usedStatic);
            assertThat(now.usedDynamic).as("%s: used(DYNAMIC)", what).isEqualTo(usedDynamic);
            assertThat(now.compact).as("%s: compactSnapshot", what).isEqualTo(compact);
        }
    }

    // ---- worked examples --------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // range text, base, last, size, offset, static band (empty: none), dynamic band
        "30000-32767, 30000, 32767, 2768, 86, 30000-30085, 30086-32767",
        "30000-30015, 30000, 30015, 16, 0, , 30000-30015",
        "1-65535, 1, 65535, 65535, 128, 1-128, 129-65535",
        "8080, 8080, 8080, 1, 0, , 8080-8080",
        "0-65535, 0, 65535, 65536, 128, 0-127, 128-65535",
        "30000-30016, 30000, 30016, 17, 16, 30000-30015, 30016-30016",
    })
    void workedExamples(String text, int base, int last, int size, int offset, String staticBand,
            String dynamicBand) {
        PortRange range = PortRange.parse(text);
        assertThat(kubernetesOffset(size)).as("the example's offset from Kubernetes' rule").isEqualTo(offset);
        assertThat(range.base()).isEqualTo(base);
        assertThat(range.last()).isEqualTo(last);
        assertThat(range.size()).isEqualTo(size);
        assertThat(range.bandOffset()).isEqualTo(offset);
        assertThat(range.staticBand().map(PortRange::toString)).isEqualTo(Optional.ofNullable(staticBand));
        assertThat(range.dynamicBand()).hasToString(dynamicBand);

        NodePortAllocator allocator = sequential(range);
        assertThat(allocator.range()).isEqualTo(range);
        assertThat(allocator.used()).isZero();
        assertThat(allocator.free()).isEqualTo(size);
        assertThat(allocator.free(Band.STATIC)).isEqualTo(offset);
        assertThat(allocator.free(Band.DYNAMIC)).isEqualTo(size - offset);
        // Filling in order: the dynamic band from its first port, then the static band from base.
        for (int i = 0; i < size; i++) {
            int expected = i < size - offset ? base + offset + i : base + (i - (size - offset));
            int got = allocator.allocateNext();
            if (got != expected) {
                fail("%s: allocateNext number %d gave %d, expected %d", text, i, got, expected);
            }
        }
        assertThat(allocator.used()).isEqualTo(size);
        assertThat(allocator.used(Band.STATIC)).isEqualTo(offset);
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(size - offset);
        assertThat(allocator.free()).isZero();
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(RangeFullException.class)
                .hasMessage("range is full");
        assertThat(allocator.isAllocated(base)).isTrue();
        assertThat(allocator.isAllocated(last)).isTrue();
        assertThat(allocator.isAllocated(base - 1)).isFalse();
        assertThat(allocator.isAllocated(last + 1)).isFalse();
    }

    @Test
    void defaultRangeIsKubernetesDefault() {
        assertThat(PortRange.DEFAULT).isEqualTo(DEFAULT);
        NodePortAllocator allocator = NodePortAllocator.create(PortRange.DEFAULT);
        assertThat(allocator.range()).hasToString("30000-32767");
        assertThat(allocator.scanStrategy()).isEqualTo(ScanStrategy.RANDOM);
        assertThat(allocator.free(Band.STATIC)).isEqualTo(86);
        assertThat(allocator.free(Band.DYNAMIC)).isEqualTo(2682);
    }

    @Test
    void portZeroAndPort65535AreUsable() {
        PortRange all = PortRange.parse("0-65535");
        NodePortAllocator allocator = with(all, 0, 65535, 127, 128);
        assertThat(allocator.isAllocated(0)).isTrue();
        assertThat(allocator.isAllocated(65535)).isTrue();
        assertThat(allocator.used(Band.STATIC)).isEqualTo(2); // 0 and 127
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(2); // 128 and 65535
        assertThat(ports(allocator)).containsExactly(0, 127, 128, 65535);
        // Bit 65535 is bit 7 of data[0] of 8192 bytes; bit 0 is data[8191] bit 0.
        byte[] data = allocator.snapshot().data();
        assertThat(data).hasSize(8192);
        assertThat(data[0]).isEqualTo((byte) 0x80);
        assertThat(data[8191]).isEqualTo((byte) 0x01);
        assertThat(data).isEqualTo(goBytesViaBigInteger(indexesOf(all, 0, 65535, 127, 128)));
        assertThatThrownBy(() -> allocator.allocate(-1)).isInstanceOf(PortNotInRangeException.class)
                .hasMessage(NOT_IN_RANGE + "0-65535");
        assertThatThrownBy(() -> allocator.allocate(65536)).isInstanceOf(PortNotInRangeException.class);
        assertThat(allocator.release(65535)).isTrue();
        assertThat(allocator.release(65536)).isFalse();
    }

    // ---- allocateNext -----------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(ScanStrategy.class)
    void allocateNextFillsTheDynamicBandThenTheStaticBandThenFails(ScanStrategy strategy) {
        NodePortAllocator allocator = NodePortAllocator.builder(DEFAULT).scanStrategy(strategy).seed(3).build();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2682; i++) {
            int port = allocator.allocateNext();
            if (port < 30086 || port > 32767 || !seen.add(port)) {
                fail("%s: allocateNext number %d gave %d: outside the dynamic band 30086-32767 or twice",
                        strategy, i, port);
            }
            if (allocator.used(Band.STATIC) != 0) {
                fail("%s: a static port was taken after %d allocations", strategy, i);
            }
        }
        assertThat(allocator.free(Band.DYNAMIC)).isZero();
        assertThat(allocator.free(Band.STATIC)).isEqualTo(86);
        for (int i = 0; i < 86; i++) {
            int port = allocator.allocateNext();
            if (port < 30000 || port > 30085 || !seen.add(port)) {
                fail("%s: allocateNext number %d after the dynamic band was full gave %d", strategy, i, port);
            }
        }
        assertThat(seen).hasSize(2768);
        assertThat(allocator.used()).isEqualTo(2768);
        assertThat(allocator.free()).isZero();

        State before = State.of(allocator);
        Throwable thrown = catchThrowable(allocator::allocateNext);
        assertThat(thrown).isInstanceOf(RangeFullException.class).isInstanceOf(AllocationException.class)
                .hasMessage("range is full");
        RangeFullException full = (RangeFullException) thrown;
        assertThat(full.portRange()).contains(DEFAULT);
        assertThat(full.cidr()).isEmpty();
        assertThat(full.range()).isEqualTo("30000-32767");
        before.assertSame(allocator, "after range is full");

        // One port freed anywhere is the one handed out next.
        assertThat(allocator.release(30042)).isTrue();
        assertThat(allocator.allocateNext()).isEqualTo(30042);
        assertThat(allocator.release(32767)).isTrue();
        assertThat(allocator.allocateNext()).isEqualTo(32767);
    }

    @Test
    void allocateNextStaysInTheDynamicBandWhileOnePortIsFree() {
        NodePortAllocator allocator = sequential(DEFAULT);
        for (int port = 30086; port <= 32767; port++) {
            allocator.allocate(port);
        }
        assertThat(allocator.release(31000)).isTrue();
        assertThat(allocator.allocateNext()).isEqualTo(31000);
        assertThat(allocator.allocateNext()).isEqualTo(30000);
    }

    @Test
    void rangeWithoutStaticBandIsAllDynamic() {
        PortRange small = PortRange.parse("30000-30015");
        NodePortAllocator allocator = NodePortAllocator.builder(small).seed(9).build();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            seen.add(allocator.allocateNext());
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(30000, 30015).boxed().toList());
        assertThat(allocator.used(Band.STATIC)).isZero();
        assertThat(allocator.free(Band.STATIC)).isZero();
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(16);
        RangeFullException full = (RangeFullException) catchThrowable(allocator::allocateNext);
        assertThat(full.portRange()).contains(small);
        assertThat(full.range()).isEqualTo("30000-30015");
    }

    @Test
    void singlePortRange() {
        PortRange one = PortRange.parse("8080");
        NodePortAllocator allocator = NodePortAllocator.create(one);
        assertThat(allocator.allocateNext()).isEqualTo(8080);
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(RangeFullException.class)
                .hasMessage("range is full");
        assertThatThrownBy(() -> allocator.allocate(8080)).isInstanceOf(PortAlreadyAllocatedException.class);
        assertThatThrownBy(() -> allocator.allocate(8081)).isInstanceOf(PortNotInRangeException.class)
                .hasMessage(NOT_IN_RANGE + "8080-8080");
        assertThat(allocator.snapshot()).isEqualTo(new RangeAllocation("8080-8080", new byte[] {0x01}));
        assertThat(allocator.release(8080)).isTrue();
        assertThat(allocator.snapshot().data()).isEmpty();
    }

    // ---- allocate, tryAllocate, release, isAllocated ------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {30000, 30080, 30085, 30086, 31000, 32767})
    void allocateReservesAPortOfEitherBandOnce(int port) {
        NodePortAllocator allocator = with(DEFAULT, 30500);
        allocator.allocate(port);
        assertThat(allocator.isAllocated(port)).isTrue();
        assertThat(allocator.used()).isEqualTo(2);
        Band band = port < 30086 ? Band.STATIC : Band.DYNAMIC;
        assertThat(allocator.used(band)).isEqualTo(band == Band.DYNAMIC ? 2 : 1);

        State before = State.of(allocator);
        Throwable thrown = catchThrowable(() -> allocator.allocate(port));
        assertThat(thrown).isInstanceOf(PortAlreadyAllocatedException.class).isInstanceOf(AllocationException.class)
                .hasMessage(ALREADY);
        PortAlreadyAllocatedException e = (PortAlreadyAllocatedException) thrown;
        assertThat(e.port()).isEqualTo(port);
        assertThat(e.portRange()).isEqualTo(DEFAULT);
        assertThat(e.range()).isEqualTo("30000-32767");
        before.assertSame(allocator, "after allocate of an allocated port");
        assertThat(allocator.tryAllocate(port)).isFalse();
        before.assertSame(allocator, "after tryAllocate of an allocated port");
    }

    @ParameterizedTest
    @ValueSource(ints = {29999, 32768, 0, 1, -1, -30000, Integer.MIN_VALUE, 65535, 65536, 100000, Integer.MAX_VALUE})
    void allocateOutsideTheRangeIsRefusedWithKubernetesMessage(int port) {
        NodePortAllocator allocator = with(DEFAULT, 30001, 31000);
        State before = State.of(allocator);
        Throwable thrown = catchThrowable(() -> allocator.allocate(port));
        assertThat(thrown).isInstanceOf(PortNotInRangeException.class).isInstanceOf(AllocationException.class)
                .hasMessage("provided port is not in the valid range. The range of valid ports is 30000-32767");
        PortNotInRangeException e = (PortNotInRangeException) thrown;
        assertThat(e.port()).isEqualTo(port);
        assertThat(e.validRange()).isEqualTo(DEFAULT);
        assertThat(e.range()).isEqualTo("30000-32767");
        before.assertSame(allocator, "after allocate(" + port + ")");

        assertThatThrownBy(() -> allocator.tryAllocate(port)).isInstanceOf(PortNotInRangeException.class)
                .hasMessage(NOT_IN_RANGE + "30000-32767");
        before.assertSame(allocator, "after tryAllocate(" + port + ")");
        assertThat(allocator.release(port)).isFalse();
        assertThat(allocator.isAllocated(port)).isFalse();
        before.assertSame(allocator, "after release(" + port + ")");
    }

    @Test
    void notInRangeMessageNamesTheAllocatorsRange() {
        PortRange range = PortRange.parse("30000+15");
        assertThatThrownBy(() -> NodePortAllocator.create(range).allocate(30016))
                .hasMessage(NOT_IN_RANGE + "30000-30015");
    }

    @Test
    void tryAllocateTellsWhetherItAllocated() {
        NodePortAllocator allocator = NodePortAllocator.create(DEFAULT);
        assertThat(allocator.tryAllocate(30010)).isTrue();
        assertThat(allocator.tryAllocate(30010)).isFalse();
        assertThat(allocator.tryAllocate(32000)).isTrue();
        assertThat(allocator.used()).isEqualTo(2);
        assertThat(allocator.used(Band.STATIC)).isEqualTo(1);
        assertThat(ports(allocator)).containsExactly(30010, 32000);
    }

    @Test
    void releaseIsTrueOnceThenFalse() {
        NodePortAllocator allocator = with(DEFAULT, 30050, 31000);
        assertThat(allocator.release(31000)).isTrue();
        assertThat(allocator.isAllocated(31000)).isFalse();
        assertThat(allocator.release(31000)).isFalse();
        assertThat(allocator.release(31001)).as("a free port in the range").isFalse();
        assertThat(allocator.used()).isEqualTo(1);
        assertThat(allocator.release(30050)).isTrue();
        assertThat(allocator.release(30050)).isFalse();
        assertThat(allocator.used()).isZero();
        assertThat(allocator.free()).isEqualTo(2768);
        // Released ports can be allocated again.
        allocator.allocate(30050);
        assertThat(allocator.isAllocated(30050)).isTrue();
    }

    @Test
    void countsPerBand() {
        NodePortAllocator allocator = with(DEFAULT, 30000, 30085, 30086, 30087, 32767);
        assertThat(allocator.used()).isEqualTo(5);
        assertThat(allocator.free()).isEqualTo(2763);
        assertThat(allocator.used(Band.STATIC)).isEqualTo(2);
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(3);
        assertThat(allocator.free(Band.STATIC)).isEqualTo(84);
        assertThat(allocator.free(Band.DYNAMIC)).isEqualTo(2679);
        assertThat(allocator.estimatedUsed()).isEqualTo(5);
        assertThatThrownBy(() -> allocator.used(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> allocator.free(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void allocatedPortsAreAscending() {
        int[] wanted = {32767, 30000, 31234, 30085, 30086, 30064, 30063, 30127, 30128, 32704, 32703};
        NodePortAllocator allocator = with(DEFAULT, wanted);
        assertThat(allocator.allocatedPorts().toArray()).containsExactly(IntStream.of(wanted).sorted().toArray());
        SplittableRandom random = new SplittableRandom(5);
        NodePortAllocator other = NodePortAllocator.create(DEFAULT);
        BitSet model = new BitSet();
        for (int i = 0; i < 700; i++) {
            int port = 30000 + random.nextInt(2768);
            other.tryAllocate(port);
            model.set(port);
        }
        assertThat(other.allocatedPorts().toArray()).containsExactly(model.stream().toArray());
    }

    // ---- random source, seed, builder -------------------------------------------------------------

    private static List<Integer> drain(NodePortAllocator allocator, int count) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(allocator.allocateNext());
        }
        return out;
    }

    @Test
    void sameSeedGivesSameSequence() {
        List<Integer> a = drain(NodePortAllocator.builder(DEFAULT).seed(12345).build(), 500);
        List<Integer> b = drain(NodePortAllocator.builder(DEFAULT).seed(12345).build(), 500);
        List<Integer> c = drain(NodePortAllocator.builder(DEFAULT).seed(54321).build(), 500);
        assertThat(b).isEqualTo(a);
        assertThat(c).isNotEqualTo(a);
        assertThat(a).doesNotHaveDuplicates();
        // Each allocator of one seeded builder gets a source of its own.
        NodePortAllocator.Builder builder = NodePortAllocator.builder(DEFAULT).seed(12345);
        assertThat(drain(builder.build(), 500)).isEqualTo(a);
        assertThat(drain(builder.build(), 500)).isEqualTo(a);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 42, -7, Long.MAX_VALUE})
    void seededFirstPortIsTheRandomStartInTheDynamicBand(long seed) {
        // Kubernetes' pick: a uniform random start in the dynamic band (2682 ports from 30086).
        int expected = 30086 + new SplittableRandom(seed).nextInt(2682);
        assertThat(NodePortAllocator.builder(DEFAULT).seed(seed).build().allocateNext()).isEqualTo(expected);
        // With that start taken, the first free port after it (wrapping at the band's end).
        NodePortAllocator taken = NodePortAllocator.builder(DEFAULT).seed(seed).build();
        taken.allocate(expected);
        assertThat(taken.allocateNext()).isEqualTo(expected == 32767 ? 30086 : expected + 1);
    }

    @Test
    void givenRandomSourcePicksTheStart() {
        RandomGenerator fixed = new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new AssertionError("nextLong not expected");
            }

            @Override
            public int nextInt(int bound) {
                return bound - 1;
            }
        };
        NodePortAllocator allocator = NodePortAllocator.builder(DEFAULT).random(fixed).build();
        assertThat(allocator.allocateNext()).isEqualTo(32767);
        assertThat(allocator.allocateNext()).as("wraps to the band's first port").isEqualTo(30086);
    }

    @Test
    void randomSourceOutOfBoundIsRefusedAndNothingIsAllocated() {
        RandomGenerator broken = new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public int nextInt(int bound) {
                return bound;
            }
        };
        NodePortAllocator allocator = NodePortAllocator.builder(DEFAULT).random(broken).build();
        allocator.allocate(30100);
        State before = State.of(allocator);
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("2682");
        before.assertSame(allocator, "after a broken random source");
    }

    @Test
    void builderRefusesSeedAndRandomTogether() {
        assertThatThrownBy(() -> NodePortAllocator.builder(DEFAULT).seed(1).random(new SplittableRandom(2)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("seed");
        assertThatThrownBy(() -> NodePortAllocator.builder(DEFAULT).random(new SplittableRandom(2)).seed(1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("random source");
        assertThatThrownBy(() -> NodePortAllocator.builder(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> NodePortAllocator.create(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> NodePortAllocator.builder(DEFAULT).random(null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> NodePortAllocator.builder(DEFAULT).scanStrategy(null))
                .isInstanceOf(NullPointerException.class);
        assertThat(NodePortAllocator.builder(DEFAULT).scanStrategy(ScanStrategy.SEQUENTIAL).build().scanStrategy())
                .isEqualTo(ScanStrategy.SEQUENTIAL);
    }

    @Test
    void toStringHasRangeAndCounts() {
        NodePortAllocator allocator = with(DEFAULT, 30000, 31000, 32000);
        assertThat(allocator).hasToString("NodePortAllocator[30000-32767, used=3, free=2765]");
        allocator.release(31000);
        assertThat(allocator).hasToString("NodePortAllocator[30000-32767, used=2, free=2766]");
        assertThat(NodePortAllocator.create(PortRange.parse("8080")))
                .hasToString("NodePortAllocator[8080-8080, used=0, free=1]");
    }

    // ---- RangeAllocation snapshots ------------------------------------------------------------------

    @Test
    void emptySnapshotHasEmptyData() {
        RangeAllocation snapshot = NodePortAllocator.create(DEFAULT).snapshot();
        assertThat(snapshot.range()).isEqualTo("30000-32767");
        assertThat(snapshot.data()).isEmpty();
    }

    @Test
    void snapshotBytesWorkedOutByHand() {
        // Port 30000 is bit 0, 30007 bit 7, 30008 bit 8 (bit 0 of the second byte from the end).
        assertThat(with(DEFAULT, 30000).snapshot().data()).containsExactly(0x01);
        assertThat(with(DEFAULT, 30007).snapshot().data()).containsExactly(0x80);
        assertThat(with(DEFAULT, 30008).snapshot().data()).containsExactly(0x01, 0x00);
        assertThat(with(DEFAULT, 30000, 30015).snapshot().data()).containsExactly(0x80, 0x01);
        // The last port, bit 2767, is bit 7 of data[0] of 2768 / 8 = 346 bytes.
        byte[] last = with(DEFAULT, 32767).snapshot().data();
        assertThat(last).hasSize(346);
        assertThat(last[0]).isEqualTo((byte) 0x80);
        assertThat(Arrays.copyOfRange(last, 1, 346)).containsOnly(0);
        // The whole range: 346 bytes of ff.
        NodePortAllocator full = sequential(DEFAULT);
        for (int i = 0; i < 2768; i++) {
            full.allocateNext();
        }
        byte[] all = new byte[346];
        Arrays.fill(all, (byte) 0xff);
        assertThat(full.snapshot().data()).containsExactly(all);
    }

    @ParameterizedTest
    @ValueSource(strings = {"30000-32767", "30000-30015", "8080", "1-65535", "0-65535", "30000-30016", "65000-65535"})
    void snapshotMatchesBigIntegerAndRoundTrips(String text) {
        PortRange range = PortRange.parse(text);
        SplittableRandom random = new SplittableRandom(text.hashCode());
        for (int round = 0; round < 12; round++) {
            double density = new double[] {0, 0.001, 0.05, 0.5, 0.97, 1}[round % 6];
            NodePortAllocator allocator = NodePortAllocator.create(range);
            BitSet model = new BitSet();
            for (int k = 0; k < range.size(); k++) {
                if (random.nextDouble() < density) {
                    allocator.allocate(range.base() + k);
                    model.set(k);
                }
            }
            RangeAllocation snapshot = allocator.snapshot();
            assertThat(snapshot.range()).isEqualTo(range.toString());
            byte[] expected = density <= 0.05 ? goBytesViaBigInteger(model) : RangeLayout.goBytesDirect(model);
            assertThat(snapshot.data()).as("%s round %d", text, round).isEqualTo(expected);
            assertThat(snapshot.data()).as("%s round %d", text, round).isEqualTo(RangeLayout.goBytesDirect(model));
            if (expected.length > 0) {
                assertThat(snapshot.data()[0]).as("no leading zero byte").isNotZero();
            }

            NodePortAllocator copy = NodePortAllocator.fromSnapshot(snapshot);
            assertThat(copy.range()).isEqualTo(range);
            assertThat(copy.allocatedPorts().toArray())
                    .isEqualTo(model.stream().map(k -> k + range.base()).toArray());
            assertThat(copy.used(Band.STATIC)).isEqualTo(model.get(0, range.bandOffset()).cardinality());
            NodePortAllocator target = with(range, range.last());
            target.restore(snapshot);
            assertThat(target.snapshot()).isEqualTo(snapshot);
            assertThat(target.used()).isEqualTo(model.cardinality());
        }
    }

    @Test
    void restoreAcceptsLeadingZerosAndTheSignByteAsGoSetBytesDoes() {
        NodePortAllocator allocator = with(DEFAULT, 31000);
        allocator.restore(new RangeAllocation("30000-32767", new byte[] {0, 0, (byte) 0x80}));
        assertThat(ports(allocator)).containsExactly(30007);
        assertThat(allocator.snapshot().data()).containsExactly(0x80);
        byte[] padded = new byte[400];
        padded[399] = 1;
        allocator.restore(new RangeAllocation("30000-32767", padded));
        assertThat(ports(allocator)).containsExactly(30000);
        allocator.restore(new RangeAllocation("30000-32767", new byte[500]));
        assertThat(allocator.used()).isZero();
    }

    @Test
    void restoreAcceptsEveryTextKubernetesParsesToTheSameRange() {
        // kube-apiserver's Restore parses the range text and compares pr.String() (k8s facts C2):
        // another spelling of the same range restores.
        NodePortAllocator allocator = NodePortAllocator.create(DEFAULT);
        allocator.restore(new RangeAllocation("30000+2767", new byte[] {0x02}));
        assertThat(ports(allocator)).containsExactly(30001);
        allocator.restore(new RangeAllocation(" 30000-32767\n", new byte[] {0x04}));
        assertThat(ports(allocator)).containsExactly(30002);
    }

    @ParameterizedTest
    @ValueSource(strings = {"30000-32766", "30001-32767", "30000-32768", "29999-32767", "30000-30015", "8080",
        "0-65535", "30000"})
    void restoreOfAnotherRangeIsRefusedAndChangesNothing(String other) {
        NodePortAllocator allocator = with(DEFAULT, 30001, 30100, 32767);
        State before = State.of(allocator);
        assertThatThrownBy(() -> allocator.restore(new RangeAllocation(other, new byte[] {0x01})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(MISMATCH)
                .hasMessageContaining(PortRange.parse(other).toString())
                .hasMessageContaining("30000-32767");
        before.assertSame(allocator, "restore of " + other);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.96.0.0/24", "fd00::/120", "garbage", "", "   ", "32767-30000", "30000-70000",
        "30000-32767-1", "30000+2767+1", "-1", "3o000-32767", "30000\u202e-32767\u001b[31m"})
    void restoreOfATextThatIsNotAPortRangeIsRefusedClearly(String text) {
        NodePortAllocator allocator = with(DEFAULT, 30001, 30100);
        State before = State.of(allocator);
        RangeAllocation bad = new RangeAllocation(text, new byte[] {0x01});
        Throwable thrown = catchThrowable(() -> allocator.restore(bad));
        assertThat(thrown).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid RangeAllocation of ports " + io.github.clusterip.internal.Messages
                        .quote(text) + ": ");
        assertThat(thrown.getMessage()).as("no raw control or bidi character")
                .doesNotContain("\u001b").doesNotContain("\u202e");
        before.assertSame(allocator, "restore of " + text);
        assertThatThrownBy(() -> NodePortAllocator.fromSnapshot(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid RangeAllocation of ports ");
    }

    @Test
    void aPortSnapshotIsNotACidrSnapshotNorTheOtherWayRound() {
        RangeAllocation ports = with(DEFAULT, 30000).snapshot();
        assertThatThrownBy(() -> ClusterIpAllocator.fromSnapshot(ports)).isInstanceOf(IllegalArgumentException.class);
        ClusterIpAllocator addresses = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/24"));
        assertThatThrownBy(() -> addresses.restore(ports)).isInstanceOf(IllegalArgumentException.class);
        assertThat(addresses.used()).isZero();
    }

    @ParameterizedTest
    @CsvSource({
        // range, bit set beyond it
        "30000-32767, 2768",
        "30000-32767, 2775",
        "30000-32767, 2776",
        "30000-32767, 4000",
        "30000-30015, 16",
        "8080, 1",
        "1-65535, 65535",
        "0-65535, 65536",
    })
    void restoreWithABitBeyondTheRangeIsRefusedAndChangesNothing(String text, int bit) {
        PortRange range = PortRange.parse(text);
        NodePortAllocator allocator = with(range, range.base());
        State before = State.of(allocator);
        BitSet bits = new BitSet();
        bits.set(0);
        bits.set(bit);
        RangeAllocation bad = new RangeAllocation(range.toString(), goBytesViaBigInteger(bits));
        assertThatThrownBy(() -> allocator.restore(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bit " + bit).hasMessageContaining(range.toString());
        before.assertSame(allocator, "restore with bit " + bit);
        assertThatThrownBy(() -> NodePortAllocator.fromSnapshot(bad)).isInstanceOf(IllegalArgumentException.class);
        // The last bit of the range itself is fine.
        BitSet lastBit = new BitSet();
        lastBit.set(range.size() - 1);
        allocator.restore(new RangeAllocation(range.toString(), goBytesViaBigInteger(lastBit)));
        assertThat(ports(allocator)).containsExactly(range.last());
    }

    @Test
    void fromSnapshotAppliesTheOptions() {
        RangeAllocation snapshot = with(DEFAULT, 30086, 30087).snapshot();
        NodePortAllocator copy = NodePortAllocator.fromSnapshot(snapshot,
                b -> b.scanStrategy(ScanStrategy.SEQUENTIAL));
        assertThat(copy.scanStrategy()).isEqualTo(ScanStrategy.SEQUENTIAL);
        assertThat(copy.allocateNext()).isEqualTo(30088);
        NodePortAllocator seeded = NodePortAllocator.fromSnapshot(NodePortAllocator.create(DEFAULT).snapshot(),
                b -> b.seed(42));
        assertThat(seeded.allocateNext()).isEqualTo(30086 + new SplittableRandom(42).nextInt(2682));
        assertThatThrownBy(() -> NodePortAllocator.fromSnapshot(snapshot, null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> NodePortAllocator.fromSnapshot(null)).isInstanceOf(NullPointerException.class);
    }

    // ---- compact snapshots --------------------------------------------------------------------------

    @Test
    void compactSnapshotIsVersion2KindPWithThePortsInItsHeader() {
        byte[] data = with(DEFAULT, 30000, 30001, 30002, 32767).compactSnapshot();
        // "CIPS" 02 'P' 7530 7fff, count 4, 2 runs: [0, 3) gap 0 length-1 2; [2767, 2768) gap 2764
        // (2764 = 0x4c + 21 * 128 -> cc 15) length-1 0.
        byte[] expected = compact(2, 'P', portHeader(30000, 32767), 4, new long[][] {{0, 3}, {2767, 1}}, true);
        assertThat(data).isEqualTo(expected);
        assertThat(Arrays.copyOfRange(data, 0, 17)).containsExactly(
                'C', 'I', 'P', 'S', 2, 'P', 0x75, 0x30, 0x7f, 0xff, 4, 2, 0, 2, 0xcc, 0x15, 0);
        assertThat(data).hasSize(21);
    }

    @ParameterizedTest
    @ValueSource(strings = {"30000-32767", "30000-30015", "8080", "0-65535", "30000-30016"})
    void compactSnapshotRoundTrips(String text) {
        PortRange range = PortRange.parse(text);
        SplittableRandom random = new SplittableRandom(text.hashCode() * 31L);
        for (double density : new double[] {0, 0.01, 0.5, 0.99, 1}) {
            NodePortAllocator allocator = NodePortAllocator.create(range);
            BitSet model = new BitSet();
            for (int k = 0; k < range.size(); k++) {
                if (random.nextDouble() < density) {
                    allocator.allocate(range.base() + k);
                    model.set(k);
                }
            }
            byte[] data = allocator.compactSnapshot();
            assertThat(data).as("%s density %s", text, density).isEqualTo(compactOf(range, model));
            NodePortAllocator copy = NodePortAllocator.fromCompactSnapshot(data);
            assertThat(copy.range()).isEqualTo(range);
            assertThat(copy.snapshot()).isEqualTo(allocator.snapshot());
            assertThat(copy.used(Band.STATIC)).isEqualTo(allocator.used(Band.STATIC));
            NodePortAllocator target = with(range, range.base());
            target.restoreCompact(data);
            assertThat(target.snapshot()).isEqualTo(allocator.snapshot());
            assertThat(target.compactSnapshot()).isEqualTo(data);
        }
    }

    @Test
    void fromCompactSnapshotAppliesTheOptions() {
        byte[] data = with(DEFAULT, 30086).compactSnapshot();
        NodePortAllocator copy = NodePortAllocator.fromCompactSnapshot(data,
                b -> b.scanStrategy(ScanStrategy.SEQUENTIAL));
        assertThat(copy.allocateNext()).isEqualTo(30087);
        assertThatThrownBy(() -> NodePortAllocator.fromCompactSnapshot(data, null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> NodePortAllocator.fromCompactSnapshot(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void restoreCompactOfAnotherRangeIsRefused() {
        NodePortAllocator allocator = with(DEFAULT, 30500);
        State before = State.of(allocator);
        byte[] other = with(PortRange.parse("30000-32766"), 30001).compactSnapshot();
        assertThatThrownBy(() -> allocator.restoreCompact(other)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(MISMATCH).hasMessageContaining("30000-32766");
        before.assertSame(allocator, "restoreCompact of another range");
    }

    @Test
    void compactCidrSnapshotIntoNodePortAllocatorIsRefused() {
        ClusterIpAllocator addresses = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/24"));
        addresses.allocateNext();
        byte[] cidrSnapshot = addresses.compactSnapshot();
        assertThat(cidrSnapshot[4]).as("a CIDR snapshot stays version 1").isEqualTo((byte) 1);
        NodePortAllocator allocator = with(DEFAULT, 30500);
        State before = State.of(allocator);
        assertThatThrownBy(() -> allocator.restoreCompact(cidrSnapshot)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(INVALID_COMPACT + "it holds the CIDR 10.96.0.0/24, not a port range; restore it with "
                        + "ClusterIpAllocator");
        before.assertSame(allocator, "restoreCompact of a CIDR snapshot");
        assertThatThrownBy(() -> NodePortAllocator.fromCompactSnapshot(cidrSnapshot))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(INVALID_COMPACT);
    }

    @Test
    void compactPortSnapshotIntoClusterIpAllocatorIsRefused() {
        byte[] portSnapshot = with(DEFAULT, 30500).compactSnapshot();
        ClusterIpAllocator addresses = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/24"));
        addresses.allocateNext();
        RangeAllocation before = addresses.snapshot();
        assertThatThrownBy(() -> addresses.restoreCompact(portSnapshot)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(INVALID_COMPACT + "it holds the port range 30000-32767, not a CIDR; restore it with "
                        + "NodePortAllocator");
        assertThat(addresses.snapshot()).isEqualTo(before);
        assertThatThrownBy(() -> ClusterIpAllocator.fromCompactSnapshot(portSnapshot))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(INVALID_COMPACT);
    }

    static Stream<Arguments> hostileCompactSnapshots() {
        byte[] header = portHeader(30000, 32767);
        byte[] valid = compact(2, 'P', header, 1, new long[][] {{5, 1}}, true);
        return Stream.of(
                Arguments.of("last port below first",
                        compact(2, 'P', portHeader(32767, 30000), 0, new long[0][], true),
                        "last port 30000 at byte offset 8 is below the first port 32767"),
                Arguments.of("truncated in the first port", Arrays.copyOf(valid, 7),
                        "truncated: the 2-byte first port at byte offset 6"),
                Arguments.of("truncated in the last port", Arrays.copyOf(valid, 9),
                        "truncated: the 2-byte last port at byte offset 8"),
                Arguments.of("cut after the header", Arrays.copyOf(valid, 10), "truncated"),
                Arguments.of("a run starting beyond the range",
                        compact(2, 'P', header, 1, new long[][] {{2768, 1}}, true),
                        "starts at index 2768, beyond the usable range [0, 2768) of 30000-32767"),
                Arguments.of("a run reaching beyond the range",
                        compact(2, 'P', header, 3, new long[][] {{2766, 3}}, true),
                        "extends beyond the usable range [0, 2768) of 30000-32767"),
                Arguments.of("a count above the range's size",
                        compact(2, 'P', header, 2769, new long[0][], true),
                        "allocated count 2769 at byte offset 10 exceeds the 2768 ports of 30000-32767"),
                Arguments.of("a count that is not the sum of the runs",
                        compact(2, 'P', header, 2, new long[][] {{5, 1}}, true),
                        "does not equal the sum of the run lengths"),
                Arguments.of("a bad CRC", compact(2, 'P', header, 1, new long[][] {{5, 1}}, false),
                        "CRC-32C mismatch"),
                Arguments.of("a flipped run byte", flip(valid, 12), "CRC-32C mismatch"),
                Arguments.of("kind 'P' in a version 1 snapshot",
                        compact(1, 'P', header, 1, new long[][] {{5, 1}}, true), "needs version 2"),
                Arguments.of("version 3", compact(3, 'P', header, 1, new long[][] {{5, 1}}, true),
                        "unsupported version 3"),
                Arguments.of("a trailing byte", Arrays.copyOf(valid, valid.length + 1), "trailing byte"),
                Arguments.of("empty", new byte[0], "input is empty"));
    }

    private static byte[] flip(byte[] data, int offset) {
        byte[] copy = data.clone();
        copy[offset] ^= 0x01;
        return copy;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileCompactSnapshots")
    void hostileCompactPortSnapshotsAreRefusedAndChangeNothing(String what, byte[] data, String fragment) {
        NodePortAllocator allocator = with(DEFAULT, 30001, 32000);
        State before = State.of(allocator);
        assertThatThrownBy(() -> allocator.restoreCompact(data)).as(what).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(INVALID_COMPACT).hasMessageContaining(fragment);
        before.assertSame(allocator, what);
        assertThatThrownBy(() -> NodePortAllocator.fromCompactSnapshot(data)).as(what)
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(INVALID_COMPACT);
    }

    @Test
    void theTestsWriterMakesSnapshotsTheLibraryAccepts() {
        // So that the hostile cases above fail for their one defect, not for the writer's.
        byte[] valid = compact(2, 'P', portHeader(30000, 32767), 1, new long[][] {{5, 1}}, true);
        assertThat(ports(NodePortAllocator.fromCompactSnapshot(valid))).containsExactly(30005);
        byte[] edge = compact(2, 'P', portHeader(30000, 32767), 2, new long[][] {{2766, 2}}, true);
        assertThat(ports(NodePortAllocator.fromCompactSnapshot(edge))).containsExactly(32766, 32767);
        byte[] all = compact(2, 'P', portHeader(0, 65535), 65536, new long[][] {{0, 65536}}, true);
        assertThat(NodePortAllocator.fromCompactSnapshot(all).used()).isEqualTo(65536);
    }

    // ---- concurrency --------------------------------------------------------------------------------

    private static <T> List<T> runConcurrently(int threads, Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return task.call();
                }));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(ScanStrategy.class)
    void concurrentAllocateNextUntilFullHandsOutEveryPortOnce(ScanStrategy strategy) throws Exception {
        for (int round = 0; round < 5; round++) {
            NodePortAllocator allocator = NodePortAllocator.builder(DEFAULT).scanStrategy(strategy).build();
            List<List<Integer>> results = runConcurrently(4, () -> {
                List<Integer> mine = new ArrayList<>();
                while (true) {
                    try {
                        mine.add(allocator.allocateNext());
                    } catch (RangeFullException e) {
                        return mine;
                    }
                }
            });
            List<Integer> all = results.stream().flatMap(List::stream).sorted().toList();
            assertThat(all).as("round %d", round).doesNotHaveDuplicates().hasSize(2768);
            assertThat(all.get(0)).isEqualTo(30000);
            assertThat(all.get(2767)).isEqualTo(32767);
            assertThat(allocator.used()).isEqualTo(2768);
            assertThat(allocator.used(Band.STATIC)).isEqualTo(86);
            assertThat(allocator.free()).isZero();
        }
    }

    @Test
    void concurrentAllocateAndReleaseKeepTheCountsExact() throws Exception {
        NodePortAllocator allocator = NodePortAllocator.create(DEFAULT);
        int threads = 4;
        AtomicInteger ids = new AtomicInteger();
        CyclicBarrier churnDone = new CyclicBarrier(threads);
        // Each thread owns the ports p with p % threads == id: allocate, check, release; and at the
        // end, once every thread is done with that, it keeps the ports of its own that are multiples of 7.
        List<Integer> kept = runConcurrently(threads, () -> {
            int id = ids.getAndIncrement();
            int keptHere = 0;
            for (int round = 0; round < 20; round++) {
                for (int port = 30000 + id; port <= 32767; port += threads) {
                    if (!allocator.tryAllocate(port)) {
                        throw new AssertionError("port " + port + " of thread " + id + " was allocated");
                    }
                    if (!allocator.isAllocated(port)) {
                        throw new AssertionError("port " + port + " not allocated after tryAllocate");
                    }
                    if (!allocator.release(port)) {
                        throw new AssertionError("release of " + port + " returned false");
                    }
                    int used = allocator.used();
                    if (used < 0 || used > threads) {
                        throw new AssertionError("used() = " + used + " with at most " + threads + " held");
                    }
                }
            }
            churnDone.await(60, TimeUnit.SECONDS);
            for (int port = 30000 + id; port <= 32767; port += threads) {
                if (port % 7 == 0) {
                    allocator.allocate(port);
                    keptHere++;
                }
            }
            return keptHere;
        });
        int expected = (int) IntStream.rangeClosed(30000, 32767).filter(p -> p % 7 == 0).count();
        assertThat(kept.stream().mapToInt(Integer::intValue).sum()).isEqualTo(expected);
        assertThat(allocator.used()).isEqualTo(expected);
        assertThat(allocator.estimatedUsed()).isEqualTo(expected);
        assertThat(allocator.allocatedPorts().toArray())
                .containsExactly(IntStream.rangeClosed(30000, 32767).filter(p -> p % 7 == 0).toArray());
        assertThat(allocator.used(Band.STATIC))
                .isEqualTo((int) IntStream.rangeClosed(30000, 30085).filter(p -> p % 7 == 0).count());
    }

    // ---- model-based --------------------------------------------------------------------------------

    private static final long MODEL_SEED = 0x90_27_5EEDL;

    private static final String[] MODEL_RANGES = {
        "30000-32767", "30000-30015", "30000-30016", "30000-30063", "8080", "0-63", "65500-65535", "1-65535",
    };

    static Stream<Arguments> modelCases() {
        Long override = Long.getLong("clusterip.seed");
        long[] seeds = override != null ? new long[] {override}
                : LongStream.range(0, 3).map(i -> MODEL_SEED + i * 0x9E37_79B9_7F4A_7C15L).toArray();
        List<Arguments> list = new ArrayList<>();
        for (String range : MODEL_RANGES) {
            for (ScanStrategy strategy : ScanStrategy.values()) {
                for (long seed : seeds) {
                    list.add(Arguments.of(range, strategy, seed));
                }
            }
        }
        return list.stream();
    }

    enum Op {
        NEXT, ALLOCATE, TRY_ALLOCATE, ALLOCATE_OUTSIDE, RELEASE, RELEASE_OUTSIDE, IS_ALLOCATED, SAVE, RESTORE_SAVED,
        FROM_SNAPSHOT, COMPACT_ROUND_TRIP, RESTORE_RANDOM_STATE, RESTORE_MISMATCH, RESTORE_NOT_A_RANGE,
        RESTORE_BIT_BEYOND, RESTORE_COMPACT_HOSTILE
    }

    /** The allocator under test, the model (a BitSet of indexes and the band offset), and the replay context. */
    private static final class ModelRun {
        final PortRange range;
        final int size;
        final int offset;
        final ScanStrategy strategy;
        final long seed;
        final SplittableRandom rnd;
        final ModelBasedAllocatorTest.RecordingRandom random;
        NodePortAllocator allocator;
        BitSet model = new BitSet();
        RangeAllocation saved;
        BitSet savedModel;
        int step;
        Op op;
        int rangeFull;
        int staticPicks;
        int predicted;

        ModelRun(String text, ScanStrategy strategy, long seed) {
            this.range = PortRange.parse(text);
            this.size = range.size();
            this.offset = range.bandOffset();
            this.strategy = strategy;
            this.seed = seed;
            this.rnd = new SplittableRandom(seed);
            this.random = new ModelBasedAllocatorTest.RecordingRandom(seed * 31 + 17);
            this.allocator = newAllocator();
        }

        NodePortAllocator newAllocator() {
            return NodePortAllocator.builder(range).scanStrategy(strategy).random(random).build();
        }

        String ctx() {
            return String.format("seed %d step %d op %s range %s strategy %s (replay: -Dclusterip.seed=%d)", seed,
                    step, op, range, strategy, seed);
        }

        int usedIn(int from, int to) {
            return from >= to ? 0 : model.get(from, to).cardinality();
        }

        int lowestFree(int from, int to) {
            int k = model.nextClearBit(from);
            return k < to ? k : -1;
        }

        /** A port of the range: now and then an allocated one or a band edge. */
        int portInRange(double pAllocated) {
            int cardinality = model.cardinality();
            if (cardinality > 0 && rnd.nextDouble() < pAllocated) {
                int skip = rnd.nextInt(cardinality);
                int k = model.nextSetBit(0);
                for (int i = 0; i < skip; i++) {
                    k = model.nextSetBit(k + 1);
                }
                return range.base() + k;
            }
            int k = switch (rnd.nextInt(8)) {
                case 0 -> 0;
                case 1 -> size - 1;
                case 2 -> Math.max(0, offset - 1);
                case 3 -> Math.min(size - 1, offset);
                default -> rnd.nextInt(size);
            };
            return range.base() + k;
        }

        int portOutside() {
            int[] candidates = {range.base() - 1, range.last() + 1, -1, 65536, Integer.MIN_VALUE, Integer.MAX_VALUE,
                range.base() - 1 - rnd.nextInt(1000), range.last() + 1 + rnd.nextInt(1000)};
            int port = candidates[rnd.nextInt(candidates.length)];
            return range.contains(port) ? range.last() + 1 : port; // base 0 minus 1 is -1: still outside
        }
    }

    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("modelCases")
    void randomOperationSequencesAgreeWithTheModel(String text, ScanStrategy strategy, long seed) {
        ModelRun run = new ModelRun(text, strategy, seed);
        int steps = run.size > 10_000 ? 1000 : 2500; // the whole state is compared at each step
        boolean growing = true;
        int phaseLeft = 0;
        for (run.step = 0; run.step < steps; run.step++) {
            if (phaseLeft-- <= 0) {
                growing = run.rnd.nextInt(3) != 0;
                phaseLeft = 20 + run.rnd.nextInt(Math.max(40, Math.min(run.size, 3000) * 3 / 2));
            }
            run.op = pickOp(run.rnd, growing);
            State before = State.of(run.allocator);
            boolean failed;
            try {
                failed = apply(run);
            } catch (RuntimeException e) {
                throw new AssertionError(run.ctx() + ": unexpected " + e, e);
            }
            if (failed) {
                before.assertSame(run.allocator, run.ctx() + ": a failed call changed the state");
            }
            check(run, run.allocator);
        }
        if (run.size <= 256) {
            assertThat(run.rangeFull).as("%s: range never full", run.ctx()).isPositive();
        }
        if (run.offset > 0 && run.size <= 256) {
            assertThat(run.staticPicks).as("%s: never fell back to the static band", run.ctx()).isPositive();
        }
        if (strategy == ScanStrategy.RANDOM && run.size > 1) {
            assertThat(run.predicted).as("%s: the model never predicted a random pick", run.ctx()).isPositive();
        }
    }

    private static Op pickOp(SplittableRandom rnd, boolean growing) {
        int r = rnd.nextInt(100);
        if (r < (growing ? 55 : 12)) {
            return Op.NEXT;
        }
        if (r < (growing ? 68 : 20)) {
            return rnd.nextBoolean() ? Op.ALLOCATE : Op.TRY_ALLOCATE;
        }
        if (r < (growing ? 75 : 75)) {
            return Op.RELEASE;
        }
        if (r < 80) {
            return Op.IS_ALLOCATED;
        }
        Op[] rest = {Op.ALLOCATE_OUTSIDE, Op.ALLOCATE_OUTSIDE, Op.RELEASE_OUTSIDE, Op.SAVE, Op.SAVE, Op.RESTORE_SAVED,
            Op.FROM_SNAPSHOT, Op.COMPACT_ROUND_TRIP, Op.RESTORE_RANDOM_STATE, Op.RESTORE_MISMATCH,
            Op.RESTORE_NOT_A_RANGE, Op.RESTORE_BIT_BEYOND, Op.RESTORE_COMPACT_HOSTILE};
        return rest[rnd.nextInt(rest.length)];
    }

    /** Applies run.op to the allocator and the model; returns true if the allocator threw. */
    private static boolean apply(ModelRun run) {
        NodePortAllocator allocator = run.allocator;
        PortRange range = run.range;
        SplittableRandom rnd = run.rnd;
        switch (run.op) {
            case NEXT:
                return next(run);
            case ALLOCATE: {
                int port = run.portInRange(0.4);
                boolean was = run.model.get(port - range.base());
                try {
                    allocator.allocate(port);
                    assertThat(was).as("%s: allocate(%d) succeeded on an allocated port", run.ctx(), port).isFalse();
                    run.model.set(port - range.base());
                    return false;
                } catch (PortAlreadyAllocatedException e) {
                    assertThat(was).as("%s: allocate(%d) said allocated", run.ctx(), port).isTrue();
                    assertThat(e.getMessage()).as(run.ctx()).isEqualTo(ALREADY);
                    assertThat(e.port()).as(run.ctx()).isEqualTo(port);
                    assertThat(e.portRange()).as(run.ctx()).isEqualTo(range);
                    return true;
                }
            }
            case TRY_ALLOCATE: {
                int port = run.portInRange(0.4);
                boolean was = run.model.get(port - range.base());
                assertThat(allocator.tryAllocate(port)).as("%s: tryAllocate(%d)", run.ctx(), port).isEqualTo(!was);
                run.model.set(port - range.base());
                return was;
            }
            case ALLOCATE_OUTSIDE: {
                int port = run.portOutside();
                try {
                    allocator.allocate(port);
                    return fail("%s: allocate(%d) outside the range succeeded", run.ctx(), port);
                } catch (PortNotInRangeException e) {
                    assertThat(e.getMessage()).as(run.ctx()).isEqualTo(NOT_IN_RANGE + range);
                    assertThat(e.port()).as(run.ctx()).isEqualTo(port);
                    assertThat(e.validRange()).as(run.ctx()).isEqualTo(range);
                    return true;
                }
            }
            case RELEASE: {
                int port = run.portInRange(0.7);
                boolean was = run.model.get(port - range.base());
                assertThat(allocator.release(port)).as("%s: release(%d)", run.ctx(), port).isEqualTo(was);
                run.model.clear(port - range.base());
                return !was;
            }
            case RELEASE_OUTSIDE: {
                int port = run.portOutside();
                assertThat(allocator.release(port)).as("%s: release(%d)", run.ctx(), port).isFalse();
                return true; // nothing may change
            }
            case IS_ALLOCATED: {
                int port = rnd.nextBoolean() ? run.portInRange(0.5) : run.portOutside();
                boolean expected = range.contains(port) && run.model.get(port - range.base());
                assertThat(allocator.isAllocated(port)).as("%s: isAllocated(%d)", run.ctx(), port).isEqualTo(expected);
                return true;
            }
            case SAVE:
                run.saved = allocator.snapshot();
                run.savedModel = (BitSet) run.model.clone();
                return true;
            case RESTORE_SAVED:
                if (run.saved != null) {
                    allocator.restore(run.saved);
                    run.model = (BitSet) run.savedModel.clone();
                }
                return false;
            case FROM_SNAPSHOT: {
                RangeAllocation snapshot = allocator.snapshot();
                check(run, NodePortAllocator.fromSnapshot(snapshot));
                NodePortAllocator fresh = run.newAllocator();
                if (rnd.nextBoolean() && run.model.cardinality() < run.size) {
                    fresh.allocate(range.base() + run.lowestFree(0, run.size)); // state to be replaced
                }
                fresh.restore(snapshot);
                run.allocator = fresh;
                return false;
            }
            case COMPACT_ROUND_TRIP: {
                byte[] data = allocator.compactSnapshot();
                check(run, NodePortAllocator.fromCompactSnapshot(data));
                NodePortAllocator fresh = run.newAllocator();
                fresh.restoreCompact(data);
                run.allocator = fresh;
                return false;
            }
            case RESTORE_RANDOM_STATE: {
                double[] densities = {0.0, 1.0, 0.95, rnd.nextDouble()};
                double staticDensity = densities[rnd.nextInt(densities.length)];
                double dynamicDensity = densities[rnd.nextInt(densities.length)];
                BitSet state = new BitSet();
                for (int k = 0; k < run.size; k++) {
                    if (rnd.nextDouble() < (k < run.offset ? staticDensity : dynamicDensity)) {
                        state.set(k);
                    }
                }
                if (rnd.nextBoolean()) {
                    allocator.restore(new RangeAllocation(range.toString(), RangeLayout.goBytesDirect(state)));
                } else {
                    allocator.restoreCompact(compactOf(range, state));
                }
                run.model = state;
                return false;
            }
            case RESTORE_MISMATCH: {
                PortRange other = range.size() > 1 && rnd.nextBoolean() ? PortRange.of(range.base(), range.size() - 1)
                        : range.base() > 0 ? PortRange.of(range.base() - 1, range.size())
                        : PortRange.of(range.base() + 1, range.size() - 1);
                boolean compact = rnd.nextBoolean();
                Throwable thrown = catchThrowable(() -> {
                    if (compact) {
                        allocator.restoreCompact(compactOf(other, new BitSet()));
                    } else {
                        allocator.restore(new RangeAllocation(other.toString(), new byte[0]));
                    }
                });
                assertThat(thrown).as("%s: restore of %s", run.ctx(), other).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith(MISMATCH);
                return true;
            }
            case RESTORE_NOT_A_RANGE: {
                String[] texts = {"", "garbage", "10.96.0.0/24", range.last() + "-" + range.base() + "0",
                    range.base() + "-65536", range + "-1", "fd00::/120"};
                String text = texts[rnd.nextInt(texts.length)];
                assertThatThrownBy(() -> allocator.restore(new RangeAllocation(text, new byte[0])))
                        .as("%s: restore of range text %s", run.ctx(), text)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("invalid RangeAllocation of ports ");
                return true;
            }
            case RESTORE_BIT_BEYOND: {
                BitSet state = (BitSet) run.model.clone();
                state.set(run.size + rnd.nextInt(10));
                assertThatThrownBy(() -> allocator.restore(new RangeAllocation(range.toString(), RangeLayout.goBytesDirect(state))))
                        .as(run.ctx()).isInstanceOf(IllegalArgumentException.class);
                return true;
            }
            case RESTORE_COMPACT_HOSTILE: {
                byte[] data = compactOf(range, run.model);
                data[6 + rnd.nextInt(data.length - 6)] ^= (byte) (1 + rnd.nextInt(255));
                assertThatThrownBy(() -> allocator.restoreCompact(data)).as(run.ctx())
                        .isInstanceOf(IllegalArgumentException.class);
                return true;
            }
            default:
                throw new AssertionError(run.op);
        }
    }

    private static boolean next(ModelRun run) {
        int freeDynamic = (run.size - run.offset) - run.usedIn(run.offset, run.size);
        int freeStatic = run.offset - run.usedIn(0, run.offset);
        run.random.calls.clear();
        int port;
        try {
            port = run.allocator.allocateNext();
        } catch (RangeFullException e) {
            assertThat(freeDynamic + freeStatic).as("%s: range full, but the model has free ports", run.ctx()).isZero();
            assertThat(e.getMessage()).as(run.ctx()).isEqualTo("range is full");
            assertThat(e.portRange()).as(run.ctx()).contains(run.range);
            run.rangeFull++;
            return true;
        }
        assertThat(freeDynamic + freeStatic).as("%s: allocateNext gave %d in a full range", run.ctx(), port)
                .isPositive();
        assertThat(run.range.contains(port)).as("%s: allocateNext gave %d outside the range", run.ctx(), port)
                .isTrue();
        int k = port - run.range.base();
        assertThat(run.model.get(k)).as("%s: allocateNext handed out %d twice", run.ctx(), port).isFalse();
        int from;
        int to;
        if (freeDynamic > 0) {
            assertThat(k).as("%s: allocateNext gave static %d while the dynamic band had %d free", run.ctx(), port,
                    freeDynamic).isGreaterThanOrEqualTo(run.offset);
            from = run.offset;
            to = run.size;
        } else {
            assertThat(k).as("%s: allocateNext gave %d, not in the static band", run.ctx(), port)
                    .isLessThan(run.offset);
            run.staticPicks++;
            from = 0;
            to = run.offset;
        }
        Integer expected = null;
        if (run.strategy == ScanStrategy.SEQUENTIAL) {
            expected = run.lowestFree(from, to);
        } else if (!run.random.calls.isEmpty()) {
            // The last draw is the band's start: the first free index at or after it, wrapping.
            int[] call = run.random.calls.get(run.random.calls.size() - 1);
            assertThat(call[0]).as("%s: the last random draw's bound", run.ctx()).isEqualTo(to - from);
            int start = from + call[1];
            int found = run.lowestFree(start, to);
            expected = found >= 0 ? found : run.lowestFree(from, start);
            run.predicted++;
        }
        if (expected != null) {
            assertThat(port).as("%s: allocateNext pick", run.ctx()).isEqualTo(run.range.base() + expected);
        }
        run.model.set(k);
        return false;
    }

    /** The allocator's whole observable state against the model. */
    private static void check(ModelRun run, NodePortAllocator allocator) {
        BitSet model = run.model;
        int used = model.cardinality();
        int usedStatic = run.usedIn(0, run.offset);
        String ctx = run.ctx();
        assertThat(allocator.used()).as("%s: used()", ctx).isEqualTo(used);
        assertThat(allocator.estimatedUsed()).as("%s: estimatedUsed()", ctx).isEqualTo(used);
        assertThat(allocator.free()).as("%s: free()", ctx).isEqualTo(run.size - used);
        assertThat(allocator.used(Band.STATIC)).as("%s: used(STATIC)", ctx).isEqualTo(usedStatic);
        assertThat(allocator.used(Band.DYNAMIC)).as("%s: used(DYNAMIC)", ctx).isEqualTo(used - usedStatic);
        assertThat(allocator.free(Band.STATIC)).as("%s: free(STATIC)", ctx).isEqualTo(run.offset - usedStatic);
        assertThat(allocator.free(Band.DYNAMIC)).as("%s: free(DYNAMIC)", ctx)
                .isEqualTo(run.size - run.offset - (used - usedStatic));
        Iterator<Integer> it = allocator.allocatedPorts().iterator();
        int k = model.nextSetBit(0);
        int position = 0;
        while (it.hasNext()) {
            int actual = it.next();
            if (k < 0 || actual != run.range.base() + k) {
                fail("%s: allocatedPorts()[%d] is %d, the model has %s", ctx, position, actual,
                        k < 0 ? "no more ports" : Integer.toString(run.range.base() + k));
            }
            k = model.nextSetBit(k + 1);
            position++;
        }
        if (k >= 0) {
            fail("%s: allocatedPorts() ends after %d ports, the model also has %d", ctx, position,
                    run.range.base() + k);
        }
        RangeAllocation snapshot = allocator.snapshot();
        assertThat(snapshot.range()).as("%s: snapshot range", ctx).isEqualTo(run.range.toString());
        assertThat(snapshot.data()).as("%s: snapshot data", ctx).isEqualTo(RangeLayout.goBytesDirect(model));
        assertThat(allocator.compactSnapshot()).as("%s: compact snapshot", ctx).isEqualTo(compactOf(run.range, model));
        assertThat(allocator.toString()).as(ctx)
                .isEqualTo("NodePortAllocator[" + run.range + ", used=" + used + ", free=" + (run.size - used) + "]");
    }
}
