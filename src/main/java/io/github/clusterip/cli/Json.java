package io.github.clusterip.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader (RFC 8259) that builds a small tree, for the command line's Services
 * lists; no JSON library is needed.
 *
 * <p>It refuses, with the line, column and byte offset and what is wrong there: anything but
 * whitespace after the top value, a member name given twice in one object, escapes other than
 * JSON's, invalid UTF-8, control characters in strings, numbers outside JSON's grammar, nesting
 * deeper than {@value #MAX_DEPTH}, and more than {@value #MAX_VALUES} values in all. The work is
 * linear in the input's size and the tree is bounded by its size and by the value count, so a
 * hostile input costs at most a bounded time and memory; the caller bounds the size.
 */
final class Json {

    /** The deepest nesting of objects and arrays accepted. */
    static final int MAX_DEPTH = 128;
    /** The most values (of any kind, members' values and array elements included) accepted. */
    static final int MAX_VALUES = 4_000_000;

    /** A JSON value and the byte offset it starts at. */
    sealed interface Value permits JObject, JArray, JString, JNumber, JBoolean, JNull {
        /** The byte offset of the value's first character. */
        int at();

        /** What kind of value it is, for a message: "an object", "a string", ... */
        String kind();
    }

    /** An object; its members in the order given. */
    record JObject(int at, Map<String, Value> members) implements Value {
        @Override
        public String kind() {
            return "an object";
        }
    }

    /** An array. */
    record JArray(int at, List<Value> elements) implements Value {
        @Override
        public String kind() {
            return "an array";
        }
    }

    /** A string. */
    record JString(int at, String text) implements Value {
        @Override
        public String kind() {
            return "a string";
        }
    }

    /** A number, as written (its grammar checked). */
    record JNumber(int at, String text) implements Value {
        @Override
        public String kind() {
            return "a number";
        }
    }

    /** {@code true} or {@code false}. */
    record JBoolean(int at, boolean value) implements Value {
        @Override
        public String kind() {
            return "a boolean";
        }
    }

    /** {@code null}. */
    record JNull(int at) implements Value {
        @Override
        public String kind() {
            return "null";
        }
    }

    private final byte[] in;
    private final String what;
    private int pos;
    private int values;

    private Json(byte[] in, String what) {
        this.in = in;
        this.what = what;
    }

    /**
     * Parses {@code bytes} as one JSON value.
     *
     * @param what what the input is, for messages, such as "Services JSON"
     * @throws Failure (bad input) naming the line, column and byte offset and the problem
     */
    static Value parse(byte[] bytes, String what) {
        Json json = new Json(bytes, what);
        json.skipWhitespace();
        if (json.pos >= bytes.length) {
            throw json.error("the input is empty or only whitespace, where a JSON value was expected");
        }
        Value value = json.value(0);
        json.skipWhitespace();
        if (json.pos < bytes.length) {
            throw json.error("expected the end of the input after the JSON value, found " + json.found());
        }
        return value;
    }

    private Value value(int depth) {
        if (++values > MAX_VALUES) {
            throw error("more than " + MAX_VALUES + " JSON values");
        }
        int at = pos;
        int c = peek();
        switch (c) {
            case '{' -> {
                return object(depth);
            }
            case '[' -> {
                return array(depth);
            }
            case '"' -> {
                return new JString(at, string());
            }
            case 't' -> {
                literal("true");
                return new JBoolean(at, true);
            }
            case 'f' -> {
                literal("false");
                return new JBoolean(at, false);
            }
            case 'n' -> {
                literal("null");
                return new JNull(at);
            }
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number();
                    return new JNumber(at, new String(in, at, pos - at, java.nio.charset.StandardCharsets.US_ASCII));
                }
                throw error("expected a value, found " + found());
            }
        }
    }

    private JObject object(int depth) {
        int at = pos;
        nest(depth);
        pos++;
        Map<String, Value> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return new JObject(at, Collections.unmodifiableMap(members));
        }
        while (true) {
            skipWhitespace();
            int nameAt = pos;
            if (peek() != '"') {
                throw error("expected a member name in double quotes, found " + found());
            }
            String name = string();
            skipWhitespace();
            expect(':', "':' after the member name");
            skipWhitespace();
            Value v = value(depth + 1);
            Value before = members.putIfAbsent(name, v);
            if (before != null) {
                throw errorAt(nameAt, "the member " + io.github.clusterip.internal.Messages.quote(name)
                        + " is given twice in one object (first at " + place(before.at()) + ")");
            }
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == '}') {
                pos++;
                return new JObject(at, Collections.unmodifiableMap(members));
            } else {
                throw error("expected ',' or '}' after a member of an object, found " + found());
            }
        }
    }

    private JArray array(int depth) {
        int at = pos;
        nest(depth);
        pos++;
        List<Value> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return new JArray(at, List.copyOf(elements));
        }
        while (true) {
            skipWhitespace();
            elements.add(value(depth + 1));
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == ']') {
                pos++;
                return new JArray(at, Collections.unmodifiableList(elements));
            } else {
                throw error("expected ',' or ']' after an element of an array, found " + found());
            }
        }
    }

    private void nest(int depth) {
        if (depth >= MAX_DEPTH) {
            throw error("objects and arrays are nested more than " + MAX_DEPTH + " deep");
        }
    }

    private void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (pos + i >= in.length || in[pos + i] != word.charAt(i)) {
                throw error("expected a value, found " + found());
            }
        }
        pos += word.length();
    }

    /** Number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    private void number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (!digits()) {
            throw errorAt(start, "a number needs a digit after its minus sign");
        }
        if (peek() == '.') {
            pos++;
            if (!digits()) {
                throw error("a number needs a digit after its decimal point, found " + found());
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!digits()) {
                throw error("a number needs a digit in its exponent, found " + found());
            }
        }
        if (peek() >= '0' && peek() <= '9') {
            throw errorAt(start, "a number must not start with 0 followed by more digits");
        }
    }

    private boolean digits() {
        int start = pos;
        while (peek() >= '0' && peek() <= '9') {
            pos++;
        }
        return pos > start;
    }

    /** Reads a string at {@code pos} (its opening quote), checking every escape and UTF-8 sequence. */
    private String string() {
        int start = pos;
        pos++;
        StringBuilder text = new StringBuilder();
        while (true) {
            if (pos >= in.length) {
                throw errorAt(start, "the string that starts here is not closed");
            }
            int b = in[pos] & 0xff;
            if (b == '"') {
                pos++;
                return text.toString();
            } else if (b == '\\') {
                text.appendCodePoint(escape());
            } else if (b < 0x20) {
                throw error(String.format("a control character (0x%02x) in a string must be escaped", b));
            } else if (b < 0x80) {
                text.append((char) b);
                pos++;
            } else {
                text.appendCodePoint(utf8());
            }
        }
    }

    private int escape() {
        int at = pos;
        if (pos + 1 >= in.length) {
            throw errorAt(at, "the escape sequence is cut off");
        }
        char c = (char) in[pos + 1];
        pos += 2;
        switch (c) {
            case '"', '\\', '/' -> {
                return c;
            }
            case 'b' -> {
                return '\b';
            }
            case 'f' -> {
                return '\f';
            }
            case 'n' -> {
                return '\n';
            }
            case 'r' -> {
                return '\r';
            }
            case 't' -> {
                return '\t';
            }
            case 'u' -> {
                char unit = hex4(at);
                if (Character.isHighSurrogate(unit)) {
                    if (pos + 1 < in.length && in[pos] == '\\' && in[pos + 1] == 'u') {
                        int lowAt = pos;
                        pos += 2;
                        char low = hex4(lowAt);
                        if (Character.isLowSurrogate(low)) {
                            return Character.toCodePoint(unit, low);
                        }
                    }
                    throw errorAt(at, "\\u escape of a high surrogate not followed by a \\u escape of a low one");
                }
                if (Character.isLowSurrogate(unit)) {
                    throw errorAt(at, "\\u escape of a low surrogate without a high one before it");
                }
                return unit;
            }
            default -> throw errorAt(at, "unknown escape sequence \\" + printable(in[at + 1]));
        }
    }

    private char hex4(int escapeAt) {
        if (pos + 4 > in.length) {
            throw errorAt(escapeAt, "a \\u escape needs four hexadecimal digits");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = in[pos + i] < 0 ? -1 : Character.digit(in[pos + i], 16);
            if (digit < 0) {
                throw errorAt(escapeAt, "a \\u escape needs four hexadecimal digits");
            }
            value = value << 4 | digit;
        }
        pos += 4;
        return (char) value;
    }

    /** Decodes one multi-byte UTF-8 sequence, refusing malformed, overlong and surrogate forms. */
    private int utf8() {
        int at = pos;
        int b = in[pos] & 0xff;
        int extra;
        int min;
        int codePoint;
        if (b >= 0xc2 && b <= 0xdf) {
            extra = 1;
            min = 0x80;
            codePoint = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
            extra = 2;
            min = 0x800;
            codePoint = b & 0x0f;
        } else if (b >= 0xf0 && b <= 0xf4) {
            extra = 3;
            min = 0x10000;
            codePoint = b & 0x07;
        } else {
            throw errorAt(at, String.format("invalid UTF-8 byte 0x%02x", b));
        }
        for (int i = 1; i <= extra; i++) {
            if (at + i >= in.length || (in[at + i] & 0xc0) != 0x80) {
                throw errorAt(at, "invalid UTF-8 sequence");
            }
            codePoint = codePoint << 6 | (in[at + i] & 0x3f);
        }
        if (codePoint < min || codePoint > Character.MAX_CODE_POINT
                || (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE)) {
            throw errorAt(at, "invalid UTF-8 sequence");
        }
        pos += 1 + extra;
        return codePoint;
    }

    private void skipWhitespace() {
        while (pos < in.length && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r')) {
            pos++;
        }
    }

    private void expect(char c, String expected) {
        if (peek() != c) {
            throw error("expected " + expected + ", found " + found());
        }
        pos++;
    }

    private int peek() {
        return pos < in.length ? in[pos] & 0xff : -1;
    }

    private String found() {
        return pos >= in.length ? "the end of the input" : printable(in[pos]);
    }

    private static String printable(byte b) {
        int c = b & 0xff;
        return c >= 0x21 && c < 0x7f ? "'" + (char) c + "'" : String.format("byte 0x%02x", c);
    }

    private Failure error(String problem) {
        return errorAt(pos, problem);
    }

    private Failure errorAt(int offset, String problem) {
        return Failure.badInput("invalid " + what + " at " + place(offset) + ": " + problem);
    }

    /** "line L, column C (byte B)" of an offset, counting lines by line feeds and columns in bytes. */
    private String place(int offset) {
        return place(in, offset);
    }

    static String place(byte[] in, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset && i < in.length; i++) {
            if (in[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return "line " + line + ", column " + (offset - lineStart + 1) + " (byte " + offset + ")";
    }
}
