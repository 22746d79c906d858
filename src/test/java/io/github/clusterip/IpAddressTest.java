package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressTest {

    private static final long SEED = 0x5EED_1DL;

    // ---- parsing ------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "0.0.0.0,          0,   0,   0,   0",
        "255.255.255.255,  255, 255, 255, 255",
        "10.96.0.1,        10,  96,  0,   1",
        "192.168.100.254,  192, 168, 100, 254",
        "1.2.3.4,          1,   2,   3,   4",
        "127.0.0.1,        127, 0,   0,   1",
    })
    void parsesDottedDecimalIpv4(String text, int a, int b, int c, int d) {
        IpAddress ip = IpAddress.parse(text);
        assertThat(ip.family()).isEqualTo(IpFamily.IPV4);
        assertThat(ip.toBytes()).containsExactly((byte) a, (byte) b, (byte) c, (byte) d);
        assertThat(ip.toString()).isEqualTo(text);
    }

    // Expected canonical forms worked out by hand from RFC 5952 section 4.
    @ParameterizedTest
    @CsvSource({
        "'::',                                      '::'",
        "'::1',                                     '::1'",
        "'1::',                                     '1::'",
        "'0:0:0:0:0:0:0:0',                         '::'",
        "'0:0:0:0:0:0:0:1',                         '::1'",
        "'1:0:0:0:0:0:0:0',                         '1::'",
        "'2001:DB8::1',                             '2001:db8::1'",
        "'2001:0db8::0001',                         '2001:db8::1'",
        "'2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'",
        "'FD00:10:96::',                            'fd00:10:96::'",
        "'2001:db8:0:1:1:1:1:1',                    '2001:db8:0:1:1:1:1:1'",
        "'1:2:3:4:5:6:7::',                         '1:2:3:4:5:6:7:0'",
        "'::2:3:4:5:6:7:8',                         '0:2:3:4:5:6:7:8'",
        "'2001:db8:0:0:1:0:0:1',                    '2001:db8::1:0:0:1'",
        "'2001:0:0:1:0:0:0:1',                      '2001:0:0:1::1'",
        "'a:0:0:b:0:0:0:0',                         'a:0:0:b::'",
        "'0:0:a:0:0:0:b:0',                         '0:0:a::b:0'",
        "'0:1:0:1:0:1:0:1',                         '0:1:0:1:0:1:0:1'",
        "'1:2:3:4:5:6:7:8',                         '1:2:3:4:5:6:7:8'",
        "'fe80::1:2',                               'fe80::1:2'",
        "'FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'",
        "'1:2:3:4:5:6:1.2.3.4',                     '1:2:3:4:5:6:102:304'",
        "'::10.0.0.1',                              '::a00:1'",
        "'::ffff:10.0.0.1',                         '::ffff:10.0.0.1'",
        "'::FFFF:192.168.1.1',                      '::ffff:192.168.1.1'",
        "'::ffff:a00:1',                            '::ffff:10.0.0.1'",
    })
    void parsesIpv6AndPrintsRfc5952(String text, String canonical) throws UnknownHostException {
        IpAddress ip = IpAddress.parse(text);
        assertThat(ip.family()).isEqualTo(IpFamily.IPV6);
        assertThat(ip.toString()).isEqualTo(canonical);
        assertThat(IpAddress.parse(canonical)).isEqualTo(ip);
        assertThat(ip.toBytes()).containsExactly(javaBytes16(text));
    }

    @Test
    void embeddedIpv4IsTheLastFourBytes() {
        IpAddress mapped = IpAddress.parse("::ffff:10.0.0.1");
        byte[] expected = new byte[16];
        expected[10] = (byte) 0xff;
        expected[11] = (byte) 0xff;
        expected[12] = 10;
        expected[15] = 1;
        assertThat(mapped.toBytes()).containsExactly(expected);
        assertThat(mapped).isEqualTo(IpAddress.parse("::ffff:a00:1"));
        // Java turns a mapped address into an Inet4Address; IpAddress keeps the IPv6 family.
        assertThat(mapped.toInetAddress()).isInstanceOf(Inet6Address.class);
        assertThat(mapped.toInetAddress().getAddress()).containsExactly(expected);
    }

    // ---- IPv4-mapped addresses in the mixed form ----------------------------------------------

    // RFC 5952 section 5 recommends the mixed form for IPv4-mapped addresses. Go does the same, and
    // only for those: in Go's src/net/netip/netip.go, Addr.String() writes "::ffff:" and the dotted
    // quad when Is4In6() (the upper 64 bits zero and the next 32 bits 0xffff), and every other IPv6
    // address, IPv4-compatible, NAT64, SIIT and ISATAP ones included, in hexadecimal (string6).
    @ParameterizedTest
    @CsvSource({
        // IPv4-mapped, ::ffff:0:0/96: mixed, from its first address to its last
        "'::ffff:1.2.3.4',                   '::ffff:1.2.3.4'",
        "'::ffff:102:304',                   '::ffff:1.2.3.4'",
        "'0:0:0:0:0:ffff:10.96.0.1',         '::ffff:10.96.0.1'",
        "'::ffff:0:0',                       '::ffff:0.0.0.0'",
        "'::ffff:0.0.0.1',                   '::ffff:0.0.0.1'",
        "'::ffff:ffff:ffff',                 '::ffff:255.255.255.255'",
        "'::FFFF:7F00:1',                    '::ffff:127.0.0.1'",
        // just outside ::ffff:0:0/96 on either side: hexadecimal
        "'::fffe:ffff:ffff',                 '::fffe:ffff:ffff'",
        "'::1:0:0:0',                        '::1:0:0:0'",
        "'::1:ffff:1.2.3.4',                 '::1:ffff:102:304'",
        "'1::ffff:1.2.3.4',                  '1::ffff:102:304'",
        // other embeddings of IPv4 are not the mapped form: hexadecimal, as in Go
        "'::1.2.3.4',                        '::102:304'",         // IPv4-compatible (deprecated)
        "'::0.0.0.1',                        '::1'",
        "'64:ff9b::1.2.3.4',                 '64:ff9b::102:304'",  // NAT64, RFC 6052
        "'::ffff:0:1.2.3.4',                 '::ffff:0:102:304'",  // SIIT IPv4-translated, RFC 2765
        "'fe80::5efe:1.2.3.4',               'fe80::5efe:102:304'", // ISATAP, RFC 5214
        "'2002:102:304::',                   '2002:102:304::'",    // 6to4, RFC 3056
    })
    void onlyIpv4MappedAddressesPrintInTheMixedForm(String text, String canonical) {
        IpAddress ip = IpAddress.parse(text);
        assertThat(ip.family()).isEqualTo(IpFamily.IPV6);
        assertThat(ip.toString()).isEqualTo(canonical);
        assertThat(IpAddress.parse(canonical)).isEqualTo(ip);
        assertThat(javaBytes16(canonical)).containsExactly(ip.toBytes());
    }

    @Test
    void everyMappedAddressPrintsItsIpv4AddressAsJavaWritesIt() {
        qt().withFixedSeed(SEED).withExamples(2000).forAll(integers().all()).checkAssert(v -> {
            byte[] v4 = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) (int) v};
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(v4, 0, mapped, 12, 4);
            IpAddress ip = IpAddress.of(inet6Of(mapped));
            String text = ip.toString();
            assertThat(text).isEqualTo("::ffff:" + inetOf(v4).getHostAddress());
            assertThat(IpAddress.parse(text)).isEqualTo(ip);
            assertThat(IpAddress.parse(text).family()).isEqualTo(IpFamily.IPV6);
        });
    }

    // ---- round trip against java.net.InetAddress ----------------------------------------------

    @Test
    void ipv4RoundTripAgainstInetAddress() {
        qt().withFixedSeed(SEED).withExamples(2000).forAll(integers().all()).checkAssert(v -> {
            byte[] bytes = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) (int) v};
            InetAddress inet = inetOf(bytes);
            assertThat(inet).isInstanceOf(Inet4Address.class);
            IpAddress ip = IpAddress.of(inet);
            assertThat(ip.family()).isEqualTo(IpFamily.IPV4);
            assertThat(ip.toBytes()).containsExactly(bytes);
            assertThat(ip.toInetAddress()).isEqualTo(inet);
            assertThat(ip.toBigInteger()).isEqualTo(BigInteger.valueOf(Integer.toUnsignedLong(v)));
            // Java's dotted decimal form is the canonical one
            assertThat(ip.toString()).isEqualTo(inet.getHostAddress());
            assertThat(IpAddress.parse(ip.toString())).isEqualTo(ip);
        });
    }

    @Test
    void ipv6RoundTripAgainstInetAddress() {
        // zeroMask clears some groups so that runs of zero groups (and ties) are common
        qt().withFixedSeed(SEED).withExamples(3000)
                .forAll(longs().all(), longs().all(), integers().between(0, 255))
                .checkAssert((high, low, zeroMask) -> {
                    byte[] bytes = bytes16(high, low, zeroMask);
                    InetAddress inet = inet6Of(bytes);
                    IpAddress ip = IpAddress.of(inet);
                    assertThat(ip.family()).isEqualTo(IpFamily.IPV6);
                    assertThat(ip.toBytes()).containsExactly(bytes);
                    assertThat(ip.toInetAddress()).isInstanceOf(Inet6Address.class);
                    assertThat(ip.toInetAddress().getAddress()).containsExactly(bytes);
                    assertThat(ip.toBigInteger()).isEqualTo(new BigInteger(1, bytes));
                    String text = ip.toString();
                    assertThat(text).isEqualTo(rfc5952(bytes));
                    assertThat(IpAddress.parse(text)).isEqualTo(ip);
                    assertThat(IpAddress.parse(text.toUpperCase())).isEqualTo(ip);
                    assertThat(IpAddress.parse(fullForm(bytes))).isEqualTo(ip);
                    assertThat(javaBytes16(text)).containsExactly(bytes);
                });
    }

    @Test
    void rfc5952OracleItselfMatchesHandWorkedExamples() {
        // guards the oracle used above
        assertThat(rfc5952(new byte[16])).isEqualTo("::");
        byte[] b = new byte[16];
        b[0] = 0x20;
        b[1] = 0x01;
        b[9] = 1;
        b[15] = 1;
        assertThat(rfc5952(b)).isEqualTo("2001::1:0:0:1");
        b[3] = 1;
        assertThat(rfc5952(b)).isEqualTo("2001:1::1:0:0:1"); // tie: the first run
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 192;
        mapped[15] = 1;
        assertThat(rfc5952(mapped)).isEqualTo("::ffff:192.0.0.1");
    }

    // ---- ordering -----------------------------------------------------------------------------

    @Test
    void unsignedNumericOrderWithinAFamily() {
        assertThat(ip("128.0.0.0")).isGreaterThan(ip("127.255.255.255"));
        assertThat(ip("255.255.255.255")).isGreaterThan(ip("128.0.0.0"));
        assertThat(ip("0.0.0.1")).isGreaterThan(ip("0.0.0.0"));
        assertThat(ip("ffff::")).isGreaterThan(ip("7fff::"));
        assertThat(ip("8000::")).isGreaterThan(ip("7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        assertThat(ip("0:0:0:1::")).isGreaterThan(ip("::ffff:ffff:ffff:ffff"));
        assertThat(ip("::8000:0:0:0")).isGreaterThan(ip("::7fff:ffff:ffff:ffff"));
        assertThat(ip("10.0.0.1").compareTo(ip("10.0.0.1"))).isZero();
        assertThat(ip("::1").compareTo(ip("0::1"))).isZero();
    }

    @Test
    void ipv4SortsBeforeIpv6() {
        assertThat(ip("255.255.255.255")).isLessThan(ip("::"));
        // same numeric value, different family
        assertThat(ip("10.0.0.1")).isLessThan(ip("::10.0.0.1"));
        assertThat(ip("::10.0.0.1")).isGreaterThan(ip("10.0.0.1"));

        List<IpAddress> expected = List.of(ip("0.0.0.0"), ip("10.0.0.1"), ip("127.255.255.255"),
                ip("128.0.0.0"), ip("255.255.255.255"), ip("::"), ip("::1"), ip("::ffff:10.0.0.1"),
                ip("7fff::"), ip("8000::"), ip("ffff::"), ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        List<IpAddress> shuffled = new ArrayList<>(expected);
        Collections.shuffle(shuffled, new Random(SEED));
        Collections.sort(shuffled);
        assertThat(shuffled).containsExactlyElementsOf(expected);
    }

    @Test
    void orderMatchesBigIntegerOrder() {
        qt().withFixedSeed(SEED).forAll(longs().all(), longs().all(), longs().all(), longs().all())
                .checkAssert((h1, l1, h2, l2) -> {
                    IpAddress a = IpAddress.of(inet6Of(bytes16(h1, l1, 0)));
                    IpAddress b = IpAddress.of(inet6Of(bytes16(h2, l2, 0)));
                    assertThat(Integer.signum(a.compareTo(b)))
                            .isEqualTo(a.toBigInteger().compareTo(b.toBigInteger()));
                    assertThat(Integer.signum(a.compareTo(b))).isEqualTo(-Integer.signum(b.compareTo(a)));
                    IpAddress c = IpAddress.of(inetOf(new byte[] {(byte) (long) h1, (byte) (long) l1, 0, 1}));
                    IpAddress d = IpAddress.of(inetOf(new byte[] {(byte) (long) h2, (byte) (long) l2, 0, 1}));
                    assertThat(Integer.signum(c.compareTo(d)))
                            .isEqualTo(c.toBigInteger().compareTo(d.toBigInteger()));
                });
    }

    // ---- equals / hashCode --------------------------------------------------------------------

    @Test
    void equalsAndHashCode() {
        IpAddress a = ip("2001:DB8::1");
        IpAddress b = ip("2001:0db8:0:0:0:0:0:0001");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(ip("2001:db8::2"));
        assertThat(ip("10.0.0.1")).isEqualTo(ip("10.0.0.1")).hasSameHashCodeAs(ip("10.0.0.1"));
        assertThat(ip("10.0.0.1")).isNotEqualTo(ip("10.0.0.2"));
        // same low 32 bits but different family
        assertThat(ip("10.0.0.1")).isNotEqualTo(ip("::10.0.0.1"));
        assertThat(ip("0.0.0.0")).isNotEqualTo(ip("::"));
        assertThat(ip("10.0.0.1")).isNotEqualTo("10.0.0.1");
        assertThat(ip("10.0.0.1").equals(null)).isFalse();
        // high and low halves are not interchangeable
        assertThat(ip("1::")).isNotEqualTo(ip("::1"));
        assertThat(ip("0:0:0:1::")).isNotEqualTo(ip("::1"));
    }

    // ---- of(InetAddress) ----------------------------------------------------------------------

    @Test
    void ofRejectsScopedIpv6() throws UnknownHostException {
        byte[] linkLocal = ip("fe80::1").toBytes();
        Inet6Address scoped = Inet6Address.getByAddress(null, linkLocal, 1);
        assertThatThrownBy(() -> IpAddress.of(scoped))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid IP address \"" + scoped.getHostAddress() + "\": zone identifiers are not supported");
        // the same bytes without a scope are fine
        assertThat(IpAddress.of(Inet6Address.getByAddress(null, linkLocal, -1))).isEqualTo(ip("fe80::1"));
    }

    @Test
    void ofKeepsTheFamilyJavaGives() throws UnknownHostException {
        // InetAddress.getByAddress turns an IPv4-mapped address into an Inet4Address (documented)
        InetAddress mapped = InetAddress.getByAddress(ip("::ffff:10.0.0.1").toBytes());
        assertThat(mapped).isInstanceOf(Inet4Address.class);
        assertThat(IpAddress.of(mapped)).isEqualTo(ip("10.0.0.1"));
        assertThat(IpAddress.of(InetAddress.getByAddress(new byte[] {10, 96, 0, 1}))).isEqualTo(ip("10.96.0.1"));
    }

    @Test
    void nullArgumentsAreRejected() {
        assertThatThrownBy(() -> IpAddress.parse(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> IpAddress.of((InetAddress) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> IpAddress.of((byte[]) null)).isInstanceOf(NullPointerException.class);
    }

    // ---- of(byte[]) ---------------------------------------------------------------------------

    @Test
    void ofBytesIsTheInverseOfToBytes() {
        qt().withFixedSeed(SEED).withExamples(2000)
                .forAll(longs().all(), longs().all(), integers().between(0, 255))
                .checkAssert((high, low, zeroMask) -> {
                    byte[] v6 = bytes16(high, low, zeroMask);
                    IpAddress ip6 = IpAddress.of(v6);
                    assertThat(ip6.family()).isEqualTo(IpFamily.IPV6);
                    assertThat(ip6).isEqualTo(IpAddress.of(inet6Of(v6)));
                    assertThat(ip6.toBytes()).containsExactly(v6);
                    assertThat(IpAddress.of(ip6.toBytes())).isEqualTo(ip6);

                    byte[] v4 = {(byte) (high >>> 24), (byte) (high >>> 16), (byte) (high >>> 8), (byte) (long) high};
                    IpAddress ip4 = IpAddress.of(v4);
                    assertThat(ip4.family()).isEqualTo(IpFamily.IPV4);
                    assertThat(ip4).isEqualTo(IpAddress.of(inetOf(v4)));
                    assertThat(ip4.toBytes()).containsExactly(v4);
                });
    }

    @Test
    void ofBytesWorkedExamples() {
        assertThat(IpAddress.of(new byte[] {10, 96, 0, 1})).isEqualTo(ip("10.96.0.1"));
        assertThat(IpAddress.of(new byte[] {(byte) 255, (byte) 255, (byte) 255, (byte) 255})).isEqualTo(ip("255.255.255.255"));
        assertThat(IpAddress.of(new byte[16])).isEqualTo(ip("::"));
        byte[] fd00 = new byte[16];
        fd00[0] = (byte) 0xfd;
        fd00[15] = 1;
        assertThat(IpAddress.of(fd00)).isEqualTo(ip("fd00::1"));
    }

    @Test
    void ofBytesKeepsAMappedAddressIpv6() {
        // unlike InetAddress.getByAddress, which turns these 16 bytes into an Inet4Address
        byte[] mapped = ip("::ffff:10.0.0.1").toBytes();
        IpAddress ip = IpAddress.of(mapped);
        assertThat(ip.family()).isEqualTo(IpFamily.IPV6);
        assertThat(ip).isEqualTo(ip("::ffff:10.0.0.1")).isNotEqualTo(ip("10.0.0.1"));
        assertThat(ip.toString()).isEqualTo("::ffff:10.0.0.1");
    }

    @Test
    void ofBytesDoesNotKeepTheArray() {
        byte[] bytes = {10, 96, 0, 1};
        IpAddress ip = IpAddress.of(bytes);
        bytes[3] = 99;
        assertThat(ip).isEqualTo(ip("10.96.0.1"));
        byte[] bytes16 = ip("fd00::1").toBytes();
        IpAddress ip6 = IpAddress.of(bytes16);
        Arrays.fill(bytes16, (byte) 0x55);
        assertThat(ip6).isEqualTo(ip("fd00::1"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 5, 6, 8, 15, 17, 20, 32, 1_000_000})
    void ofBytesRejectsOtherLengthsNamingTheLength(int length) {
        assertThatThrownBy(() -> IpAddress.of(new byte[length]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid IP address bytes: " + length + (length == 1 ? " byte" : " bytes")
                        + ", expected 4 (IPv4) or 16 (IPv6)");
    }

    // ---- toBigInteger -------------------------------------------------------------------------

    @Test
    void toBigIntegerIsUnsigned() {
        assertThat(ip("0.0.0.0").toBigInteger()).isEqualTo(BigInteger.ZERO);
        assertThat(ip("10.96.0.1").toBigInteger()).isEqualTo(BigInteger.valueOf(10L << 24 | 96L << 16 | 1));
        assertThat(ip("255.255.255.255").toBigInteger()).isEqualTo(BigInteger.valueOf(4_294_967_295L));
        assertThat(ip("128.0.0.0").toBigInteger()).isEqualTo(BigInteger.ONE.shiftLeft(31));
        assertThat(ip("::").toBigInteger()).isEqualTo(BigInteger.ZERO);
        assertThat(ip("::1").toBigInteger()).isEqualTo(BigInteger.ONE);
        assertThat(ip("0:0:0:1::").toBigInteger()).isEqualTo(BigInteger.ONE.shiftLeft(64));
        assertThat(ip("8000::").toBigInteger()).isEqualTo(BigInteger.ONE.shiftLeft(127));
        assertThat(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").toBigInteger())
                .isEqualTo(BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE));
        assertThat(ip("::ffff:ffff:ffff:ffff").toBigInteger())
                .isEqualTo(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1", "::", "fd00::1", "::ffff:10.0.0.1", "ffff::"})
    void toBytesReturnsAFreshCopy(String text) {
        IpAddress ip = ip(text);
        byte[] bytes = ip.toBytes();
        Arrays.fill(bytes, (byte) 0x55);
        assertThat(ip.toBytes()).isNotEqualTo(bytes);
        assertThat(ip.toString()).isEqualTo(ip(text).toString());
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static InetAddress inetOf(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** An Inet6Address even for IPv4-mapped bytes, with no scope. */
    private static Inet6Address inet6Of(byte[] bytes) {
        try {
            return Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The 16 bytes Java's own literal parser gives (a literal with ':' is never looked up). */
    private static byte[] javaBytes16(String literal) {
        byte[] b;
        try {
            b = InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
        if (b.length == 4) { // Java collapsed ::ffff:a.b.c.d to IPv4
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(b, 0, mapped, 12, 4);
            return mapped;
        }
        return b;
    }

    private static byte[] bytes16(long high, long low, int zeroMask) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        for (int g = 0; g < 8; g++) {
            if ((zeroMask & (1 << g)) != 0) {
                b[2 * g] = 0;
                b[2 * g + 1] = 0;
            }
        }
        return b;
    }

    private static int[] groups(byte[] b) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (b[2 * i] & 0xff) << 8 | (b[2 * i + 1] & 0xff);
        }
        return g;
    }

    private static String fullForm(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int g : groups(b)) {
            sb.append(sb.length() == 0 ? "" : ":").append(String.format("%04X", g));
        }
        return sb.toString();
    }

    /**
     * Independent RFC 5952 formatter: tries run lengths from longest to shortest and takes the
     * first position holding such a run; runs of length 1 are never compressed. IPv4-mapped
     * addresses take the mixed form of section 5.
     */
    private static String rfc5952(byte[] b) {
        int[] g = groups(b);
        if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff) {
            return "::ffff:" + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
        }
        int start = -1;
        int length = 0;
        search:
        for (int len = 8; len >= 2; len--) {
            for (int s = 0; s + len <= 8; s++) {
                boolean allZero = true;
                for (int k = s; k < s + len; k++) {
                    allZero &= g[k] == 0;
                }
                if (allZero) {
                    start = s;
                    length = len;
                    break search;
                }
            }
        }
        List<String> head = new ArrayList<>();
        List<String> tail = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String hex = Integer.toHexString(g[i]);
            if (start < 0 || i < start) {
                head.add(hex);
            } else if (i >= start + length) {
                tail.add(hex);
            }
        }
        if (start < 0) {
            return String.join(":", head);
        }
        return String.join(":", head) + "::" + String.join(":", tail);
    }
}
