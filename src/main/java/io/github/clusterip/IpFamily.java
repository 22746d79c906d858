package io.github.clusterip;

/**
 * The two IP address families.
 *
 * <p>This type is immutable and thread-safe.
 */
public enum IpFamily {
    /** IPv4: 32-bit addresses written as four decimal octets. */
    IPV4(32),
    /** IPv6: 128-bit addresses written as eight hexadecimal groups (RFC 4291, RFC 5952). */
    IPV6(128);

    private final int bitLength;

    IpFamily(int bitLength) {
        this.bitLength = bitLength;
    }

    /**
     * Returns the number of bits in an address of this family.
     *
     * @return 32 for {@link #IPV4}, 128 for {@link #IPV6}
     */
    public int bitLength() {
        return bitLength;
    }
}
