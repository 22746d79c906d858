package io.github.clusterip.engine;

/**
 * How Kubernetes splits a range into its static (lower) and dynamic (upper) band, as data: the
 * band offset, the size of the static band, is 0 for a range of at most {@code minimum}
 * elements, and otherwise {@code size / divisor} clamped to {@code [minimum, maximum]}.
 *
 * <p>kube-apiserver uses one rule for Service ClusterIPs, applied to the full size of the CIDR
 * block (KEP-3070), and another for NodePorts, applied to the number of ports (KEP-3668).
 *
 * @param divisor the size is divided by this, at least 1
 * @param minimum the smallest non-zero offset, and the largest size that has no offset
 * @param maximum the largest offset
 */
public record BandRule(long divisor, long minimum, long maximum) {

    /** Service ClusterIPs: min(max(16, size / 16), 256) of the block size, 0 up to 16 addresses. */
    public static final BandRule SERVICE_IPS = new BandRule(16, 16, 256);

    /** NodePorts: min(max(16, size / 32), 128) of the port count, 0 up to 16 ports. */
    public static final BandRule NODE_PORTS = new BandRule(32, 16, 128);

    /**
     * Checks the rule.
     *
     * @throws IllegalArgumentException if the divisor is not positive, the minimum is negative or
     *     the maximum is below the minimum
     */
    public BandRule {
        if (divisor < 1 || minimum < 0 || maximum < minimum) {
            throw new IllegalArgumentException("invalid band rule: divisor " + divisor + ", minimum " + minimum
                    + ", maximum " + maximum + " (need divisor >= 1 and 0 <= minimum <= maximum)");
        }
    }

    /**
     * Returns the band offset for a range of {@code size} elements.
     *
     * @param size the size the rule is applied to, at least 0; a size too large for a
     *     {@code long} may be given as {@link Long#MAX_VALUE}, as every such size has the
     *     maximum offset
     * @return the offset, from 0 to {@link #maximum()}
     * @throws IllegalArgumentException if {@code size} is negative
     */
    public long offset(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("a range size cannot be negative: " + size);
        }
        if (size <= minimum) {
            return 0;
        }
        return Math.min(Math.max(minimum, size / divisor), maximum);
    }
}
