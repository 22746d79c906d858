package io.github.clusterip;

/**
 * How {@link ClusterIpAllocator#allocateNext()} picks a free address inside a band. Either way
 * the dynamic band is used first and the static band only when the dynamic band is full.
 *
 * <p>This type is immutable and thread-safe.
 */
public enum ScanStrategy {
    /**
     * Kubernetes' strategy: a random start in the band, then the first free address at or after it,
     * wrapping round to the start of the band. Spreads addresses over the band, so that a freed
     * address is unlikely to be handed out again soon.
     */
    RANDOM,
    /**
     * The lowest free address of the band. Deterministic without a seed; useful for tests and for
     * tools that want compact, predictable assignments. Exact when calls do not overlap; a call
     * that overlaps a release may pass over the address being released (its scan had already
     * seen it allocated) and take the next free one.
     */
    SEQUENTIAL
}
