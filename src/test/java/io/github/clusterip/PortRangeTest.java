package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.clusterip.internal.Messages;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PortRange} against the Kubernetes sources it reproduces:
 * <ul>
 *   <li>{@code staging/src/k8s.io/apimachinery/pkg/util/net/port_range.go} (kubernetes/kubernetes,
 *       the version with the {@code min+offset} form, commit 6fbbec6a): {@code String()} lines
 *       39-44, {@code Set()} lines 49-124 (TrimSpace line 56, the three notations lines 70-111,
 *       the checks lines 113-119);</li>
 *   <li>its test, {@code port_range_test.go} (commit e0a566e7), the case table lines 33-51;</li>
 *   <li>{@code pkg/registry/core/service/portallocator/allocator.go}, {@code calculateRangeOffset}
 *       lines 259-285 (min 16, max 128, step 32, 0 when the size is at most 16), called from
 *       {@code New} line 78; and its test {@code Test_calculateRangeOffset} in
 *       {@code allocator_test.go};</li>
 *   <li>{@code pkg/registry/core/service/allocator/bitmap.go}, {@code NewAllocationMapWithOffset}:
 *       the first {@code offset} values are the block used last (the static band);</li>
 *   <li>{@code pkg/kubeapiserver/options/options.go} line 26: the default range
 *       {@code PortRange{Base: 30000, Size: 2768}}.</li>
 * </ul>
 */
class PortRangeTest {

    // ---- worked examples (DESIGN.md "NodePorts", issue "NodePort allocation") ------------------

    @Test
    void theDefaultRange() {
        PortRange range = PortRange.parse("30000-32767");
        assertThat(range.base()).isEqualTo(30000);
        assertThat(range.last()).isEqualTo(32767);
        assertThat(range.size()).isEqualTo(2768);
        assertThat(range.bandOffset()).isEqualTo(86); // 2768 / 32 = 86
        assertThat(range.staticBand()).map(PortRange::toString).contains("30000-30085");
        assertThat(range.dynamicBand()).hasToString("30086-32767");
        assertThat(range).hasToString("30000-32767");
        assertThat(range.bandOf(30000)).contains(Band.STATIC);
        assertThat(range.bandOf(30085)).contains(Band.STATIC);
        assertThat(range.bandOf(30086)).contains(Band.DYNAMIC);
        assertThat(range.bandOf(32767)).contains(Band.DYNAMIC);
        assertThat(range.bandOf(29999)).isEmpty();
        assertThat(range.bandOf(32768)).isEmpty();
        // The same range in the base+offset form, and kube-apiserver's default (options.go:26).
        assertThat(PortRange.parse("30000+2767")).isEqualTo(range);
        assertThat(PortRange.DEFAULT).isEqualTo(range).isEqualTo(PortRange.of(30000, 2768));
    }

    @Test
    void sixteenPortsHaveNoStaticBand() {
        PortRange range = PortRange.parse("30000-30015");
        assertThat(range.size()).isEqualTo(16);
        assertThat(range.bandOffset()).isZero(); // allocator.go:273-275, rangeSize <= min
        assertThat(range.staticBand()).isEmpty();
        assertThat(range.band(Band.STATIC)).isEmpty();
        assertThat(range.dynamicBand()).isEqualTo(range);
        assertThat(range.bandOf(30000)).contains(Band.DYNAMIC);
        assertThat(range.bandOf(30015)).contains(Band.DYNAMIC);
    }

    @Test
    void everyPortButZero() {
        PortRange range = PortRange.parse("1-65535");
        assertThat(range.size()).isEqualTo(65535);
        assertThat(range.bandOffset()).isEqualTo(128); // 65535 / 32 = 2047, capped at 128
        assertThat(range.staticBand()).map(PortRange::toString).contains("1-128");
        assertThat(range.dynamicBand()).hasToString("129-65535");
        assertThat(range.contains(0)).isFalse();
        assertThat(range.contains(65535)).isTrue();
        assertThat(range.contains(65536)).isFalse();
    }

    @Test
    void aSinglePort() {
        PortRange range = PortRange.parse("30080");
        assertThat(range.base()).isEqualTo(30080);
        assertThat(range.last()).isEqualTo(30080);
        assertThat(range.size()).isEqualTo(1);
        assertThat(range.bandOffset()).isZero();
        assertThat(range.staticBand()).isEmpty();
        assertThat(range.dynamicBand()).isEqualTo(range);
        // String() always writes Base-(Base+Size-1), a single port too (port_range.go:43).
        assertThat(range).hasToString("30080-30080");
        assertThat(PortRange.parse(range.toString())).isEqualTo(range);
        assertThat(PortRange.parse("30080+0")).isEqualTo(range);
        assertThat(range.contains(30079)).isFalse();
        assertThat(range.contains(30080)).isTrue();
        assertThat(range.contains(30081)).isFalse();
    }

    // ---- Kubernetes' own cases: port_range_test.go lines 33-51 ----------------------------------

    /** input, accepted, canonical text, a port it includes (-1: none), a port it excludes (-1: none). */
    static Stream<Arguments> kubernetesCases() {
        return Stream.of(
                Arguments.of("100-200", true, "100-200", 200, 201),
                Arguments.of(" 100-200 ", true, "100-200", 200, 201),
                Arguments.of("0-0", true, "0-0", 0, 1),
                // line 36, {"", true, "", -1, 0}: the one deliberate difference, see emptyTextIsRejected
                Arguments.of("100", true, "100-100", 100, 101),
                Arguments.of("100 - 200", false, "", -1, -1),
                Arguments.of("-100", false, "", -1, -1),
                Arguments.of("100-", false, "", -1, -1),
                Arguments.of("200-100", false, "", -1, -1),
                Arguments.of("60000-70000", false, "", -1, -1),
                Arguments.of("70000-80000", false, "", -1, -1),
                Arguments.of("70000+80000", false, "", -1, -1),
                Arguments.of("1+0", true, "1-1", 1, 2),
                Arguments.of("0+0", true, "0-0", 0, 1),
                Arguments.of("1+-1", false, "", -1, -1),
                Arguments.of("1-+1", false, "", -1, -1),
                Arguments.of("100+200", true, "100-300", 300, 301),
                Arguments.of("1+65535", false, "", -1, -1),
                Arguments.of("0+65535", true, "0-65535", 65535, 65536));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource("kubernetesCases")
    void kubernetesTestTable(String input, boolean accepted, String canonical, int included, int excluded) {
        if (!accepted) {
            assertThatThrownBy(() -> PortRange.parse(input))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid port range \"" + input + "\": ");
            return;
        }
        PortRange range = PortRange.parse(input);
        assertThat(range).hasToString(canonical);
        if (included >= 0) {
            assertThat(range.contains(included)).as("%s includes %d", range, included).isTrue();
        }
        if (excluded >= 0) {
            assertThat(range.contains(excluded)).as("%s excludes %d", range, excluded).isFalse();
        }
    }

    @Test
    void emptyTextIsRejected() {
        // port_range.go:60-64 accepts "" (and white space only) as the zero PortRange, which
        // kube-apiserver then replaces by its default. A PortRange has at least one port, so
        // parse refuses it and says what kube-apiserver would have used.
        for (String blank : new String[] {"", " ", "\t\n", "\u00a0\u3000"}) {
            assertThatThrownBy(() -> PortRange.parse(blank))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("as its default, 30000-32767");
        }
        assertThatThrownBy(() -> PortRange.parse(""))
                .hasMessage("invalid port range \"\": it is empty; kube-apiserver reads an empty"
                        + " --service-node-port-range as its default, 30000-32767");
    }

    // ---- further forms, each derived from port_range.go Set() lines 49-124 ----------------------

    static Stream<Arguments> acceptedLikeKubernetes() {
        return Stream.of(
                // strings.TrimSpace (line 56) drops Unicode White_Space at both ends, as Go's
                // unicode.IsSpace defines it: tab, LF, VT, FF, CR, space, NEL, NBSP, and the
                // others outside Latin-1.
                Arguments.of("\t30000-32767\n", "30000-32767"),
                Arguments.of("\u000b30000\r\f", "30000-30000"),
                Arguments.of("\u008530000-32767\u00a0", "30000-32767"),
                Arguments.of("\u1680\u2000\u200a30000-32767\u2028\u2029\u202f\u205f\u3000", "30000-32767"),
                // strconv.Atoi (lines 83, 90, 94, 100, 104) reads decimal with leading zeros, any length.
                Arguments.of("030000-032767", "30000-32767"),
                Arguments.of("000000000000000000000000000001-2", "1-2"),
                Arguments.of("00000000000000000000000000080", "80-80"),
                // Atoi takes a sign: the end of first-last may be "-0" (line 94), the offset "+5" (line 104).
                Arguments.of("0--0", "0-0"),
                Arguments.of("0--000", "0-0"),
                Arguments.of("100++5", "100-105"),
                // The bounds (line 113): 0 and 65535 are ports.
                Arguments.of("0", "0-0"),
                Arguments.of("65535", "65535-65535"),
                Arguments.of("0-65535", "0-65535"),
                Arguments.of("65535+0", "65535-65535"),
                Arguments.of("65000+535", "65000-65535"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource
    void acceptedLikeKubernetes(String input, String canonical) {
        PortRange range = PortRange.parse(input);
        assertThat(range).hasToString(canonical);
        assertThat(PortRange.parse(range.toString())).isEqualTo(range);
    }

    static Stream<String> rejectedLikeKubernetes() {
        return Stream.of(
                // no number before the '+' (line 100) or after it (line 104)
                "+100", "100+", "100++", "+", "++", "+-", "-", "--",
                // Atoi refuses anything but [+-]?[0-9]+ (lines 83, 90, 94)
                "1-2-3", "1+2+3", "1--2-", "abc", "0x10", "1_000", "1e3", "1.0", "30000-32767x", "30000,32767",
                "30000:32767", "30000 32767", "30000 -32767", "30000- 32767", "30000 +2767",
                // digits that are not ASCII
                "\u0661\u0662\u0663", "\uff13\uff10\uff10\uff10\uff10",
                // not Unicode White_Space, so not trimmed: zero width space, Mongolian vowel
                // separator (no longer White_Space since Unicode 6.3), information separator
                // (Java's Character.isWhitespace says yes, Go's IsSpace no), NUL
                "\u200b30000", "\u180e30000", "30000\u001c", "30000\u0000",
                // a negative end (line 117), a too large port (line 113)
                "5--1", "5--0", "65536", "65536-65536", "0-65536", "0+65536", "65535+1", "65536+0",
                // beyond int64: Atoi's range error (line 90, 94, 104)
                "99999999999999999999-1", "1-99999999999999999999", "1+99999999999999999999",
                // int overflow in low + offset (line 108) wraps in Go, below low: rejected there too
                "1+9223372036854775807");
    }

    // Some inputs hold control characters: the test name shows only the index, the failure the
    // input, quoted.
    @ParameterizedTest(name = "[{index}]")
    @MethodSource
    void rejectedLikeKubernetes(String input) {
        Throwable thrown = catchThrowable(() -> PortRange.parse(input));
        assertThat(thrown).as("parse(%s)", Messages.quote(input)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid port range " + Messages.quote(input) + ": ");
    }

    // ---- messages: Kubernetes' words where it has them ------------------------------------------

    static Stream<Arguments> messages() {
        return Stream.of(
                // port_range.go:118
                Arguments.of("200-100",
                        "invalid port range \"200-100\": end port cannot be less than start port: 100 is less than 200"),
                Arguments.of("5--3",
                        "invalid port range \"5--3\": end port cannot be less than start port: -3 is less than 5"),
                // port_range.go:114
                Arguments.of("60000-70000", "invalid port range \"60000-70000\": the port range cannot be greater"
                        + " than 65535: the end port is 70000"),
                Arguments.of("70000-80000", "invalid port range \"70000-80000\": the port range cannot be greater"
                        + " than 65535: the start port is 70000"),
                Arguments.of("70000+80000", "invalid port range \"70000+80000\": the port range cannot be greater"
                        + " than 65535: the base port is 70000"),
                Arguments.of("1+70000", "invalid port range \"1+70000\": the port range cannot be greater"
                        + " than 65535: the offset is 70000"),
                Arguments.of("1+65535", "invalid port range \"1+65535\": the port range cannot be greater"
                        + " than 65535: 1+65535 ends at 65536"),
                Arguments.of("065536", "invalid port range \"065536\": the port range cannot be greater"
                        + " than 65535: the port is 65536"),
                // port_range.go:110
                Arguments.of("1-+1", "invalid port range \"1-+1\": unable to parse port range: it has both a '-'"
                        + " and a '+' (expected first-last, base+offset or a single port)"),
                // Atoi's errors (lines 83-107), said in plain words
                Arguments.of("abc", "invalid port range \"abc\": the port \"abc\" is not a decimal number"),
                Arguments.of("-100", "invalid port range \"-100\": the start port is missing"),
                Arguments.of("100-", "invalid port range \"100-\": the end port is missing"),
                Arguments.of("+100", "invalid port range \"+100\": the base port is missing"),
                Arguments.of("100+", "invalid port range \"100+\": the offset is missing"),
                Arguments.of("100++", "invalid port range \"100++\": the offset \"+\" is not a decimal number"),
                Arguments.of("1-2-3", "invalid port range \"1-2-3\": the end port \"2-3\" is not a decimal number"),
                Arguments.of("100 - 200",
                        "invalid port range \"100 - 200\": the start port \"100 \" is not a decimal number"));
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @MethodSource
    void messages(String input, String message) {
        assertThatThrownBy(() -> PortRange.parse(input)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    // ---- band offsets against the formula ------------------------------------------------------

    /** Kubernetes' Test_calculateRangeOffset (portallocator/allocator_test.go): size, offset. */
    @ParameterizedTest
    @CsvSource({"2768, 86", "10, 0", "16, 0", "128, 16", "2048, 64", "4096, 128", "8192, 128"})
    void kubernetesOffsetTable(int size, int offset) {
        assertThat(PortRange.of(30000, size).bandOffset()).isEqualTo(offset);
    }

    /**
     * The offset of every size a range can have, from the step function read as ranges of sizes
     * rather than computed the way the class computes it: 0 up to 16 ports, 16 up to 543 (543 / 32
     * is still 16), size / 32 from 544 to 4127, and 128 from 4128 (4128 / 32 = 129) on.
     */
    @Test
    void everySizeHasTheKubernetesOffset() {
        for (int size = 1; size <= 65536; size++) {
            int expected;
            if (size <= 16) {
                expected = 0;
            } else if (size < 544) {
                expected = 16;
            } else if (size < 4128) {
                expected = size / 32;
            } else {
                expected = 128;
            }
            PortRange low = PortRange.of(0, size);
            PortRange high = PortRange.of(65536 - size, size);
            assertThat(low.bandOffset()).as("size %d", size).isEqualTo(expected);
            assertThat(high.bandOffset()).as("size %d", size).isEqualTo(expected);
            assertThat(expected).as("the offset is always below the size").isLessThan(size);
        }
        assertThat(PortRange.of(0, 17).bandOffset()).isEqualTo(16);
        assertThat(PortRange.of(0, 543).bandOffset()).isEqualTo(16);
        assertThat(PortRange.of(0, 544).bandOffset()).isEqualTo(17);
        assertThat(PortRange.of(0, 4127).bandOffset()).isEqualTo(128);
        assertThat(PortRange.of(0, 4096).bandOffset()).isEqualTo(128);
        assertThat(PortRange.of(0, 4095).bandOffset()).isEqualTo(127);
    }

    /** Random ranges (seeded): bands partition the range, and every text form parses back. */
    @Test
    void randomRangesKeepTheirInvariants() {
        Random random = new Random(20_261_128L);
        for (int i = 0; i < 20_000; i++) {
            int size = random.nextInt(4) == 0 ? 1 + random.nextInt(40) : 1 + random.nextInt(65536);
            int base = random.nextInt(65536 - size + 1);
            PortRange range = PortRange.of(base, size);
            String where = range.toString();
            int offset = size <= 16 ? 0 : Math.min(Math.max(16, size / 32), 128);

            assertThat(range.base()).as(where).isEqualTo(base);
            assertThat(range.size()).as(where).isEqualTo(size);
            assertThat(range.last()).as(where).isEqualTo(base + size - 1);
            assertThat(range.bandOffset()).as(where).isEqualTo(offset);

            Optional<PortRange> staticBand = range.staticBand();
            PortRange dynamicBand = range.dynamicBand();
            if (offset == 0) {
                assertThat(staticBand).as(where).isEmpty();
            } else {
                assertThat(staticBand).as(where).contains(PortRange.of(base, offset));
            }
            assertThat(dynamicBand).as(where).isEqualTo(PortRange.of(base + offset, size - offset));
            assertThat(range.band(Band.STATIC)).as(where).isEqualTo(staticBand);
            assertThat(range.band(Band.DYNAMIC)).as(where).contains(dynamicBand);

            int port = base + random.nextInt(size);
            assertThat(range.contains(port)).as(where).isTrue();
            assertThat(range.bandOf(port)).as("%s port %d", where, port)
                    .contains(port < base + offset ? Band.STATIC : Band.DYNAMIC);
            assertThat(range.contains(base - 1)).as(where).isFalse();
            assertThat(range.contains(base + size)).as(where).isFalse();
            assertThat(range.bandOf(base + size)).as(where).isEmpty();

            assertThat(PortRange.parse(where)).as(where).isEqualTo(range);
            assertThat(PortRange.parse(base + "+" + (size - 1))).as(where).isEqualTo(range);
            assertThat(PortRange.parse(" " + where + "\t").hashCode()).as(where).isEqualTo(range.hashCode());
            if (size == 1) {
                assertThat(PortRange.parse(Integer.toString(base))).as(where).isEqualTo(range);
            }
        }
    }

    // ---- of, equality, edges -------------------------------------------------------------------

    @Test
    void ofChecksItsArguments() {
        assertThat(PortRange.of(0, 65536)).hasToString("0-65535");
        assertThat(PortRange.of(65535, 1)).hasToString("65535-65535");
        assertThatThrownBy(() -> PortRange.of(-1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid port range of base -1 and size 1: the base port is not between 0 and 65535");
        assertThatThrownBy(() -> PortRange.of(65536, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not between 0 and 65535");
        assertThatThrownBy(() -> PortRange.of(30000, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid port range of base 30000 and size 0: a range has at least one port");
        assertThatThrownBy(() -> PortRange.of(30000, -5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one port");
        assertThatThrownBy(() -> PortRange.of(1, 65536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid port range of base 1 and size 65536: the port range cannot be greater"
                        + " than 65535: it would end at 65536");
        // base + size overflows an int: still a plain refusal
        assertThatThrownBy(() -> PortRange.of(30000, Integer.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("it would end at " + (30000L + Integer.MAX_VALUE - 1));
    }

    @Test
    void equalityAndContainment() {
        PortRange a = PortRange.parse("30000-32767");
        PortRange b = PortRange.of(30000, 2768);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotSameAs(b);
        assertThat(a).isNotEqualTo(PortRange.of(30000, 2767)).isNotEqualTo(PortRange.of(30001, 2768));
        assertThat(a.equals("30000-32767")).isFalse();
        assertThat(a.equals(null)).isFalse();
        PortRange all = PortRange.of(0, 65536);
        assertThat(all.contains(Integer.MIN_VALUE)).isFalse();
        assertThat(all.contains(-1)).isFalse();
        assertThat(all.contains(0)).isTrue();
        assertThat(all.contains(Integer.MAX_VALUE)).isFalse();
        assertThat(all.bandOf(-1)).isEmpty();
        assertThat(all.bandOf(Integer.MAX_VALUE)).isEmpty();
    }

    @Test
    void nullsAreRefused() {
        assertThatThrownBy(() -> PortRange.parse(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> PortRange.DEFAULT.band(null)).isInstanceOf(NullPointerException.class);
    }

    // ---- hostile input -------------------------------------------------------------------------

    static Stream<String> hostile() {
        return Stream.of(
                "1".repeat(1_000_000),
                "1".repeat(1_000_000) + "-2",
                "1-" + "9".repeat(1_000_000),
                "1+" + "9".repeat(1_000_000),
                "30000-" + "x".repeat(1_000_000),
                "-".repeat(1_000_000),
                "30000\n-32767",
                "30000-32767\r\nINFO forged log line",
                "\u202e30000-32767",
                "30000\u0000-32767",
                "\u001b[31m30000-32767",
                "3\ud8000000-32767",
                "\u0000".repeat(1_000_000),
                "\u2028".repeat(500_000) + "1x" + "\u2028".repeat(500_000));
    }

    /**
     * At most 100 characters of the input and 20 of a part are shown, each escaped to at most six
     * characters: a message stays under 1000 characters, on one line, whatever the input.
     */
    @ParameterizedTest(name = "[{index}]")
    @MethodSource
    void hostile(String input) {
        Throwable thrown = catchThrowable(() -> PortRange.parse(input));
        assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
        String message = thrown.getMessage();
        assertThat(message.length()).as(message).isLessThan(1000);
        assertThat(message).startsWith("invalid port range \"");
        message.codePoints().forEach(c -> assertThat(Character.getType(c)).as("U+%04X in %s", c, message)
                .isNotIn((int) Character.CONTROL, (int) Character.FORMAT, (int) Character.LINE_SEPARATOR,
                        (int) Character.PARAGRAPH_SEPARATOR, (int) Character.SURROGATE));
    }

    @Test
    void hostileMessagesSayWhatIsWrong() {
        assertThatThrownBy(() -> PortRange.parse("1-" + "9".repeat(1_000_000)))
                .hasMessage("invalid port range \"1-" + "9".repeat(98) + "...\" (1000002 characters): the port range"
                        + " cannot be greater than 65535: the end port is \"" + "9".repeat(20) + "...\" (1000000"
                        + " characters)");
        assertThatThrownBy(() -> PortRange.parse("30000\n-32767"))
                .hasMessage("invalid port range \"30000\\n-32767\": the start port \"30000\\n\" is not a decimal number");
        assertThatThrownBy(() -> PortRange.parse("30000\u0000-32767"))
                .hasMessage("invalid port range \"30000\\u0000-32767\": the start port \"30000\\u0000\" is not a"
                        + " decimal number");
    }

    @Test
    void aMillionLeadingZerosAreStillAPort() {
        // strconv.Atoi hands a string of 19 characters or more to ParseInt, which reads leading
        // zeros without limit: kube-apiserver accepts this, and so does parse.
        assertThat(PortRange.parse("0".repeat(1_000_000) + "30000-32767")).isEqualTo(PortRange.DEFAULT);
    }
}
