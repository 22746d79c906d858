package io.github.clusterip;

/**
 * Thrown by {@link ClusterIpAllocator#allocate(IpAddress)} when the address is already allocated.
 *
 * <p>The message reads as kube-apiserver reports it for a Service, Kubernetes' own
 * {@code "provided IP is already allocated"} after the address:
 * {@code "failed to allocate IP 10.96.0.10: provided IP is already allocated"}.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class IpAlreadyAllocatedException extends AllocationException {

    private static final long serialVersionUID = 1L;

    /** Kubernetes' message for an address in use (ipallocator.ErrAllocated). */
    static final String REASON = "provided IP is already allocated";

    /** The address asked for, as text so that the exception stays serializable. */
    private final String address;

    IpAlreadyAllocatedException(IpAddress address, ServiceCidr cidr) {
        super("failed to allocate IP " + address + ": " + REASON, cidr);
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
}
