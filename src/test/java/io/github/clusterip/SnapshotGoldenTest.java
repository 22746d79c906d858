package io.github.clusterip;

import static io.github.clusterip.RangeLayout.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.HexFormat;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The persisted RangeAllocation bytes, worked out by hand from the layout (bit k is bit k % 8 of
 * data[len - 1 - k / 8], big-endian, no leading zero bytes, empty when nothing is allocated) and
 * cross-checked against {@link BigInteger} as an independent oracle.
 */
class SnapshotGoldenTest {

    private static final long BASE_SEED = Long.getLong("clusterip.seed", 0x601D_E17L);
    private static final String V4_24 = "10.96.0.0/24";

    private static ClusterIpAllocator allocatorWith(String cidr, String... addresses) {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(cidr));
        for (String a : addresses) {
            allocator.allocate(ip(a));
        }
        return allocator;
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    // ---- hand-worked bytes ------------------------------------------------------------------------

    @Test
    void nothingAllocatedIsEmpty() {
        RangeAllocation snapshot = allocatorWith(V4_24).snapshot();
        assertThat(snapshot.range()).isEqualTo(V4_24);
        assertThat(snapshot.data()).isEmpty();
    }

    @Test
    void onlyIndex0IsOneByte01() {
        // 10.96.0.1 is index 0: bit 0 of the last (and only) byte.
        assertThat(allocatorWith(V4_24, "10.96.0.1").snapshot().data()).containsExactly(bytes(0x01));
    }

    @Test
    void onlyIndex7IsOneByte80WithoutSignByte() {
        // 10.96.0.8 is index 7: bit 7 of one byte. BigInteger.toByteArray() would write 00 80.
        byte[] data = allocatorWith(V4_24, "10.96.0.8").snapshot().data();
        assertThat(data).containsExactly(bytes(0x80));
        // Go's big.Int.Bytes(), which kube-apiserver writes: the magnitude in as few bytes as its
        // bit length needs, ceil(8 / 8) = 1 here; a sign byte would make it 2.
        BigInteger value = BigInteger.ONE.shiftLeft(7);
        assertThat(new BigInteger(1, data)).isEqualTo(value);
        assertThat(data).hasSize((value.bitLength() + 7) / 8);
    }

    @Test
    void onlyIndex8IsTwoBytes0100() {
        // 10.96.0.9 is index 8: bit 0 of data[len - 1 - 1] = data[0] of two bytes.
        assertThat(allocatorWith(V4_24, "10.96.0.9").snapshot().data()).containsExactly(bytes(0x01, 0x00));
    }

    @Test
    void indexes0And15AreTwoBytes8001() {
        // 10.96.0.1 (index 0) and 10.96.0.16 (index 15, the last static-band address).
        assertThat(allocatorWith(V4_24, "10.96.0.1", "10.96.0.16").snapshot().data())
                .containsExactly(bytes(0x80, 0x01));
    }

    @Test
    void fullSlash28Is3fff() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/28"));
        for (int i = 0; i < 14; i++) {
            allocator.allocateNext();
        }
        assertThat(allocator.snapshot().data()).containsExactly(bytes(0x3f, 0xff));
    }

    @Test
    void fullSlash24Is3fThen31TimesFf() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(V4_24));
        for (int i = 0; i < 254; i++) {
            allocator.allocateNext();
        }
        byte[] expected = new byte[32];
        Arrays.fill(expected, (byte) 0xff);
        expected[0] = 0x3f; // bits 248..253 of the top byte
        assertThat(allocator.snapshot().data()).containsExactly(expected);
    }

    @Test
    void fullIpv6Slash124HasAllOnesAddress() {
        // 15 usable (fd00::1 - fd00::f), bits 0..14: 7f ff.
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("fd00::/124"));
        for (int i = 0; i < 15; i++) {
            allocator.allocateNext();
        }
        assertThat(allocator.snapshot().data()).containsExactly(bytes(0x7f, 0xff));
    }

    @ParameterizedTest
    @CsvSource({
        "10.96.0.0/24, 10.96.0.0/24",
        "fd00:0:0:0:0:0:0:0/120, fd00::/120",
        "fd00:0000:0000:0000:0000:0000:0000:0000/108, fd00::/108",
        "2001:db8:0:0:1:0:0:0/112, 2001:db8:0:0:1::/112",
        "10.0.0.0/8, 10.0.0.0/8",
    })
    void rangeIsCanonical(String input, String canonical) {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(input));
        assertThat(allocator.snapshot().range()).isEqualTo(canonical);
        assertThat(ClusterIpAllocator.fromSnapshot(allocator.snapshot()).cidr()).isEqualTo(ServiceCidr.parse(input));
    }

    @Test
    void dataIsACopyBothWays() {
        byte[] data = bytes(0x01);
        RangeAllocation snapshot = new RangeAllocation(V4_24, data);
        data[0] = 0x02;
        assertThat(snapshot.data()).containsExactly(bytes(0x01));
        snapshot.data()[0] = 0x04;
        assertThat(snapshot.data()).containsExactly(bytes(0x01));
        assertThat(snapshot).isEqualTo(new RangeAllocation(V4_24, bytes(0x01)));
    }

    // ---- golden files -------------------------------------------------------------------------------

    private static GoldenFile readGolden(String name) throws IOException {
        return GoldenFile.read(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "rangeallocation-10.96.0.0_24-sample.hex",
        "rangeallocation-fd00_120-sample.hex",
        "rangeallocation-10.96.0.0_28-full.hex",
    })
    void snapshotProducesGoldenFileAndRestoreReadsItBack(String name) throws IOException {
        GoldenFile golden = readGolden(name);
        ClusterIpAllocator allocator = allocatorWith(golden.range(), golden.allocated().toArray(new String[0]));
        RangeAllocation snapshot = allocator.snapshot();
        assertThat(snapshot.range()).isEqualTo(golden.range());
        assertThat(HexFormat.of().formatHex(snapshot.data())).isEqualTo(HexFormat.of().formatHex(golden.data()));
        assertThat(snapshot).isEqualTo(new RangeAllocation(golden.range(), golden.data()));

        List<IpAddress> expected = golden.allocated().stream().map(IpAddress::parse).sorted()
                .collect(Collectors.toList());
        ClusterIpAllocator restored = ClusterIpAllocator.create(ServiceCidr.parse(golden.range()));
        restored.allocateNext(); // replaced by the restore
        restored.restore(new RangeAllocation(golden.range(), golden.data()));
        assertThat(restored.allocatedAddresses()).containsExactlyElementsOf(expected);
        assertThat(restored.used()).isEqualTo(expected.size());
        assertThat(restored.snapshot()).isEqualTo(snapshot);

        ClusterIpAllocator fromSnapshot = ClusterIpAllocator.fromSnapshot(new RangeAllocation(golden.range(),
                golden.data()));
        assertThat(fromSnapshot.allocatedAddresses()).containsExactlyElementsOf(expected);
        RangeLayout layout = RangeLayout.of(golden.range());
        long expectedStatic = expected.stream().filter(a -> layout.isStatic(layout.indexOf(a))).count();
        assertThat(fromSnapshot.used(Band.STATIC)).isEqualTo(expectedStatic);
        assertThat(fromSnapshot.used(Band.DYNAMIC)).isEqualTo(expected.size() - expectedStatic);
    }

    // ---- BigInteger as an independent oracle --------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"10.96.0.0/24", "10.96.0.0/20", "fd00::/120", "fd00::/116", "10.96.0.0/28"})
    void randomAllocationsMatchBigInteger(String cidr) {
        RangeLayout layout = RangeLayout.of(cidr);
        qt().withFixedSeed(BASE_SEED + layout.usable)
                .withExamples(150)
                .forAll(lists().of(integers().between(0, layout.usable - 1)).ofSizeBetween(0, 60))
                .checkAssert(indexes -> {
                    ClusterIpAllocator allocator = ClusterIpAllocator.create(layout.cidr);
                    Set<Integer> set = new HashSet<>(indexes);
                    for (int k : set) {
                        allocator.allocate(layout.address(k));
                    }
                    byte[] data = allocator.snapshot().data();
                    BigInteger value = new BigInteger(1, data);
                    for (int k = 0; k < layout.usable; k++) {
                        if (value.testBit(k) != set.contains(k)) {
                            throw new AssertionError(cidr + " seed " + BASE_SEED + ": bit " + k + " is "
                                    + value.testBit(k) + " for " + set);
                        }
                    }
                    assertThat(value.bitLength()).as("%s %s", cidr, set).isLessThanOrEqualTo(layout.usable);
                    byte[] magnitude = RangeLayout.stripSign(value.toByteArray());
                    if (value.signum() == 0) {
                        magnitude = new byte[0];
                    }
                    assertThat(data).as("%s seed %d %s", cidr, BASE_SEED, set).containsExactly(magnitude);
                    assertThat(data).as("%s %s", cidr, set).containsExactly(RangeLayout.goBytesViaBigInteger(set));
                    if (data.length > 0) {
                        assertThat(data[0]).as("no leading zero byte").isNotZero();
                    }
                    // BigInteger's own bytes, sign byte included, restore to the same state.
                    ClusterIpAllocator restored = ClusterIpAllocator.create(layout.cidr);
                    restored.restore(new RangeAllocation(cidr, value.toByteArray()));
                    assertThat(restored.snapshot().data()).containsExactly(data);
                    assertThat(restored.used()).isEqualTo(set.size());
                });
    }

    // ---- adversarial restore ------------------------------------------------------------------

    private static ClusterIpAllocator populated() {
        return allocatorWith(V4_24, "10.96.0.1", "10.96.0.17", "10.96.0.254");
    }

    private static void assertRejectedAndUnchanged(ClusterIpAllocator allocator, RangeAllocation bad, String fragment) {
        RangeAllocation before = allocator.snapshot();
        List<IpAddress> addresses = allocator.allocatedAddresses().collect(Collectors.toList());
        long staticUsed = allocator.used(Band.STATIC);
        assertThatThrownBy(() -> allocator.restore(bad)).as("restore(%s)", bad)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(fragment);
        assertThat(allocator.snapshot()).isEqualTo(before);
        assertThat(allocator.allocatedAddresses()).containsExactlyElementsOf(addresses);
        assertThat(allocator.used(Band.STATIC)).isEqualTo(staticUsed);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.96.1.0/24", "10.96.0.0/25", "10.96.0.0/23", "fd00::/120", "10.0.0.0/8"})
    void restoreOfOtherRangeIsRejected(String range) {
        assertRejectedAndUnchanged(populated(), new RangeAllocation(range, bytes(0x01)),
                "the provided network does not match the current range");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.96.0.0", "10.96.0.0/33", "10.96.0.1/24", "bogus", "10.96.0.0/24 ", "10.96.0/24",
        "010.96.0.0/24", "10.96.0.0/024"})
    void restoreOfUnparseableRangeIsRejected(String range) {
        assertRejectedAndUnchanged(populated(), new RangeAllocation(range, new byte[0]), "");
        assertThatThrownBy(() -> ClusterIpAllocator.fromSnapshot(new RangeAllocation(range, new byte[0])))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void restoreWithBitBeyondUsableCountIsRejected() {
        // /24 has 254 usable: bits 0..253. 32 bytes 0x40 then zeros sets bit 254 (the broadcast).
        byte[] bit254 = new byte[32];
        bit254[0] = 0x40;
        assertRejectedAndUnchanged(populated(), new RangeAllocation(V4_24, bit254), "254");
        byte[] bit255 = new byte[32];
        bit255[0] = (byte) 0x80;
        assertRejectedAndUnchanged(populated(), new RangeAllocation(V4_24, bit255), "255");
        byte[] bit256 = new byte[33];
        bit256[0] = 0x01;
        assertRejectedAndUnchanged(populated(), new RangeAllocation(V4_24, bit256), "256");
        byte[] allOnes = new byte[32];
        Arrays.fill(allOnes, (byte) 0xff);
        assertRejectedAndUnchanged(populated(), new RangeAllocation(V4_24, allOnes), "");
        // /28: 14 usable, bit 14 is 0x40 in the high byte.
        ClusterIpAllocator small = allocatorWith("10.96.0.0/28", "10.96.0.3");
        assertRejectedAndUnchanged(small, new RangeAllocation("10.96.0.0/28", bytes(0x40, 0x00)), "14");
        assertRejectedAndUnchanged(small, new RangeAllocation("10.96.0.0/28", bytes(0x7f, 0xff)), "");
        // IPv6 /120: 255 usable, bit 255 (0x80 on top of 32 bytes) is past the end; bit 254 is fine.
        ClusterIpAllocator v6 = allocatorWith("fd00::/120", "fd00::5");
        byte[] v6bit255 = new byte[32];
        v6bit255[0] = (byte) 0x80;
        assertRejectedAndUnchanged(v6, new RangeAllocation("fd00::/120", v6bit255), "255");
        // Nothing usable: any set bit is beyond.
        ClusterIpAllocator empty = ClusterIpAllocator.create(ServiceCidr.parse("10.0.0.0/31"));
        assertRejectedAndUnchanged(empty, new RangeAllocation("10.0.0.0/31", bytes(0x01)), "");
        // And fromSnapshot rejects it too.
        assertThatThrownBy(() -> ClusterIpAllocator.fromSnapshot(new RangeAllocation(V4_24, bit254)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void restoreAtTheLastUsableBitIsAccepted() {
        byte[] bit253 = new byte[32];
        bit253[0] = 0x20;
        ClusterIpAllocator allocator = populated();
        allocator.restore(new RangeAllocation(V4_24, bit253));
        assertThat(allocator.allocatedAddresses()).containsExactly(ip("10.96.0.254"));
        byte[] v6bit254 = new byte[32];
        v6bit254[0] = 0x40;
        ClusterIpAllocator v6 = ClusterIpAllocator.create(ServiceCidr.parse("fd00::/120"));
        v6.restore(new RangeAllocation("fd00::/120", v6bit254));
        assertThat(v6.allocatedAddresses()).containsExactly(ip("fd00::ff"));
    }

    @Test
    void leadingZeroBytesAreAcceptedAsGoSetBytesDoes() {
        ClusterIpAllocator allocator = populated();
        allocator.restore(new RangeAllocation(V4_24, bytes(0x00, 0x00, 0x01)));
        assertThat(allocator.allocatedAddresses()).containsExactly(ip("10.96.0.1"));
        assertThat(allocator.snapshot().data()).as("written back without the zeros").containsExactly(bytes(0x01));

        // Far more zero bytes than the range has: still only the value counts.
        byte[] padded = new byte[100];
        padded[98] = (byte) 0x80;
        padded[99] = 0x01;
        allocator.restore(new RangeAllocation(V4_24, padded));
        assertThat(allocator.allocatedAddresses()).containsExactly(ip("10.96.0.1"), ip("10.96.0.16"));
        assertThat(allocator.used(Band.STATIC)).isEqualTo(2);
        assertThat(allocator.snapshot().data()).containsExactly(bytes(0x80, 0x01));

        // All zeros means nothing allocated.
        allocator.restore(new RangeAllocation(V4_24, new byte[40]));
        assertThat(allocator.used()).isZero();
        assertThat(allocator.snapshot().data()).isEmpty();
    }

    @Test
    void restoreOfEmptyDataClearsEverything() {
        ClusterIpAllocator allocator = populated();
        allocator.restore(new RangeAllocation(V4_24, new byte[0]));
        assertThat(allocator.used()).isZero();
        assertThat(allocator.used(Band.DYNAMIC)).isZero();
        assertThat(allocator.free(Band.STATIC)).isEqualTo(16);
        assertThat(allocator.allocatedAddresses()).isEmpty();
    }

    @Test
    void restoredCountsPerBandDriveAllocateNext() {
        // Dynamic band full (indexes 16..253), static band empty: allocateNext must go to the static band.
        byte[] dynamicFull = new byte[32];
        Arrays.fill(dynamicFull, (byte) 0xff);
        dynamicFull[0] = 0x3f;
        dynamicFull[30] = 0;
        dynamicFull[31] = 0;
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(ServiceCidr.parse(V4_24))
                .scanStrategy(ScanStrategy.SEQUENTIAL).build();
        allocator.restore(new RangeAllocation(V4_24, dynamicFull));
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(238);
        assertThat(allocator.used(Band.STATIC)).isZero();
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.1"));
        List<IpAddress> rest = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            rest.add(allocator.allocateNext());
        }
        assertThat(rest).doesNotHaveDuplicates().last().isEqualTo(ip("10.96.0.16"));
        assertThatThrownBy(allocator::allocateNext).hasMessage("range is full");
    }
}
