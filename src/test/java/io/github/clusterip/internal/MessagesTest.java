package io.github.clusterip.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MessagesTest {

    // ---- what is kept and what is escaped ------------------------------------------------------

    @Test
    void plainTextIsOnlyQuoted() {
        assertThat(Messages.quote("10.96.0.1")).isEqualTo("\"10.96.0.1\"");
        assertThat(Messages.quote("")).isEqualTo("\"\"");
        assertThat(Messages.quote("fd00::/64 (a) [b] %eth0 'x' $y")).isEqualTo("\"fd00::/64 (a) [b] %eth0 'x' $y\"");
        // letters of other scripts, a non-breaking space and a pair of surrogates for U+1F600 are
        // printable and shown as they are
        assertThat(Messages.quote("\u0661\u0660 caf\u00e9\u00a0\ud83d\ude00")).isEqualTo("\"\u0661\u0660 caf\u00e9\u00a0\ud83d\ude00\"");
        assertThat(Messages.quote(new StringBuilder("a.b"))).isEqualTo("\"a.b\"");
    }

    @Test
    void quoteAndBackslashAreEscapedSoTheQuoteCannotBeClosedEarly() {
        assertThat(Messages.quote("a\"b")).isEqualTo("\"a\\\"b\"");
        assertThat(Messages.quote("a\\b")).isEqualTo("\"a\\\\b\"");
        // a backslash before a quote: both escaped, the quote still cannot end the text
        assertThat(Messages.quote("\\\"")).isEqualTo("\"\\\\\\\"\"");
        assertThat(Messages.quote("x\": forged")).isEqualTo("\"x\\\": forged\"");
    }

    @Test
    void lineBreaksAndTabsGetShortEscapes() {
        assertThat(Messages.quote("10.0.0.1\nINFO forged")).isEqualTo("\"10.0.0.1\\nINFO forged\"");
        assertThat(Messages.quote("a\r\nb")).isEqualTo("\"a\\r\\nb\"");
        assertThat(Messages.quote("a\tb")).isEqualTo("\"a\\tb\"");
    }

    @Test
    void nulIsAHexadecimalEscapeSoThatADigitAfterItCannotMakeAnOctalOne() {
        assertThat(Messages.quote("\u0000")).isEqualTo("\"\\u0000\"");
        // "\01" would read as U+0001; "\u00001" cannot
        assertThat(Messages.quote("\u00001")).isEqualTo("\"\\u00001\"");
        assertThat(Messages.quote("\u0001")).isEqualTo("\"\\u0001\"");
    }

    // Each is a character that breaks a line, moves the cursor, reorders or hides text.
    @ParameterizedTest(name = "U+{0}")
    @CsvSource({
        "0007", // BEL
        "0008", // backspace
        "000b", // vertical tab
        "000c", // form feed
        "001b", // ESC, starts terminal control sequences
        "007f", // DEL
        "0085", // NEL, a line break to some readers
        "009b", // CSI, the one-character form of ESC [
        "00ad", // soft hyphen, invisible
        "061c", // Arabic letter mark
        "200b", // zero width space
        "200e", // left-to-right mark
        "200f", // right-to-left mark
        "202a", // left-to-right embedding
        "202b", // right-to-left embedding
        "202c", // pop directional formatting
        "202d", // left-to-right override
        "202e", // right-to-left override
        "2028", // line separator
        "2029", // paragraph separator
        "2066", // left-to-right isolate
        "2067", // right-to-left isolate
        "2068", // first strong isolate
        "2069", // pop directional isolate
        "feff", // byte order mark, zero width no-break space
        "e000", // private use
        "fff9", // interlinear annotation anchor
    })
    void unsafeCharactersGetUnicodeEscapes(String hex) {
        char c = (char) Integer.parseInt(hex, 16);
        assertThat(Messages.quote("a" + c + "b")).isEqualTo("\"a\\u" + hex + "b\"");
    }

    @Test
    void rightToLeftOverrideCannotReorderTheMessage() {
        // "10.0.0.1" followed by an override and reversed text that would display as "gol"
        String quoted = Messages.quote("10.0.0.1\u202elog");
        assertThat(quoted).isEqualTo("\"10.0.0.1\\u202elog\"").doesNotContain("\u202e");
    }

    @Test
    void unpairedSurrogatesAreEscapedAndPairsAreKept() {
        assertThat(Messages.quote("a\ud83db")).isEqualTo("\"a\\ud83db\""); // lone high
        assertThat(Messages.quote("a\ude00b")).isEqualTo("\"a\\ude00b\""); // lone low
        assertThat(Messages.quote("\ude00\ud83d")).isEqualTo("\"\\ude00\\ud83d\""); // reversed pair
        assertThat(Messages.quote("\ud83d")).isEqualTo("\"\\ud83d\""); // high at the very end
        assertThat(Messages.quote("\ud83d\ude00")).isEqualTo("\"\ud83d\ude00\""); // U+1F600, kept
    }

    @Test
    void unsafeSupplementaryCharactersAreEscapedAsTheirTwoHalves() {
        // U+E0001 LANGUAGE TAG is a format character, U+F0000 is private use
        assertThat(Messages.quote("a\udb40\udc01b")).isEqualTo("\"a\\udb40\\udc01b\"");
        assertThat(Messages.quote("\udb80\udc00")).isEqualTo("\"\\udb80\\udc00\"");
    }

    // ---- shortening ----------------------------------------------------------------------------

    @Test
    void aTextOfExactlyTheLimitIsShownWhole() {
        String text = "x".repeat(Messages.MAX_QUOTED);
        assertThat(Messages.quote(text)).isEqualTo("\"" + text + "\"");
    }

    @Test
    void aTextOneOverTheLimitIsCutWithItsLengthGiven() {
        String text = "y".repeat(Messages.MAX_QUOTED) + "Z";
        assertThat(Messages.quote(text))
                .isEqualTo("\"" + "y".repeat(Messages.MAX_QUOTED) + "...\" (" + (Messages.MAX_QUOTED + 1) + " characters)");
    }

    @Test
    void theIssuesInputIsCutToAHundredCharacters() {
        String text = "1.1.1." + "1".repeat(1_000_000);
        String quoted = Messages.quote(text);
        assertThat(quoted).isEqualTo("\"1.1.1." + "1".repeat(94) + "...\" (1000006 characters)");
    }

    @Test
    void aCutNeverSplitsASurrogatePair() {
        String smiley = "\ud83d\ude00";
        // the pair straddles the limit: its high half would be character 100, so it is left out
        String straddling = "x".repeat(Messages.MAX_QUOTED - 1) + smiley + "tail";
        assertThat(Messages.quote(straddling))
                .isEqualTo("\"" + "x".repeat(Messages.MAX_QUOTED - 1) + "...\" (" + straddling.length() + " characters)");
        // the pair ends exactly at the limit: it is shown whole
        String ending = "x".repeat(Messages.MAX_QUOTED - 2) + smiley + "tail";
        assertThat(Messages.quote(ending))
                .isEqualTo("\"" + "x".repeat(Messages.MAX_QUOTED - 2) + smiley + "...\" (" + ending.length() + " characters)");
        // a lone high surrogate at the limit, followed by no low one: cut there and escaped
        String lone = "x".repeat(Messages.MAX_QUOTED - 1) + "\ud83d" + "x";
        assertThat(Messages.quote(lone))
                .isEqualTo("\"" + "x".repeat(Messages.MAX_QUOTED - 1) + "\\ud83d...\" (" + lone.length() + " characters)");
    }

    @Test
    void theCutCountsInputCharactersNotEscapes() {
        String text = "\n".repeat(Messages.MAX_QUOTED + 5);
        assertThat(Messages.quote(text))
                .isEqualTo("\"" + "\\n".repeat(Messages.MAX_QUOTED) + "...\" (" + text.length() + " characters)");
    }

    @Test
    void aSmallerLimitForPartsOfAnInput() {
        assertThat(Messages.quote("123456", 6)).isEqualTo("\"123456\"");
        assertThat(Messages.quote("1234567", 6)).isEqualTo("\"123456...\" (7 characters)");
        assertThat(Messages.quote("a\nb", 2)).isEqualTo("\"a\\n...\" (3 characters)");
        // a pair that does not fit in a limit of one is left out entirely
        assertThat(Messages.quote("\ud83d\ude00", 1)).isEqualTo("\"...\" (2 characters)");
        assertThat(Messages.quote("x".repeat(500), 1000)).isEqualTo("\"" + "x".repeat(500) + "\"");
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> Messages.quote(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Messages.quote(null, 5)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Messages.quote("x", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    }

    // ---- properties over random text -----------------------------------------------------------

    @Test
    void randomTextQuotesToOneSafeLineThatDecodesBackToItsShownPart() {
        SplittableRandom random = new SplittableRandom(0x4E55L);
        for (int round = 0; round < 20_000; round++) {
            String text = randomText(random, random.nextInt(0, 130));
            int limit = random.nextInt(4) == 0 ? random.nextInt(1, 30) : Messages.MAX_QUOTED;
            String quoted = Messages.quote(text, limit);

            quoted.codePoints().forEach(c -> assertThat(isUnsafe(c)).as("U+%04X in %s", c, quoted).isFalse());
            assertThat(quoted.length()).isLessThanOrEqualTo(6 * limit + 40);

            Decoded decoded = decode(quoted);
            assertThat(text).as(quoted).startsWith(decoded.shown());
            if (decoded.fullLength() < 0) {
                assertThat(decoded.shown()).isEqualTo(text);
                assertThat(text.length()).isLessThanOrEqualTo(limit);
            } else {
                assertThat(decoded.fullLength()).isEqualTo(text.length());
                assertThat(text.length()).isGreaterThan(limit);
                // at most the limit, one fewer only to keep a pair whole
                int shown = decoded.shown().length();
                assertThat(shown == limit || shown == limit - 1 && Character.isSurrogatePair(
                        text.charAt(limit - 1), text.charAt(limit))).as(quoted).isTrue();
            }
        }
    }

    /** Mostly characters a test of escaping cares about, some from anywhere in the BMP and beyond. */
    private static String randomText(SplittableRandom random, int length) {
        String interesting = "\\\"\n\r\t\u0000\u0001\u001b\u007f\u0085\u00a0\u00ad\u200e\u202e\u2028\u2029\u2066"
                + "\ufeff\ud83d\ude00\ud800\udc00a1.:/%";
        StringBuilder sb = new StringBuilder(length);
        while (sb.length() < length) {
            switch (random.nextInt(3)) {
                case 0 -> sb.append(interesting.charAt(random.nextInt(interesting.length())));
                case 1 -> sb.append((char) random.nextInt(0x10000));
                default -> sb.appendCodePoint(random.nextInt(0x10000, 0x110000));
            }
        }
        return sb.toString();
    }

    private static boolean isUnsafe(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE
                || type == Character.PRIVATE_USE || type == Character.UNASSIGNED;
    }

    private record Decoded(String shown, long fullLength) {
    }

    /** Reads a quote back, independently of Messages: the shown text and the length, or -1. */
    private static Decoded decode(String quoted) {
        assertThat(quoted).startsWith("\"");
        StringBuilder shown = new StringBuilder();
        int i = 1;
        while (true) {
            char c = quoted.charAt(i);
            if (c == '"') {
                break;
            }
            if (c != '\\') {
                shown.append(c);
                i++;
                continue;
            }
            char e = quoted.charAt(i + 1);
            switch (e) {
                case '\\', '"' -> shown.append(e);
                case 'n' -> shown.append('\n');
                case 'r' -> shown.append('\r');
                case 't' -> shown.append('\t');
                case 'u' -> {
                    shown.append((char) Integer.parseInt(quoted.substring(i + 2, i + 6), 16));
                    i += 4;
                }
                default -> throw new AssertionError("unknown escape \\" + e + " in " + quoted);
            }
            i += 2;
        }
        String rest = quoted.substring(i + 1);
        if (rest.isEmpty()) {
            return new Decoded(shown.toString(), -1);
        }
        // a cut text: "...", then the closing quote, then " (N characters)"
        assertThat(shown.toString()).as(quoted).endsWith("...");
        assertThat(rest).as(quoted).matches(" \\(\\d+ characters\\)");
        long length = Long.parseLong(rest.substring(2, rest.indexOf(' ', 2)));
        return new Decoded(shown.substring(0, shown.length() - 3), length);
    }
}
