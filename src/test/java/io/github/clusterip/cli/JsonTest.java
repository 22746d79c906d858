package io.github.clusterip.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.clusterip.cli.Json.JArray;
import io.github.clusterip.cli.Json.JBoolean;
import io.github.clusterip.cli.Json.JNull;
import io.github.clusterip.cli.Json.JNumber;
import io.github.clusterip.cli.Json.JObject;
import io.github.clusterip.cli.Json.JString;
import io.github.clusterip.cli.Json.Value;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The strict JSON reader: what it builds, and a table of bogus and hostile inputs it refuses. */
class JsonTest {

    private static Value parse(String text) {
        return Json.parse(text.getBytes(StandardCharsets.UTF_8), "test JSON");
    }

    @Test
    void buildsEveryKindOfValueWithItsOffset() {
        Value v = parse(" {\"a\": [1, -0.5e+3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\u4e2d\"], \"b\": {}}\n");
        JObject object = (JObject) v;
        assertThat(object.at()).isEqualTo(1);
        assertThat(object.members().keySet()).containsExactly("a", "b");
        JArray array = (JArray) object.members().get("a");
        assertThat(array.at()).isEqualTo(7);
        assertThat(array.elements()).hasSize(6);
        assertThat(array.elements().get(0)).isEqualTo(new JNumber(8, "1"));
        assertThat(array.elements().get(1)).isEqualTo(new JNumber(11, "-0.5e+3"));
        assertThat(array.elements().get(2)).isEqualTo(new JBoolean(20, true));
        assertThat(array.elements().get(3)).isEqualTo(new JBoolean(26, false));
        assertThat(array.elements().get(4)).isEqualTo(new JNull(33));
        assertThat(((JString) array.elements().get(5)).text()).isEqualTo("x\u00e9\ud83d\ude00\n\u4e2d");
        assertThat(((JObject) object.members().get("b")).members()).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``| line 1, column 1 (byte 0): the input is empty or only whitespace, where a JSON value was expected",
        "`  `| line 1, column 3 (byte 2): the input is empty or only whitespace, where a JSON value was expected",
        "[1] x| line 1, column 5 (byte 4): expected the end of the input after the JSON value, found 'x'",
        "[1,]| line 1, column 4 (byte 3): expected a value, found ']'",
        "[1 2]| line 1, column 4 (byte 3): expected ',' or ']' after an element of an array, found '2'",
        "{\"a\" 1}| line 1, column 6 (byte 5): expected ':' after the member name, found '1'",
        "{a:1}| line 1, column 2 (byte 1): expected a member name in double quotes, found 'a'",
        "{\"a\":1,}| line 1, column 8 (byte 7): expected a member name in double quotes, found '}'",
        "{\"a\":1 \"b\":2}| line 1, column 8 (byte 7): expected ',' or '}' after a member of an object, found '\"'",
        "{\"a\":1,\"a\":2}| line 1, column 8 (byte 7): the member \"a\" is given twice in one object (first at line 1, column 6 (byte 5))",
        "01| line 1, column 1 (byte 0): a number must not start with 0 followed by more digits",
        "-| line 1, column 1 (byte 0): a number needs a digit after its minus sign",
        "1.| line 1, column 3 (byte 2): a number needs a digit after its decimal point, found the end of the input",
        "1e| line 1, column 3 (byte 2): a number needs a digit in its exponent, found the end of the input",
        "+1| line 1, column 1 (byte 0): expected a value, found '+'",
        ".5| line 1, column 1 (byte 0): expected a value, found '.'",
        "NaN| line 1, column 1 (byte 0): expected a value, found 'N'",
        "tru| line 1, column 1 (byte 0): expected a value, found 't'",
        "nul| line 1, column 1 (byte 0): expected a value, found 'n'",
        "\"abc| line 1, column 1 (byte 0): the string that starts here is not closed",
        "\"\\x\"| line 1, column 2 (byte 1): unknown escape sequence \\'x'",
        "\"\\u12\"| line 1, column 2 (byte 1): a \\u escape needs four hexadecimal digits",
        "\"\\ud800\"| line 1, column 2 (byte 1): \\u escape of a high surrogate not followed by a \\u escape of a low one",
        "\"\\udc00\"| line 1, column 2 (byte 1): \\u escape of a low surrogate without a high one before it",
        "'a'| line 1, column 1 (byte 0): expected a value, found '''",
    })
    void refusesBogusInputNamingWhereAndWhat(String input, String error) {
        assertThatThrownBy(() -> parse(input)).isInstanceOf(Failure.class)
                .hasMessage("invalid test JSON at " + error.strip());
    }

    @Test
    void countsLinesAndColumnsFromLineFeeds() {
        assertThatThrownBy(() -> parse("[\n\n  }")).isInstanceOf(Failure.class)
                .hasMessage("invalid test JSON at line 3, column 3 (byte 5): expected a value, found '}'");
    }

    @Test
    void refusesBytesThatAreNotUtf8OrControlCharacters() {
        for (byte[] bad : List.of(new byte[] {'"', (byte) 0xff, '"'}, new byte[] {'"', (byte) 0xc0, (byte) 0x80, '"'},
                new byte[] {'"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"'}, new byte[] {'"', (byte) 0xe4, '"'})) {
            assertThatThrownBy(() -> Json.parse(bad, "test JSON")).isInstanceOf(Failure.class)
                    .hasMessageStartingWith("invalid test JSON at line 1, column 2 (byte 1): invalid UTF-8");
        }
        assertThatThrownBy(() -> Json.parse(new byte[] {'"', 1, '"'}, "test JSON")).isInstanceOf(Failure.class)
                .hasMessage("invalid test JSON at line 1, column 2 (byte 1): a control character (0x01) in a string"
                        + " must be escaped");
    }

    @Test
    void boundsTheNestingWithoutOverflowingTheStack() {
        String deep = "[".repeat(1_000_000);
        assertThatThrownBy(() -> parse(deep)).isInstanceOf(Failure.class)
                .hasMessage("invalid test JSON at line 1, column 129 (byte 128): objects and arrays are nested more"
                        + " than 128 deep");
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertThat(parse(ok)).isInstanceOf(JArray.class);
        String objects = "{\"a\":".repeat(200) + "1" + "}".repeat(200);
        assertThatThrownBy(() -> parse(objects)).isInstanceOf(Failure.class)
                .hasMessageContaining("nested more than 128 deep");
    }

    @Test
    void boundsTheNumberOfValues() {
        StringBuilder many = new StringBuilder(2 * Json.MAX_VALUES + 2).append('[');
        for (int i = 0; i < Json.MAX_VALUES; i++) {
            many.append("0,");
        }
        many.append("0]");
        long start = System.nanoTime();
        assertThatThrownBy(() -> parse(many.toString())).isInstanceOf(Failure.class)
                .hasMessageEndingWith("more than " + Json.MAX_VALUES + " JSON values");
        assertThat(System.nanoTime() - start).isLessThan(30_000_000_000L);
        // The array and its elements: exactly the limit.
        String limit = "[" + "0,".repeat(Json.MAX_VALUES - 2) + "0]";
        assertThat(((JArray) parse(limit)).elements()).hasSize(Json.MAX_VALUES - 1);
    }
}
