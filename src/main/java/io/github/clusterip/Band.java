package io.github.clusterip;

/**
 * The two bands a {@link ServiceCidr} (Kubernetes KEP-3070) or a {@link PortRange} (KEP-3668)
 * is split into.
 *
 * <p>This type is immutable and thread-safe.
 */
public enum Band {
    /**
     * The lower band, the first {@link ServiceCidr#bandOffset()} usable addresses (or
     * {@link PortRange#bandOffset()} ports). Dynamic allocation takes from it only when the
     * dynamic band is full, so addresses or ports chosen by hand (for example a cluster DNS
     * address) are best taken from here.
     */
    STATIC,
    /** The upper band, all usable addresses (or ports) above the static band; dynamic allocation starts here. */
    DYNAMIC
}
