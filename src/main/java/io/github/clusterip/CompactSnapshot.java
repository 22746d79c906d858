package io.github.clusterip;

import java.math.BigInteger;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * The compact snapshot: a versioned binary form of an allocator's state that stays small for any
 * range size, from an IPv4 /30 to an IPv6 /64 with a million scattered addresses. The layout is
 * documented byte by byte in {@code docs/snapshot-format.md}; in short:
 *
 * <pre>
 *   "CIPS" | version (1) | family (4 or 6) | prefix length | network (4 or 16 bytes)
 *   | varint count | varint run count | run count x (varint gap, varint length - 1)
 *   | CRC-32C of everything before it, 4 bytes big-endian
 * </pre>
 *
 * <p>Usable address k (from 0) is {@code network + 1 + k}. Indexes, counts and lengths are
 * unsigned 64-bit values held in a {@code long}: an IPv6 /64 has 2^64 - 1 usable addresses. IPv6
 * prefixes shorter than /64 are not supported, as their indexes do not fit in 64 bits.
 *
 * <p>A run is a maximal block of consecutive allocated indexes {@code [start, start + length)}.
 * The first run's gap is its start; every other run's gap is its start minus the previous run's
 * exclusive end, so it is at least 1 in a valid snapshot.
 *
 * <p>{@link #decode(byte[])} first copies the input, so that a caller (or another thread) that
 * changes the array meanwhile cannot make it accept bytes it did not check; every later read is of
 * the copy. It then checks in three stages: first the structure (magic, version, family, field
 * lengths, varint encodings, that the run count can fit in the bytes present, the CRC's position
 * and no trailing bytes), then the CRC-32C, then the meaning (prefix length, network, count and
 * runs). It allocates nothing but the copy: the runs stay encoded in it and are read again, by
 * {@link Decoded#forEachRun}, by whoever builds a bitmap from them.
 */
final class CompactSnapshot {

    /** Format version written by encode. */
    static final int VERSION = 1;

    /** The four magic bytes, ASCII "CIPS". */
    private static final byte[] MAGIC = {'C', 'I', 'P', 'S'};
    private static final int OFFSET_VERSION = 4;
    private static final int OFFSET_FAMILY = 5;
    private static final int OFFSET_PREFIX = 6;
    private static final int OFFSET_NETWORK = 7;
    private static final int FAMILY_IPV4 = 4;
    private static final int FAMILY_IPV6 = 6;
    private static final int CRC_BYTES = 4;
    /** The longest varint: ceil(64 / 7) bytes. */
    private static final int MAX_VARINT_BYTES = 10;
    /** The shortest IPv6 prefix whose usable indexes fit in 64 bits. */
    private static final int MIN_IPV6_PREFIX = 64;
    private static final String PREFIX = "invalid compact snapshot: ";

    private CompactSnapshot() {
    }

    /**
     * A decoded and fully validated snapshot: its range, {@code count}, the number of allocated
     * indexes (unsigned), and {@code runCount} runs, which stay encoded in {@code bytes} (a private
     * copy of the input, never changed) from {@code runsOffset} on.
     */
    record Decoded(ServiceCidr cidr, long count, int runCount, byte[] bytes, int runsOffset)
            implements HierarchicalBitmap.Runs {

        /** Calls {@code visitor} with each run {@code [start, start + length)}, in ascending order. */
        @Override
        public void forEachRun(HierarchicalBitmap.RunVisitor visitor) {
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

    // ---- encoding ----------------------------------------------------------------------------------

    /**
     * Encodes a state given as runs. {@code starts[i], lengths[i]} for {@code i < runCount} must be
     * ascending, non-overlapping, non-adjacent runs ({@code start + length < next start},
     * unsigned), each of length at least 1, all inside {@code [0, usable)}.
     *
     * @throws IllegalArgumentException if the CIDR is an IPv6 prefix shorter than /64, if
     *     {@code runCount} does not fit the arrays, or if the runs break the rules above
     * @throws NullPointerException if an argument is null
     */
    static byte[] encode(ServiceCidr cidr, long[] starts, long[] lengths, int runCount) {
        Objects.requireNonNull(cidr, "cidr");
        Objects.requireNonNull(starts, "starts");
        Objects.requireNonNull(lengths, "lengths");
        if (cidr.family() == IpFamily.IPV6 && cidr.prefixLength() < MIN_IPV6_PREFIX) {
            throw new IllegalArgumentException("cannot encode " + cidr + ": IPv6 prefixes shorter than /"
                    + MIN_IPV6_PREFIX + " have more than 2^64 usable addresses");
        }
        if (runCount < 0 || runCount > starts.length || runCount > lengths.length) {
            throw new IllegalArgumentException("run count " + runCount + " does not fit arrays of "
                    + starts.length + " starts and " + lengths.length + " lengths");
        }
        long usable = usable(cidr);
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
                        + Long.toUnsignedString(usable) + " usable addresses of " + cidr);
            }
            bodySize += varintSize(start - end) + varintSize(length - 1);
            end = start + length; // no wrap: at most usable <= 2^64 - 1
            count += length; // no wrap: the runs are disjoint inside [0, usable)
        }
        int addressBytes = cidr.family() == IpFamily.IPV4 ? 4 : 16;
        long total = OFFSET_NETWORK + addressBytes + varintSize(count) + bodySize + CRC_BYTES;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a snapshot of " + runCount + " runs would take " + total
                    + " bytes, more than an array can hold");
        }
        byte[] out = new byte[(int) total];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[OFFSET_VERSION] = (byte) VERSION;
        out[OFFSET_FAMILY] = (byte) (cidr.family() == IpFamily.IPV4 ? FAMILY_IPV4 : FAMILY_IPV6);
        out[OFFSET_PREFIX] = (byte) cidr.prefixLength();
        byte[] network = cidr.network().toBytes();
        System.arraycopy(network, 0, out, OFFSET_NETWORK, network.length);
        int pos = OFFSET_NETWORK + network.length;
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
     * Decodes and validates a snapshot.
     *
     * @throws IllegalArgumentException if {@code data} is not a valid version 1 snapshot; the
     *     message starts with "invalid compact snapshot: " and says what is wrong and where
     * @throws NullPointerException if {@code data} is null
     */
    static Decoded decode(byte[] input) {
        // One copy, read from here on: bytes changed in the caller's array meanwhile are not seen.
        byte[] data = Objects.requireNonNull(input, "data").clone();
        if (data.length == 0) {
            throw invalid("input is empty");
        }

        // ---- stage 1: structure. No allocation, no trust in any value beyond its encoding.
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
        if (version != VERSION) {
            throw invalid("unsupported version " + version + " at byte offset " + OFFSET_VERSION
                    + " (supported versions: " + VERSION + ")");
        }
        requireBytes(data, OFFSET_FAMILY, 1, "the address family byte");
        int familyByte = data[OFFSET_FAMILY] & 0xFF;
        if (familyByte != FAMILY_IPV4 && familyByte != FAMILY_IPV6) {
            throw invalid("bad address family " + familyByte + " at byte offset " + OFFSET_FAMILY
                    + " (expected 4 for IPv4 or 6 for IPv6)");
        }
        IpFamily family = familyByte == FAMILY_IPV4 ? IpFamily.IPV4 : IpFamily.IPV6;
        int addressBytes = family == IpFamily.IPV4 ? 4 : 16;
        requireBytes(data, OFFSET_PREFIX, 1, "the prefix length byte");
        requireBytes(data, OFFSET_NETWORK, addressBytes, "the " + addressBytes + "-byte network address");

        int countOffset = OFFSET_NETWORK + addressBytes;
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
                    + runCountOffset + " cannot fit in the " + room + (room == 1 ? " byte" : " bytes") + " left before the CRC-32C (each run takes at least 2 bytes; truncated or corrupt)");
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

        // ---- stage 2: integrity.
        int stored = ((data[crcOffset] & 0xFF) << 24) | ((data[crcOffset + 1] & 0xFF) << 16)
                | ((data[crcOffset + 2] & 0xFF) << 8) | (data[crcOffset + 3] & 0xFF);
        int computed = crc(data, crcOffset);
        if (stored != computed) {
            throw invalid(String.format("CRC-32C mismatch: stored %08x at byte offset %d, computed %08x over "
                    + "bytes 0 to %d", stored, crcOffset, computed, crcOffset - 1));
        }

        // ---- stage 3: meaning.
        int prefix = data[OFFSET_PREFIX] & 0xFF;
        int minPrefix = family == IpFamily.IPV4 ? 0 : MIN_IPV6_PREFIX;
        int maxPrefix = family.bitLength();
        if (prefix < minPrefix || prefix > maxPrefix) {
            throw invalid("prefix length " + prefix + " at byte offset " + OFFSET_PREFIX + " is out of range "
                    + minPrefix + ".." + maxPrefix + " for " + (family == IpFamily.IPV4 ? "IPv4"
                    : "IPv6 (shorter IPv6 prefixes have more than 2^64 usable addresses)"));
        }
        long high = family == IpFamily.IPV4 ? 0 : readLong(data, OFFSET_NETWORK, 8);
        long low = family == IpFamily.IPV4 ? readLong(data, OFFSET_NETWORK, 4) : readLong(data, OFFSET_NETWORK + 8, 8);
        int hostBits = maxPrefix - prefix; // 0..32 for IPv4, 0..64 for IPv6
        long hostMask = hostBits == 64 ? -1L : (1L << hostBits) - 1;
        if ((low & hostMask) != 0) {
            IpAddress given = IpAddress.of(family, high, low);
            IpAddress canonical = IpAddress.of(family, high, low & ~hostMask);
            throw invalid("network " + given + " at byte offset " + OFFSET_NETWORK
                    + " has host bits set for prefix length " + prefix + "; the canonical CIDR is "
                    + canonical + "/" + prefix);
        }
        ServiceCidr cidr = ServiceCidr.of(IpAddress.of(family, high, low), prefix);
        long usable = usable(cidr);

        reader = new Reader(data, countOffset);
        long count = reader.next("allocated count");
        if (Long.compareUnsigned(count, usable) > 0) {
            throw invalid("allocated count " + Long.toUnsignedString(count) + " at byte offset " + countOffset
                    + " exceeds the " + Long.toUnsignedString(usable) + " usable addresses of " + cidr);
        }
        reader.next("run count"); // ends at runsOffset, as in stage 1
        long end = 0; // exclusive end of the previous run
        long sum = 0;
        for (int i = 0; i < runCount; i++) {
            int runOffset = reader.pos;
            long gap = reader.next("gap");
            long lengthMinusOne = reader.next("length - 1");
            long start = end + gap;
            if (i > 0 && Long.compareUnsigned(start, end) < 0) {
                throw invalid("run " + i + " at byte offset " + runOffset + ": its start wraps past 2^64 (gap "
                        + Long.toUnsignedString(gap) + " after the previous run's end " + Long.toUnsignedString(end)
                        + "), so the runs overlap or are out of order");
            }
            if (i > 0 && gap == 0) {
                throw invalid("run " + i + " at byte offset " + runOffset + " touches the previous run (gap 0 at index "
                        + Long.toUnsignedString(end) + "); runs must be maximal, with at least one free index between");
            }
            if (Long.compareUnsigned(start, usable) >= 0) {
                throw invalid("run " + i + " at byte offset " + runOffset + " starts at index "
                        + Long.toUnsignedString(start) + ", beyond the usable range [0, "
                        + Long.toUnsignedString(usable) + ") of " + cidr);
            }
            // length <= usable - start, that is length - 1 < usable - start; also catches a length
            // of 2^64 (length - 1 = 2^64 - 1), which would wrap.
            if (Long.compareUnsigned(lengthMinusOne, usable - start) >= 0) {
                BigInteger length = new BigInteger(Long.toUnsignedString(lengthMinusOne)).add(BigInteger.ONE);
                throw invalid("run " + i + " at byte offset " + runOffset + " (start " + Long.toUnsignedString(start)
                        + ", length " + length + ") extends beyond the usable range [0, "
                        + Long.toUnsignedString(usable) + ") of " + cidr);
            }
            long length = lengthMinusOne + 1;
            end = start + length; // at most usable, no wrap
            sum += length; // the runs are disjoint inside [0, usable): no wrap
        }
        if (sum != count) {
            throw invalid("allocated count " + Long.toUnsignedString(count) + " at byte offset " + countOffset
                    + " does not equal the sum of the run lengths, " + Long.toUnsignedString(sum));
        }
        return new Decoded(cidr, count, runCount, data, runsOffset);
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

    /** The number of usable addresses, unsigned: 2^64 - 1 for an IPv6 /64. Needs host bits <= 64. */
    static long usable(ServiceCidr cidr) {
        int hostBits = cidr.hostBits();
        if (cidr.family() == IpFamily.IPV4) {
            return hostBits <= 1 ? 0 : (1L << hostBits) - 2;
        }
        return hostBits == 64 ? -1L : (1L << hostBits) - 1;
    }

    private static long readLong(byte[] data, int from, int count) {
        long value = 0;
        for (int i = from; i < from + count; i++) {
            value = (value << 8) | (data[i] & 0xFF);
        }
        return value;
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

    private static IllegalArgumentException invalid(String problem) {
        return new IllegalArgumentException(PREFIX + problem);
    }
}
