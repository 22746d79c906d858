package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceCidrTest {

    private static final BigInteger TWO = BigInteger.TWO;

    // ---- DESIGN.md worked examples ------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "10.96.0.0/24, 254,   16,  10.96.0.1 - 10.96.0.16, 10.96.0.17 - 10.96.0.254",
        "10.96.0.0/20, 4094,  256, 10.96.0.1 - 10.96.1.0,  10.96.1.1 - 10.96.15.254",
        "10.96.0.0/16, 65534, 256, 10.96.0.1 - 10.96.1.0,  10.96.1.1 - 10.96.255.254",
    })
    void designWorkedExamples(String cidr, long usable, int offset, String staticBand, String dynamicBand) {
        ServiceCidr c = ServiceCidr.parse(cidr);
        assertThat(c.usableCount()).isEqualTo(BigInteger.valueOf(usable));
        assertThat(c.bandOffset()).isEqualTo(offset);
        assertThat(c.staticBand()).map(IpRange::toString).contains(staticBand);
        assertThat(c.dynamicBand()).map(IpRange::toString).contains(dynamicBand);
        assertThat(c.toString()).isEqualTo(cidr);
    }

    // ---- every prefix length against an independent BigInteger computation --------------------

    static Stream<Arguments> everyPrefix() {
        Stream<Arguments> v4 = Stream.of("10.0.0.0", "0.0.0.0", "255.255.255.255", "192.168.77.129")
                .flatMap(base -> IntStream.rangeClosed(0, 32).mapToObj(p -> Arguments.of(base, p)));
        Stream<Arguments> v6 = Stream.of("fd00::", "2001:db8::", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                        "fd12:3456:789a:bcde:f012:3456:789a:bcde", "::ffff:192.168.77.129")
                .flatMap(base -> IntStream.rangeClosed(0, 128).mapToObj(p -> Arguments.of(base, p)));
        return Stream.concat(v4, v6);
    }

    @ParameterizedTest(name = "{0} masked to /{1}")
    @MethodSource("everyPrefix")
    void bandsMatchIndependentComputation(String base, int prefix) {
        IpAddress baseIp = IpAddress.parse(base);
        boolean v4 = baseIp.family() == IpFamily.IPV4;
        int bits = v4 ? 32 : 128;
        int hostBits = bits - prefix;

        BigInteger size = TWO.pow(hostBits);
        BigInteger net = baseIp.toBigInteger().shiftRight(hostBits).shiftLeft(hostBits);
        BigInteger offset = size.compareTo(BigInteger.valueOf(16)) <= 0
                ? BigInteger.ZERO
                : size.divide(BigInteger.valueOf(16)).max(BigInteger.valueOf(16)).min(BigInteger.valueOf(256));
        BigInteger usable = size.subtract(BigInteger.valueOf(v4 ? 2 : 1)).max(BigInteger.ZERO);
        BigInteger lastOfBlock = net.add(size).subtract(BigInteger.ONE);

        ServiceCidr c = ServiceCidr.of(addressOf(net, v4), prefix);
        String where = c + " (from " + base + "/" + prefix + ")";

        assertThat(c.network().toBigInteger()).as(where).isEqualTo(net);
        assertThat(c.prefixLength()).as(where).isEqualTo(prefix);
        assertThat(c.family()).as(where).isEqualTo(baseIp.family());
        assertThat(c.addressCount()).as(where).isEqualTo(size);
        assertThat(c.usableCount()).as(where).isEqualTo(usable);
        assertThat(BigInteger.valueOf(c.bandOffset())).as(where).isEqualTo(offset);
        assertThat(ServiceCidr.parse(c.toString())).as(where).isEqualTo(c);

        // static band: network+1 .. network+offset, absent when the offset is 0
        Optional<IpRange> staticBand = c.staticBand();
        assertThat(c.band(Band.STATIC)).as(where).isEqualTo(staticBand);
        if (offset.signum() == 0) {
            assertThat(staticBand).as(where).isEmpty();
        } else {
            assertThat(staticBand).as(where).isPresent();
            assertRange(staticBand.get(), net.add(BigInteger.ONE), net.add(offset), where);
        }
        // Kubernetes issue 115316: the static band never exceeds the usable addresses
        BigInteger staticSize = staticBand.map(IpRange::size).orElse(BigInteger.ZERO);
        assertThat(staticSize).as(where).isLessThanOrEqualTo(usable);

        // dynamic band: network+offset+1 .. last usable
        Optional<IpRange> dynamicBand = c.dynamicBand();
        assertThat(c.band(Band.DYNAMIC)).as(where).isEqualTo(dynamicBand);
        BigInteger lastUsable = net.add(usable);
        BigInteger dynamicFirst = net.add(offset).add(BigInteger.ONE);
        if (dynamicFirst.compareTo(lastUsable) > 0) {
            assertThat(dynamicBand).as(where).isEmpty();
        } else {
            assertThat(dynamicBand).as(where).isPresent();
            assertRange(dynamicBand.get(), dynamicFirst, lastUsable, where);
        }
        BigInteger dynamicSize = dynamicBand.map(IpRange::size).orElse(BigInteger.ZERO);
        assertThat(staticSize.add(dynamicSize)).as(where).isEqualTo(usable);

        if (usable.signum() == 0) {
            assertThat(c.usableRange()).as(where).isEmpty();
        } else {
            assertRange(c.usableRange().orElseThrow(), net.add(BigInteger.ONE), lastUsable, where);
        }

        // contains(): the whole block, network and broadcast included, nothing either side
        assertThat(c.contains(addressOf(net, v4))).as(where).isTrue();
        assertThat(c.contains(addressOf(lastOfBlock, v4))).as(where).isTrue();
        if (net.signum() > 0) {
            assertThat(c.contains(addressOf(net.subtract(BigInteger.ONE), v4))).as(where).isFalse();
        }
        if (lastOfBlock.compareTo(TWO.pow(bits).subtract(BigInteger.ONE)) < 0) {
            assertThat(c.contains(addressOf(lastOfBlock.add(BigInteger.ONE), v4))).as(where).isFalse();
        }

        // bandOf(): network and IPv4 broadcast are in no band; band edges are in their band
        assertThat(c.bandOf(addressOf(net, v4))).as(where).isEmpty();
        if (v4) {
            assertThat(c.bandOf(addressOf(lastOfBlock, v4))).as(where).isEmpty();
        } else if (usable.signum() > 0) {
            // the all-ones address of an IPv6 block is usable
            assertThat(c.bandOf(addressOf(lastOfBlock, v4))).as(where).isPresent();
        }
        staticBand.ifPresent(r -> {
            assertThat(c.bandOf(r.first())).as(where).contains(Band.STATIC);
            assertThat(c.bandOf(r.last())).as(where).contains(Band.STATIC);
        });
        dynamicBand.ifPresent(r -> {
            assertThat(c.bandOf(r.first())).as(where).contains(Band.DYNAMIC);
            assertThat(c.bandOf(r.last())).as(where).contains(Band.DYNAMIC);
        });
        if (net.signum() > 0) {
            assertThat(c.bandOf(addressOf(net.subtract(BigInteger.ONE), v4))).as(where).isEmpty();
        }
    }

    // ---- tiny ranges --------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/32", "10.0.0.0/31", "10.0.0.1/32", "0.0.0.0/31", "fd00::/128", "fd00::1/128"})
    void rangesWithoutUsableAddresses(String text) {
        ServiceCidr c = ServiceCidr.parse(text);
        assertThat(c.usableCount()).isEqualTo(BigInteger.ZERO);
        assertThat(c.bandOffset()).isZero();
        assertThat(c.usableRange()).isEmpty();
        assertThat(c.staticBand()).isEmpty();
        assertThat(c.dynamicBand()).isEmpty();
        assertThat(c.bandOf(c.network())).isEmpty();
        assertThat(c.contains(c.network())).isTrue();
    }

    @Test
    void ipv4Slash31HasTwoAddressesNeitherUsable() {
        ServiceCidr c = ServiceCidr.parse("10.0.0.0/31");
        assertThat(c.addressCount()).isEqualTo(BigInteger.TWO);
        assertThat(c.contains(IpAddress.parse("10.0.0.1"))).isTrue();
        assertThat(c.bandOf(IpAddress.parse("10.0.0.1"))).isEmpty();
    }

    @Test
    void ipv6Slash127HasExactlyOneUsableAddressAndNoStaticBand() {
        ServiceCidr c = ServiceCidr.parse("fd00::/127");
        assertThat(c.addressCount()).isEqualTo(BigInteger.TWO);
        assertThat(c.usableCount()).isEqualTo(BigInteger.ONE);
        assertThat(c.bandOffset()).isZero();
        assertThat(c.staticBand()).isEmpty();
        IpRange only = IpRange.of(IpAddress.parse("fd00::1"), IpAddress.parse("fd00::1"));
        assertThat(c.usableRange()).contains(only);
        assertThat(c.dynamicBand()).contains(only);
        assertThat(c.bandOf(IpAddress.parse("fd00::1"))).contains(Band.DYNAMIC);
        assertThat(c.bandOf(IpAddress.parse("fd00::"))).isEmpty();
    }

    // Kubernetes issue 115316: /28 and /124 (size 16) must have offset 0, not 16
    @ParameterizedTest
    @CsvSource({
        "10.96.0.0/28, 14, 10.96.0.1 - 10.96.0.14",
        "fd00::/124,   15, fd00::1 - fd00::f",
        "10.96.0.0/29, 6,  10.96.0.1 - 10.96.0.6",
        "fd00::/126,   3,  fd00::1 - fd00::3",
    })
    void size16AndBelowHaveNoStaticBand(String text, long usable, String dynamic) {
        ServiceCidr c = ServiceCidr.parse(text);
        assertThat(c.bandOffset()).isZero();
        assertThat(c.usableCount()).isEqualTo(BigInteger.valueOf(usable));
        assertThat(c.staticBand()).isEmpty();
        assertThat(c.dynamicBand()).map(IpRange::toString).contains(dynamic);
    }

    // Size 32: offset is max(16, 32/16) = 16, below the usable count
    @ParameterizedTest
    @CsvSource({
        "10.96.0.0/27, 30, 10.96.0.1 - 10.96.0.16, 10.96.0.17 - 10.96.0.30",
        "fd00::/123,   31, fd00::1 - fd00::10,     fd00::11 - fd00::1f",
    })
    void size32HasOffset16(String text, long usable, String staticBand, String dynamicBand) {
        ServiceCidr c = ServiceCidr.parse(text);
        assertThat(c.bandOffset()).isEqualTo(16);
        assertThat(c.usableCount()).isEqualTo(BigInteger.valueOf(usable));
        assertThat(c.staticBand()).map(IpRange::toString).contains(staticBand);
        assertThat(c.dynamicBand()).map(IpRange::toString).contains(dynamicBand);
    }

    @Test
    void largeIpv6Ranges() {
        ServiceCidr c = ServiceCidr.parse("fd00:10:96::/108");
        assertThat(c.addressCount()).isEqualTo(TWO.pow(20));
        assertThat(c.usableCount()).isEqualTo(TWO.pow(20).subtract(BigInteger.ONE));
        assertThat(c.bandOffset()).isEqualTo(256);
        assertThat(c.staticBand()).map(IpRange::toString).contains("fd00:10:96::1 - fd00:10:96::100");
        assertThat(c.dynamicBand()).map(IpRange::toString).contains("fd00:10:96::101 - fd00:10:96::f:ffff");

        ServiceCidr all = ServiceCidr.parse("::/0");
        assertThat(all.usableCount()).isEqualTo(TWO.pow(128).subtract(BigInteger.ONE));
        assertThat(all.dynamicBand()).map(IpRange::toString)
                .contains("::101 - ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assertThat(all.bandOf(IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))).contains(Band.DYNAMIC);
        assertThat(all.bandOf(IpAddress.parse("::100"))).contains(Band.STATIC);
        assertThat(all.bandOf(IpAddress.parse("::101"))).contains(Band.DYNAMIC);
    }

    // Regression: with 64 or more host bits usableCount() no longer fits in a long, and the static
    // band must still be network+1 .. network+256 (hand-computed), never run into the dynamic band.
    @ParameterizedTest
    @CsvSource({
        "fd00::/64,     fd00::1 - fd00::100,         fd00::101 - fd00::ffff:ffff:ffff:ffff",
        "2001:db8::/48, 2001:db8::1 - 2001:db8::100, 2001:db8::101 - 2001:db8:0:ffff:ffff:ffff:ffff:ffff",
        "::/0,          ::1 - ::100,                 ::101 - ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "fd00::/65,     fd00::1 - fd00::100,         fd00::101 - fd00::7fff:ffff:ffff:ffff",
    })
    void staticBandOfIpv6RangesWithManyHostBits(String text, String staticBand, String dynamicBand) {
        ServiceCidr c = ServiceCidr.parse(text);
        assertThat(c.bandOffset()).isEqualTo(256);
        assertThat(c.staticBand()).map(IpRange::toString).contains(staticBand);
        assertThat(c.staticBand()).map(IpRange::size).contains(BigInteger.valueOf(256));
        assertThat(c.dynamicBand()).map(IpRange::toString).contains(dynamicBand);
        // the two bands must not overlap
        IpRange s = c.staticBand().orElseThrow();
        IpRange d = c.dynamicBand().orElseThrow();
        assertThat(s.last()).isLessThan(d.first());
    }

    // ---- contains / bandOf --------------------------------------------------------------------

    @Test
    void containsIsFamilyAware() {
        assertThat(ServiceCidr.parse("::/0").contains(IpAddress.parse("10.0.0.1"))).isFalse();
        assertThat(ServiceCidr.parse("0.0.0.0/0").contains(IpAddress.parse("::1"))).isFalse();
        assertThat(ServiceCidr.parse("::ffff:0:0/96").contains(IpAddress.parse("10.0.0.1"))).isFalse();
        assertThat(ServiceCidr.parse("::ffff:0:0/96").contains(IpAddress.parse("::ffff:10.0.0.1"))).isTrue();
        assertThat(ServiceCidr.parse("::/96").bandOf(IpAddress.parse("0.0.0.5"))).isEmpty();
    }

    @Test
    void containsAndBandOfOnA24() {
        ServiceCidr c = ServiceCidr.parse("10.96.0.0/24");
        assertThat(c.contains(IpAddress.parse("10.96.0.0"))).isTrue();
        assertThat(c.contains(IpAddress.parse("10.96.0.255"))).isTrue();
        assertThat(c.contains(IpAddress.parse("10.96.1.0"))).isFalse();
        assertThat(c.contains(IpAddress.parse("10.95.255.255"))).isFalse();
        assertThat(c.bandOf(IpAddress.parse("10.96.0.0"))).isEmpty();
        assertThat(c.bandOf(IpAddress.parse("10.96.0.255"))).isEmpty();
        assertThat(c.bandOf(IpAddress.parse("10.96.0.1"))).contains(Band.STATIC);
        assertThat(c.bandOf(IpAddress.parse("10.96.0.10"))).contains(Band.STATIC);
        assertThat(c.bandOf(IpAddress.parse("10.96.0.16"))).contains(Band.STATIC);
        assertThat(c.bandOf(IpAddress.parse("10.96.0.17"))).contains(Band.DYNAMIC);
        assertThat(c.bandOf(IpAddress.parse("10.96.0.254"))).contains(Band.DYNAMIC);
        assertThat(c.bandOf(IpAddress.parse("10.96.1.1"))).isEmpty();
        assertThatThrownBy(() -> c.contains(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> c.bandOf(null)).isInstanceOf(NullPointerException.class);
    }

    // ---- of(IpAddress, int) -------------------------------------------------------------------

    @Test
    void ofMatchesParse() {
        assertThat(ServiceCidr.of(IpAddress.parse("10.96.0.0"), 12)).isEqualTo(ServiceCidr.parse("10.96.0.0/12"));
        assertThat(ServiceCidr.of(IpAddress.parse("fd00::"), 64)).isEqualTo(ServiceCidr.parse("fd00::/64"));
        assertThat(ServiceCidr.of(IpAddress.parse("0.0.0.0"), 0).toString()).isEqualTo("0.0.0.0/0");
        assertThat(ServiceCidr.of(IpAddress.parse("10.0.0.1"), 32).toString()).isEqualTo("10.0.0.1/32");
    }

    @Test
    void ofRejectsHostBitsAndBadPrefixLengths() {
        assertThatThrownBy(() -> ServiceCidr.of(IpAddress.parse("10.96.0.5"), 24))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"10.96.0.5/24\"")
                .hasMessageContaining("did you mean 10.96.0.0/24?");
        assertThatThrownBy(() -> ServiceCidr.of(IpAddress.parse("fd00::1"), 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("did you mean fd00::/64?");
        assertThatThrownBy(() -> ServiceCidr.of(IpAddress.parse("10.0.0.0"), 33))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("out of range 0..32");
        assertThatThrownBy(() -> ServiceCidr.of(IpAddress.parse("10.0.0.0"), -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("out of range 0..32");
        assertThatThrownBy(() -> ServiceCidr.of(IpAddress.parse("fd00::"), 129))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("out of range 0..128");
        assertThatThrownBy(() -> ServiceCidr.of(null, 8)).isInstanceOf(NullPointerException.class);
    }

    // ---- equals / hashCode / toString ---------------------------------------------------------

    @Test
    void equalsAndHashCode() {
        ServiceCidr a = ServiceCidr.parse("FD00:0::/64");
        ServiceCidr b = ServiceCidr.parse("fd00::/64");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.toString()).isEqualTo("fd00::/64");
        assertThat(a).isNotEqualTo(ServiceCidr.parse("fd00::/65"));
        assertThat(ServiceCidr.parse("10.0.0.0/8")).isNotEqualTo(ServiceCidr.parse("10.0.0.0/9"));
        assertThat(ServiceCidr.parse("10.0.0.0/8")).isNotEqualTo(ServiceCidr.parse("11.0.0.0/8"));
        // same numeric network and prefix, different family
        assertThat(ServiceCidr.parse("0.0.0.0/0")).isNotEqualTo(ServiceCidr.parse("::/0"));
        assertThat(ServiceCidr.parse("10.0.0.0/8")).isNotEqualTo("10.0.0.0/8");
        assertThat(ServiceCidr.parse("10.0.0.0/8").equals(null)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.96.0.0/12", "0.0.0.0/0", "255.255.255.255/32", "192.168.0.0/16",
            "fd00:10:96::/108", "::/0", "2001:db8::/32", "fe80::/10", "::1/128", "1::/16",
            "2001:db8:0:1::/64", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"})
    void toStringRoundTrips(String canonical) {
        ServiceCidr c = ServiceCidr.parse(canonical);
        assertThat(c.toString()).isEqualTo(canonical);
        assertThat(ServiceCidr.parse(c.toString())).isEqualTo(c);
        assertThat(ServiceCidr.of(c.network(), c.prefixLength())).isEqualTo(c);
    }

    @ParameterizedTest
    @CsvSource({
        "2001:DB8::/32,                 2001:db8::/32",
        "2001:0db8:0000::/48,           2001:db8::/48",
        "fd00:0:0:0:0:0:0:0/8,          fd00::/8",
        "::ffff:10.0.0.0/120,           ::ffff:10.0.0.0/120",
        "::ffff:a00:0/120,              ::ffff:10.0.0.0/120",
        "::FFFF:0:0/96,                 ::ffff:0.0.0.0/96",
        "0:0:0:0:0:ffff:a60:0/108,      ::ffff:10.96.0.0/108",
        "::ffff:255.255.255.255/128,    ::ffff:255.255.255.255/128",
        "::/96,                         ::/96",
        "::10.0.0.0/120,                ::a00:0/120",
        "64:ff9b::/96,                  64:ff9b::/96",
        "64:ff9b::10.96.0.0/108,        64:ff9b::a60:0/108",
        "::fffe:0:0/95,                 ::fffe:0:0/95",
    })
    void toStringIsCanonical(String input, String canonical) {
        assertThat(ServiceCidr.parse(input).toString()).isEqualTo(canonical);
        assertThat(ServiceCidr.parse(canonical)).isEqualTo(ServiceCidr.parse(input));
    }

    // Go's netip.Prefix.String() (src/net/netip/netip.go) is the address's String() + "/" + bits,
    // so an IPv4-mapped network is written "::ffff:a.b.c.d/n" there too.
    @Test
    void anIpv4MappedCidrReadsInTheMixedFormThroughout() {
        ServiceCidr c = ServiceCidr.parse("::ffff:a60:0/108");
        assertThat(c.toString()).isEqualTo("::ffff:10.96.0.0/108");
        assertThat(c.family()).isEqualTo(IpFamily.IPV6);
        assertThat(c.staticBand()).map(IpRange::toString).contains("::ffff:10.96.0.1 - ::ffff:10.96.1.0");
        assertThat(c.dynamicBand()).map(IpRange::toString).contains("::ffff:10.96.1.1 - ::ffff:10.111.255.255");
        // the host-bits hint names the network in the same form, and a network just below
        // ::ffff:0:0/96 stays hexadecimal
        assertThatThrownBy(() -> ServiceCidr.parse("::ffff:10.96.0.5/108"))
                .hasMessage("invalid CIDR \"::ffff:10.96.0.5/108\": ::ffff:10.96.0.5/108 has host bits set;"
                        + " did you mean ::ffff:10.96.0.0/108?");
        assertThatThrownBy(() -> ServiceCidr.parse("::ffff:0:0/95")).hasMessageEndingWith("did you mean ::fffe:0:0/95?");
        // a snapshot names the range in the same form and restores from it
        ClusterIpAllocator allocator = ClusterIpAllocator.create(c);
        IpAddress address = IpAddress.parse("::ffff:10.96.0.10");
        allocator.allocate(address);
        RangeAllocation snapshot = allocator.snapshot();
        assertThat(snapshot.range()).isEqualTo("::ffff:10.96.0.0/108");
        assertThat(ClusterIpAllocator.fromSnapshot(snapshot).isAllocated(address)).isTrue();
    }

    // ---- band(Band) ---------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "10.96.0.0/24, 10.96.0.1 - 10.96.0.16, 10.96.0.17 - 10.96.0.254",
        "10.96.0.0/28, ,                       10.96.0.1 - 10.96.0.14",
        "10.96.0.0/31, ,                       ",
        "fd00::/120,   fd00::1 - fd00::10,     fd00::11 - fd00::ff",
        "fd00::/128,   ,                       ",
    })
    void bandReturnsTheNamedBand(String cidr, String staticBand, String dynamicBand) {
        ServiceCidr c = ServiceCidr.parse(cidr);
        assertThat(c.band(Band.STATIC).map(IpRange::toString)).isEqualTo(Optional.ofNullable(staticBand));
        assertThat(c.band(Band.DYNAMIC).map(IpRange::toString)).isEqualTo(Optional.ofNullable(dynamicBand));
        assertThat(c.band(Band.STATIC)).isEqualTo(c.staticBand());
        assertThat(c.band(Band.DYNAMIC)).isEqualTo(c.dynamicBand());
        assertThatThrownBy(() -> c.band(null)).isInstanceOf(NullPointerException.class);
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static void assertRange(IpRange range, BigInteger first, BigInteger last, String where) {
        boolean v4 = range.first().family() == IpFamily.IPV4;
        assertThat(range.first()).as(where + " first").isEqualTo(addressOf(first, v4));
        assertThat(range.last()).as(where + " last").isEqualTo(addressOf(last, v4));
        assertThat(range.size()).as(where + " size").isEqualTo(last.subtract(first).add(BigInteger.ONE));
    }

    /** Builds the address from its value through java.net, not through the class under test. */
    static IpAddress addressOf(BigInteger value, boolean v4) {
        int length = v4 ? 4 : 16;
        byte[] raw = value.toByteArray(); // may carry a sign byte or be short
        byte[] bytes = new byte[length];
        int n = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - n, bytes, length - n, n);
        try {
            InetAddress inet = v4 ? InetAddress.getByAddress(bytes) : Inet6Address.getByAddress(null, bytes, -1);
            return IpAddress.of(inet);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
