package io.github.clusterip;

/**
 * Thrown by {@link NodePortAllocator#allocate(int)} when the port is outside the allocator's
 * range. The message is Kubernetes' own (portallocator.ErrNotInRange):
 * {@code "provided port is not in the valid range. The range of valid ports is 30000-32767"}.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class PortNotInRangeException extends AllocationException {

    private static final long serialVersionUID = 1L;

    /** The port that was asked for. */
    private final int port;

    PortNotInRangeException(int port, PortRange range) {
        super("provided port is not in the valid range. The range of valid ports is " + range, range);
        this.port = port;
    }

    /**
     * Returns the port that was asked for.
     *
     * @return the port that is not in the range
     */
    public int port() {
        return port;
    }

    /**
     * Returns the range the port had to be in, the allocator's range.
     *
     * @return the valid range
     */
    public PortRange validRange() {
        return PortRange.parse(range());
    }
}
