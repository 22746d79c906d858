package io.github.clusterip.engine;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * The frame of clusterip's compact snapshot, shared by every resource: the magic, the version,
 * the kind of range and its header bytes, the allocated count, the runs and the CRC-32C. Not part
 * of the library's API; the layout is documented byte by byte in {@code docs/snapshot-format.md}:
 *
 * <pre>
 *   "CIPS" | version | kind | header | varint count | varint run count
 *   | run count x (varint gap, varint length - 1) | CRC-32C of everything before it, 4 bytes big-endian
 * </pre>
 *
 * <p>The kind says what the indexes are, and fixes the header's length: {@code 4} an IPv4 CIDR
 * (prefix length, 4-byte network), {@code 6} an IPv6 CIDR (prefix length, 16-byte network),
 * {@code 'P'} a port range (2-byte first port, 2-byte last port, big-endian). Version 1 knows the
 * two CIDR kinds; version 2 adds the port kind and is otherwise the same. An encoder writes the
 * lowest version that holds its kind, so a CIDR snapshot reads the same, byte for byte, as before
 * version 2 existed, and an older reader refuses a port snapshot by its version.
 *
 * <p>{@link #decode(byte[])} first copies the input, so that a caller (or another thread) that
 * changes the array meanwhile cannot make it accept bytes it did not check; every later read is
 * of the copy. It checks the structure (magic, version, kind, field lengths, varint encodings,
 * that the run count can fit in the bytes present, the CRC's position and no trailing bytes),
 * then the CRC-32C. The resource then checks the header's meaning, and
 * {@link Frame#runs(long, String, String)} the count and the runs against the range's size. It
 * allocates nothing but the copy: the runs stay encoded in it and are read again, by
 * {@link Decoded#forEachRun}, by whoever builds a bitmap from them.
 */
public final class CompactFrame {

    /** The kind of an IPv4 CIDR: prefix length, then the 4-byte network. */
    public static final int KIND_IPV4 = 4;
    /** The kind of an IPv6 CIDR: prefix length, then the 16-byte network. */
    public static final int KIND_IPV6 = 6;
    /** The kind of a port range: the first and the last port, 2 bytes each. */
    public static final int KIND_PORTS = 'P';
    /** The newest format version. */
    public static final int LATEST_VERSION = 2;
    /** The byte offset of the header. */
    public static final int HEADER_OFFSET = 6;

    private static final byte[] MAGIC = {'C', 'I', 'P', 'S'};
    private static final int OFFSET_VERSION = 4;
    private static final int OFFSET_KIND = 5;
    private static final int CRC_BYTES = 4;
    /** The longest varint: ceil(64 / 7) bytes. */
    private static final int MAX_VARINT_BYTES = 10;
    private static final String PREFIX = "invalid compact snapshot: ";

    private CompactFrame() {
    }

    /** The lowest version that holds {@code kind}. */
    private static int versionFor(int kind) {
        return kind == KIND_PORTS ? 2 : 1;
    }

    /** The header's length for {@code kind}. */
    private static int headerLength(int kind) {
        return switch (kind) {
            case KIND_IPV4 -> 1 + 4;
            case KIND_IPV6 -> 1 + 16;
            case KIND_PORTS -> 2 + 2;
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        };
    }

    // ---- encoding ----------------------------------------------------------------------------------

    /**
     * Encodes the set bits of a bitmap, given as ascending index/word pairs (as
     * {@link BandedAllocator#setWords()} returns them), as runs of consecutive indexes.
     *
     * @param kind the kind of range
     * @param header its header bytes
     * @param usable the range's size, unsigned
     * @param range the range's text, for error messages
     * @param pairs the words
     * @return the snapshot
     */
    public static byte[] encodeWords(int kind, byte[] header, long usable, String range, long[] pairs) {
        long[] starts = new long[16];
        long[] lengths = new long[16];
        int n = 0;
        for (int p = 0; p < pairs.length; p += 2) {
            long base = pairs[p] << 6;
            long word = pairs[p + 1];
            while (word != 0) {
                int skip = Long.numberOfTrailingZeros(word);
                long shifted = word >>> skip;
                int ones = shifted == -1L ? 64 : Long.numberOfTrailingZeros(~shifted);
                long start = base + skip;
                if (n > 0 && starts[n - 1] + lengths[n - 1] == start) {
                    lengths[n - 1] += ones;
                } else {
                    if (n == starts.length) {
                        starts = Arrays.copyOf(starts, 2 * n);
                        lengths = Arrays.copyOf(lengths, 2 * n);
                    }
                    starts[n] = start;
                    lengths[n] = ones;
                    n++;
                }
                if (skip + ones == 64) {
                    break;
                }
                word &= -1L << (skip + ones);
            }
        }
        return encode(kind, header, usable, range, starts, lengths, n);
    }

    /**
     * Encodes a state given as runs. {@code starts[i], lengths[i]} for {@code i < runCount} must be
     * ascending, non-overlapping, non-adjacent runs ({@code start + length < next start},
     * unsigned), each of length at least 1, all inside {@code [0, usable)}.
     *
     * @param kind the kind of range
     * @param header its header bytes, of the kind's length
     * @param usable the range's size, unsigned
     * @param range the range's text, for error messages
     * @param starts the runs' starts
     * @param lengths the runs' lengths
     * @param runCount the number of runs
     * @return the snapshot
     * @throws IllegalArgumentException if the kind is unknown, the header of the wrong length,
     *     {@code runCount} does not fit the arrays, or the runs break the rules above
     */
    public static byte[] encode(int kind, byte[] header, long usable, String range, long[] starts, long[] lengths,
            int runCount) {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(starts, "starts");
        Objects.requireNonNull(lengths, "lengths");
        if (header.length != headerLength(kind)) {
            throw new IllegalArgumentException("a header of kind " + kind + " takes " + headerLength(kind)
                    + " bytes, not " + header.length);
        }
        if (runCount < 0 || runCount > starts.length || runCount > lengths.length) {
            throw new IllegalArgumentException("run count " + runCount + " does not fit arrays of "
                    + starts.length + " starts and " + lengths.length + " lengths");
        }
        // First pass: check the runs, total them and work out the exact size.
        long count = 0;
        long end = 0; // exclusive end of the previous run
        long bodySize = varintSize(runCount);
        for (int i = 0; i < runCount; i++) {
            long start = starts[i];
            long length = lengths[i];
            if (length == 0) {
                throw new IllegalArgumentException("run " + i + " has length 0");
            }
            if (i > 0 && Long.compareUnsigned(start, end) <= 0) {
                throw new IllegalArgumentException("run " + i + " starting at " + Long.toUnsignedString(start)
                        + " overlaps, touches or precedes the previous run, which ends at "
                        + Long.toUnsignedString(end) + " (exclusive)");
            }
            if (Long.compareUnsigned(start, usable) >= 0
                    || Long.compareUnsigned(length, usable - start) > 0) {
                throw new IllegalArgumentException("run " + i + " (start " + Long.toUnsignedString(start)
                        + ", length " + Long.toUnsignedString(length) + ") is not inside the "
                        + Long.toUnsignedString(usable) + " usable indexes of " + range);
            }
            bodySize += varintSize(start - end) + varintSize(length - 1);
            end = start + length; // no wrap: at most usable <= 2^64 - 1
            count += length; // no wrap: the runs are disjoint inside [0, usable)
        }
        long total = HEADER_OFFSET + header.length + varintSize(count) + bodySize + CRC_BYTES;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a snapshot of " + runCount + " runs would take " + total
                    + " bytes, more than an array can hold");
        }
        byte[] out = new byte[(int) total];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[OFFSET_VERSION] = (byte) versionFor(kind);
        out[OFFSET_KIND] = (byte) kind;
        System.arraycopy(header, 0, out, HEADER_OFFSET, header.length);
        int pos = HEADER_OFFSET + header.length;
        pos = writeVarint(out, pos, count);
        pos = writeVarint(out, pos, runCount);
        end = 0;
        for (int i = 0; i < runCount; i++) {
            pos = writeVarint(out, pos, starts[i] - end);
            pos = writeVarint(out, pos, lengths[i] - 1);
            end = starts[i] + lengths[i];
        }
        writeCrc(out, pos);
        return out;
    }

    /** Number of bytes of the unsigned LEB128 varint of {@code value}: 1 to 10. */
    private static int varintSize(long value) {
        int bits = 64 - Long.numberOfLeadingZeros(value | 1);
        return (bits + 6) / 7;
    }

    private static int writeVarint(byte[] out, int pos, long value) {
        while ((value & ~0x7FL) != 0) {
            out[pos++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out[pos++] = (byte) value;
        return pos;
    }

    private static void writeCrc(byte[] out, int pos) {
        int crc = crc(out, pos);
        out[pos] = (byte) (crc >>> 24);
        out[pos + 1] = (byte) (crc >>> 16);
        out[pos + 2] = (byte) (crc >>> 8);
        out[pos + 3] = (byte) crc;
    }

    private static int crc(byte[] data, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, 0, length);
        return (int) crc.getValue();
    }

    // ---- decoding ----------------------------------------------------------------------------------

    /**
     * Copies {@code input} and checks its structure and its CRC-32C.
     *
     * @param input a snapshot
     * @return the frame, whose header and runs the caller checks next
     * @throws IllegalArgumentException if {@code input} is not a well-formed snapshot; the message
     *     starts with "invalid compact snapshot: " and says what is wrong and where
     * @throws NullPointerException if {@code input} is null
     */
    public static Frame decode(byte[] input) {
        // One copy, read from here on: bytes changed in the caller's array meanwhile are not seen.
        byte[] data = Objects.requireNonNull(input, "data").clone();
        if (data.length == 0) {
            throw invalid("input is empty");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (i == data.length) {
                throw truncated("the 4-byte magic \"CIPS\"", 0, MAGIC.length, data.length);
            }
            if (data[i] != MAGIC[i]) {
                throw invalid("wrong magic at byte offset 0: expected 43 49 50 53 (\"CIPS\"), found "
                        + hex(data, 0, Math.min(MAGIC.length, data.length)));
            }
        }
        requireBytes(data, OFFSET_VERSION, 1, "the version byte");
        int version = data[OFFSET_VERSION] & 0xFF;
        if (version < 1 || version > LATEST_VERSION) {
            throw invalid("unsupported version " + version + " at byte offset " + OFFSET_VERSION
                    + " (supported versions: 1 and " + LATEST_VERSION + ")");
        }
        requireBytes(data, OFFSET_KIND, 1, "the kind byte");
        int kind = data[OFFSET_KIND] & 0xFF;
        if (kind != KIND_IPV4 && kind != KIND_IPV6 && kind != KIND_PORTS) {
            throw invalid("bad kind " + kind + " at byte offset " + OFFSET_KIND
                    + " (expected 4 for IPv4, 6 for IPv6 or 80, 'P', for ports)");
        }
        if (version < versionFor(kind)) {
            throw invalid("kind " + kind + " ('P', ports) at byte offset " + OFFSET_KIND + " needs version "
                    + versionFor(kind) + ", but the snapshot says version " + version);
        }
        if (kind == KIND_PORTS) {
            requireBytes(data, HEADER_OFFSET, 2, "the 2-byte first port");
            requireBytes(data, HEADER_OFFSET + 2, 2, "the 2-byte last port");
        } else {
            int addressBytes = kind == KIND_IPV4 ? 4 : 16;
            requireBytes(data, HEADER_OFFSET, 1, "the prefix length byte");
            requireBytes(data, HEADER_OFFSET + 1, addressBytes, "the " + addressBytes + "-byte network address");
        }

        int countOffset = HEADER_OFFSET + headerLength(kind);
        Reader reader = new Reader(data, countOffset);
        reader.next("allocated count");
        int runCountOffset = reader.pos;
        long runCountValue = reader.next("run count");
        int runsOffset = reader.pos;
        // Every run takes at least 2 bytes (two 1-byte varints) and the CRC 4 more: reject a run
        // count the input cannot hold before anything is sized from it.
        long room = Math.max(0, (long) data.length - runsOffset - CRC_BYTES);
        if (Long.compareUnsigned(runCountValue, room / 2) > 0) {
            throw invalid("run count " + Long.toUnsignedString(runCountValue) + " at byte offset "
                    + runCountOffset + " cannot fit in the " + room + (room == 1 ? " byte" : " bytes")
                    + " left before the CRC-32C (each run takes at least 2 bytes; truncated or corrupt)");
        }
        int runCount = (int) runCountValue; // at most data.length / 2
        for (int i = 0; i < runCount; i++) {
            reader.next("gap of run " + i);
            reader.next("length - 1 of run " + i);
        }
        int crcOffset = reader.pos;
        if (data.length - crcOffset < CRC_BYTES) {
            throw truncated("the 4-byte CRC-32C", crcOffset, CRC_BYTES, data.length - crcOffset);
        }
        if (data.length - crcOffset > CRC_BYTES) {
            int extra = data.length - crcOffset - CRC_BYTES;
            throw invalid(extra + " trailing byte" + (extra == 1 ? "" : "s") + " at byte offset "
                    + (crcOffset + CRC_BYTES) + ", after the CRC-32C");
        }
        int stored = ((data[crcOffset] & 0xFF) << 24) | ((data[crcOffset + 1] & 0xFF) << 16)
                | ((data[crcOffset + 2] & 0xFF) << 8) | (data[crcOffset + 3] & 0xFF);
        int computed = crc(data, crcOffset);
        if (stored != computed) {
            throw invalid(String.format("CRC-32C mismatch: stored %08x at byte offset %d, computed %08x over "
                    + "bytes 0 to %d", stored, crcOffset, computed, crcOffset - 1));
        }
        return new Frame(version, kind, data, countOffset, runCount, runsOffset);
    }

    /**
     * A snapshot whose structure and CRC are checked, but not yet its meaning.
     *
     * @param version the format version
     * @param kind the kind of range
     * @param bytes the private copy of the input, never changed
     * @param countOffset the offset of the allocated count
     * @param runCount the number of runs
     * @param runsOffset the offset of the first run
     */
    public record Frame(int version, int kind, byte[] bytes, int countOffset, int runCount, int runsOffset) {

        /**
         * Reads {@code count} big-endian header bytes as an unsigned number.
         *
         * @param offset the offset within the header
         * @param count the number of bytes, at most 8
         * @return the value
         */
        public long headerLong(int offset, int count) {
            long value = 0;
            for (int i = HEADER_OFFSET + offset; i < HEADER_OFFSET + offset + count; i++) {
                value = (value << 8) | (bytes[i] & 0xFF);
            }
            return value;
        }

        /**
         * Checks the allocated count and the runs against the size of the range.
         *
         * @param usable the range's size, unsigned
         * @param range the range's text, for the messages
         * @param elements what the range holds, for the messages: "usable addresses" or "ports"
         * @return the runs, checked
         * @throws IllegalArgumentException if the count exceeds the size, a run reaches beyond the
         *     range, two runs overlap or touch, or the count is not the sum of the run lengths
         */
        public Decoded runs(long usable, String range, String elements) {
            Reader reader = new Reader(bytes, countOffset);
            long count = reader.next("allocated count");
            if (Long.compareUnsigned(count, usable) > 0) {
                throw invalid("allocated count " + Long.toUnsignedString(count) + " at byte offset " + countOffset
                        + " exceeds the " + Long.toUnsignedString(usable) + " " + elements + " of " + range);
            }
            reader.next("run count"); // ends at runsOffset, as in decode
            long end = 0; // exclusive end of the previous run
            long sum = 0;
            for (int i = 0; i < runCount; i++) {
                int runOffset = reader.pos;
                long gap = reader.next("gap");
                long lengthMinusOne = reader.next("length - 1");
                long start = end + gap;
                if (i > 0 && Long.compareUnsigned(start, end) < 0) {
                    throw invalid("run " + i + " at byte offset " + runOffset + ": its start wraps past 2^64 (gap "
                            + Long.toUnsignedString(gap) + " after the previous run's end "
                            + Long.toUnsignedString(end) + "), so the runs overlap or are out of order");
                }
                if (i > 0 && gap == 0) {
                    throw invalid("run " + i + " at byte offset " + runOffset
                            + " touches the previous run (gap 0 at index " + Long.toUnsignedString(end)
                            + "); runs must be maximal, with at least one free index between");
                }
                if (Long.compareUnsigned(start, usable) >= 0) {
                    throw invalid("run " + i + " at byte offset " + runOffset + " starts at index "
                            + Long.toUnsignedString(start) + ", beyond the usable range [0, "
                            + Long.toUnsignedString(usable) + ") of " + range);
                }
                // length <= usable - start, that is length - 1 < usable - start; also catches a
                // length of 2^64 (length - 1 = 2^64 - 1), which would wrap.
                if (Long.compareUnsigned(lengthMinusOne, usable - start) >= 0) {
                    BigInteger length = new BigInteger(Long.toUnsignedString(lengthMinusOne)).add(BigInteger.ONE);
                    throw invalid("run " + i + " at byte offset " + runOffset + " (start "
                            + Long.toUnsignedString(start) + ", length " + length
                            + ") extends beyond the usable range [0, " + Long.toUnsignedString(usable) + ") of "
                            + range);
                }
                long length = lengthMinusOne + 1;
                end = start + length; // at most usable, no wrap
                sum += length; // the runs are disjoint inside [0, usable): no wrap
            }
            if (sum != count) {
                throw invalid("allocated count " + Long.toUnsignedString(count) + " at byte offset " + countOffset
                        + " does not equal the sum of the run lengths, " + Long.toUnsignedString(sum));
            }
            return new Decoded(count, runCount, bytes, runsOffset);
        }
    }

    /**
     * The checked runs of a snapshot, still encoded in {@code bytes}.
     *
     * @param count the number of allocated indexes, unsigned
     * @param runCount the number of runs
     * @param bytes the private copy of the input, never changed
     * @param runsOffset the offset of the first run
     */
    public record Decoded(long count, int runCount, byte[] bytes, int runsOffset) implements BandedAllocator.Runs {

        /** Calls {@code visitor} with each run {@code [start, start + length)}, in ascending order. */
        @Override
        public void forEachRun(BandedAllocator.RunVisitor visitor) {
            Reader reader = new Reader(bytes, runsOffset);
            long end = 0;
            for (int i = 0; i < runCount; i++) {
                long start = end + reader.next("gap");
                long length = reader.next("length - 1") + 1;
                visitor.visit(start, length);
                end = start + length;
            }
        }
    }

    /** Reads consecutive varints, checking their encoding; fails with the offset of the bad one. */
    private static final class Reader {
        private final byte[] data;
        int pos;

        Reader(byte[] data, int pos) {
            this.data = data;
            this.pos = pos;
        }

        /**
         * Reads one unsigned LEB128 varint: 7 bits a byte, least significant group first, the high
         * bit set on every byte but the last. At most 10 bytes; the last byte of a longer-than-one
         * byte varint must not be 0 (that would be overlong), and the 10th byte may only be 1.
         */
        long next(String field) {
            int start = pos;
            long value = 0;
            for (int i = 0; ; i++) {
                if (i == MAX_VARINT_BYTES) {
                    throw invalid(field + " varint at byte offset " + start + " is longer than "
                            + MAX_VARINT_BYTES + " bytes");
                }
                if (pos == data.length) {
                    throw invalid("truncated: the " + field + " varint at byte offset " + start
                            + " runs past the end of the input at byte offset " + data.length);
                }
                int b = data[pos++] & 0xFF;
                int bits = b & 0x7F;
                if (i == MAX_VARINT_BYTES - 1 && bits > 1) {
                    throw invalid(field + " varint at byte offset " + start + " exceeds 64 bits");
                }
                value |= (long) bits << (7 * i);
                if ((b & 0x80) == 0) {
                    if (b == 0 && i > 0) {
                        throw invalid(field + " varint at byte offset " + start
                                + " is overlong (not minimally encoded: its last byte is 0)");
                    }
                    return value;
                }
            }
        }
    }

    private static void requireBytes(byte[] data, int offset, int needed, String what) {
        if (data.length - offset < needed) {
            throw truncated(what, offset, needed, Math.max(0, data.length - offset));
        }
    }

    private static IllegalArgumentException truncated(String what, int offset, int needed, int present) {
        return invalid("truncated: " + what + " at byte offset " + offset + " needs " + needed + " byte"
                + (needed == 1 ? "" : "s") + ", only " + present + " present");
    }

    private static String hex(byte[] data, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            if (i > from) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", data[i] & 0xFF));
        }
        return sb.toString();
    }

    /**
     * Returns the error for an invalid snapshot: its message is {@code "invalid compact snapshot: "}
     * and the problem.
     *
     * @param problem what is wrong, and where
     * @return the exception, to throw
     */
    public static IllegalArgumentException invalid(String problem) {
        return new IllegalArgumentException(PREFIX + problem);
    }
}
