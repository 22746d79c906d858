package io.github.clusterip;

import java.util.Objects;

/**
 * The parent of the errors a {@link ClusterIpAllocator} reports when an allocation cannot be
 * made. A failed call leaves the allocator exactly as it was.
 *
 * <p>The messages are Kubernetes' own, so that they read and search the same as kube-apiserver's.
 * Malformed input (text that is not an address, a snapshot that does not fit) is reported with
 * {@link IllegalArgumentException} instead.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public abstract sealed class AllocationException extends RuntimeException
        permits RangeFullException, IpAlreadyAllocatedException, IpNotInRangeException {

    private static final long serialVersionUID = 1L;

    /** Kept as text so that the exception stays serializable. */
    private final String cidr;

    AllocationException(String message, ServiceCidr cidr) {
        super(message);
        this.cidr = Objects.requireNonNull(cidr, "cidr").toString();
    }

    /**
     * Returns the CIDR of the allocator that refused the call.
     *
     * @return the allocator's CIDR
     */
    public ServiceCidr cidr() {
        return ServiceCidr.parse(cidr);
    }
}
