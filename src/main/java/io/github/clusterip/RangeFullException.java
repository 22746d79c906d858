package io.github.clusterip;

/**
 * Thrown by {@link ClusterIpAllocator#allocateNext()} when every usable address of the range, in
 * both bands, is allocated. The message is Kubernetes' own: {@code "range is full"}.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class RangeFullException extends AllocationException {

    private static final long serialVersionUID = 1L;

    /** Kubernetes' message for a full range (ipallocator.ErrFull). */
    static final String MESSAGE = "range is full";

    RangeFullException(ServiceCidr cidr) {
        super(MESSAGE, cidr);
    }
}
