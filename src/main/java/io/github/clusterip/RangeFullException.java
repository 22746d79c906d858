package io.github.clusterip;

import java.util.Optional;

/**
 * Thrown by {@link ClusterIpAllocator#allocateNext()} and {@link NodePortAllocator#allocateNext()}
 * when every usable address or port of the range, in both bands, is allocated, and by
 * {@link ServiceCidrSet#allocateNext(IpFamily, Owner)} when every ready CIDR of the family is
 * (or there is none). The message is Kubernetes' own: {@code "range is full"}.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class RangeFullException extends AllocationException {

    private static final long serialVersionUID = 2L;

    /** Kubernetes' message for a full range (ipallocator.ErrFull, portallocator.ErrFull). */
    static final String MESSAGE = "range is full";

    /** What is full: 'C' one CIDR, 'P' a port range, 'S' the CIDRs of a family in a set. */
    private final char kind;

    RangeFullException(ServiceCidr cidr) {
        super(MESSAGE, cidr);
        this.kind = 'C';
    }

    RangeFullException(PortRange range) {
        super(MESSAGE, range);
        this.kind = 'P';
    }

    /**
     * For a {@link ServiceCidrSet}: {@code readyCidrs} lists the ready CIDRs of the family,
     * comma-separated, and is empty when there are none.
     */
    RangeFullException(String readyCidrs) {
        super(MESSAGE, readyCidrs);
        this.kind = 'S';
    }

    /**
     * Returns the CIDR that is full, if a {@link ClusterIpAllocator} threw this.
     *
     * @return the CIDR, or empty for a port range or a {@link ServiceCidrSet}, whose
     *         {@link #range()} lists the ready CIDRs of the family
     */
    public Optional<ServiceCidr> cidr() {
        return kind == 'C' ? Optional.of(ServiceCidr.parse(range())) : Optional.empty();
    }

    /**
     * Returns the port range that is full, if a NodePort allocator threw this.
     *
     * @return the port range, or empty for a CIDR
     */
    public Optional<PortRange> portRange() {
        return kind == 'P' ? Optional.of(PortRange.parse(range())) : Optional.empty();
    }
}
