package io.github.clusterip;

import io.github.clusterip.engine.BandedAllocator;
import io.github.clusterip.engine.CompactFrame;
import java.util.Objects;

/**
 * The headers of the compact snapshot for the two resources, over the frame that
 * {@link CompactFrame} encodes and checks: a CIDR (kind 4 or 6: prefix length, then the network
 * address) and a port range (kind 'P': first and last port). Usable address k (from 0) is
 * {@code network + 1 + k}; port k is {@code base + k}. IPv6 prefixes shorter than /64 are not
 * supported, as their indexes do not fit in 64 bits.
 *
 * <p>A decode checks in three stages: the structure, then the CRC-32C (both in
 * {@link CompactFrame#decode(byte[])}), then the meaning: the header here, then the count and the
 * runs against the range's size.
 */
final class CompactSnapshot {

    /** The shortest IPv6 prefix whose usable indexes fit in 64 bits. */
    private static final int MIN_IPV6_PREFIX = 64;
    private static final String ADDRESSES = "usable addresses";
    private static final String PORTS = "ports";

    private CompactSnapshot() {
    }

    /**
     * A decoded and fully validated snapshot of a CIDR: its range and its runs.
     *
     * @param cidr the range
     * @param runs the allocated indexes
     */
    record Decoded(ServiceCidr cidr, CompactFrame.Decoded runs) implements BandedAllocator.Runs {

        /** The number of allocated addresses, unsigned. */
        long count() {
            return runs.count();
        }

        @Override
        public void forEachRun(BandedAllocator.RunVisitor visitor) {
            runs.forEachRun(visitor);
        }
    }

    /**
     * A decoded and fully validated snapshot of a port range.
     *
     * @param range the range
     * @param runs the allocated indexes, port base + k
     */
    record DecodedPorts(PortRange range, CompactFrame.Decoded runs) {
    }

    // ---- encoding ----------------------------------------------------------------------------------

    /** Encodes the allocated words of a CIDR, as ascending index/word pairs. */
    static byte[] encodeWords(ServiceCidr cidr, long[] pairs) {
        return CompactFrame.encodeWords(kind(cidr), header(cidr), cidr.usableIndexes(), cidr.toString(), pairs);
    }

    /** Encodes the allocated words of a port range, as ascending index/word pairs. */
    static byte[] encodeWords(PortRange range, long[] pairs) {
        return CompactFrame.encodeWords(CompactFrame.KIND_PORTS, header(range), range.size(), range.toString(), pairs);
    }

    /**
     * Encodes a state given as runs; see {@link CompactFrame#encode}.
     *
     * @throws IllegalArgumentException if the CIDR is an IPv6 prefix shorter than /64, if
     *     {@code runCount} does not fit the arrays, or if the runs break the rules
     * @throws NullPointerException if an argument is null
     */
    static byte[] encode(ServiceCidr cidr, long[] starts, long[] lengths, int runCount) {
        Objects.requireNonNull(cidr, "cidr");
        return CompactFrame.encode(kind(cidr), header(cidr), cidr.usableIndexes(), cidr.toString(), starts, lengths,
                runCount);
    }

    /** Encodes a port range's state given as runs; see {@link CompactFrame#encode}. */
    static byte[] encode(PortRange range, long[] starts, long[] lengths, int runCount) {
        Objects.requireNonNull(range, "range");
        return CompactFrame.encode(CompactFrame.KIND_PORTS, header(range), range.size(), range.toString(), starts,
                lengths, runCount);
    }

    private static int kind(ServiceCidr cidr) {
        if (cidr.family() == IpFamily.IPV6 && cidr.prefixLength() < MIN_IPV6_PREFIX) {
            throw new IllegalArgumentException("cannot encode " + cidr + ": IPv6 prefixes shorter than /"
                    + MIN_IPV6_PREFIX + " have more than 2^64 usable addresses");
        }
        return cidr.family() == IpFamily.IPV4 ? CompactFrame.KIND_IPV4 : CompactFrame.KIND_IPV6;
    }

    private static byte[] header(ServiceCidr cidr) {
        byte[] network = cidr.network().toBytes();
        byte[] header = new byte[1 + network.length];
        header[0] = (byte) cidr.prefixLength();
        System.arraycopy(network, 0, header, 1, network.length);
        return header;
    }

    private static byte[] header(PortRange range) {
        return new byte[] {(byte) (range.base() >>> 8), (byte) range.base(), (byte) (range.last() >>> 8),
                (byte) range.last()};
    }

    // ---- decoding ----------------------------------------------------------------------------------

    /**
     * Decodes and validates a snapshot of a CIDR.
     *
     * @throws IllegalArgumentException if {@code data} is not a valid snapshot of a CIDR; the
     *     message starts with "invalid compact snapshot: " and says what is wrong and where
     * @throws NullPointerException if {@code data} is null
     */
    static Decoded decode(byte[] data) {
        CompactFrame.Frame frame = CompactFrame.decode(data);
        if (frame.kind() == CompactFrame.KIND_PORTS) {
            throw CompactFrame.invalid("it holds the port range " + portRange(frame)
                    + ", not a CIDR; restore it with NodePortAllocator");
        }
        ServiceCidr cidr = cidr(frame);
        return new Decoded(cidr, frame.runs(cidr.usableIndexes(), cidr.toString(), ADDRESSES));
    }

    /**
     * Decodes and validates a snapshot of a port range.
     *
     * @throws IllegalArgumentException if {@code data} is not a valid snapshot of a port range;
     *     the message starts with "invalid compact snapshot: " and says what is wrong and where
     * @throws NullPointerException if {@code data} is null
     */
    static DecodedPorts decodePorts(byte[] data) {
        CompactFrame.Frame frame = CompactFrame.decode(data);
        if (frame.kind() != CompactFrame.KIND_PORTS) {
            throw CompactFrame.invalid("it holds the CIDR " + cidr(frame)
                    + ", not a port range; restore it with ClusterIpAllocator");
        }
        PortRange range = portRange(frame);
        return new DecodedPorts(range, frame.runs(range.size(), range.toString(), PORTS));
    }

    private static PortRange portRange(CompactFrame.Frame frame) {
        int first = (int) frame.headerLong(0, 2);
        int last = (int) frame.headerLong(2, 2);
        if (last < first) {
            throw CompactFrame.invalid("last port " + last + " at byte offset " + (CompactFrame.HEADER_OFFSET + 2)
                    + " is below the first port " + first);
        }
        return PortRange.of(first, last - first + 1);
    }

    private static ServiceCidr cidr(CompactFrame.Frame frame) {
        IpFamily family = frame.kind() == CompactFrame.KIND_IPV4 ? IpFamily.IPV4 : IpFamily.IPV6;
        int prefixOffset = CompactFrame.HEADER_OFFSET;
        int networkOffset = prefixOffset + 1;
        int prefix = (int) frame.headerLong(0, 1);
        int minPrefix = family == IpFamily.IPV4 ? 0 : MIN_IPV6_PREFIX;
        int maxPrefix = family.bitLength();
        if (prefix < minPrefix || prefix > maxPrefix) {
            throw CompactFrame.invalid("prefix length " + prefix + " at byte offset " + prefixOffset
                    + " is out of range " + minPrefix + ".." + maxPrefix + " for " + (family == IpFamily.IPV4
                    ? "IPv4" : "IPv6 (shorter IPv6 prefixes have more than 2^64 usable addresses)"));
        }
        long high = family == IpFamily.IPV4 ? 0 : frame.headerLong(1, 8);
        long low = family == IpFamily.IPV4 ? frame.headerLong(1, 4) : frame.headerLong(9, 8);
        int hostBits = maxPrefix - prefix; // 0..32 for IPv4, 0..64 for IPv6
        long hostMask = hostBits == 64 ? -1L : (1L << hostBits) - 1;
        if ((low & hostMask) != 0) {
            IpAddress given = IpAddress.of(family, high, low);
            IpAddress canonical = IpAddress.of(family, high, low & ~hostMask);
            throw CompactFrame.invalid("network " + given + " at byte offset " + networkOffset
                    + " has host bits set for prefix length " + prefix + "; the canonical CIDR is "
                    + canonical + "/" + prefix);
        }
        return ServiceCidr.of(IpAddress.of(family, high, low), prefix);
    }
}
