package io.github.clusterip;

import io.github.clusterip.engine.BandedAllocator;
import java.math.BigInteger;
import static io.github.clusterip.RangeLayout.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests of {@link ClusterIpAllocator}; expectations are worked out by hand from the band rule. */
class ClusterIpAllocatorTest {

    private static final String V4_24 = "10.96.0.0/24";
    private static final String V6_120 = "fd00::/120";

    private static ClusterIpAllocator sequential(String cidr) {
        return ClusterIpAllocator.builder(ServiceCidr.parse(cidr)).scanStrategy(ScanStrategy.SEQUENTIAL).build();
    }

    private static ClusterIpAllocator seeded(String cidr, long seed) {
        return ClusterIpAllocator.builder(ServiceCidr.parse(cidr)).seed(seed).build();
    }

    /** A random source that always starts at the same place: value % bound. */
    private static final class FixedRandom implements RandomGenerator {
        private final int value;
        final List<Integer> bounds = new ArrayList<>();

        FixedRandom(int value) {
            this.value = value;
        }

        @Override
        public long nextLong() {
            return value;
        }

        @Override
        public int nextInt(int bound) {
            bounds.add(bound);
            return value % bound;
        }
    }

    // ---- allocateNext: dynamic band, then static band, then full --------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"SEQUENTIAL", "RANDOM"})
    void allocateNextTakesDynamicBandThenStaticBandThenRangeIsFull(ScanStrategy strategy) {
        // 10.96.0.0/24: 254 usable, offset 16; static 10.96.0.1-10.96.0.16, dynamic 10.96.0.17-10.96.0.254.
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(ServiceCidr.parse(V4_24))
                .scanStrategy(strategy).seed(7).build();
        Set<IpAddress> dynamic = new HashSet<>();
        for (int i = 0; i < 238; i++) {
            IpAddress a = allocator.allocateNext();
            long last = a.toBigInteger().longValue() & 0xFF;
            assertThat(a.toString()).as("call %d", i).startsWith("10.96.0.");
            assertThat(last).as("call %d gave %s", i, a).isBetween(17L, 254L);
            assertThat(dynamic.add(a)).as("duplicate %s", a).isTrue();
            assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(i + 1);
            assertThat(allocator.used(Band.STATIC)).isZero();
        }
        assertThat(allocator.free(Band.DYNAMIC)).isZero();
        Set<IpAddress> stat = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            IpAddress a = allocator.allocateNext();
            long last = a.toBigInteger().longValue() & 0xFF;
            assertThat(a.toString()).startsWith("10.96.0.");
            assertThat(last).as("static call %d gave %s", i, a).isBetween(1L, 16L);
            assertThat(stat.add(a)).as("duplicate %s", a).isTrue();
        }
        assertThat(allocator.used()).isEqualTo(254);
        assertThat(allocator.free()).isZero();
        RangeAllocation before = allocator.snapshot();
        assertThatThrownBy(allocator::allocateNext)
                .isExactlyInstanceOf(RangeFullException.class)
                .isInstanceOf(AllocationException.class)
                .hasMessage("range is full");
        RangeFullException full = catchThrowableOfType(RangeFullException.class, allocator::allocateNext);
        assertThat(full.cidr()).contains(ServiceCidr.parse(V4_24));
        assertThat(full.portRange()).isEmpty();
        assertThat(full.range()).isEqualTo(V4_24);
        assertThat(allocator.snapshot()).isEqualTo(before);
    }

    @Test
    void allocateNextOnSlash20StartsAboveStaticBandOf256() {
        // /20: 4094 usable, offset min(max(16, 4096/16), 256) = 256: static 10.96.0.1 - 10.96.1.0.
        ClusterIpAllocator allocator = sequential("10.96.0.0/20");
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.1.1"));
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.1.2"));
        for (int i = 2; i < 4094 - 256; i++) {
            allocator.allocateNext();
        }
        assertThat(allocator.isAllocated(ip("10.96.15.254"))).isTrue();
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.1"));
        assertThat(allocator.used(Band.STATIC)).isEqualTo(1);
    }

    // ---- allocate ---------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "10.96.0.0/24, 10.96.0.1, STATIC",
        "10.96.0.0/24, 10.96.0.10, STATIC",
        "10.96.0.0/24, 10.96.0.16, STATIC",
        "10.96.0.0/24, 10.96.0.17, DYNAMIC",
        "10.96.0.0/24, 10.96.0.254, DYNAMIC",
        "10.96.0.0/20, 10.96.1.0, STATIC",
        "10.96.0.0/20, 10.96.1.1, DYNAMIC",
        "10.96.0.0/20, 10.96.15.254, DYNAMIC",
        "fd00::/120, fd00::1, STATIC",
        "fd00::/120, fd00::10, STATIC",
        "fd00::/120, fd00::11, DYNAMIC",
        "fd00::/120, fd00::ff, DYNAMIC",
        "10.96.0.0/28, 10.96.0.1, DYNAMIC",
        "10.96.0.0/28, 10.96.0.14, DYNAMIC",
        "fd00::/124, fd00::f, DYNAMIC",
    })
    void allocateAnyUsableAddressOfEitherBand(String cidr, String address, Band band) {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(cidr));
        IpAddress a = ip(address);
        assertThat(allocator.isAllocated(a)).isFalse();
        allocator.allocate(a);
        assertThat(allocator.isAllocated(a)).isTrue();
        assertThat(allocator.used()).isEqualTo(1);
        assertThat(allocator.used(band)).isEqualTo(1);
        assertThat(allocator.used(band == Band.STATIC ? Band.DYNAMIC : Band.STATIC)).isZero();
        assertThat(allocator.allocatedAddresses()).containsExactly(a);
    }

    @ParameterizedTest
    @CsvSource({
        "10.96.0.0/24, 10.96.0.0",       // network
        "10.96.0.0/24, 10.96.0.255",     // IPv4 broadcast
        "10.96.0.0/24, 10.96.1.0",       // just after
        "10.96.0.0/24, 10.95.255.255",   // just before
        "10.96.0.0/24, 192.168.0.1",     // far outside
        "10.96.0.0/24, fd00::1",         // other family
        "10.96.0.0/24, ::ffff:10.96.0.1", // IPv4-mapped IPv6 is still IPv6
        "fd00::/120, fd00::",            // network (subnet-router anycast)
        "fd00::/120, fd00::100",         // just after
        "fd00::/120, fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", // just before
        "fd00::/120, 10.96.0.1",         // other family
        "10.96.0.0/28, 10.96.0.15",      // broadcast of a /28
        "10.96.0.0/31, 10.96.0.0",       // /31 has nothing usable
        "10.96.0.0/31, 10.96.0.1",
    })
    void allocateOfUnusableAddressIsNotInRange(String cidr, String address) {
        ClusterIpAllocator allocator = sequential(cidr);
        if (!cidr.endsWith("/31")) {
            allocator.allocateNext();
        }
        RangeAllocation before = allocator.snapshot();
        long used = allocator.used();
        IpAddress a = ip(address);
        IpNotInRangeException e = catchThrowableOfType(IpNotInRangeException.class, () -> allocator.allocate(a));
        assertThat(e).as("allocate(%s) in %s", address, cidr).isNotNull().isInstanceOf(AllocationException.class);
        assertThat(e).hasMessage("the provided IP (" + a + ") is not in the valid range. The range of valid IPs is "
                + cidr);
        assertThat(e.address()).isEqualTo(a);
        assertThat(e.validRange()).isEqualTo(ServiceCidr.parse(cidr));
        assertThat(e.cidr()).isEqualTo(ServiceCidr.parse(cidr));
        assertThat(allocator.snapshot()).isEqualTo(before);
        assertThat(allocator.used()).isEqualTo(used);
        assertThat(allocator.isAllocated(a)).isFalse();
        assertThat(allocator.release(a)).isFalse();
    }

    @Test
    void notInRangeMessageUsesCanonicalTexts() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("fd00:0:0:0:0:0:0:0/120"));
        assertThatThrownBy(() -> allocator.allocate(ip("fd00:0:0:0:0:0:0:100")))
                .hasMessage("the provided IP (fd00::100) is not in the valid range. The range of valid IPs is fd00::/120");
    }

    @ParameterizedTest
    @CsvSource({"10.96.0.0/24, 10.96.0.10", "10.96.0.0/24, 10.96.0.200", "fd00::/120, fd00::ff"})
    void doubleAllocateIsAlreadyAllocated(String cidr, String address) {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(cidr));
        IpAddress a = ip(address);
        allocator.allocate(a);
        RangeAllocation before = allocator.snapshot();
        IpAlreadyAllocatedException e =
                catchThrowableOfType(IpAlreadyAllocatedException.class, () -> allocator.allocate(a));
        assertThat(e).isNotNull().isInstanceOf(AllocationException.class);
        // The allocator's own layer, as Go's ipallocator.ErrAllocated; the address is in address().
        assertThat(e).hasMessage("provided IP is already allocated");
        assertThat(e.address()).isEqualTo(a);
        assertThat(e.cidr()).isEqualTo(ServiceCidr.parse(cidr));
        assertThat(allocator.snapshot()).isEqualTo(before);
        assertThat(allocator.used()).isEqualTo(1);
    }

    @Test
    void allocateOfAddressHandedOutByAllocateNextIsAlreadyAllocated() {
        ClusterIpAllocator allocator = seeded(V4_24, 3);
        IpAddress a = allocator.allocateNext();
        assertThatThrownBy(() -> allocator.allocate(a))
                .isInstanceOf(IpAlreadyAllocatedException.class)
                .hasMessage("provided IP is already allocated")
                .extracting(e -> ((IpAlreadyAllocatedException) e).address()).isEqualTo(a);
        assertThat(allocator.used()).isEqualTo(1);
    }

    // ---- release, isAllocated -------------------------------------------------------------------

    @Test
    void releaseReturnsTrueOnceThenFalse() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(V4_24));
        IpAddress a = ip("10.96.0.42");
        assertThat(allocator.release(a)).as("never allocated").isFalse();
        allocator.allocate(a);
        assertThat(allocator.release(a)).isTrue();
        assertThat(allocator.isAllocated(a)).isFalse();
        assertThat(allocator.used()).isZero();
        assertThat(allocator.release(a)).isFalse();
        assertThat(allocator.used()).isZero();
        allocator.allocate(a); // free again, so it can be taken again
        assertThat(allocator.isAllocated(a)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.96.0.0", "10.96.0.255", "10.96.1.1", "10.95.255.255", "fd00::1", "0.0.0.0"})
    void releaseOfForeignAddressReturnsFalseAndChangesNothing(String address) {
        ClusterIpAllocator allocator = sequential(V4_24);
        for (int i = 0; i < 10; i++) {
            allocator.allocateNext();
        }
        allocator.allocate(ip("10.96.0.1"));
        RangeAllocation before = allocator.snapshot();
        assertThat(allocator.release(ip(address))).isFalse();
        assertThat(allocator.isAllocated(ip(address))).isFalse();
        assertThat(allocator.snapshot()).isEqualTo(before);
        assertThat(allocator.used()).isEqualTo(11);
    }

    @Test
    void isAllocatedFollowsAllocateAndRelease() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(V6_120));
        IpAddress lastUsable = ip("fd00::ff");
        IpAddress first = ip("fd00::1");
        assertThat(allocator.isAllocated(lastUsable)).isFalse();
        allocator.allocate(lastUsable);
        allocator.allocate(first);
        assertThat(allocator.isAllocated(lastUsable)).isTrue();
        assertThat(allocator.isAllocated(first)).isTrue();
        assertThat(allocator.isAllocated(ip("fd00::2"))).isFalse();
        assertThat(allocator.isAllocated(ip("fd00::"))).isFalse();
        assertThat(allocator.isAllocated(ip("10.96.0.1"))).isFalse();
        allocator.release(first);
        assertThat(allocator.isAllocated(first)).isFalse();
        assertThat(allocator.isAllocated(lastUsable)).isTrue();
    }

    // ---- counts -----------------------------------------------------------------------------------

    @Test
    void usedAndFreeTotalsAndPerBand() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(V4_24));
        assertThat(allocator.used()).isZero();
        assertThat(allocator.free()).isEqualTo(254);
        assertThat(allocator.free(Band.STATIC)).isEqualTo(16);
        assertThat(allocator.free(Band.DYNAMIC)).isEqualTo(238);
        for (String s : List.of("10.96.0.1", "10.96.0.10", "10.96.0.16")) {
            allocator.allocate(ip(s));
        }
        for (String s : List.of("10.96.0.17", "10.96.0.18", "10.96.0.100", "10.96.0.200", "10.96.0.254")) {
            allocator.allocate(ip(s));
        }
        assertThat(allocator.used()).isEqualTo(8);
        assertThat(allocator.free()).isEqualTo(246);
        assertThat(allocator.used(Band.STATIC)).isEqualTo(3);
        assertThat(allocator.free(Band.STATIC)).isEqualTo(13);
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(5);
        assertThat(allocator.free(Band.DYNAMIC)).isEqualTo(233);
        allocator.release(ip("10.96.0.16"));
        allocator.release(ip("10.96.0.17"));
        assertThat(allocator.used(Band.STATIC)).isEqualTo(2);
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(4);
        assertThat(allocator.free()).isEqualTo(248);
        assertThat(allocator.toString()).contains("10.96.0.0/24").contains("used=6").contains("free=248");
    }

    @Test
    void countsOfIpv6RangeIncludeAllOnesAddress() {
        // fd00::/120: 256 - 1 = 255 usable, offset 16; static fd00::1-fd00::10, dynamic fd00::11-fd00::ff.
        ClusterIpAllocator allocator = sequential(V6_120);
        assertThat(allocator.free()).isEqualTo(255);
        assertThat(allocator.free(Band.STATIC)).isEqualTo(16);
        assertThat(allocator.free(Band.DYNAMIC)).isEqualTo(239);
        List<IpAddress> got = new ArrayList<>();
        for (int i = 0; i < 239; i++) {
            got.add(allocator.allocateNext());
        }
        assertThat(got.get(0)).isEqualTo(ip("fd00::11"));
        assertThat(got.get(238)).isEqualTo(ip("fd00::ff"));
        assertThat(allocator.allocateNext()).isEqualTo(ip("fd00::1"));
    }

    // ---- allocatedAddresses ---------------------------------------------------------------------

    @Test
    void allocatedAddressesAreAscendingAndAPointInTimeCopy() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/20"));
        List<String> order = List.of("10.96.15.254", "10.96.0.1", "10.96.3.7", "10.96.1.0", "10.96.1.1",
                "10.96.0.200", "10.96.8.0");
        for (String s : order) {
            allocator.allocate(ip(s));
        }
        List<IpAddress> expected = Stream.of("10.96.0.1", "10.96.0.200", "10.96.1.0", "10.96.1.1", "10.96.3.7",
                "10.96.8.0", "10.96.15.254").map(IpAddress::parse).collect(Collectors.toList());
        assertThat(allocator.allocatedAddresses()).containsExactlyElementsOf(expected);

        Stream<IpAddress> stream = allocator.allocatedAddresses();
        allocator.allocate(ip("10.96.0.2"));
        allocator.release(ip("10.96.3.7"));
        allocator.allocateNext();
        assertThat(stream.collect(Collectors.toList())).as("taken before the changes").isEqualTo(expected);
        assertThat(allocator.allocatedAddresses()).hasSize(8).contains(ip("10.96.0.2")).doesNotContain(ip("10.96.3.7"));
        assertThat(allocator.allocatedAddresses().count()).isEqualTo(allocator.used());
    }

    @Test
    void allocatedAddressesIpv6AscendingNumerically() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(V6_120));
        for (String s : List.of("fd00::ff", "fd00::a", "fd00::1", "fd00::10", "fd00::9")) {
            allocator.allocate(ip(s));
        }
        assertThat(allocator.allocatedAddresses().map(IpAddress::toString))
                .containsExactly("fd00::1", "fd00::9", "fd00::a", "fd00::10", "fd00::ff");
    }

    // ---- random source, seeds, strategies -------------------------------------------------------

    @Test
    void sameSeedGivesSameSequenceAndDifferentSeedsDiffer() {
        List<IpAddress> a = drain(seeded("10.96.0.0/20", 12345), 300);
        List<IpAddress> b = drain(seeded("10.96.0.0/20", 12345), 300);
        List<IpAddress> c = drain(seeded("10.96.0.0/20", 54321), 300);
        assertThat(a).isEqualTo(b).doesNotHaveDuplicates();
        assertThat(c).isNotEqualTo(a);
        // Random starts spread addresses: 300 picks of a 3838-address band are not the lowest 300.
        assertThat(a).isNotEqualTo(drain(sequential("10.96.0.0/20"), 300));
    }

    @Test
    void allocatorsBuiltFromOneSeededBuilderRepeatTheSameSequence() {
        // Builder.seed: "the same seed and the same calls give the same addresses". Only a source
        // passed to random(...) is documented as shared between allocators of one builder.
        ClusterIpAllocator.Builder builder = ClusterIpAllocator.builder(ServiceCidr.parse("10.96.0.0/20")).seed(2024);
        ClusterIpAllocator first = builder.build();
        ClusterIpAllocator second = builder.build();
        List<IpAddress> a = drain(first, 50);
        List<IpAddress> b = drain(second, 50);
        assertThat(b).as("second allocator of the same seeded builder").isEqualTo(a);
        assertThat(b).isEqualTo(drain(seeded("10.96.0.0/20", 2024), 50));
    }

    private static List<IpAddress> drain(ClusterIpAllocator allocator, int n) {
        List<IpAddress> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(allocator.allocateNext());
        }
        return out;
    }

    @Test
    void sequentialGivesLowestFreeOfDynamicBandThenOfStaticBand() {
        ClusterIpAllocator allocator = sequential(V4_24);
        assertThat(allocator.scanStrategy()).isEqualTo(ScanStrategy.SEQUENTIAL);
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.17"));
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.18"));
        allocator.allocate(ip("10.96.0.19"));
        allocator.allocate(ip("10.96.0.5")); // static band: does not matter for the dynamic scan
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.20"));
        assertThat(allocator.release(ip("10.96.0.17"))).isTrue();
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.17"));
        for (int i = 21; i <= 254; i++) {
            assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0." + i));
        }
        // Dynamic band full: lowest free of the static band, skipping 10.96.0.5.
        for (int i = 1; i <= 16; i++) {
            if (i != 5) {
                assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0." + i));
            }
        }
        assertThatThrownBy(allocator::allocateNext).hasMessage("range is full");
        allocator.release(ip("10.96.0.100"));
        allocator.release(ip("10.96.0.3"));
        assertThat(allocator.allocateNext()).as("dynamic first again").isEqualTo(ip("10.96.0.100"));
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.3"));
    }

    @Test
    void defaultStrategyIsRandom() {
        assertThat(ClusterIpAllocator.create(ServiceCidr.parse(V4_24)).scanStrategy()).isEqualTo(ScanStrategy.RANDOM);
    }

    @Test
    void randomStartScansForwardAndWrapsInsideTheBand() {
        // /24: dynamic band is indexes 16..253 (238 addresses), static band 0..15.
        // Start offset 200 % 238 = 200 -> index 216 -> 10.96.0.217. Static band: 200 % 16 = 8 -> 10.96.0.9.
        FixedRandom random = new FixedRandom(200);
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(ServiceCidr.parse(V4_24)).random(random).build();
        List<IpAddress> expected = new ArrayList<>();
        for (int i = 217; i <= 254; i++) {
            expected.add(ip("10.96.0." + i));
        }
        for (int i = 17; i <= 216; i++) {
            expected.add(ip("10.96.0." + i)); // wrapped to the start of the dynamic band, not to .1
        }
        for (int i = 9; i <= 16; i++) {
            expected.add(ip("10.96.0." + i));
        }
        for (int i = 1; i <= 8; i++) {
            expected.add(ip("10.96.0." + i)); // wrapped to the start of the static band
        }
        List<IpAddress> got = drain(allocator, 254);
        assertThat(got).containsExactlyElementsOf(expected);
        assertThat(random.bounds).as("bounds asked of the random source").containsOnly(238, 16);
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(RangeFullException.class);
    }

    @Test
    void randomStartAtLastAddressWrapsToBandStartWhenItIsTaken() {
        // Start index 253 (237 % 238 = 237 -> 16 + 237): 10.96.0.254; once taken, next wraps to 10.96.0.17.
        ClusterIpAllocator allocator =
                ClusterIpAllocator.builder(ServiceCidr.parse(V4_24)).random(new FixedRandom(237)).build();
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.254"));
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.96.0.17"));
        allocator.allocate(ip("10.96.0.18"));
        allocator.allocate(ip("10.96.0.1"));
        assertThat(allocator.allocateNext()).as("never leaves the dynamic band").isEqualTo(ip("10.96.0.19"));
    }

    // ---- tiny and huge ranges -------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/31", "10.0.0.1/32", "fd00::/128", "fd00::1/128"})
    void rangesWithoutUsableAddressesAreAlwaysFull(String cidr) {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(cidr));
        assertThat(allocator.used()).isZero();
        assertThat(allocator.free()).isZero();
        assertThat(allocator.free(Band.DYNAMIC)).isZero();
        assertThat(allocator.free(Band.STATIC)).isZero();
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(RangeFullException.class).hasMessage("range is full");
        assertThatThrownBy(() -> allocator.allocate(ServiceCidr.parse(cidr).network()))
                .isInstanceOf(IpNotInRangeException.class);
        assertThat(allocator.snapshot().data()).isEmpty();
        assertThat(allocator.allocatedAddresses()).isEmpty();
    }

    @Test
    void slash127HasOneUsableAddress() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("fd00::/127"));
        assertThat(allocator.free()).isEqualTo(1);
        assertThat(allocator.allocateNext()).isEqualTo(ip("fd00::1"));
        assertThatThrownBy(allocator::allocateNext).hasMessage("range is full");
        assertThat(allocator.snapshot().data()).containsExactly(0x01);
        assertThatThrownBy(() -> allocator.allocate(ip("fd00::"))).isInstanceOf(IpNotInRangeException.class);
    }

    @Test
    void slash30HasTwoUsableAddresses() {
        ClusterIpAllocator allocator = sequential("10.0.0.0/30");
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.0.0.1"));
        assertThat(allocator.allocateNext()).isEqualTo(ip("10.0.0.2"));
        assertThatThrownBy(allocator::allocateNext).hasMessage("range is full");
        assertThatThrownBy(() -> allocator.allocate(ip("10.0.0.3"))).isInstanceOf(IpNotInRangeException.class);
    }

    @Test
    void ipv6Slash104HasTwoToThe24Addresses() {
        // 2^24 - 1 usable; offset 256: static fd00::1 - fd00::100, dynamic fd00::101 - fd00::ff:ffff.
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(ServiceCidr.parse("fd00::/104")).seed(1).build();
        assertThat(allocator.free()).isEqualTo((1L << 24) - 1);
        IpAddress last = ip("fd00::ff:ffff");
        allocator.allocate(last);
        assertThat(allocator.isAllocated(last)).isTrue();
        assertThatThrownBy(() -> allocator.allocate(ip("fd00::100:0"))).isInstanceOf(IpNotInRangeException.class);
        Set<IpAddress> got = new HashSet<>();
        RangeLayout layout = RangeLayout.of("fd00::/104");
        for (int i = 0; i < 5; i++) {
            IpAddress a = allocator.allocateNext();
            int k = layout.indexOf(a);
            assertThat(k).as("%s", a).isGreaterThanOrEqualTo(256);
            assertThat(got.add(a)).isTrue();
        }
        assertThat(got).doesNotContain(last);
        assertThat(allocator.used()).isEqualTo(6);
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(6);
        // The highest set bit is index 2^24 - 2: data is 2^21 bytes, top byte has bit 6 set.
        byte[] data = allocator.snapshot().data();
        assertThat(data).hasSize(1 << 21);
        assertThat(data[0]).isEqualTo((byte) 0x40);
    }

    @Test
    void ipv4Slash8IsTheLargestDenseRange() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("10.0.0.0/8"));
        assertThat(allocator.free()).isEqualTo((1L << 24) - 2);
        allocator.allocate(ip("10.255.255.254"));
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(1);
        assertThatThrownBy(() -> allocator.allocate(ip("10.255.255.255"))).isInstanceOf(IpNotInRangeException.class);
        assertThat(allocator.snapshot().data()).hasSize(1 << 21);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fd00::/63", "fd00::/48", "::/0"})
    void ipv6RangesShorterThanSlash64AreRejectedNamingTheCidr(String cidr) {
        ServiceCidr parsed = ServiceCidr.parse(cidr);
        assertThatThrownBy(() -> ClusterIpAllocator.create(parsed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(cidr)
                .hasMessageContaining("/64 or longer");
        assertThatThrownBy(() -> ClusterIpAllocator.builder(parsed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(cidr);
        assertThatThrownBy(() -> ClusterIpAllocator.fromSnapshot(new RangeAllocation(cidr, new byte[0])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(cidr);
    }

    /**
     * Ranges above 2^24 addresses are stored sparsely: everything works the same at both ends of
     * the range, the counts stay exact (free() saturating where it must) and only the
     * RangeAllocation form, which would need one bit per address, is refused.
     */
    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/7", "0.0.0.0/0", "fd00::/103", "fd00::/96", "fd00::/65", "fd00::/64"})
    void largeRangesAllocateAtBothEndsWithExactCounts(String text) {
        ServiceCidr cidr = ServiceCidr.parse(text);
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(cidr).seed(5).build();
        IpRange dynamic = cidr.dynamicBand().orElseThrow();
        IpRange statics = cidr.staticBand().orElseThrow();
        BigInteger usable = cidr.usableCount();
        long expectedFree = usable.bitLength() < 64 ? usable.longValueExact() : Long.MAX_VALUE;
        assertThat(allocator.free()).isEqualTo(expectedFree);
        assertThat(allocator.free(Band.STATIC)).isEqualTo(statics.size().longValueExact());

        List<IpAddress> edges = List.of(dynamic.last(), dynamic.first(), statics.first(), statics.last());
        for (IpAddress a : edges) {
            allocator.allocate(a);
            assertThat(allocator.isAllocated(a)).as("%s %s", text, a).isTrue();
        }
        assertThatThrownBy(() -> allocator.allocate(dynamic.last())).isInstanceOf(IpAlreadyAllocatedException.class);
        Set<IpAddress> handedOut = new HashSet<>(edges);
        for (int i = 0; i < 2_000; i++) {
            IpAddress a = allocator.allocateNext();
            assertThat(cidr.bandOf(a)).as("%s %s", text, a).contains(Band.DYNAMIC);
            assertThat(handedOut.add(a)).as("%s handed out %s twice", text, a).isTrue();
        }
        assertThat(allocator.used()).isEqualTo(2_004);
        assertThat(allocator.used(Band.STATIC)).isEqualTo(2);
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(2_002);
        BigInteger freeExact = usable.subtract(BigInteger.valueOf(2_004));
        assertThat(allocator.free()).isEqualTo(freeExact.bitLength() < 64 ? freeExact.longValueExact() : Long.MAX_VALUE);
        assertThat(allocator.free(Band.STATIC)).isEqualTo(statics.size().longValueExact() - 2);
        assertThat(allocator.allocatedAddresses()).hasSize(2_004).isSorted().containsExactlyInAnyOrderElementsOf(handedOut);
        assertThat(allocator.release(dynamic.last())).isTrue();
        assertThat(allocator.release(dynamic.last())).isFalse();
        assertThat(allocator.used()).isEqualTo(2_003);

        assertThatThrownBy(allocator::snapshot).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining(text).hasMessageContaining("compact snapshot");
        assertThatThrownBy(() -> allocator.restore(new RangeAllocation(text, new byte[0])))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining(text);
        assertThat(allocator.used()).as("a refused restore changes nothing").isEqualTo(2_003);
    }

    // ---- failed calls change nothing ------------------------------------------------------------

    @Test
    void failedCallsLeaveStateUnchanged() {
        ClusterIpAllocator allocator = seeded("10.96.0.0/27", 99);
        // /27: 30 usable, offset 16 -> static .1-.16, dynamic .17-.30.
        allocator.allocate(ip("10.96.0.3"));
        for (int i = 0; i < 14; i++) {
            allocator.allocateNext();
        }
        RangeAllocation before = allocator.snapshot();
        List<IpAddress> addresses = allocator.allocatedAddresses().collect(Collectors.toList());
        long staticUsed = allocator.used(Band.STATIC);
        long dynamicUsed = allocator.used(Band.DYNAMIC);
        assertThat(staticUsed).isEqualTo(1);
        assertThat(dynamicUsed).isEqualTo(14);

        assertThatThrownBy(() -> allocator.allocate(ip("10.96.0.3"))).isInstanceOf(IpAlreadyAllocatedException.class);
        assertThatThrownBy(() -> allocator.allocate(ip("10.96.0.20"))).isInstanceOf(IpAlreadyAllocatedException.class);
        assertThatThrownBy(() -> allocator.allocate(ip("10.96.0.31"))).isInstanceOf(IpNotInRangeException.class);
        assertThatThrownBy(() -> allocator.allocate(ip("10.96.0.32"))).isInstanceOf(IpNotInRangeException.class);
        assertThatThrownBy(() -> allocator.restore(new RangeAllocation("10.96.0.0/24", new byte[0])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> allocator.restore(new RangeAllocation("10.96.0.0/27", new byte[] {0x40, 0, 0, 0})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> allocator.allocate(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> allocator.restore(null)).isInstanceOf(NullPointerException.class);

        assertThat(allocator.snapshot()).isEqualTo(before);
        assertThat(allocator.allocatedAddresses()).containsExactlyElementsOf(addresses);
        assertThat(allocator.used(Band.STATIC)).isEqualTo(staticUsed);
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(dynamicUsed);

        // Fill it and check a failed allocateNext too.
        while (allocator.free() > 0) {
            allocator.allocateNext();
        }
        RangeAllocation full = allocator.snapshot();
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(RangeFullException.class);
        assertThat(allocator.snapshot()).isEqualTo(full);
        assertThat(allocator.used()).isEqualTo(30);
    }

    @Test
    void restoreReplacesStateAndKeepsOptions() {
        ClusterIpAllocator source = sequential(V4_24);
        source.allocate(ip("10.96.0.17"));
        source.allocate(ip("10.96.0.2"));
        ClusterIpAllocator target = sequential(V4_24);
        target.allocate(ip("10.96.0.100"));
        target.restore(source.snapshot());
        assertThat(target.allocatedAddresses()).containsExactly(ip("10.96.0.2"), ip("10.96.0.17"));
        assertThat(target.used(Band.STATIC)).isEqualTo(1);
        assertThat(target.used(Band.DYNAMIC)).isEqualTo(1);
        assertThat(target.scanStrategy()).isEqualTo(ScanStrategy.SEQUENTIAL);
        assertThat(target.allocateNext()).isEqualTo(ip("10.96.0.18"));

        ClusterIpAllocator copy = ClusterIpAllocator.fromSnapshot(source.snapshot());
        assertThat(copy.cidr()).isEqualTo(ServiceCidr.parse(V4_24));
        assertThat(copy.snapshot()).isEqualTo(source.snapshot());
        assertThat(copy.used(Band.DYNAMIC)).isEqualTo(1);
    }

    // ---- nulls ------------------------------------------------------------------------------------

    @Test
    void nullArgumentsAreRejected() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(V4_24));
        ClusterIpAllocator.Builder builder = ClusterIpAllocator.builder(ServiceCidr.parse(V4_24));
        assertThatNullPointerException().isThrownBy(() -> ClusterIpAllocator.create(null));
        assertThatNullPointerException().isThrownBy(() -> ClusterIpAllocator.builder(null));
        assertThatNullPointerException().isThrownBy(() -> ClusterIpAllocator.fromSnapshot(null));
        assertThatNullPointerException().isThrownBy(() -> builder.scanStrategy(null));
        assertThatNullPointerException().isThrownBy(() -> builder.random(null));
        assertThatNullPointerException().isThrownBy(() -> allocator.allocate(null));
        assertThatNullPointerException().isThrownBy(() -> allocator.release(null));
        assertThatNullPointerException().isThrownBy(() -> allocator.isAllocated(null));
        assertThatNullPointerException().isThrownBy(() -> allocator.used(null));
        assertThatNullPointerException().isThrownBy(() -> allocator.free(null));
        assertThatNullPointerException().isThrownBy(() -> allocator.restore(null));
        assertThatNullPointerException().isThrownBy(() -> new RangeAllocation(null, new byte[0]));
        assertThatNullPointerException().isThrownBy(() -> new RangeAllocation(V4_24, null));
        assertThat(allocator.used()).isZero();
    }

    // ---- compact snapshots ----------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"10.96.0.0/24", "10.96.0.0/12", "fd00::/120", "10.0.0.0/7", "fd00::/64", "10.96.0.0/31"})
    void compactSnapshotsRoundTripTheExactState(String text) {
        ServiceCidr cidr = ServiceCidr.parse(text);
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(cidr).seed(11).build();
        long free = allocator.free();
        int n = (int) Math.min(3_000, free);
        for (int i = 0; i < n; i++) {
            allocator.allocateNext();
        }
        cidr.staticBand().ifPresent(band -> {
            if (!allocator.isAllocated(band.first())) {
                allocator.allocate(band.first());
            }
        });
        List<IpAddress> before = allocator.allocatedAddresses().collect(Collectors.toList());
        byte[] data = allocator.compactSnapshot();

        ClusterIpAllocator copy = ClusterIpAllocator.fromCompactSnapshot(data);
        assertThat(copy.cidr()).isEqualTo(cidr);
        assertThat(copy.allocatedAddresses()).containsExactlyElementsOf(before);
        assertThat(copy.used()).isEqualTo(before.size());
        assertThat(copy.used(Band.STATIC)).isEqualTo(allocator.used(Band.STATIC));
        assertThat(copy.compactSnapshot()).as("the encoding is canonical").isEqualTo(data);

        ClusterIpAllocator other = ClusterIpAllocator.create(cidr);
        if (free > 0) {
            other.allocateNext();
        }
        other.restoreCompact(data);
        assertThat(other.allocatedAddresses()).containsExactlyElementsOf(before);
        if (before.size() < free) {
            IpAddress next = other.allocateNext();
            assertThat(before).doesNotContain(next);
        }
    }

    @Test
    void compactAndRangeAllocationSnapshotsAgree() {
        ClusterIpAllocator allocator = seeded("10.96.0.0/20", 3);
        for (int i = 0; i < 3_000; i++) {
            allocator.allocateNext();
        }
        for (int i = 0; i < 500; i++) {
            allocator.release(allocator.allocatedAddresses().skip(i * 3L).findFirst().orElseThrow());
        }
        ClusterIpAllocator viaCompact = ClusterIpAllocator.fromCompactSnapshot(allocator.compactSnapshot());
        assertThat(viaCompact.snapshot()).isEqualTo(allocator.snapshot());
        assertThat(ClusterIpAllocator.fromSnapshot(allocator.snapshot()).compactSnapshot())
                .isEqualTo(allocator.compactSnapshot());
    }

    @Test
    void aRefusedCompactRestoreChangesNothing() {
        ClusterIpAllocator allocator = seeded("10.96.0.0/24", 8);
        for (int i = 0; i < 40; i++) {
            allocator.allocateNext();
        }
        byte[] before = allocator.compactSnapshot();
        byte[] otherRange = ClusterIpAllocator.create(ServiceCidr.parse("10.96.1.0/24")).compactSnapshot();
        assertThatThrownBy(() -> allocator.restoreCompact(otherRange))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the provided network does not match the current range")
                .hasMessageContaining("10.96.1.0/24");
        byte[] corrupt = before.clone();
        corrupt[corrupt.length / 2] ^= 0x10;
        assertThatThrownBy(() -> allocator.restoreCompact(corrupt))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid compact snapshot: ");
        byte[] truncated = java.util.Arrays.copyOf(before, before.length - 1);
        assertThatThrownBy(() -> allocator.restoreCompact(truncated)).isInstanceOf(IllegalArgumentException.class);
        assertThatNullPointerException().isThrownBy(() -> allocator.restoreCompact(null));
        assertThat(allocator.compactSnapshot()).isEqualTo(before);
        assertThat(allocator.used()).isEqualTo(40);
    }

    @Test
    void aRestoreRefusesASnapshotWhoseBitmapWouldExceedTheLimitWithoutTouchingState() {
        ServiceCidr cidr = ServiceCidr.parse("fd00::/64");
        // One run of 2^31 addresses: 2^25 words of level 0 alone, about 1.6 GB at 48 bytes a word.
        byte[] huge = CompactSnapshot.encode(cidr, new long[] {1_000}, new long[] {1L << 31}, 1);
        assertThat(huge.length).as("a short snapshot").isLessThan(48);
        ClusterIpAllocator allocator = ClusterIpAllocator.create(cidr);
        IpAddress kept = allocator.allocateNext();
        assertThatThrownBy(() -> allocator.restoreCompact(huge))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fd00::/64").hasMessageContaining(Long.toString(1L << 31))
                .hasMessageContaining("restore limit of " + ClusterIpAllocator.DEFAULT_MAX_RESTORE_BYTES + " bytes")
                .hasMessageContaining("maxRestoreBytes");
        assertThatThrownBy(() -> ClusterIpAllocator.fromCompactSnapshot(huge)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("restore limit");
        assertThat(allocator.allocatedAddresses()).containsExactly(kept);
        // A dense range takes any count its bitmap can hold: the whole of a /12 in one run.
        ServiceCidr slash12 = ServiceCidr.parse("10.96.0.0/12");
        long usable = slash12.usableCount().longValueExact();
        ClusterIpAllocator full = ClusterIpAllocator.fromCompactSnapshot(
                CompactSnapshot.encode(slash12, new long[] {0}, new long[] {usable}, 1));
        assertThat(full.used()).isEqualTo(usable);
        assertThatThrownBy(full::allocateNext).isInstanceOf(RangeFullException.class);
    }

    @Test
    void theRestoreLimitIsExactAtItsBoundaryAndCanBeRaised() {
        ServiceCidr cidr = ServiceCidr.parse("fd00::/64");
        // 3 runs. The first, 64 * 64 + 3 addresses from index 64, fills level-0 words 1 to 64 and
        // touches word 65: 65 words; its 64 full words are bits 1 to 64 of level 1, which lie in
        // level-1 words 0 and 1: 2 words. Then two single addresses, a word each: 69 words. The
        // bound adds a tail word for each of the 11 levels of a /64: 80. Only levels 0 and 10
        // really have one (the others hold a multiple of 64 bits), so the map stores 71.
        long[] starts = {64, 1L << 40, 1L << 50};
        long[] lengths = {64 * 64 + 3, 1, 1};
        byte[] data = CompactSnapshot.encode(cidr, starts, lengths, 3);
        CompactSnapshot.Decoded decoded = CompactSnapshot.decode(data);
        BandedAllocator.RestoreCost cost = new BandedAllocator(-1L, 256, ScanStrategy.SEQUENTIAL, null)
                .restoreCost(decoded);
        long words = cost.words();
        assertThat(words).isEqualTo(80); // SparseBitmapTest checks that such a map stores 71
        long bytes = cost.bytes();
        assertThat(bytes).isEqualTo(words * 48);

        ClusterIpAllocator atLimit = ClusterIpAllocator.fromCompactSnapshot(data, b -> b.maxRestoreBytes(bytes));
        assertThat(atLimit.used()).isEqualTo(64 * 64 + 5);
        assertThat(atLimit.compactSnapshot()).isEqualTo(data);

        ClusterIpAllocator below = ClusterIpAllocator.builder(cidr).maxRestoreBytes(bytes - 1).build();
        IpAddress kept = below.allocateNext();
        assertThatThrownBy(() -> below.restoreCompact(data)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("up to " + bytes + " bytes").hasMessageContaining("(" + words + " stored 64-bit words)")
                .hasMessageContaining("restore limit of " + (bytes - 1) + " bytes");
        assertThat(below.allocatedAddresses()).containsExactly(kept);

        assertThatThrownBy(() -> ClusterIpAllocator.builder(cidr).maxRestoreBytes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not 0");
        assertThatThrownBy(() -> ClusterIpAllocator.builder(cidr).maxRestoreBytes(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not -5");
    }

    @Test
    void aRangeAllocationRestoreKeepsToALimitSetBelowItsFixedSize() {
        ClusterIpAllocator source = sequential(V4_24);
        source.allocateNext();
        RangeAllocation snapshot = source.snapshot();
        long bytes = new BandedAllocator(254, 16, ScanStrategy.SEQUENTIAL, null).denseBytes();
        assertThat(ClusterIpAllocator.fromSnapshot(snapshot, b -> b.maxRestoreBytes(bytes)).used()).isEqualTo(1);
        assertThatThrownBy(() -> ClusterIpAllocator.fromSnapshot(snapshot, b -> b.maxRestoreBytes(bytes - 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("restore limit of " + (bytes - 1));
    }

    @Test
    void fromSnapshotFactoriesTakeBuilderOptions() {
        ClusterIpAllocator source = seeded(V4_24, 1);
        source.allocateNext();
        RangeAllocation snapshot = source.snapshot();
        byte[] compact = source.compactSnapshot();
        ClusterIpAllocator a = ClusterIpAllocator.fromSnapshot(snapshot, b -> b.seed(9).scanStrategy(ScanStrategy.SEQUENTIAL));
        ClusterIpAllocator b = ClusterIpAllocator.fromCompactSnapshot(compact, o -> o.scanStrategy(ScanStrategy.SEQUENTIAL));
        assertThat(a.scanStrategy()).isEqualTo(ScanStrategy.SEQUENTIAL);
        assertThat(b.scanStrategy()).isEqualTo(ScanStrategy.SEQUENTIAL);
        assertThat(a.snapshot()).isEqualTo(snapshot);
        assertThat(b.compactSnapshot()).isEqualTo(compact);
        // SEQUENTIAL takes the lowest free dynamic address, the same in both.
        assertThat(a.allocateNext()).isEqualTo(b.allocateNext());
        // Seeded options repeat: two allocators restored with the same seed give the same addresses.
        ClusterIpAllocator c = ClusterIpAllocator.fromSnapshot(snapshot, o -> o.seed(5));
        ClusterIpAllocator d = ClusterIpAllocator.fromCompactSnapshot(compact, o -> o.seed(5));
        for (int i = 0; i < 20; i++) {
            assertThat(c.allocateNext()).isEqualTo(d.allocateNext());
        }
        assertThatNullPointerException().isThrownBy(() -> ClusterIpAllocator.fromSnapshot(snapshot, null));
        assertThatNullPointerException().isThrownBy(() -> ClusterIpAllocator.fromCompactSnapshot(compact, null));
    }

    @Test
    void theBuilderRefusesBothASeedAndARandomSource() {
        ClusterIpAllocator.Builder seededFirst = ClusterIpAllocator.builder(ServiceCidr.parse(V4_24)).seed(3);
        assertThatThrownBy(() -> seededFirst.random(new java.util.SplittableRandom(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("seed (3) is already set");
        ClusterIpAllocator.Builder randomFirst = ClusterIpAllocator.builder(ServiceCidr.parse(V4_24))
                .random(new FixedRandom(0));
        assertThatThrownBy(() -> randomFirst.seed(4))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot set seed 4")
                .hasMessageContaining("FixedRandom");
        // Setting the same kind again is fine: the later value wins.
        ClusterIpAllocator twice = ClusterIpAllocator.builder(ServiceCidr.parse(V4_24)).seed(1).seed(2).build();
        assertThat(twice.allocateNext()).isEqualTo(seeded(V4_24, 2).allocateNext());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 238, 239, Integer.MAX_VALUE, Integer.MIN_VALUE})
    void aRandomSourceThatBreaksItsBoundIsRefusedAndNothingIsAllocated(int value) {
        // nextInt(238) for the dynamic band of a /24 must be in [0, 238).
        RandomGenerator broken = new RandomGenerator() {
            @Override
            public long nextLong() {
                return value;
            }

            @Override
            public int nextInt(int bound) {
                return value;
            }
        };
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(ServiceCidr.parse(V4_24)).random(broken).build();
        RangeAllocation before = allocator.snapshot();
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("returned " + Long.toUnsignedString(value))
                .hasMessageContaining("from 0 to 237").hasMessageContaining("nothing was allocated");
        assertThat(allocator.snapshot()).isEqualTo(before);
        assertThat(allocator.used()).isZero();
    }

    @Test
    void tryAllocateReportsAnAllocatedAddressByItsResult() {
        ClusterIpAllocator allocator = sequential(V4_24);
        IpAddress dns = ip("10.96.0.10");
        assertThat(allocator.tryAllocate(dns)).isTrue();
        assertThat(allocator.tryAllocate(dns)).isFalse();
        assertThat(allocator.used()).isEqualTo(1);
        assertThat(allocator.release(dns)).isTrue();
        assertThat(allocator.tryAllocate(dns)).isTrue();
        assertThatThrownBy(() -> allocator.tryAllocate(ip("10.96.1.1"))).isInstanceOf(IpNotInRangeException.class);
        assertThatThrownBy(() -> allocator.tryAllocate(ip("10.96.0.255"))).isInstanceOf(IpNotInRangeException.class);
        assertThatNullPointerException().isThrownBy(() -> allocator.tryAllocate(null));
        assertThat(allocator.used()).isEqualTo(1);
    }

    @Test
    void exactFreeDoesNotSaturate() {
        ClusterIpAllocator v6 = ClusterIpAllocator.create(ServiceCidr.parse("fd00::/64"));
        BigInteger usable = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        assertThat(v6.exactFree()).isEqualTo(usable);
        assertThat(v6.free()).isEqualTo(Long.MAX_VALUE);
        v6.allocateNext();
        assertThat(v6.exactFree()).isEqualTo(usable.subtract(BigInteger.ONE));
        assertThat(v6.exactFree(Band.DYNAMIC)).isEqualTo(usable.subtract(BigInteger.valueOf(257)));
        assertThat(v6.exactFree(Band.STATIC)).isEqualTo(BigInteger.valueOf(256));
        ClusterIpAllocator v4 = sequential(V4_24);
        v4.allocate(ip("10.96.0.1"));
        assertThat(v4.exactFree()).isEqualTo(BigInteger.valueOf(253));
        assertThat(v4.exactFree(Band.STATIC)).isEqualTo(BigInteger.valueOf(15));
        assertThat(v4.exactFree(Band.DYNAMIC)).isEqualTo(BigInteger.valueOf(238));
        assertThatNullPointerException().isThrownBy(() -> v4.exactFree(null));
    }

    @Test
    void estimatedUsedIsExactWhenNothingRuns() {
        ClusterIpAllocator allocator = sequential(V4_24);
        assertThat(allocator.estimatedUsed()).isZero();
        for (int i = 0; i < 100; i++) {
            allocator.allocateNext();
        }
        allocator.release(ip("10.96.0.17"));
        assertThat(allocator.estimatedUsed()).isEqualTo(99).isEqualTo(allocator.used());
        allocator.restore(sequential(V4_24).snapshot());
        assertThat(allocator.estimatedUsed()).isZero();
        assertThat(allocator).hasToString("ClusterIpAllocator[10.96.0.0/24, used=0, free=254]");
    }

    @Test
    void toStringAndEstimatedUsedNeverWaitForAnExclusiveSection() throws Exception {
        // A /27: static band of 16 addresses, dynamic band of 14. Fill the dynamic band, then make the fall-back search (which runs with changes held off)
        // block inside the random source: the exclusive section stays open until released.
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        ServiceCidr cidr = ServiceCidr.parse("10.96.0.0/27");
        int dynamicSize = cidr.dynamicBand().orElseThrow().size().intValueExact();
        RandomGenerator blocking = new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public int nextInt(int bound) {
                if (bound == 16) { // the static band: we are inside the exclusive section
                    inside.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return 0;
            }
        };
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(cidr).random(blocking).build();
        for (int i = 0; i < dynamicSize; i++) {
            allocator.allocateNext();
        }
        Thread fallBack = new Thread(allocator::allocateNext);
        fallBack.start();
        try {
            assertThat(inside.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            String text = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    java.time.Duration.ofSeconds(5), allocator::toString);
            assertThat(text).isEqualTo("ClusterIpAllocator[10.96.0.0/27, used=" + dynamicSize + ", free="
                    + (30 - dynamicSize) + "]");
            long estimate = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    java.time.Duration.ofSeconds(5), allocator::estimatedUsed);
            assertThat(estimate).isEqualTo(dynamicSize);
        } finally {
            release.countDown();
            fallBack.join(10_000);
        }
        assertThat(allocator.used()).isEqualTo(dynamicSize + 1);
        assertThat(allocator.estimatedUsed()).isEqualTo(dynamicSize + 1);
    }
}
