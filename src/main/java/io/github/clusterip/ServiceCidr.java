package io.github.clusterip;

import io.github.clusterip.engine.BandRule;
import io.github.clusterip.internal.Messages;
import java.math.BigInteger;
import java.util.Objects;
import java.util.Optional;

/**
 * A Service CIDR, such as {@code 10.96.0.0/12}, and the two bands Kubernetes splits it into.
 *
 * <p>The rule, as kube-apiserver implements KEP-3070:
 * <ul>
 *   <li>size is the full size of the block, 2<sup>host bits</sup>;</li>
 *   <li>the band offset is 0 when size &le; 16, otherwise min(max(16, size / 16), 256);</li>
 *   <li>the usable addresses are all but the network address and, for IPv4 only, the broadcast
 *       address; usable address k (from 0) is {@code network + 1 + k};</li>
 *   <li>the {@linkplain #staticBand() static band} is the first {@code offset} usable addresses,
 *       the {@linkplain #dynamicBand() dynamic band} all the others.</li>
 * </ul>
 * For {@code 10.96.0.0/24}: 254 usable, offset 16, static band {@code 10.96.0.1 - 10.96.0.16},
 * dynamic band {@code 10.96.0.17 - 10.96.0.254}.
 *
 * <p>This class is immutable and thread-safe.
 */
public final class ServiceCidr {


    private final IpAddress network;
    private final int prefixLength;
    private final int bandOffset;
    /** The usable count: 2^host bits less the network address and, for IPv4, the broadcast. */
    private final BigInteger usableCount;
    /** The usable count as an unsigned long, for blocks of at most 2^64 addresses; else -1. */
    private final long usableIndexes;

    private ServiceCidr(IpAddress network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
        int hostBits = network.family().bitLength() - prefixLength;
        // The rule applies to the full block size; every block of 2^63 or more has the maximum.
        this.bandOffset = (int) BandRule.SERVICE_IPS.offset(hostBits >= 63 ? Long.MAX_VALUE : 1L << hostBits);
        BigInteger excluded = BigInteger.valueOf(network.family() == IpFamily.IPV4 ? 2 : 1);
        this.usableCount = BigInteger.ONE.shiftLeft(hostBits).subtract(excluded).max(BigInteger.ZERO);
        this.usableIndexes = hostBits <= 64 ? usableCount.longValue() : -1L;
    }

    /**
     * Parses a CIDR in its strict form {@code address/prefix-length}.
     *
     * <p>The address follows {@link IpAddress#parse(String)}; the prefix length is a decimal number
     * without sign or leading zeros, from 0 to 32 (IPv4) or 128 (IPv6). The address must be the
     * network address: a CIDR with host bits set is rejected, and the message names the network
     * that was probably meant.
     *
     * <p>A parse error's message quotes the input once, escaped and shortened as
     * {@link IpAddress#parse(String)} quotes it, then says what is wrong, the address part's
     * problem included: {@code invalid CIDR "10.96.0.256/24": the address is invalid: octet "256"
     * is greater than 255}.
     *
     * @param text the CIDR text, for example {@code "10.96.0.0/12"} or {@code "fd00:10:96::/108"}
     * @return the CIDR
     * @throws IllegalArgumentException if {@code text} is not a valid CIDR; the message quotes the
     *     input and says what is wrong with it
     * @throws NullPointerException if {@code text} is null
     */
    public static ServiceCidr parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        if (text.isEmpty()) {
            throw invalid(text, "is empty");
        }
        for (int i = 0; i < text.length(); i++) {
            if (IpAddress.isWhitespace(text.charAt(i))) {
                throw invalid(text, "contains whitespace");
            }
        }
        if (slash < 0) {
            throw invalid(text, "has no prefix length (expected address/prefix-length)");
        }
        if (text.indexOf('/', slash + 1) >= 0) {
            throw invalid(text, "has more than one '/'");
        }
        String addressText = text.substring(0, slash);
        String prefixText = text.substring(slash + 1);
        if (addressText.isEmpty()) {
            throw invalid(text, "has no address before the '/'");
        }
        IpAddress address;
        try {
            address = IpAddress.parseOrExplain(addressText);
        } catch (IpAddress.Malformed e) {
            // The problem alone: the input is quoted once, here, and not again for its address part.
            throw invalid(text, "the address is invalid: " + e.getMessage());
        }
        int bits = address.family().bitLength();
        if (prefixText.isEmpty()) {
            throw invalid(text, "has an empty prefix length");
        }
        for (int i = 0; i < prefixText.length(); i++) {
            char c = prefixText.charAt(i);
            if (c < '0' || c > '9') {
                throw invalid(text, "prefix length " + IpAddress.quotePart(prefixText) + " is not a decimal number");
            }
        }
        if (prefixText.length() > 1 && prefixText.charAt(0) == '0') {
            throw invalid(text, "prefix length " + IpAddress.quotePart(prefixText) + " has a leading zero");
        }
        if (prefixText.length() > 3 || Integer.parseInt(prefixText) > bits) {
            // Only digits by now, but maybe a million of them: a long one is quoted and cut short.
            String shown = prefixText.length() <= 10 ? prefixText : IpAddress.quotePart(prefixText);
            throw invalid(text, "prefix length " + shown + " is out of range 0.." + bits + " for "
                    + (bits == 32 ? "IPv4" : "IPv6"));
        }
        int prefix = Integer.parseInt(prefixText);
        IpAddress network = mask(address, prefix);
        if (!network.equals(address)) {
            throw invalid(text, text + " has host bits set; did you mean " + network + "/" + prefix + "?");
        }
        return new ServiceCidr(network, prefix);
    }

    /**
     * Returns the CIDR with the given network address and prefix length.
     *
     * @param network the network address, with no host bits set
     * @param prefixLength the prefix length, from 0 to the family's bit length
     * @return the CIDR
     * @throws IllegalArgumentException if the prefix length is out of range or {@code network}
     *     has host bits set
     * @throws NullPointerException if {@code network} is null
     */
    public static ServiceCidr of(IpAddress network, int prefixLength) {
        Objects.requireNonNull(network, "network");
        int bits = network.family().bitLength();
        if (prefixLength < 0 || prefixLength > bits) {
            throw invalid(network + "/" + prefixLength, "prefix length " + prefixLength
                    + " is out of range 0.." + bits);
        }
        IpAddress masked = mask(network, prefixLength);
        if (!masked.equals(network)) {
            String text = network + "/" + prefixLength;
            throw invalid(text, text + " has host bits set; did you mean " + masked + "/" + prefixLength + "?");
        }
        return new ServiceCidr(network, prefixLength);
    }

    /**
     * Returns the address family of this CIDR.
     *
     * @return the family of its network address
     */
    public IpFamily family() {
        return network.family();
    }

    /**
     * Returns the network address, the lowest address of the block.
     *
     * @return the network address
     */
    public IpAddress network() {
        return network;
    }

    /**
     * Returns the prefix length.
     *
     * @return the number of leading bits fixed by this CIDR
     */
    public int prefixLength() {
        return prefixLength;
    }

    /**
     * Returns the full size of the block, network and broadcast addresses included.
     *
     * @return 2<sup>host bits</sup>
     */
    public BigInteger addressCount() {
        return BigInteger.ONE.shiftLeft(hostBits());
    }

    /**
     * Returns the number of allocatable addresses: the full size less the network address and,
     * for IPv4, the broadcast address.
     *
     * @return the usable count; 0 for IPv4 /31 and /32 and for IPv6 /128
     */
    public BigInteger usableCount() {
        return usableCount;
    }

    /**
     * Returns the Kubernetes band offset: 0 when the full size is at most 16, otherwise
     * min(max(16, size / 16), 256). It is the size of the static band.
     *
     * @return the band offset, from 0 to 256
     */
    public int bandOffset() {
        return bandOffset;
    }

    /**
     * Returns all usable addresses as one range.
     *
     * @return the usable range, or empty if the CIDR has no usable address
     */
    public Optional<IpRange> usableRange() {
        if (usableCount().signum() == 0) {
            return Optional.empty();
        }
        return Optional.of(IpRange.of(network.plus(1), lastUsable()));
    }

    /**
     * Returns the static (lower) band: the first {@link #bandOffset()} usable addresses.
     *
     * @return the static band, or empty if the offset is 0
     */
    public Optional<IpRange> staticBand() {
        if (bandOffset == 0) {
            return Optional.empty();
        }
        // A block with an offset (more than 16 addresses) has at least 30 usable ones, so the
        // offset never exceeds the usable count.
        return Optional.of(IpRange.of(network.plus(1), network.plus(bandOffset)));
    }

    /**
     * Returns the dynamic (upper) band: the usable addresses above the static band.
     *
     * @return the dynamic band, or empty if the CIDR has no usable address above the static band
     */
    public Optional<IpRange> dynamicBand() {
        if (usableCount().compareTo(BigInteger.valueOf(bandOffset)) <= 0) {
            return Optional.empty();
        }
        return Optional.of(IpRange.of(network.plus(bandOffset + 1L), lastUsable()));
    }

    /**
     * Returns one of the two bands: the same as {@link #staticBand()} for {@link Band#STATIC} and
     * {@link #dynamicBand()} for {@link Band#DYNAMIC}.
     *
     * @param band the band to return
     * @return that band's range, or empty if the band holds no address in this CIDR
     * @throws NullPointerException if {@code band} is null
     */
    public Optional<IpRange> band(Band band) {
        Objects.requireNonNull(band, "band");
        return switch (band) {
            case STATIC -> staticBand();
            case DYNAMIC -> dynamicBand();
        };
    }

    /**
     * Tells whether an address lies in this CIDR's block, network and broadcast addresses included.
     *
     * @param address the address to test
     * @return true if {@code address} is of this family and its first {@link #prefixLength()} bits
     *     equal the network's
     * @throws NullPointerException if {@code address} is null
     * @see #bandOf(IpAddress)
     */
    public boolean contains(IpAddress address) {
        Objects.requireNonNull(address, "address");
        return address.family() == family() && mask(address, prefixLength).equals(network);
    }

    /**
     * Returns the band a usable address belongs to.
     *
     * @param address the address to classify
     * @return its band, or empty if {@code address} is not a usable address of this CIDR (outside
     *     the block, or its network or IPv4 broadcast address)
     * @throws NullPointerException if {@code address} is null
     */
    public Optional<Band> bandOf(IpAddress address) {
        long index = indexOf(address);
        if (index == -1) {
            return Optional.empty();
        }
        return Optional.of(Long.compareUnsigned(index, bandOffset) < 0 ? Band.STATIC : Band.DYNAMIC);
    }

    /**
     * Tells whether {@code obj} is a CIDR with the same network and prefix length.
     *
     * @param obj the object to compare with
     * @return true if {@code obj} is an equal CIDR
     */
    @Override
    public boolean equals(Object obj) {
        if (this == obj) {
            return true;
        }
        if (!(obj instanceof ServiceCidr)) {
            return false;
        }
        ServiceCidr that = (ServiceCidr) obj;
        return prefixLength == that.prefixLength && network.equals(that.network);
    }

    /**
     * Returns a hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return 31 * network.hashCode() + prefixLength;
    }

    /**
     * Returns the canonical text, {@code network/prefix-length} with the network address as
     * {@link IpAddress#toString()} writes it, which {@link #parse(String)} turns back into an equal
     * CIDR. A network inside {@code ::ffff:0:0/96} is written in the mixed form, as Go's
     * {@code netip.Prefix} writes it: {@code ::ffff:10.96.0.0/108}, {@code ::ffff:0.0.0.0/96}.
     *
     * @return the canonical form, for example {@code "10.96.0.0/12"}
     */
    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }

    // ---- package-private arithmetic used by the allocator ---------------------------------------

    /**
     * Returns the usable count as an unsigned long (2^64 - 1 for an IPv6 /64 reads as -1), for
     * blocks of at most 2^64 addresses.
     */
    long usableIndexes() {
        if (hostBits() > 64) {
            throw new IllegalStateException(this + " has more than 2^64 - 1 usable addresses");
        }
        return usableIndexes;
    }

    int hostBits() {
        return family().bitLength() - prefixLength;
    }

    /**
     * Returns the index k of a usable address ({@code address == network + 1 + k}), or -1 if the
     * address is not usable here. For blocks of at most 2^64 addresses the index is an unsigned
     * 64-bit value (an IPv6 /64 has indexes up to 2^64 - 2, so -1 is never a valid index); indexes
     * of larger IPv6 blocks beyond {@code Long.MAX_VALUE} are returned as {@code Long.MAX_VALUE}.
     */
    long indexOf(IpAddress address) {
        Objects.requireNonNull(address, "address");
        int hostBits = hostBits();
        if (hostBits <= 64) {
            // Allocation-free, as the allocator maps every address it is given through here. The
            // block is aligned and at most 2^64 long, so only the low word differs inside it, and
            // the unsigned difference is the index.
            if (address.family() != family() || address.high() != network.high()) {
                return -1;
            }
            long index = address.low() - network.low() - 1;
            return Long.compareUnsigned(index, usableIndexes) < 0 ? index : -1;
        }
        if (!contains(address)) {
            return -1;
        }
        BigInteger index = address.toBigInteger().subtract(network.toBigInteger()).subtract(BigInteger.ONE);
        if (index.signum() < 0 || index.compareTo(usableCount()) >= 0) {
            return -1;
        }
        return index.bitLength() < 64 ? index.longValue() : Long.MAX_VALUE;
    }

    /** Returns usable address number {@code index}, that is {@code network + 1 + index}. */
    IpAddress addressAt(long index) {
        return network.plus(index + 1);
    }

    private IpAddress lastUsable() {
        IpAddress last = lastOfBlock();
        return family() == IpFamily.IPV4 ? IpAddress.ipv4(last.low() - 1) : last;
    }

    private IpAddress lastOfBlock() {
        int hostBits = hostBits();
        long hostHigh = hostBits <= 64 ? 0 : (hostBits == 128 ? -1L : (1L << (hostBits - 64)) - 1);
        long hostLow = hostBits >= 64 ? -1L : (1L << hostBits) - 1;
        if (family() == IpFamily.IPV4) {
            return IpAddress.ipv4(network.low() | hostLow);
        }
        return IpAddress.ipv6(network.high() | hostHigh, network.low() | hostLow);
    }

    private static IpAddress mask(IpAddress address, int prefixLength) {
        int bits = address.family().bitLength();
        int hostBits = bits - prefixLength;
        if (address.family() == IpFamily.IPV4) {
            long keep = hostBits == 32 ? 0 : (0xFFFF_FFFFL >>> hostBits) << hostBits;
            return IpAddress.ipv4(address.low() & keep);
        }
        long keepHigh = hostBits >= 128 ? 0 : (hostBits <= 64 ? -1L : -1L << (hostBits - 64));
        long keepLow = hostBits >= 64 ? 0 : -1L << hostBits;
        return IpAddress.ipv6(address.high() & keepHigh, address.low() & keepLow);
    }

    private static IllegalArgumentException invalid(String text, String problem) {
        return new IllegalArgumentException("invalid CIDR " + Messages.quote(text) + ": " + problem);
    }
}
