package io.github.clusterip;

/**
 * Thrown by {@link ServiceCidrSet#allocate(IpAddress, Owner)} when no ready CIDR of the set
 * contains the address. The message is Kubernetes' own (ipallocator.ErrMismatchedNetwork, which
 * its MetaAllocator returns in this case): {@code "the provided network does not match the current range"}.
 *
 * <p>{@link #range()} lists the ready CIDRs of the address's family, comma-separated, or is empty
 * when there are none.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class IpNotInAnyCidrException extends AllocationException {

    private static final long serialVersionUID = 1L;

    /** Kubernetes' message (ipallocator.ErrMismatchedNetwork). */
    static final String MESSAGE = "the provided network does not match the current range";

    /** The address asked for, as text so that the exception stays serializable. */
    private final String address;

    IpNotInAnyCidrException(IpAddress address, String readyCidrs) {
        super(MESSAGE, readyCidrs);
        this.address = address.toString();
    }

    /**
     * Returns the address that was asked for.
     *
     * @return the address that no ready CIDR contains
     */
    public IpAddress address() {
        return IpAddress.parse(address);
    }
}
