package io.github.clusterip;

import io.github.clusterip.internal.Messages;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Reads kube-apiserver's JSON storage form of a {@code RangeAllocation}, for
 * {@link KubernetesStorage}: one object holding {@code kind}, {@code apiVersion}, {@code range} and
 * {@code data} (standard base64, or null); every other member ({@code metadata}, ...) is checked and
 * skipped without being built. Strict RFC 8259: valid UTF-8, standard escapes, JSON numbers and
 * literals, nothing after the object, nesting at most {@value #MAX_DEPTH} deep. Each error names its
 * byte offset.
 */
final class StorageJson {

    /** The deepest nesting of objects and arrays accepted. */
    static final int MAX_DEPTH = 64;
    private static final int MAX_TYPE_TEXT = 256;

    private final byte[] in;
    private int pos;

    private StorageJson(byte[] in) {
        this.in = in;
    }

    /** Whether the bytes start, after JSON white space, with '{'. */
    static boolean startsAnObject(byte[] bytes) {
        int i = 0;
        while (i < bytes.length && isWhitespace(bytes[i])) {
            i++;
        }
        return i < bytes.length && bytes[i] == '{';
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    static RangeAllocation read(byte[] json) {
        StorageJson reader = new StorageJson(json);
        reader.checkUtf8();
        return reader.object();
    }

    /** Refuses input that is not UTF-8, naming the offset of the first bad byte. */
    private void checkUtf8() {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bytes = ByteBuffer.wrap(in);
        CharBuffer chars = CharBuffer.allocate(4096);
        while (true) {
            CoderResult result = decoder.decode(bytes, chars, true);
            if (result.isError()) {
                throw error(bytes.position(), "invalid UTF-8");
            }
            if (result.isUnderflow()) {
                return;
            }
            chars.clear();
        }
    }

    private RangeAllocation object() {
        skipWhitespace();
        expect('{', "'{' to start the RangeAllocation object");
        String kind = null;
        String apiVersion = null;
        String range = null;
        byte[] data = new byte[0];
        boolean[] seen = new boolean[4];
        skipWhitespace();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                skipWhitespace();
                int nameAt = pos;
                if (peek() != '"') {
                    throw error(pos, "expected a member name in double quotes, found " + found());
                }
                String name = string(16);
                skipWhitespace();
                expect(':', "':' after the member name");
                skipWhitespace();
                int index = name == null ? -1 : switch (name) {
                    case "kind" -> 0;
                    case "apiVersion" -> 1;
                    case "range" -> 2;
                    case "data" -> 3;
                    default -> -1;
                };
                if (index >= 0) {
                    if (seen[index]) {
                        throw error(nameAt, Messages.quote(name) + " is given twice");
                    }
                    seen[index] = true;
                }
                int valueAt = pos;
                switch (index) {
                    case 0 -> kind = keptString(name, MAX_TYPE_TEXT);
                    case 1 -> apiVersion = keptString(name, MAX_TYPE_TEXT);
                    case 2 -> range = keptString(name, KubernetesStorage.MAX_RANGE_LENGTH);
                    case 3 -> data = data(valueAt);
                    default -> skipValue(1);
                }
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() == '}') {
                    pos++;
                    break;
                } else {
                    throw error(pos, "expected ',' or '}' after a member of the object, found " + found());
                }
            }
        }
        skipWhitespace();
        if (pos < in.length) {
            throw error(pos, "expected the end of the input after the object, found " + found());
        }
        KubernetesStorage.checkType(kind, apiVersion, "JSON");
        return KubernetesStorage.result(range, data, "JSON");
    }

    private String keptString(String name, int max) {
        int at = pos;
        if (peek() != '"') {
            throw error(at, Messages.quote(name) + " must be a string, found " + found());
        }
        String text = string(max);
        if (text == null) {
            throw error(at, Messages.quote(name) + " is longer than the " + max + " characters it can be");
        }
        return text;
    }

    private byte[] data(int at) {
        if (peek() == 'n') {
            literal("null");
            return new byte[0];
        }
        if (peek() != '"') {
            throw error(at, "\"data\" must be a base64 string or null, found " + found());
        }
        String base64 = string(Integer.MAX_VALUE);
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw error(at, "\"data\" is not standard base64 with padding: " + e.getMessage());
        }
    }

    /**
     * Reads a string (at its opening quote), checking its escapes; returns its text if it has at
     * most {@code keep} characters, otherwise null (without building more than that).
     */
    private String string(int keep) {
        int start = pos++;
        StringBuilder text = new StringBuilder();
        int runStart = pos;
        while (true) {
            if (pos >= in.length) {
                throw error(start, "the string that starts here is not closed");
            }
            int b = in[pos] & 0xff;
            if (b == '"' || b == '\\') {
                if (text != null) {
                    text.append(new String(in, runStart, pos - runStart, StandardCharsets.UTF_8));
                }
                if (b == '"') {
                    pos++;
                    return text == null || text.length() > keep ? null : text.toString();
                }
                char c = escape();
                if (text != null) {
                    text.append(c);
                }
                runStart = pos;
            } else if (b < 0x20) {
                throw error(pos, String.format("a control character (0x%02x) in a string must be escaped", b));
            } else {
                pos++;
            }
            if (text != null && text.length() + (pos - runStart) > keep) {
                text = null; // longer than kept: only checked from here on
            }
        }
    }

    private char escape() {
        int at = pos;
        if (pos + 1 >= in.length) {
            throw error(at, "the escape sequence is cut off");
        }
        int c = in[pos + 1] & 0xff;
        pos += 2;
        switch (c) {
            case '"', '\\', '/' -> {
                return (char) c;
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
                if (pos + 4 > in.length) {
                    throw error(at, "a \\u escape needs four hexadecimal digits");
                }
                int value = 0;
                for (int i = 0; i < 4; i++) {
                    int digit = Character.digit(in[pos + i] & 0xff, 16);
                    if (digit < 0 || (in[pos + i] & 0x80) != 0) {
                        throw error(at, "a \\u escape needs four hexadecimal digits");
                    }
                    value = value << 4 | digit;
                }
                pos += 4;
                return (char) value; // a lone surrogate is kept as Go keeps its replacement: never a range
            }
            default -> throw error(at, "unknown escape sequence \\" + (char) c);
        }
    }

    private void skipValue(int depth) {
        switch (peek()) {
            case '{' -> container(depth, '}');
            case '[' -> container(depth, ']');
            case '"' -> string(0);
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
                    number();
                } else {
                    throw error(pos, "expected a value, found " + found());
                }
            }
        }
    }

    private void container(int depth, char close) {
        if (depth >= MAX_DEPTH) {
            throw error(pos, "objects and arrays are nested more than " + MAX_DEPTH + " deep");
        }
        boolean object = close == '}';
        pos++;
        skipWhitespace();
        if (peek() == close) {
            pos++;
            return;
        }
        while (true) {
            skipWhitespace();
            if (object) {
                if (peek() != '"') {
                    throw error(pos, "expected a member name in double quotes, found " + found());
                }
                string(0);
                skipWhitespace();
                expect(':', "':' after the member name");
                skipWhitespace();
            }
            skipValue(depth + 1);
            skipWhitespace();
            if (peek() == ',') {
                pos++;
            } else if (peek() == close) {
                pos++;
                return;
            } else {
                throw error(pos, "expected ',' or '" + close + "' in " + (object ? "an object" : "an array")
                        + ", found " + found());
            }
        }
    }

    /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    private void number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (peek() >= '0' && peek() <= '9') {
                throw error(start, "a number must not start with 0 followed by more digits");
            }
        } else if (!digits()) {
            throw error(start, "a number needs a digit after its minus sign");
        }
        if (peek() == '.') {
            pos++;
            if (!digits()) {
                throw error(pos, "a number needs a digit after its decimal point, found " + found());
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!digits()) {
                throw error(pos, "a number needs a digit in its exponent, found " + found());
            }
        }
    }

    private boolean digits() {
        int start = pos;
        while (peek() >= '0' && peek() <= '9') {
            pos++;
        }
        return pos > start;
    }

    private void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (pos + i >= in.length || in[pos + i] != word.charAt(i)) {
                throw error(pos, "expected a value, found " + found());
            }
        }
        pos += word.length();
    }

    private void skipWhitespace() {
        while (pos < in.length && isWhitespace(in[pos])) {
            pos++;
        }
    }

    private void expect(char c, String what) {
        if (peek() != c) {
            throw error(pos, "expected " + what + ", found " + found());
        }
        pos++;
    }

    private int peek() {
        return pos < in.length ? in[pos] & 0xff : -1;
    }

    private String found() {
        if (pos >= in.length) {
            return "the end of the input";
        }
        int c = in[pos] & 0xff;
        return c >= 0x21 && c < 0x7f ? "'" + (char) c + "'" : String.format("byte 0x%02x", c);
    }

    private static IllegalArgumentException error(int at, String what) {
        return new IllegalArgumentException("invalid RangeAllocation JSON at byte " + at + ": " + what);
    }
}
