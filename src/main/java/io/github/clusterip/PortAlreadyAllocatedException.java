package io.github.clusterip;

/**
 * Thrown by {@link NodePortAllocator#allocate(int)} when the port is already allocated. The
 * message is Kubernetes' own (portallocator.ErrAllocated): {@code "provided port is already allocated"}.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class PortAlreadyAllocatedException extends AllocationException {

    private static final long serialVersionUID = 1L;

    /** Kubernetes' message for a port in use (portallocator.ErrAllocated). */
    static final String MESSAGE = "provided port is already allocated";

    /** The port that was asked for. */
    private final int port;

    PortAlreadyAllocatedException(int port, PortRange range) {
        super(MESSAGE, range);
        this.port = port;
    }

    /**
     * Returns the port that was asked for.
     *
     * @return the port that is already allocated
     */
    public int port() {
        return port;
    }

    /**
     * Returns the port range of the allocator that refused the port.
     *
     * @return the allocator's range
     */
    public PortRange portRange() {
        return PortRange.parse(range());
    }
}
