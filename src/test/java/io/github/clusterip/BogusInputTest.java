package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.clusterip.internal.Messages;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BogusInputTest {

    enum Kind {
        ADDRESS(IpAddress::parse),
        CIDR(ServiceCidr::parse);

        final Function<String, Object> parser;

        Kind(Function<String, Object> parser) {
            this.parser = parser;
        }
    }

    private static Arguments address(String input, String fragment) {
        return Arguments.of(Kind.ADDRESS, input, fragment);
    }

    private static Arguments cidr(String input, String fragment) {
        return Arguments.of(Kind.CIDR, input, fragment);
    }

    // Fragments are the reasons written in IpAddress/ServiceCidr, chosen per input by reading the
    // parser: each one names the specific rule the input breaks.
    static Stream<Arguments> bogus() {
        return Stream.of(
                // empty and whitespace
                address("", "is empty"),
                address(" 10.0.0.1", "contains whitespace"),
                address("10.0.0.1 ", "contains whitespace"),
                address("10.0. 0.1", "contains whitespace"),
                address("10.0.0.1\t", "contains whitespace"),
                address("\t::1", "contains whitespace"),
                address("10.0.0.1\u00a0", "contains whitespace"), // non-breaking space
                address("\u00a010.0.0.1", "contains whitespace"),
                address("fd00::1\n", "contains whitespace"),
                address("fd00:: 1", "contains whitespace"),
                // leading zeros, octal and hex forms
                address("010.0.0.1", "octet \"010\" has a leading zero"),
                address("1.2.3.04", "octet \"04\" has a leading zero"),
                address("10.00.0.1", "octet \"00\" has a leading zero"),
                address("0x0A.0.0.1", "octet \"0x0A\" is not a decimal number"),
                address("10.0.0.0x1", "octet \"0x1\" is not a decimal number"),
                address("0xa000001", "is neither an IPv4 address"),
                address("1e1.0.0.1", "octet \"1e1\" is not a decimal number"),
                // short and long forms
                address("10.1", "has 2 octets, expected 4"),
                address("10.0.1", "has 3 octets, expected 4"),
                address("10", "is neither an IPv4 address"),
                address("167772161", "is neither an IPv4 address"),
                address("1.2.3.4.5", "has more than 4 octets"),
                // out-of-range octets
                address("256.0.0.1", "octet \"256\" is greater than 255"),
                address("10.0.0.300", "octet \"300\" is greater than 255"),
                address("1.2.3.1000", "octet \"1000\" is greater than 255"),
                address("1.2.3.99999999999", "octet \"99999999999\" is greater than 255"),
                // signs and dots
                address("-1.0.0.0", "octet \"-1\" is not a decimal number"),
                address("10.0.0.-1", "octet \"-1\" is not a decimal number"),
                address("+1.0.0.0", "octet \"+1\" is not a decimal number"),
                address("10.0.0.1.", "has an empty octet"),
                address(".10.0.0.1", "has an empty octet"),
                address("10..0.1", "has an empty octet"),
                // zone ids and brackets
                address("fe80::1%eth0", "zone identifiers (\"%...\") are not supported"),
                address("fe80::1%1", "zone identifiers (\"%...\") are not supported"),
                address("10.0.0.1%eth0", "zone identifiers (\"%...\") are not supported"),
                address("[::1]", "brackets are not part of an address"),
                address("[10.0.0.1]", "brackets are not part of an address"),
                // colons and groups
                address(":::", "has an empty group (\":::\" or a misplaced ':')"),
                address("1:::2", "has an empty group"),
                address("1::2::3", "contains \"::\" more than once"),
                address("::1::", "contains \"::\" more than once"),
                address("1:2:3:4:5:6:7:8:9", "has more than 8 groups"),
                address("0:0:0:0:0:0:0:0:0", "has more than 8 groups"),
                address("1:2:3:4:5:6:7:8::", "\"::\" must stand for at least one zero group"),
                address("::1:2:3:4:5:6:7:8", "\"::\" must stand for at least one zero group"),
                address("1:2:3:4:5:6:7", "has 7 groups, expected 8"),
                address("12345::", "group \"12345\" has more than 4 hexadecimal digits"),
                address("::fffff", "group \"fffff\" has more than 4 hexadecimal digits"),
                address("2001:db8::g", "group \"g\" is not a hexadecimal number"),
                address("2001:db8::1x", "group \"1x\" is not a hexadecimal number"),
                address("-::1", "group \"-\" is not a hexadecimal number"),
                address("::-1", "group \"-1\" is not a hexadecimal number"),
                address(":1:2:3:4:5:6:7", "starts with a single ':'"),
                address(":1::", "starts with a single ':'"),
                address("1:2:3:4:5:6:7:", "ends with a single ':'"),
                address("1::2:", "ends with a single ':'"),
                address("1:2:3:4:5:6:7:8:", "ends with a single ':'"),
                // embedded IPv4
                address("::ffff:10.0.0.1:1", "an embedded IPv4 address may only stand at the end"),
                address("1.2.3.4::", "an embedded IPv4 address may only stand at the end"),
                address("10.0.0.1:80", "an embedded IPv4 address may only stand at the end"),
                address("1:2:3:4:5:6:7:1.2.3.4", "has too many groups before the embedded IPv4 address"),
                address("::ffff:10.0.0.256", "octet \"256\" is greater than 255"),
                address("::ffff:10.0.0", "has 3 octets, expected 4"),
                address("::ffff:010.0.0.1", "octet \"010\" has a leading zero"),
                address("::ffff:1.2.3.4.5", "has more than 4 octets"),
                // non-ASCII digits: Character.isDigit/digit accept them, the parser must not
                address("\u0661\u0660.\u0660.\u0660.\u0661", "is not a decimal number"), // Arabic-Indic 10.0.0.1
                address("\uff11\uff10.\uff10.\uff10.\uff11", "is not a decimal number"), // full-width 10.0.0.1
                address("fe80::\u0661", "is not a hexadecimal number"),
                address("fe80::\uff41", "is not a hexadecimal number"), // full-width 'a'
                // names are never resolved
                address("localhost", "is neither an IPv4 address"),
                address("example.com", "octet \"example\" is not a decimal number"),
                // a CIDR is not an address
                address("10.0.0.0/8", "has a prefix length; that is a CIDR, not an address"),
                address("::1/128", "has a prefix length; that is a CIDR, not an address"),

                // CIDRs
                cidr("", "is empty"),
                cidr("10.96.0.0", "has no prefix length (expected address/prefix-length)"),
                cidr("fd00::", "has no prefix length"),
                cidr("10.96.0.0/", "has an empty prefix length"),
                cidr("10.96.0.0/33", "prefix length 33 is out of range 0..32 for IPv4"),
                cidr("10.96.0.0/1000", "prefix length 1000 is out of range 0..32"),
                cidr("fd00::/129", "prefix length 129 is out of range 0..128 for IPv6"),
                cidr("::/4294967424", "is out of range 0..128"),
                cidr("10.96.0.0/-1", "prefix length \"-1\" is not a decimal number"),
                cidr("10.96.0.0/+8", "prefix length \"+8\" is not a decimal number"),
                cidr("10.96.0.0/024", "prefix length \"024\" has a leading zero"),
                cidr("10.96.0.0/00", "prefix length \"00\" has a leading zero"),
                cidr("10.96.0.0/0x18", "prefix length \"0x18\" is not a decimal number"),
                cidr("10.96.0.0/12.0", "prefix length \"12.0\" is not a decimal number"),
                cidr("10.96.0.0/\u0662\u0664", "is not a decimal number"), // Arabic-Indic 24
                cidr("10.96.0.0/\uff12\uff14", "is not a decimal number"), // full-width 24
                cidr("10.96.0.0/ 24", "contains whitespace"),
                cidr("10.96.0.0/24 ", "contains whitespace"),
                cidr(" 10.96.0.0/24", "contains whitespace"),
                cidr("10.96.0.0 /24", "contains whitespace"),
                cidr("10.96.0.0/8/8", "has more than one '/'"),
                cidr("10.96.0.0//8", "has more than one '/'"),
                cidr("10.96.0.0/24/", "has more than one '/'"),
                cidr("10.96.0.5/24", "10.96.0.5/24 has host bits set; did you mean 10.96.0.0/24?"),
                cidr("10.96.1.0/20", "10.96.1.0/20 has host bits set; did you mean 10.96.0.0/20?"),
                cidr("0.0.0.1/0", "0.0.0.1/0 has host bits set; did you mean 0.0.0.0/0?"),
                cidr("fd00::1/64", "fd00::1/64 has host bits set; did you mean fd00::/64?"),
                cidr("2001:db8::1:0/100", "did you mean 2001:db8::/100?"),
                cidr("10.96.0.256/24", "\": the address is invalid: octet \"256\" is greater than 255"),
                cidr("010.96.0.0/12", "the address is invalid: octet \"010\" has a leading zero"),
                cidr("/24", "has no address before the '/'"),
                cidr("fe80::%eth0/64", "zone identifiers"),
                cidr("[fd00::]/64", "brackets are not part of an address"),
                cidr("localhost/8", "is neither an IPv4 address"),
                cidr("1::2::3/64", "contains \"::\" more than once"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bogus")
    void rejectsWithAMessageThatQuotesTheInputOnceAndSaysWhy(Kind kind, String input, String fragment) {
        String message = messageOf(kind, input);
        assertThat(message)
                .startsWith((kind == Kind.ADDRESS ? "invalid IP address " : "invalid CIDR ") + Messages.quote(input) + ": ")
                .contains(fragment);
        // once, unless the reason itself quotes the same text (":::")
        assertThat(occurrences(message, Messages.quote(input))).as(message)
                .isEqualTo(1 + occurrences(fragment, Messages.quote(input)));
        if (kind == Kind.CIDR) {
            // the address part's problem is told without quoting the address part again
            assertThat(message).doesNotContain("invalid IP address");
        }
    }

    // ---- hostile input: long texts and control characters --------------------------------------

    private static final int MILLION = 1_000_000;

    /** The issue's reproducer: a valid-looking start and a fourth octet of a million digits. */
    private static final String LONG_OCTET = "1.1.1." + "1".repeat(MILLION);

    // The first argument names the case: a display name holding a million-character input would
    // be a million characters long.
    static Stream<Arguments> huge() {
        return Stream.of(
                Arguments.of("octet of 10^6 digits", Kind.ADDRESS, LONG_OCTET),
                Arguments.of("embedded IPv4 octet of 10^6 digits", Kind.ADDRESS, "::ffff:1.1.1." + "1".repeat(MILLION)),
                Arguments.of("octet of 10^6 letters", Kind.ADDRESS, "1.1." + "x".repeat(MILLION) + ".1"),
                Arguments.of("group of 10^6 digits", Kind.ADDRESS, "fd00::" + "f".repeat(MILLION)),
                Arguments.of("group of 10^6 non-digits", Kind.ADDRESS, "fd00:" + "g".repeat(MILLION) + "::"),
                Arguments.of("10^6 letters", Kind.ADDRESS, "x".repeat(MILLION)),
                Arguments.of("10^6 groups", Kind.ADDRESS, "1:".repeat(MILLION / 2) + "1"),
                Arguments.of("address with an octet of 10^6 digits", Kind.CIDR, LONG_OCTET + "/24"),
                Arguments.of("address of 10^6 letters", Kind.CIDR, "x".repeat(MILLION) + "/24"),
                Arguments.of("prefix length of 10^6 digits", Kind.CIDR, "10.96.0.0/" + "1".repeat(MILLION)),
                Arguments.of("prefix length of 10^6 letters", Kind.CIDR, "10.96.0.0/" + "x".repeat(MILLION)),
                Arguments.of("prefix length of 10^6 digits, leading zero", Kind.CIDR, "10.96.0.0/0" + "1".repeat(MILLION)),
                Arguments.of("10^6 slashes", Kind.CIDR, "10.96.0.0" + "/".repeat(MILLION)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("huge")
    void aHugeInputMakesAShortMessageThatQuotesItOnce(String name, Kind kind, String input) {
        String message = messageOf(kind, input);
        assertThat(message.length()).as(message).isLessThan(300);
        assertThat(message).contains("(" + input.length() + " characters)");
        assertThat(occurrences(message, Messages.quote(input))).as(message).isOne();
        // no more than the first 100 characters of the input are shown, and only there
        assertThat(message).doesNotContain(input.substring(0, Messages.MAX_QUOTED + 1));
    }

    @Test
    void theIssuesReproducerReadsWell() {
        assertThat(messageOf(Kind.ADDRESS, LONG_OCTET)).isEqualTo("invalid IP address \"1.1.1." + "1".repeat(94)
                + "...\" (1000006 characters): octet \"" + "1".repeat(20) + "...\" (1000000 characters)"
                + " is greater than 255");
    }

    static Stream<Arguments> forging() {
        return Stream.of(
                address("10.0.0.1\nINFO forged log line", "contains whitespace"),
                address("10.0.0.1\r\nINFO forged log line", "contains whitespace"),
                address("10.0.0.1\u2028INFO forged log line", "contains whitespace"),
                address("10.0.0.1\u2029INFO forged log line", "contains whitespace"),
                address("10.0.0.1\u0085INFO", "octet \"1\\u0085INFO\" is not a decimal number"), // NEL
                address("10.0.0.\u00001", "octet \"\\u00001\" is not a decimal number"),
                address("fd00::\u0000", "group \"\\u0000\" is not a hexadecimal number"),
                address("\u202e10.0.0.1", "octet \"\\u202e10\" is not a decimal number"),
                address("10.0.\u202e0.1", "octet \"\\u202e0\" is not a decimal number"),
                address("fd00::\u2066a\u2069", "group \"\\u2066a\\u2069\" is not a hexadecimal number"),
                address("\u001bc10.0.0.1", "octet \"\\u001bc10\" is not a decimal number"), // ESC c: terminal reset
                address("10.0.0.1\u007f", "octet \"1\\u007f\" is not a decimal number"),
                address("10.0.0.\"1", "octet \"\\\"1\" is not a decimal number"),
                address("10.0.0.\\1", "octet \"\\\\1\" is not a decimal number"),
                cidr("10.96.0.0/24\nINFO forged log line", "contains whitespace"),
                cidr("10.96.0.\u00000/24", "octet \"\\u00000\" is not a decimal number"),
                cidr("10.96.0.0/2\u00004", "prefix length \"2\\u00004\" is not a decimal number"),
                cidr("10.96.0.0/\u202e42", "prefix length \"\\u202e42\" is not a decimal number"),
                cidr("10.96.\u202e0.0/24", "octet \"\\u202e0\" is not a decimal number"),
                cidr("fd00::/64\u2028INFO forged log line", "contains whitespace"),
                cidr("fd00::\u001bc/64", "group \"\\u001bc\" is not a hexadecimal number"));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("forging")
    void controlAndBidiCharactersAreEscaped(Kind kind, String input, String fragment) {
        String message = messageOf(kind, input);
        assertThat(message).contains(Messages.quote(input)).contains(fragment);
        assertThat(occurrences(message, Messages.quote(input))).as(message).isOne();
        assertNoUnsafeCharacter(message);
    }

    @Test
    void aLongRunOfControlCharactersStillMakesABoundedMessage() {
        // every shown character becomes a six-character escape; the cut keeps the message bounded
        for (String unsafe : List.of("\u202e", "\u0000", "\n", "\u2028")) {
            for (Kind kind : Kind.values()) {
                String message = messageOf(kind, "10.0.0.1" + unsafe.repeat(MILLION));
                assertThat(message.length()).as(message).isLessThan(Messages.MAX_QUOTED * 6 + 200);
                assertNoUnsafeCharacter(message);
            }
        }
    }

    @Test
    void aRangeAllocationWithAHostileRangeGetsTheSameSafeMessage() {
        // ClusterIpAllocator wraps ServiceCidr's message; the range text comes from stored state
        for (String range : List.of(LONG_OCTET + "/24", "10.96.0.0/24\nINFO forged log line", "\u202e10.96.0.0/24")) {
            assertThatThrownBy(() -> ClusterIpAllocator.fromSnapshot(new RangeAllocation(range, new byte[0])))
                    .isInstanceOf(IllegalArgumentException.class)
                    .satisfies(e -> {
                        String message = e.getMessage();
                        assertThat(message).startsWith("invalid RangeAllocation: invalid CIDR " + Messages.quote(range) + ": ");
                        assertThat(message.length()).as(message).isLessThan(350);
                        assertNoUnsafeCharacter(message);
                    });
        }
    }

    @Test
    void aRangeAllocationDescribesAHostileRangeSafely() {
        assertThat(new RangeAllocation("10.96.0.0/24", new byte[] {1}).toString())
                .isEqualTo("RangeAllocation[range=\"10.96.0.0/24\", data(1 bytes)=01]");
        String forged = new RangeAllocation("10.96.0.0/24]\nINFO forged \u202e", new byte[0]).toString();
        assertThat(forged).isEqualTo("RangeAllocation[range=\"10.96.0.0/24]\\nINFO forged \\u202e\", data(0 bytes)=]");
        String huge = new RangeAllocation(LONG_OCTET + "/24", new byte[0]).toString();
        assertThat(huge.length()).as(huge).isLessThan(200);
        assertThat(huge).contains("(1000009 characters)");
    }

    private static String messageOf(Kind kind, String input) {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> kind.parser.apply(input));
        return e.getMessage();
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            count++;
        }
        return count;
    }

    /** Fails if the text holds a character that could break a line, reorder text or hide. */
    private static void assertNoUnsafeCharacter(String text) {
        text.codePoints().forEach(c -> {
            int type = Character.getType(c);
            assertThat(type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE)
                    .as("U+%04X in %s", c, text)
                    .isFalse();
        });
    }

    @Test
    void tableIsLargeEnough() {
        assertThat(bogus().count()).isGreaterThanOrEqualTo(70);
    }

    @Test
    void namesAreNeverResolved() {
        // A lookup of a name under .invalid or of a random label would take a resolver round trip
        // (or a timeout on an offline machine); a parser that only reads the text is instant.
        List<String> names = List.of("localhost", "example.com", "kubernetes.default.svc",
                "no-such-host.invalid", "ip6-localhost", "broadcasthost");
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            for (int i = 0; i < 200; i++) {
                for (String name : names) {
                    assertThatThrownBy(() -> IpAddress.parse(name)).isInstanceOf(IllegalArgumentException.class);
                    assertThatThrownBy(() -> ServiceCidr.parse(name + "/24"))
                            .isInstanceOf(IllegalArgumentException.class);
                }
            }
        });
    }
}
