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
final class Json extends JsonScanner {

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

    private final String what;
    private int values;

    private Json(byte[] in, String what) {
        super(in);
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
                return new JString(at, readString(Integer.MAX_VALUE));
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
                    skipNumber();
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
            String name = readString(Integer.MAX_VALUE);
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

    @Override
    Failure errorAt(int offset, String problem) {
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
