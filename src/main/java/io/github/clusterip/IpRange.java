package io.github.clusterip;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A non-empty, inclusive range of addresses of one family, such as a band of a
 * {@link ServiceCidr}.
 *
 * <p>This class is immutable and thread-safe.
 */
public final class IpRange {

    private final IpAddress first;
    private final IpAddress last;

    private IpRange(IpAddress first, IpAddress last) {
        this.first = first;
        this.last = last;
    }

    /**
     * Returns the range from {@code first} to {@code last}, both included.
     *
     * @param first the lowest address of the range
     * @param last the highest address of the range
     * @return the range
     * @throws IllegalArgumentException if the two addresses are of different families or
     *     {@code last} is lower than {@code first}
     * @throws NullPointerException if either address is null
     */
    public static IpRange of(IpAddress first, IpAddress last) {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(last, "last");
        if (first.family() != last.family()) {
            throw new IllegalArgumentException("invalid range " + first + " - " + last
                    + ": the addresses are of different families");
        }
        if (first.compareTo(last) > 0) {
            throw new IllegalArgumentException("invalid range " + first + " - " + last
                    + ": the first address is higher than the last");
        }
        return new IpRange(first, last);
    }

    /**
     * Returns the lowest address of the range.
     *
     * @return the first address
     */
    public IpAddress first() {
        return first;
    }

    /**
     * Returns the highest address of the range.
     *
     * @return the last address, included in the range
     */
    public IpAddress last() {
        return last;
    }

    /**
     * Returns the number of addresses in the range.
     *
     * @return {@code last - first + 1}, at least 1
     */
    public BigInteger size() {
        return last.toBigInteger().subtract(first.toBigInteger()).add(BigInteger.ONE);
    }

    /**
     * Tells whether an address lies in this range.
     *
     * @param address the address to test
     * @return true if {@code address} is of this range's family and between {@link #first()} and
     *     {@link #last()}, both included
     * @throws NullPointerException if {@code address} is null
     */
    public boolean contains(IpAddress address) {
        Objects.requireNonNull(address, "address");
        return first.compareTo(address) <= 0 && address.compareTo(last) <= 0;
    }

    /**
     * Tells whether {@code obj} is a range with the same first and last addresses.
     *
     * @param obj the object to compare with
     * @return true if {@code obj} is an equal range
     */
    @Override
    public boolean equals(Object obj) {
        if (this == obj) {
            return true;
        }
        if (!(obj instanceof IpRange)) {
            return false;
        }
        IpRange that = (IpRange) obj;
        return first.equals(that.first) && last.equals(that.last);
    }

    /**
     * Returns a hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return 31 * first.hashCode() + last.hashCode();
    }

    /**
     * Returns the range as {@code "first - last"}, for example {@code "10.96.0.1 - 10.96.0.16"}.
     *
     * @return the text of the range
     */
    @Override
    public String toString() {
        return first + " - " + last;
    }
}
