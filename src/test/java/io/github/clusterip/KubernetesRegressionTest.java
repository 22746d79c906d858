package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Regression tests for bugs Kubernetes itself had in this logic. */
class KubernetesRegressionTest {

    private static final long BASE_SEED = Long.getLong("clusterip.seed", 0x10_99_27L);

    static Stream<Arguments> issue109927Cases() {
        List<Arguments> list = new ArrayList<>();
        for (String cidr : new String[] {"10.96.0.0/24", "10.96.0.0/20", "fd00::/120"}) {
            list.add(Arguments.of(cidr, ScanStrategy.SEQUENTIAL, BASE_SEED));
            for (int i = 0; i < 3; i++) {
                list.add(Arguments.of(cidr, ScanStrategy.RANDOM, BASE_SEED + i));
            }
        }
        return list.stream();
    }

    private static ClusterIpAllocator allocator(RangeLayout layout, ScanStrategy strategy, long seed) {
        return ClusterIpAllocator.builder(layout.cidr).scanStrategy(strategy).seed(seed).build();
    }

    /**
     * Kubernetes issue 109927: once the dynamic band was full, allocateNext kept returning the same
     * static-band address. Each static address must come out exactly once, then "range is full".
     */
    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("issue109927Cases")
    void issue109927StaticBandHandsOutEachAddressOnceWhenDynamicBandIsFull(String cidr, ScanStrategy strategy,
            long seed) {
        RangeLayout layout = RangeLayout.of(cidr);
        ClusterIpAllocator allocator = allocator(layout, strategy, seed);
        for (IpAddress a : layout.dynamicBand()) {
            allocator.allocate(a);
        }
        assertThat(allocator.free(Band.DYNAMIC)).isZero();
        Set<IpAddress> got = new HashSet<>();
        for (int i = 0; i < layout.staticSize; i++) {
            IpAddress a = allocator.allocateNext();
            assertThat(got.add(a)).as("%s %s seed %d: call %d returned %s again", cidr, strategy, seed, i, a).isTrue();
            assertThat(layout.isStatic(layout.indexOf(a))).as("%s seed %d: %s not static", cidr, seed, a).isTrue();
        }
        assertThat(got).containsExactlyInAnyOrderElementsOf(layout.staticBand());
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(RangeFullException.class).hasMessage("range is full");
        assertThat(allocator.used()).isEqualTo(layout.usable);
    }

    /** The same, with the dynamic band filled by allocateNext and some static addresses reserved by hand. */
    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("issue109927Cases")
    void issue109927WithReservedStaticAddresses(String cidr, ScanStrategy strategy, long seed) {
        RangeLayout layout = RangeLayout.of(cidr);
        ClusterIpAllocator allocator = allocator(layout, strategy, seed);
        // Reserve the first, the tenth (cluster DNS) and the last static address, as clusters do.
        Set<IpAddress> reserved = Set.of(layout.address(0), layout.address(9), layout.address(layout.staticSize - 1));
        for (IpAddress a : reserved) {
            allocator.allocate(a);
        }
        Set<IpAddress> dynamic = new HashSet<>();
        for (int i = 0; i < layout.dynamicSize(); i++) {
            IpAddress a = allocator.allocateNext();
            assertThat(layout.isStatic(layout.indexOf(a))).as("%s seed %d: %s", cidr, seed, a).isFalse();
            assertThat(dynamic.add(a)).as("%s seed %d: duplicate %s", cidr, seed, a).isTrue();
        }
        Set<IpAddress> staticGot = new HashSet<>();
        for (int i = 0; i < layout.staticSize - reserved.size(); i++) {
            IpAddress a = allocator.allocateNext();
            assertThat(reserved).as("%s seed %d: reserved %s handed out", cidr, seed, a).doesNotContain(a);
            assertThat(staticGot.add(a)).as("%s seed %d: duplicate %s", cidr, seed, a).isTrue();
        }
        Set<IpAddress> expected = new HashSet<>(layout.staticBand());
        expected.removeAll(reserved);
        assertThat(staticGot).isEqualTo(expected);
        assertThatThrownBy(allocator::allocateNext).hasMessage("range is full");
        // Release one static address: it is the only one allocateNext can give, once.
        IpAddress freed = layout.address(5);
        assertThat(allocator.release(freed)).isTrue();
        assertThat(allocator.allocateNext()).isEqualTo(freed);
        assertThatThrownBy(allocator::allocateNext).hasMessage("range is full");
    }

    /**
     * Kubernetes issue 115316: on /28 and /124 the offset exceeded the usable count and allocation
     * panicked. Here the offset is 0 for a full size of 16 (the whole range is one dynamic band), and
     * 16 for /27 and /123, just above the threshold.
     */
    @ParameterizedTest(name = "{0} {1} seed {2}")
    @CsvSource({
        "10.96.0.0/28, 0, 14, RANDOM, 1",
        "10.96.0.0/28, 0, 14, RANDOM, 2",
        "10.96.0.0/28, 0, 14, SEQUENTIAL, 1",
        "fd00::/124, 0, 15, RANDOM, 1",
        "fd00::/124, 0, 15, RANDOM, 2",
        "fd00::/124, 0, 15, SEQUENTIAL, 1",
        "10.96.0.0/27, 16, 30, RANDOM, 1",
        "10.96.0.0/27, 16, 30, SEQUENTIAL, 1",
        "fd00::/123, 16, 31, RANDOM, 1",
        "fd00::/123, 16, 31, SEQUENTIAL, 1",
        "10.96.0.0/29, 0, 6, RANDOM, 1",
        "fd00::/125, 0, 7, RANDOM, 1",
    })
    void issue115316SmallRangesFillCompletely(String cidr, int offset, int usable, ScanStrategy strategy, long seed) {
        ServiceCidr parsed = ServiceCidr.parse(cidr);
        RangeLayout layout = RangeLayout.of(cidr);
        assertThat(layout.offset).as("test's own rule").isEqualTo(offset);
        assertThat(layout.usable).as("test's own count").isEqualTo(usable);
        assertThat(parsed.bandOffset()).isEqualTo(offset);
        assertThat(parsed.usableCount()).isEqualTo(BigInteger.valueOf(usable));
        assertThat(parsed.bandOffset()).isLessThanOrEqualTo(usable);
        if (offset == 0) {
            assertThat(parsed.staticBand()).isEmpty();
            assertThat(parsed.dynamicBand()).isPresent();
            assertThat(parsed.dynamicBand().get().first()).isEqualTo(layout.address(0));
            assertThat(parsed.dynamicBand().get().last()).isEqualTo(layout.address(usable - 1));
        }
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(parsed).scanStrategy(strategy)
                .seed(BASE_SEED + seed).build();
        assertThat(allocator.free(Band.STATIC)).isEqualTo(offset);
        assertThat(allocator.free(Band.DYNAMIC)).isEqualTo(usable - offset);
        Set<IpAddress> got = new HashSet<>();
        for (int i = 0; i < usable; i++) {
            IpAddress a = allocator.allocateNext();
            int k = layout.indexOf(a);
            assertThat(k).as("%s seed %d: %s usable", cidr, seed, a).isNotNegative();
            assertThat(got.add(a)).as("%s seed %d: duplicate %s", cidr, seed, a).isTrue();
            // Dynamic band (indexes offset..usable-1) first, then the static band.
            assertThat(k >= offset).as("%s seed %d call %d: %s", cidr, seed, i, a).isEqualTo(i < usable - offset);
        }
        assertThat(got).containsExactlyInAnyOrderElementsOf(layout.allUsable());
        assertThat(allocator.used()).isEqualTo(usable);
        assertThat(allocator.used(Band.STATIC)).isEqualTo(offset);
        assertThatThrownBy(allocator::allocateNext).hasMessage("range is full");
    }

    @Test
    void offsetNeverExceedsUsableCountForAnyPrefix() {
        for (int prefix = 0; prefix <= 32; prefix++) {
            checkOffset((prefix < 8 ? "0.0.0.0/" : "10.0.0.0/") + prefix, prefix);
        }
        for (int prefix = 8; prefix <= 128; prefix++) {
            checkOffset("fd00::/" + prefix, prefix);
        }
    }

    private static void checkOffset(String text, int prefix) {
        ServiceCidr cidr = ServiceCidr.parse(text);
        int hostBits = (cidr.family() == IpFamily.IPV4 ? 32 : 128) - prefix;
        BigInteger size = BigInteger.ONE.shiftLeft(hostBits);
        int expected;
        if (size.compareTo(BigInteger.valueOf(16)) <= 0) {
            expected = 0;
        } else {
            expected = size.shiftRight(4).max(BigInteger.valueOf(16)).min(BigInteger.valueOf(256)).intValueExact();
        }
        assertThat(cidr.bandOffset()).as("%s offset", text).isEqualTo(expected);
        assertThat(BigInteger.valueOf(cidr.bandOffset())).as("%s offset <= usable", text)
                .isLessThanOrEqualTo(cidr.usableCount().max(BigInteger.ZERO));
        if (hostBits <= ClusterIpAllocator.MAX_HOST_BITS) {
            ClusterIpAllocator allocator = ClusterIpAllocator.create(cidr);
            BigInteger max = BigInteger.valueOf(Long.MAX_VALUE);
            BigInteger usable = cidr.usableCount();
            BigInteger dynamic = usable.subtract(BigInteger.valueOf(Math.min(expected, usable.longValue()))).max(BigInteger.ZERO);
            assertThat(allocator.free()).as("%s free, saturated", text).isEqualTo(usable.min(max).longValueExact());
            assertThat(allocator.free(Band.DYNAMIC)).as("%s free dynamic, saturated", text)
                    .isEqualTo(dynamic.min(max).longValueExact());
            assertThat(allocator.free(Band.STATIC)).as(text).isEqualTo(Math.min(expected, allocator.free()));
            if (allocator.free() > 0) {
                IpAddress a = allocator.allocateNext();
                assertThat(cidr.contains(a)).as(text).isTrue();
            } else {
                assertThatThrownBy(allocator::allocateNext).as(text).hasMessage("range is full");
            }
        }
    }

    @Test
    void designTableExamples() {
        // The worked examples of the design notes.
        assertBands("10.96.0.0/24", 254, 16, "10.96.0.1 - 10.96.0.16", "10.96.0.17 - 10.96.0.254");
        assertBands("10.96.0.0/20", 4094, 256, "10.96.0.1 - 10.96.1.0", "10.96.1.1 - 10.96.15.254");
        assertBands("10.96.0.0/16", 65534, 256, "10.96.0.1 - 10.96.1.0", "10.96.1.1 - 10.96.255.254");
    }

    private static void assertBands(String text, int usable, int offset, String staticBand, String dynamicBand) {
        ServiceCidr cidr = ServiceCidr.parse(text);
        assertThat(cidr.usableCount()).isEqualTo(BigInteger.valueOf(usable));
        assertThat(cidr.bandOffset()).isEqualTo(offset);
        assertThat(cidr.staticBand()).get().hasToString(staticBand);
        assertThat(cidr.dynamicBand()).get().hasToString(dynamicBand);
        ClusterIpAllocator allocator = ClusterIpAllocator.create(cidr);
        assertThat(allocator.free(Band.STATIC)).isEqualTo(offset);
        assertThat(allocator.free(Band.DYNAMIC)).isEqualTo(usable - offset);
    }
}
