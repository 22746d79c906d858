package io.github.clusterip;

import io.github.clusterip.internal.Messages;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address, as a value.
 *
 * <p>Instances come from {@link #parse(String)}, which accepts only the strict textual forms
 * (dotted decimal without leading zeros for IPv4, RFC 4291 text for IPv6, no zone identifiers)
 * and never resolves a host name, or from {@link #of(InetAddress)} and {@link #of(byte[])}.
 * {@link #toString()} gives the canonical form (RFC 5952 for IPv6, IPv4-mapped addresses as
 * {@code ::ffff:a.b.c.d}), which parses back to an equal address.
 *
 * <p>A parse error's message quotes the input once, with control, bidi and line-separator
 * characters escaped and anything past the first 100 characters cut off (the full length is
 * given instead), so that no input, however long or hostile, makes a long or multi-line message.
 *
 * <p>Addresses are ordered IPv4 before IPv6, then numerically.
 *
 * <p>This class is immutable and thread-safe.
 */
public final class IpAddress implements Comparable<IpAddress> {

    private final IpFamily family;
    /** Upper 64 bits of an IPv6 address; always 0 for IPv4. */
    private final long high;
    /** Lower 64 bits of an IPv6 address, or the 32-bit IPv4 value. */
    private final long low;

    private IpAddress(IpFamily family, long high, long low) {
        this.family = family;
        this.high = high;
        this.low = low;
    }

    static IpAddress ipv4(long value) {
        return new IpAddress(IpFamily.IPV4, 0L, value & 0xFFFF_FFFFL);
    }

    static IpAddress ipv6(long high, long low) {
        return new IpAddress(IpFamily.IPV6, high, low);
    }

    static IpAddress of(IpFamily family, long high, long low) {
        return family == IpFamily.IPV4 ? ipv4(low) : ipv6(high, low);
    }

    /**
     * Parses an IPv4 or IPv6 address in its strict textual form.
     *
     * <p>IPv4 must be four decimal octets from 0 to 255 without leading zeros ({@code 10.96.0.1});
     * octal, hexadecimal and shortened forms are rejected. IPv6 must be eight groups of one to four
     * hexadecimal digits, with at most one {@code ::} standing for one or more zero groups, and may
     * end in a dotted IPv4 address ({@code ::ffff:10.0.0.1}). Zone identifiers, brackets, prefix
     * lengths and whitespace are rejected. No name lookup is ever made.
     *
     * @param text the address text
     * @return the address
     * @throws IllegalArgumentException if {@code text} is not a valid address; the message quotes
     *     the input once, escaped and shortened as needed (see below), and says what is wrong with it
     * @throws NullPointerException if {@code text} is null
     */
    public static IpAddress parse(String text) {
        Objects.requireNonNull(text, "text");
        try {
            return parseOrExplain(text);
        } catch (Malformed e) {
            throw new IllegalArgumentException("invalid IP address " + Messages.quote(text) + ": " + e.getMessage());
        }
    }

    /**
     * Parses as {@link #parse(String)} does, but a failure is a {@link Malformed} whose message is
     * the problem alone, so that a caller parsing a larger text can quote that text instead.
     */
    static IpAddress parseOrExplain(String text) {
        String problem = precheck(text);
        if (problem != null) {
            throw new Malformed(problem);
        }
        if (text.indexOf(':') >= 0) {
            return parseIpv6(text);
        }
        if (text.indexOf('.') >= 0) {
            return ipv4(parseIpv4(text, 0, text.length()));
        }
        throw new Malformed("is neither an IPv4 address (a.b.c.d) nor an IPv6 address");
    }

    /**
     * Returns the address held by an {@link InetAddress}, without any name lookup.
     *
     * <p>Note that {@link InetAddress} itself turns IPv4-mapped IPv6 addresses into
     * {@link Inet4Address} instances; this method keeps whatever family it is given.
     *
     * @param address an {@link Inet4Address} or an {@link Inet6Address} without a scope
     * @return the address
     * @throws IllegalArgumentException if {@code address} is an IPv6 address with a scope (zone) id
     * @throws NullPointerException if {@code address} is null
     */
    public static IpAddress of(InetAddress address) {
        Objects.requireNonNull(address, "address");
        byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address) {
            Inet6Address v6 = (Inet6Address) address;
            if (v6.getScopeId() != 0 || v6.getScopedInterface() != null) {
                throw new IllegalArgumentException("invalid IP address " + Messages.quote(address.getHostAddress())
                        + ": zone identifiers are not supported");
            }
        }
        return of(bytes);
    }

    /**
     * Returns the address with the given bytes, in network byte order: the inverse of
     * {@link #toBytes()}. Four bytes make an IPv4 address and sixteen an IPv6 address; sixteen
     * bytes of an IPv4-mapped address ({@code ::ffff:a.b.c.d}) stay an IPv6 address.
     *
     * <p>The bytes are read once and not kept: changing the array afterwards does not change the
     * address.
     *
     * @param bytes 4 or 16 bytes, most significant first
     * @return the address
     * @throws IllegalArgumentException if {@code bytes} is neither 4 nor 16 bytes long; the message
     *     names its length
     * @throws NullPointerException if {@code bytes} is null
     */
    public static IpAddress of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        switch (bytes.length) {
            case 4 -> {
                return ipv4(readLong(bytes, 0, 4));
            }
            case 16 -> {
                return ipv6(readLong(bytes, 0, 8), readLong(bytes, 8, 8));
            }
            default -> throw new IllegalArgumentException("invalid IP address bytes: " + bytes.length
                    + " byte" + (bytes.length == 1 ? "" : "s") + ", expected 4 (IPv4) or 16 (IPv6)");
        }
    }

    /**
     * Returns the family of this address.
     *
     * @return {@link IpFamily#IPV4} or {@link IpFamily#IPV6}
     */
    public IpFamily family() {
        return family;
    }

    /**
     * Returns this address as an {@link InetAddress}, without any name lookup.
     *
     * <p>An IPv6 address is always returned as an {@link Inet6Address}, IPv4-mapped ones included.
     *
     * @return an {@link Inet4Address} or an {@link Inet6Address} with no host name and no scope
     */
    public InetAddress toInetAddress() {
        try {
            if (family == IpFamily.IPV4) {
                return InetAddress.getByAddress(toBytes());
            }
            return Inet6Address.getByAddress(null, toBytes(), -1);
        } catch (UnknownHostException e) {
            throw new AssertionError("a 4- or 16-byte address is always accepted", e);
        }
    }

    /**
     * Returns the address in network byte order.
     *
     * @return a new array of 4 bytes (IPv4) or 16 bytes (IPv6)
     */
    public byte[] toBytes() {
        if (family == IpFamily.IPV4) {
            byte[] bytes = new byte[4];
            writeLong(bytes, 0, 4, low);
            return bytes;
        }
        byte[] bytes = new byte[16];
        writeLong(bytes, 0, 8, high);
        writeLong(bytes, 8, 8, low);
        return bytes;
    }

    /**
     * Returns the address as a non-negative integer.
     *
     * @return the unsigned value of the address bits
     */
    public BigInteger toBigInteger() {
        if (family == IpFamily.IPV4) {
            return BigInteger.valueOf(low);
        }
        return new BigInteger(1, toBytes());
    }

    long high() {
        return high;
    }

    /** Returns this address plus {@code n} (unsigned); the caller keeps the result in range. */
    IpAddress plus(long n) {
        if (family == IpFamily.IPV4) {
            return ipv4(low + n);
        }
        long sum = low + n;
        long carry = Long.compareUnsigned(sum, low) < 0 ? 1 : 0;
        return ipv6(high + carry, sum);
    }

    long low() {
        return low;
    }

    /**
     * Compares addresses: every IPv4 address comes before every IPv6 address, and addresses of one
     * family are ordered by their numeric value.
     *
     * @param other the address to compare with
     * @return a negative number, zero or a positive number as this address is lower than, equal to
     *     or higher than {@code other}
     */
    @Override
    public int compareTo(IpAddress other) {
        int byFamily = family.compareTo(other.family);
        if (byFamily != 0) {
            return byFamily;
        }
        int byHigh = Long.compareUnsigned(high, other.high);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(low, other.low);
    }

    /**
     * Tells whether {@code obj} is an address of the same family with the same value.
     *
     * @param obj the object to compare with
     * @return true if {@code obj} is an equal address
     */
    @Override
    public boolean equals(Object obj) {
        if (this == obj) {
            return true;
        }
        if (!(obj instanceof IpAddress)) {
            return false;
        }
        IpAddress that = (IpAddress) obj;
        return family == that.family && high == that.high && low == that.low;
    }

    /**
     * Returns a hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return 31 * (31 * family.hashCode() + Long.hashCode(high)) + Long.hashCode(low);
    }

    /**
     * Returns the canonical text of this address: dotted decimal for IPv4, RFC 5952 for IPv6
     * (lower-case hexadecimal, no leading zeros, the longest run of two or more zero groups
     * shortened to {@code ::}, the first such run on a tie).
     *
     * <p>An IPv4-mapped IPv6 address, one in {@code ::ffff:0:0/96}, is written in the mixed form
     * that RFC 5952 section 5 recommends, {@code ::ffff:} followed by the IPv4 address in dotted
     * decimal ({@code ::ffff:10.96.0.1}, not {@code ::ffff:a60:1}), as Go's {@code netip.Addr}
     * writes it. Every other IPv6 address is written in hexadecimal, those with an IPv4 address
     * embedded in some other way included ({@code ::a60:1}, {@code 64:ff9b::a60:1}), again as
     * {@code netip.Addr} does.
     *
     * @return the canonical form, which {@link #parse(String)} turns back into an equal address
     */
    @Override
    public String toString() {
        if (family == IpFamily.IPV4) {
            return dottedDecimal(low);
        }
        if (high == 0 && (low >>> 32) == 0xFFFFL) {
            return "::ffff:" + dottedDecimal(low & 0xFFFF_FFFFL);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) (high >>> (48 - 16 * i)) & 0xFFFF;
            groups[i + 4] = (int) (low >>> (48 - 16 * i)) & 0xFFFF;
        }
        int bestStart = -1;
        int bestLength = 1; // RFC 5952 4.2.2: a single zero group is never shortened
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    private static String dottedDecimal(long value) {
        return (value >>> 24) + "." + ((value >>> 16) & 0xFF) + "." + ((value >>> 8) & 0xFF) + "." + (value & 0xFF);
    }

    // ---- parsing -------------------------------------------------------------------------------

    /** The most characters of one octet, group or prefix length that a message shows. */
    private static final int PART_SHOWN = 20;

    /**
     * What is wrong with an address text, without the text itself: {@link #parse(String)} and
     * {@link ServiceCidr#parse(String)} each put it after their own quote of the whole input.
     */
    static final class Malformed extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Malformed(String problem) {
            super(problem);
        }

        /** Skips the stack trace: every instance is caught and replaced by its caller. */
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Quotes one part of an input (an octet, a group), escaped and cut short like the input. */
    static String quotePart(String part) {
        return Messages.quote(part, PART_SHOWN);
    }

    /** Problems that make any address text invalid, whatever its family; null if none. */
    private static String precheck(String text) {
        if (text.isEmpty()) {
            return "is empty";
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (isWhitespace(c)) {
                return "contains whitespace";
            }
            if (c == '%') {
                return "zone identifiers (\"%...\") are not supported";
            }
            if (c == '[' || c == ']') {
                return "brackets are not part of an address";
            }
            if (c == '/') {
                return "has a prefix length; that is a CIDR, not an address";
            }
        }
        return null;
    }

    /** Whitespace as parsing sees it: Java whitespace and Unicode space separators (e.g. U+00A0). */
    static boolean isWhitespace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** Parses text[from, to) as a dotted-decimal IPv4 address. */
    private static long parseIpv4(String text, int from, int to) {
        long value = 0;
        int octets = 0;
        int i = from;
        while (true) {
            int j = i;
            while (j < to && text.charAt(j) != '.') {
                j++;
            }
            String octet = text.substring(i, j);
            if (octet.isEmpty()) {
                throw new Malformed("has an empty octet");
            }
            for (int k = 0; k < octet.length(); k++) {
                char c = octet.charAt(k);
                if (c < '0' || c > '9') {
                    throw new Malformed("octet " + quotePart(octet) + " is not a decimal number");
                }
            }
            if (octet.length() > 1 && octet.charAt(0) == '0') {
                throw new Malformed("octet " + quotePart(octet) + " has a leading zero (octal forms are not accepted)");
            }
            if (octet.length() > 3 || Integer.parseInt(octet) > 255) {
                throw new Malformed("octet " + quotePart(octet) + " is greater than 255");
            }
            octets++;
            if (octets > 4) {
                throw new Malformed("has more than 4 octets");
            }
            value = (value << 8) | Integer.parseInt(octet);
            if (j == to) {
                break;
            }
            i = j + 1;
        }
        if (octets != 4) {
            throw new Malformed("has " + octets + " octet" + (octets == 1 ? "" : "s") + ", expected 4");
        }
        return value;
    }

    private static IpAddress parseIpv6(String text) {
        int length = text.length();
        int[] groups = new int[8];
        int count = 0;
        int ellipsis = -1;
        int i = 0;
        if (text.startsWith("::")) {
            ellipsis = 0;
            i = 2;
        } else if (text.charAt(0) == ':') {
            throw new Malformed("starts with a single ':'");
        }
        while (i < length) {
            int j = i;
            while (j < length && text.charAt(j) != ':') {
                j++;
            }
            String group = text.substring(i, j);
            if (group.isEmpty()) {
                throw new Malformed("has an empty group (\":::\" or a misplaced ':')");
            }
            if (group.indexOf('.') >= 0) {
                if (j != length) {
                    throw new Malformed("an embedded IPv4 address may only stand at the end");
                }
                if (count > 6) {
                    throw new Malformed("has too many groups before the embedded IPv4 address");
                }
                long v4 = parseIpv4(text, i, j);
                groups[count++] = (int) (v4 >>> 16);
                groups[count++] = (int) (v4 & 0xFFFF);
                break;
            }
            if (group.length() > 4) {
                throw new Malformed("group " + quotePart(group) + " has more than 4 hexadecimal digits");
            }
            int value = 0;
            for (int k = 0; k < group.length(); k++) {
                int digit = Character.digit(group.charAt(k), 16);
                if (digit < 0 || group.charAt(k) > 'f') {
                    throw new Malformed("group " + quotePart(group) + " is not a hexadecimal number");
                }
                value = (value << 4) | digit;
            }
            if (count == 8) {
                throw new Malformed("has more than 8 groups");
            }
            groups[count++] = value;
            if (j == length) {
                break;
            }
            if (j + 1 < length && text.charAt(j + 1) == ':') {
                if (ellipsis >= 0) {
                    throw new Malformed("contains \"::\" more than once");
                }
                ellipsis = count;
                i = j + 2;
            } else {
                i = j + 1;
                if (i == length) {
                    throw new Malformed("ends with a single ':'");
                }
            }
        }
        if (ellipsis < 0) {
            if (count != 8) {
                throw new Malformed("has " + count + " groups, expected 8 (or \"::\" for zero groups)");
            }
        } else {
            if (count >= 8) {
                throw new Malformed("\"::\" must stand for at least one zero group, but there are already 8 groups");
            }
            int shift = 8 - count;
            for (int k = count - 1; k >= ellipsis; k--) {
                groups[k + shift] = groups[k];
            }
            for (int k = ellipsis; k < ellipsis + shift; k++) {
                groups[k] = 0;
            }
        }
        long high = 0;
        long low = 0;
        for (int k = 0; k < 4; k++) {
            high = (high << 16) | groups[k];
            low = (low << 16) | groups[k + 4];
        }
        return ipv6(high, low);
    }

    private static long readLong(byte[] bytes, int from, int count) {
        long value = 0;
        for (int i = from; i < from + count; i++) {
            value = (value << 8) | (bytes[i] & 0xFF);
        }
        return value;
    }

    private static void writeLong(byte[] bytes, int from, int count, long value) {
        for (int i = from + count - 1; i >= from; i--) {
            bytes[i] = (byte) value;
            value >>>= 8;
        }
    }
}
