package io.github.clusterip;

import java.util.Optional;

/**
 * Thrown by {@link ClusterIpAllocator#allocateNext()} and {@link NodePortAllocator#allocateNext()}
 * when every usable address or port of the range, in both bands, is allocated. The message is
 * Kubernetes' own: {@code "range is full"}.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class RangeFullException extends AllocationException {

    private static final long serialVersionUID = 2L;

    /** Kubernetes' message for a full range (ipallocator.ErrFull, portallocator.ErrFull). */
    static final String MESSAGE = "range is full";

    /** True for a port range, false for a CIDR. */
    private final boolean ports;

    RangeFullException(ServiceCidr cidr) {
        super(MESSAGE, cidr);
        this.ports = false;
    }

    RangeFullException(PortRange range) {
        super(MESSAGE, range);
        this.ports = true;
    }

    /**
     * Returns the CIDR that is full, if an address allocator threw this.
     *
     * @return the CIDR, or empty for a port range
     */
    public Optional<ServiceCidr> cidr() {
        return ports ? Optional.empty() : Optional.of(ServiceCidr.parse(range()));
    }

    /**
     * Returns the port range that is full, if a NodePort allocator threw this.
     *
     * @return the port range, or empty for a CIDR
     */
    public Optional<PortRange> portRange() {
        return ports ? Optional.of(PortRange.parse(range())) : Optional.empty();
    }
}
