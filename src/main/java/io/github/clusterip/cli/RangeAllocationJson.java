package io.github.clusterip.cli;

import io.github.clusterip.RangeAllocation;
import io.github.clusterip.internal.Messages;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Reads and writes kube-apiserver's {@code RangeAllocation} as JSON, without a JSON library.
 *
 * <p>The reader is strict (RFC 8259): one object at the top, strings with the standard escapes
 * only and valid UTF-8, numbers in JSON's grammar, the literals {@code true}, {@code false} and
 * {@code null}, nothing but whitespace after the object, and nesting at most {@value #MAX_DEPTH}
 * deep. It keeps only the two members it needs, {@code "range"} (a string) and {@code "data"}
 * (standard base64 with padding, or {@code null} for no data, as Go writes a nil byte slice); every
 * other member ({@code apiVersion}, {@code kind}, {@code metadata}, ...) is checked and skipped
 * without being built, so the memory it takes is the size of those two strings, whatever else the
 * input holds. Each error names the byte offset and what is wrong there.
 */
final class RangeAllocationJson extends JsonScanner {

    /** The deepest nesting of objects and arrays accepted. */
    static final int MAX_DEPTH = 256;
    /**
     * The longest range text: a CIDR of an IPv6 address in full with an embedded IPv4 address, and
     * "/128" (a port range, such as "30000-32767", is far shorter).
     */
    private static final int MAX_RANGE_LENGTH = 49;
    /** Member names longer than this are no member the reader keeps, so they are not built. */
    private static final int MAX_KEPT_NAME = 16;

    private RangeAllocationJson(byte[] in) {
        super(in);
    }

    /**
     * Parses {@code json} as a RangeAllocation object.
     *
     * @throws Failure (bad input) naming the byte offset and the problem
     */
    static RangeAllocation read(byte[] json) {
        return new RangeAllocationJson(json).readObject();
    }

    /** The object as this tool writes it: {@code {"range":"...","data":"..."}} and a line feed. */
    static byte[] write(RangeAllocation allocation) {
        String json = "{\"range\":" + string(allocation.range()) + ",\"data\":"
                + string(Base64.getEncoder().encodeToString(allocation.data())) + "}\n";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** A JSON string literal; the texts written here are ASCII, but any text is escaped correctly. */
    private static String string(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private RangeAllocation readObject() {
        skipWhitespace();
        if (pos >= in.length) {
            throw error("the input is empty or only whitespace, where a JSON object was expected");
        }
        int objectStart = pos;
        expect('{', "'{' to start the RangeAllocation object");
        String range = null;
        int rangeAt = -1;
        byte[] data = null;
        int dataAt = -1;
        skipWhitespace();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                skipWhitespace();
                int nameAt = pos;
                if (peek() != '"') {
                    throw error("expected a member name in double quotes, found " + found());
                }
                String name = readString(MAX_KEPT_NAME);
                skipWhitespace();
                expect(':', "':' after the member name");
                skipWhitespace();
                int valueAt = pos;
                if ("range".equals(name)) {
                    if (rangeAt >= 0) {
                        throw errorAt(nameAt, "\"range\" is given twice (first at byte " + rangeAt + ")");
                    }
                    rangeAt = nameAt;
                    if (peek() != '"') {
                        throw errorAt(valueAt, "\"range\" must be a string, found " + found());
                    }
                    range = readString(Integer.MAX_VALUE);
                    if (range.length() > MAX_RANGE_LENGTH) {
                        throw errorAt(valueAt, "\"range\" is too long for a CIDR or a port range: "
                                + Messages.quote(range));
                    }
                } else if ("data".equals(name)) {
                    if (dataAt >= 0) {
                        throw errorAt(nameAt, "\"data\" is given twice (first at byte " + dataAt + ")");
                    }
                    dataAt = nameAt;
                    data = readData(valueAt);
                } else {
                    skipValue(1);
                }
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() == '}') {
                    pos++;
                    break;
                } else {
                    throw error("expected ',' or '}' after a member of the object, found " + found());
                }
            }
        }
        skipWhitespace();
        if (pos < in.length) {
            throw error("expected the end of the input after the object, found " + found());
        }
        if (rangeAt < 0) {
            throw errorAt(objectStart, "the object has no \"range\" member (the CIDR, for example \"10.96.0.0/12\","
                    + " or the port range, for example \"30000-32767\")");
        }
        if (dataAt < 0) {
            throw errorAt(objectStart, "the object has no \"data\" member (the bitmap in base64)");
        }
        return new RangeAllocation(range, data);
    }

    /** Reads the value of "data": a base64 string, or null for an empty bitmap. */
    private byte[] readData(int valueAt) {
        if (peek() == 'n') {
            skipValue(1);
            return new byte[0];
        }
        if (peek() != '"') {
            throw errorAt(valueAt, "\"data\" must be a base64 string or null, found " + found());
        }
        String base64 = readString(Integer.MAX_VALUE);
        if (base64.length() % 4 != 0) {
            throw errorAt(valueAt, "\"data\" is not standard base64 with padding: its length, " + base64.length()
                    + ", is not a multiple of 4");
        }
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw errorAt(valueAt, "\"data\" is not standard base64: " + e.getMessage());
        }
    }

    /** Checks and skips one value of any kind; {@code depth} counts the enclosing arrays and objects. */
    private void skipValue(int depth) {
        switch (peek()) {
            case '{' -> skipContainer(depth, '}');
            case '[' -> skipContainer(depth, ']');
            case '"' -> readString(0);
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
                    skipNumber();
                } else {
                    throw error("expected a value, found " + found());
                }
            }
        }
    }

    private void skipContainer(int depth, char close) {
        if (depth >= MAX_DEPTH) {
            throw error("objects and arrays are nested more than " + MAX_DEPTH + " deep");
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
                    throw error("expected a member name in double quotes, found " + found());
                }
                readString(0);
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
                throw error("expected ',' or '" + close + "' in " + (object ? "an object" : "an array")
                        + ", found " + found());
            }
        }
    }

    @Override
    Failure errorAt(int offset, String what) {
        return Failure.badInput("invalid RangeAllocation JSON at byte " + offset + ": " + what);
    }
}
