package io.github.clusterip.cli;

/**
 * The byte-level part of the command line's two strict JSON readers ({@link Json} and
 * {@link RangeAllocationJson}): strings with every escape and UTF-8 sequence checked, white space,
 * and the texts of the errors; each reader words the place of its errors itself.
 */
abstract class JsonScanner {

    /** The input. */
    final byte[] in;
    /** The offset of the next byte to read. */
    int pos;

    JsonScanner(byte[] in) {
        this.in = in;
    }

    /** An error about the input at {@code offset}. */
    abstract Failure errorAt(int offset, String problem);

    /**
     * Reads a string at {@code pos} (which holds its opening quote), checking every escape and every
     * UTF-8 sequence. Returns its text if it has at most {@code keep} characters, otherwise null.
     */
    final String readString(int keep) {
        int start = pos;
        pos++;
        StringBuilder text = keep > 0 ? new StringBuilder() : null;
        int length = 0;
        while (true) {
            if (pos >= in.length) {
                throw errorAt(start, "the string that starts here is not closed");
            }
            int b = in[pos] & 0xff;
            int codePoint;
            if (b == '"') {
                pos++;
                return text == null || length > keep ? null : text.toString();
            } else if (b == '\\') {
                codePoint = escape();
            } else if (b < 0x20) {
                throw error(String.format("a control character (0x%02x) in a string must be escaped", b));
            } else if (b < 0x80) {
                codePoint = b;
                pos++;
            } else {
                codePoint = utf8();
            }
            length += Character.charCount(codePoint);
            if (text != null && length <= keep) {
                text.appendCodePoint(codePoint);
            }
        }
    }

    /** Reads one escape sequence at {@code pos}; a surrogate pair counts as one. */
    final int escape() {
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

    final char hex4(int escapeAt) {
        if (pos + 4 > in.length) {
            throw errorAt(escapeAt, "a \\u escape needs four hexadecimal digits");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(in[pos + i], 16);
            if (digit < 0 || in[pos + i] < 0) {
                throw errorAt(escapeAt, "a \\u escape needs four hexadecimal digits");
            }
            value = value << 4 | digit;
        }
        pos += 4;
        return (char) value;
    }

    /** Decodes one multi-byte UTF-8 sequence at {@code pos}, refusing malformed, overlong and surrogate forms. */
    final int utf8() {
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

    final void skipWhitespace() {
        while (pos < in.length && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r')) {
            pos++;
        }
    }

    final void expect(char c, String what) {
        if (peek() != c) {
            throw error("expected " + what + ", found " + found());
        }
        pos++;
    }

    /** The byte at {@code pos}, or -1 at the end of the input. */
    final int peek() {
        return pos < in.length ? in[pos] & 0xff : -1;
    }

    /** What is at {@code pos}, for a message. */
    final String found() {
        return pos >= in.length ? "the end of the input" : printable(in[pos]);
    }

    static String printable(byte b) {
        int c = b & 0xff;
        return c >= 0x21 && c < 0x7f ? "'" + (char) c + "'" : String.format("byte 0x%02x", c);
    }

    final Failure error(String what) {
        return errorAt(pos, what);
    }

    final void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (pos + i >= in.length || in[pos + i] != word.charAt(i)) {
                throw error("expected a value, found " + found());
            }
        }
        pos += word.length();
    }

    /** Number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    final void skipNumber() {
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
}
