package io.github.clusterip;

/**
 * The two bands a {@link ServiceCidr} is split into (Kubernetes KEP-3070).
 *
 * <p>This type is immutable and thread-safe.
 */
public enum Band {
    /**
     * The lower band, the first {@link ServiceCidr#bandOffset()} usable addresses. Dynamic
     * allocation takes from it only when the dynamic band is full, so addresses chosen by hand
     * (for example a cluster DNS address) are best taken from here.
     */
    STATIC,
    /** The upper band, all usable addresses above the static band; dynamic allocation starts here. */
    DYNAMIC
}
