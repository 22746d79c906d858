package io.github.clusterip;

/**
 * Thrown by {@link ClusterIpAllocator#allocate(IpAddress)} when the address is already allocated.
 *
 * <p>The message is Kubernetes' own (ipallocator.ErrAllocated):
 * {@code "provided IP is already allocated"}. kube-apiserver reports it for a Service with the
 * address before it, {@code "failed to allocate IP 10.96.0.10: provided IP is already allocated"};
 * {@link #address()} gives the address to build that text.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class IpAlreadyAllocatedException extends AllocationException {

    private static final long serialVersionUID = 2L;

    /** Kubernetes' message for an address in use (ipallocator.ErrAllocated). */
    static final String MESSAGE = "provided IP is already allocated";

    /** The address asked for, as text so that the exception stays serializable. */
    private final String address;

    IpAlreadyAllocatedException(IpAddress address, ServiceCidr cidr) {
        super(MESSAGE, cidr);
        this.address = address.toString();
    }

    /**
     * Returns the address that was asked for.
     *
     * @return the address that is already allocated
     */
    public IpAddress address() {
        return IpAddress.parse(address);
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
