package io.github.clusterip;

import java.util.Objects;

/**
 * The parent of the errors an allocator ({@link ClusterIpAllocator}, {@link NodePortAllocator})
 * reports when an allocation cannot be made. A failed call leaves the allocator exactly as it was.
 *
 * <p>The messages are those of Kubernetes' allocators themselves ({@code ipallocator} and
 * {@code portallocator}), without the prefix that kube-apiserver's Service storage adds when it
 * reports them for a Service (such as {@code failed to allocate IP 10.96.0.10: }), so that every
 * message of an allocator comes from the same layer. Malformed input (text that is not an
 * address, a snapshot that does not fit) is reported with {@link IllegalArgumentException}
 * instead.
 *
 * <p>The address errors carry the address and the CIDR, the port errors the port and the port
 * range; {@link RangeFullException} serves both.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public abstract sealed class AllocationException extends RuntimeException
        permits RangeFullException, IpAlreadyAllocatedException, IpNotInRangeException,
                IpNotInAnyCidrException, PortAlreadyAllocatedException, PortNotInRangeException {

    private static final long serialVersionUID = 2L;

    /** The allocator's range as text, so that the exception stays serializable. */
    private final String range;

    AllocationException(String message, Object range) {
        super(message);
        this.range = Objects.requireNonNull(range, "range").toString();
    }

    /**
     * Returns the range of the allocator that refused the call, as text: a CIDR such as
     * {@code 10.96.0.0/24} or a port range such as {@code 30000-32767}.
     *
     * @return the allocator's range, in its canonical form
     */
    public String range() {
        return range;
    }
}
