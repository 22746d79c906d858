package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpRangeTest {

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static IpRange range(String first, String last) {
        return IpRange.of(ip(first), ip(last));
    }

    @Test
    void rejectsMixedFamilies() {
        assertThatThrownBy(() -> range("10.0.0.1", "::1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("different families");
        // same numeric value, still two families
        assertThatThrownBy(() -> range("::10.0.0.1", "10.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("different families");
    }

    @Test
    void rejectsReversedBounds() {
        assertThatThrownBy(() -> range("10.0.0.2", "10.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10.0.0.2 - 10.0.0.1")
                .hasMessageContaining("first address is higher than the last");
        // unsigned order: 128.0.0.0 is above 127.255.255.255
        assertThatThrownBy(() -> range("128.0.0.0", "127.255.255.255"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("first address is higher than the last");
        assertThatThrownBy(() -> range("ffff::", "7fff::"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("first address is higher than the last");
    }

    @Test
    void rejectsNulls() {
        assertThatThrownBy(() -> IpRange.of(null, ip("10.0.0.1"))).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> IpRange.of(ip("10.0.0.1"), null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> range("10.0.0.1", "10.0.0.2").contains(null))
                .isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest
    @CsvSource({
        "10.0.0.1,  10.0.0.1,         1",
        "10.0.0.0,  10.0.0.255,       256",
        "10.96.0.1, 10.96.0.16,       16",
        "10.96.1.1, 10.96.15.254,     3838",
        "0.0.0.0,   255.255.255.255,  4294967296",
        "127.255.255.255, 128.0.0.0,  2",
        "fd00::1,   fd00::1,          1",
        "fd00::1,   fd00::ffff,       65535",
        "::ffff:ffff:ffff:ffff, 0:0:0:1::, 2",
        "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 8000::, 2",
    })
    void size(String first, String last, String expected) {
        assertThat(range(first, last).size()).isEqualTo(new BigInteger(expected));
    }

    @Test
    void sizeOfTheWholeIpv6Space() {
        assertThat(range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").size())
                .isEqualTo(BigInteger.ONE.shiftLeft(128));
    }

    @Test
    void containsIsInclusiveAndFamilyAware() {
        IpRange r = range("10.96.0.1", "10.96.0.16");
        assertThat(r.contains(ip("10.96.0.1"))).isTrue();
        assertThat(r.contains(ip("10.96.0.8"))).isTrue();
        assertThat(r.contains(ip("10.96.0.16"))).isTrue();
        assertThat(r.contains(ip("10.96.0.0"))).isFalse();
        assertThat(r.contains(ip("10.96.0.17"))).isFalse();
        assertThat(r.contains(ip("::10.96.0.8"))).isFalse();
        assertThat(r.contains(ip("::ffff:10.96.0.8"))).isFalse();

        IpRange allV4 = range("0.0.0.0", "255.255.255.255");
        assertThat(allV4.contains(ip("::"))).isFalse();
        assertThat(allV4.contains(ip("128.0.0.0"))).isTrue();

        IpRange v6 = range("7fff::", "8000::1");
        assertThat(v6.contains(ip("7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))).isTrue();
        assertThat(v6.contains(ip("8000::"))).isTrue();
        assertThat(v6.contains(ip("8000::2"))).isFalse();
        assertThat(v6.contains(ip("7ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))).isFalse();
        assertThat(v6.contains(ip("255.255.255.255"))).isFalse();
    }

    @Test
    void singleAddressRange() {
        IpRange r = range("fd00::1", "fd00::1");
        assertThat(r.first()).isEqualTo(r.last()).isEqualTo(ip("fd00::1"));
        assertThat(r.contains(ip("fd00::1"))).isTrue();
        assertThat(r.contains(ip("fd00::2"))).isFalse();
    }

    @Test
    void toStringIsFirstDashLastInCanonicalForm() {
        assertThat(range("10.96.0.1", "10.96.0.16")).hasToString("10.96.0.1 - 10.96.0.16");
        assertThat(range("FD00:0::1", "fd00:0000::FFFF")).hasToString("fd00::1 - fd00::ffff");
        assertThat(range("10.0.0.1", "10.0.0.1")).hasToString("10.0.0.1 - 10.0.0.1");
    }

    @Test
    void equalsAndHashCode() {
        IpRange a = range("10.0.0.1", "10.0.0.16");
        IpRange b = range("10.0.0.1", "10.0.0.16");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(range("10.0.0.1", "10.0.0.17"));
        assertThat(a).isNotEqualTo(range("10.0.0.0", "10.0.0.16"));
        assertThat(a).isNotEqualTo(range("::10.0.0.1", "::10.0.0.16"));
        assertThat(a).isNotEqualTo("10.0.0.1 - 10.0.0.16");
        assertThat(a.equals(null)).isFalse();
        assertThat(range("fd00::1", "fd00::ffff")).isEqualTo(range("fd00:0::0001", "FD00::FFFF"));
    }

    @Test
    void bandsAreEqualToHandBuiltRanges() {
        ServiceCidr c = ServiceCidr.parse("10.96.0.0/24");
        assertThat(c.staticBand()).contains(range("10.96.0.1", "10.96.0.16"));
        assertThat(c.dynamicBand()).contains(range("10.96.0.17", "10.96.0.254"));
    }
}
