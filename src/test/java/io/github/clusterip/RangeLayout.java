package io.github.clusterip;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;

/**
 * The layout of a Service CIDR worked out in the test, independently of {@link ServiceCidr}'s own
 * arithmetic: the network value comes from the JDK's literal parser, the band offset from the rule
 * in the design notes (size = 2^host bits; 0 when size &lt;= 16, otherwise
 * min(max(16, size / 16), 256)), and addresses from {@link BigInteger} sums turned into
 * {@link InetAddress} bytes.
 */
final class RangeLayout {

    final String text;
    final ServiceCidr cidr;
    final boolean v6;
    final int hostBits;
    final BigInteger network;
    /** Usable addresses: 2^h - 2 (IPv4), 2^h - 1 (IPv6), never negative. */
    final int usable;
    /** The rule's offset, from the full size. */
    final int offset;
    /** Size of the static band: the offset, but never more than the usable count. */
    final int staticSize;
    private final IpAddress[] cache;

    private RangeLayout(String text) {
        this.text = text;
        int slash = text.indexOf('/');
        String networkText = text.substring(0, slash);
        this.v6 = networkText.indexOf(':') >= 0;
        int prefix = Integer.parseInt(text.substring(slash + 1));
        this.hostBits = (v6 ? 128 : 32) - prefix;
        this.network = new BigInteger(1, literalBytes(networkText));
        this.cidr = ServiceCidr.parse(text);
        BigInteger size = BigInteger.ONE.shiftLeft(hostBits);
        BigInteger usableBig = size.subtract(BigInteger.valueOf(v6 ? 1 : 2)).max(BigInteger.ZERO);
        this.usable = usableBig.bitLength() <= 31 ? usableBig.intValue() : Integer.MAX_VALUE;
        if (size.compareTo(BigInteger.valueOf(16)) <= 0) {
            this.offset = 0;
        } else {
            BigInteger sixteenth = size.divide(BigInteger.valueOf(16));
            this.offset = sixteenth.max(BigInteger.valueOf(16)).min(BigInteger.valueOf(256)).intValueExact();
        }
        this.staticSize = Math.min(offset, usable);
        this.cache = usable <= (1 << 16) ? new IpAddress[usable] : null;
    }

    static RangeLayout of(String text) {
        return new RangeLayout(text);
    }

    int dynamicSize() {
        return usable - staticSize;
    }

    boolean isStatic(int index) {
        return index < staticSize;
    }

    /** Usable address number k: network + 1 + k. */
    IpAddress address(int k) {
        if (k < 0 || k >= usable) {
            throw new IndexOutOfBoundsException(k);
        }
        if (cache != null) {
            IpAddress a = cache[k];
            if (a == null) {
                a = fromValue(network.add(BigInteger.valueOf(k + 1L)), v6);
                cache[k] = a;
            }
            return a;
        }
        return fromValue(network.add(BigInteger.valueOf(k + 1L)), v6);
    }

    /** network + delta, any address of the same family (may be outside or unusable). */
    IpAddress offsetFromNetwork(long delta) {
        return fromValue(network.add(BigInteger.valueOf(delta)), v6);
    }

    IpAddress networkAddress() {
        return offsetFromNetwork(0);
    }

    /** The last address of the block (the IPv4 broadcast; for IPv6 the usable all-ones address). */
    IpAddress lastOfBlock() {
        return fromValue(network.add(BigInteger.ONE.shiftLeft(hostBits)).subtract(BigInteger.ONE), v6);
    }

    IpAddress justAfterBlock() {
        return fromValue(network.add(BigInteger.ONE.shiftLeft(hostBits)), v6);
    }

    IpAddress justBeforeNetwork() {
        return fromValue(network.subtract(BigInteger.ONE), v6);
    }

    /** An address of the other family. */
    IpAddress otherFamily() {
        return v6 ? IpAddress.of(inet("10.96.0.1")) : IpAddress.of(inet("fd00::1"));
    }

    /** Index of a usable address, or -1. */
    int indexOf(IpAddress address) {
        if ((address.family() == IpFamily.IPV6) != v6) {
            return -1;
        }
        BigInteger k = new BigInteger(1, address.toInetAddress().getAddress()).subtract(network).subtract(BigInteger.ONE);
        if (k.signum() < 0 || k.compareTo(BigInteger.valueOf(usable)) >= 0) {
            return -1;
        }
        return k.intValueExact();
    }

    List<IpAddress> staticBand() {
        List<IpAddress> list = new ArrayList<>();
        for (int k = 0; k < staticSize; k++) {
            list.add(address(k));
        }
        return list;
    }

    List<IpAddress> dynamicBand() {
        List<IpAddress> list = new ArrayList<>();
        for (int k = staticSize; k < usable; k++) {
            list.add(address(k));
        }
        return list;
    }

    List<IpAddress> allUsable() {
        List<IpAddress> list = new ArrayList<>();
        for (int k = 0; k < usable; k++) {
            list.add(address(k));
        }
        return list;
    }

    @Override
    public String toString() {
        return text;
    }

    // ---- conversions, independent of the library's arithmetic ----------------------------------

    static IpAddress fromValue(BigInteger value, boolean v6) {
        int length = v6 ? 16 : 4;
        byte[] raw = value.toByteArray();
        byte[] bytes = new byte[length];
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, bytes, length - copy, copy);
        try {
            InetAddress inet = v6 ? Inet6Address.getByAddress(null, bytes, -1) : InetAddress.getByAddress(bytes);
            return IpAddress.of(inet);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetAddress inet(String literal) {
        try {
            // A literal (digits or ':') is parsed, never looked up.
            return InetAddress.getByAddress(literalBytes(literal));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] literalBytes(String literal) {
        if (literal.isEmpty() || !(Character.digit(literal.charAt(0), 16) >= 0 || literal.charAt(0) == ':')) {
            throw new IllegalArgumentException("not a literal: " + literal);
        }
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static IpAddress ip(String literal) {
        return IpAddress.parse(literal);
    }

    /**
     * Go's big.Int.Bytes() of a bitmap with the given bits set, built with BigInteger: the magnitude
     * big-endian, the sign byte stripped, empty for zero.
     */
    static byte[] goBytesViaBigInteger(Collection<Integer> indexes) {
        BigInteger value = BigInteger.ZERO;
        for (int k : indexes) {
            value = value.setBit(k);
        }
        return stripSign(value.toByteArray());
    }

    static byte[] stripSign(byte[] twosComplement) {
        if (twosComplement.length > 0 && twosComplement[0] == 0) {
            byte[] out = new byte[twosComplement.length - 1];
            System.arraycopy(twosComplement, 1, out, 0, out.length);
            return out;
        }
        return twosComplement;
    }

    /** The same bytes built directly from the layout rule (bit k = bit k%8 of data[len-1-k/8]). */
    static byte[] goBytesDirect(BitSet bits) {
        int highest = bits.length() - 1;
        if (highest < 0) {
            return new byte[0];
        }
        byte[] data = new byte[highest / 8 + 1];
        for (int k = bits.nextSetBit(0); k >= 0; k = bits.nextSetBit(k + 1)) {
            data[data.length - 1 - k / 8] |= (byte) (1 << (k % 8));
        }
        return data;
    }
}
