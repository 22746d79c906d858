package io.github.clusterip;

import java.util.Objects;

/**
 * The state of one CIDR of a {@link ServiceCidrSet} at one moment, as a ServiceCIDR object's
 * status reports it, with its counts.
 *
 * <p>A CIDR is {@linkplain #ready() ready} from {@link ServiceCidrSet#add(ServiceCidr)} until
 * {@link ServiceCidrSet#remove(ServiceCidr)}. A removed CIDR that some allocated address lies in
 * alone (in no ready CIDR of the set) stays in the set, not ready, with Kubernetes' condition
 * reason {@value #TERMINATING} and message {@value #TERMINATING_MESSAGE}, until the last such
 * address is released, or a CIDR added to the set covers them; then it leaves the set. An
 * address lies in a CIDR, as Kubernetes' ServiceCIDR controller counts it, if it is inside the
 * block and is neither its network address nor, in IPv4, its broadcast address.
 *
 * <p>Instances are immutable: a status is a snapshot, taken under the set's lock, that later
 * changes to the set do not alter.
 *
 * @param cidr the CIDR
 * @param ready whether new addresses may be allocated in it
 * @param reason empty when ready, else {@value #TERMINATING}
 * @param message empty when ready, else {@value #TERMINATING_MESSAGE}
 * @param allocated the allocated addresses that are usable addresses of the CIDR (an address in
 *        several overlapping CIDRs counts in each), as {@link ClusterIpAllocator#used()} counts
 * @param available the usable addresses of the CIDR that are free, as
 *        {@link ClusterIpAllocator#free()} reports them under the set's profile: at most
 *        {@code Long.MAX_VALUE}
 */
public record ServiceCidrStatus(ServiceCidr cidr, boolean ready, String reason, String message,
        long allocated, long available) {

    /** The reason of the Ready=False condition of a ServiceCIDR being deleted. */
    public static final String TERMINATING = "Terminating";

    /** The message of the Ready=False condition of a ServiceCIDR being deleted. */
    public static final String TERMINATING_MESSAGE =
            "There are still IPAddresses referencing the ServiceCIDR, please remove them or create a new ServiceCIDR";

    /**
     * Checks the fields.
     *
     * @param cidr the CIDR
     * @param ready whether new addresses may be allocated in it
     * @param reason empty when ready
     * @param message empty when ready
     * @param allocated the allocated addresses in the CIDR, not negative
     * @param available the free usable addresses, not negative
     * @throws NullPointerException if a reference is null
     * @throws IllegalArgumentException if a count is negative
     */
    public ServiceCidrStatus {
        Objects.requireNonNull(cidr, "cidr");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        if (allocated < 0 || available < 0) {
            throw new IllegalArgumentException("negative count for " + cidr + ": allocated " + allocated
                    + ", available " + available);
        }
    }
}
