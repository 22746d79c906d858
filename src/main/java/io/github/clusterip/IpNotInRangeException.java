package io.github.clusterip;

/**
 * Thrown by {@link ClusterIpAllocator#allocate(IpAddress)} when the address is not a usable
 * address of the allocator's range: outside the CIDR, of the other family, or the CIDR's network
 * or IPv4 broadcast address.
 *
 * <p>The message is Kubernetes' own (ipallocator.ErrNotInRange):
 * {@code "the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/24"}.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class IpNotInRangeException extends AllocationException {

    private static final long serialVersionUID = 2L;

    /** The address asked for, as text so that the exception stays serializable. */
    private final String address;

    IpNotInRangeException(IpAddress address, ServiceCidr cidr) {
        super("the provided IP (" + address + ") is not in the valid range. The range of valid IPs is " + cidr,
                cidr);
        this.address = address.toString();
    }

    /**
     * Returns the address that was asked for.
     *
     * @return the address that is not in the range
     */
    public IpAddress address() {
        return IpAddress.parse(address);
    }

    /**
     * Returns the range the address had to be in, the allocator's CIDR.
     *
     * @return the valid range
     */
    public ServiceCidr validRange() {
        return cidr();
    }

    /**
     * Returns the CIDR of the allocator that refused the address.
     *
     * @return the allocator's CIDR
     */
    public ServiceCidr cidr() {
        return ServiceCidr.parse(range());
    }
}
