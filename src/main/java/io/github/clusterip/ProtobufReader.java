package io.github.clusterip;

import io.github.clusterip.internal.Messages;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one protobuf message (proto2 wire format) held in {@code bytes[pos..end)},
 * for {@link KubernetesStorage}. Offsets in errors count from the start of the whole value. Every
 * varint is at most 10 bytes, every length is checked against what remains of the message, and
 * groups (wire types 3 and 4) are refused: nothing is allocated before its size is known to fit.
 */
final class ProtobufReader {

    private final byte[] bytes;
    private final int end;
    private final String message;
    private int pos;
    /** The wire type and offset of the tag last read. */
    private int wireType;
    private int tagAt;

    ProtobufReader(byte[] bytes, int pos, int end, String message) {
        this.bytes = bytes;
        this.pos = pos;
        this.end = end;
        this.message = message;
    }

    boolean more() {
        return pos < end;
    }

    /** Reads a tag and returns its field number; the wire type is kept for the field's reader. */
    int tag() {
        tagAt = pos;
        long key = varint("a field tag");
        wireType = (int) (key & 7);
        long field = key >>> 3;
        if (field == 0 || field > 0x1fffffffL) {
            throw error(tagAt, "field number " + field + " in a tag is out of range (1 to 536870911)");
        }
        if (wireType == 3 || wireType == 4) {
            throw error(tagAt, "field " + field + " uses wire type " + wireType
                    + " (a group), which is not supported");
        }
        if (wireType == 6 || wireType == 7) {
            throw error(tagAt, "field " + field + " has the invalid wire type " + wireType);
        }
        return (int) field;
    }

    /** Skips the value of the field whose tag was just read, by its wire type. */
    void skip() {
        switch (wireType) {
            case 0 -> varint("a varint value");
            case 1 -> advance(8, "a 64-bit value");
            case 2 -> {
                int at = pos;
                int length = length("a length-delimited value", at);
                pos += length;
            }
            case 5 -> advance(4, "a 32-bit value");
            default -> throw new IllegalStateException("wire type " + wireType);
        }
    }

    /** The span {start, end} of a bytes field (wire type 2). */
    int[] bytes(int field, String name) {
        expectLengthDelimited(field, name);
        int at = pos;
        int length = length("field " + field + " (" + name + ")", at);
        int start = pos;
        pos += length;
        return new int[] {start, pos};
    }

    /** A reader over an embedded message field. */
    ProtobufReader message(int field, String name, String type) {
        int[] span = bytes(field, name);
        return new ProtobufReader(bytes, span[0], span[1], type);
    }

    /** A string field in strict UTF-8, refused if longer than {@code max} bytes. */
    String string(int field, String name, int max) {
        int[] span = bytes(field, name);
        int length = span[1] - span[0];
        if (length > max) {
            throw error(tagAt, "field " + field + " (" + name + ") is " + length + " bytes, more than the " + max
                    + " it can be: " + Messages.quote(new String(bytes, span[0], Math.min(length, 64),
                            StandardCharsets.ISO_8859_1)));
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, span[0], length)).toString();
        } catch (CharacterCodingException e) {
            throw error(span[0], "field " + field + " (" + name + ") is not valid UTF-8");
        }
    }

    private void expectLengthDelimited(int field, String name) {
        if (wireType != 2) {
            throw error(tagAt, "field " + field + " (" + name + ") has wire type " + wireType
                    + ", not 2 (length-delimited)");
        }
    }

    private int length(String what, int at) {
        long length = varint("the length of " + what);
        if (Long.compareUnsigned(length, end - pos) > 0) {
            throw error(at, "the length of " + what + " is " + Long.toUnsignedString(length) + " bytes, but only "
                    + (end - pos) + " remain in the " + message);
        }
        return (int) length;
    }

    private void advance(int n, String what) {
        if (end - pos < n) {
            throw error(pos, what + " needs " + n + " bytes, but only " + (end - pos) + " remain in the " + message);
        }
        pos += n;
    }

    /** An unsigned varint of at most 10 bytes (64 bits). */
    private long varint(String what) {
        int start = pos;
        long value = 0;
        for (int i = 0; i < 10; i++) {
            if (pos >= end) {
                throw error(start, what + " (a varint) is cut off at the end of the " + message);
            }
            int b = bytes[pos++] & 0xff;
            if (i == 9 && b > 1) {
                throw error(start, what + " (a varint) overflows 64 bits");
            }
            value |= (long) (b & 0x7f) << (7 * i);
            if (b < 0x80) {
                return value;
            }
        }
        throw error(start, what + " (a varint) is longer than 10 bytes");
    }

    private IllegalArgumentException error(int at, String what) {
        return new IllegalArgumentException("invalid RangeAllocation protobuf at byte " + at + " (in the " + message
                + "): " + what);
    }
}
