package io.github.clusterip;

/**
 * Which allocator's rules a {@link ClusterIpAllocator} follows where clusterip and Kubernetes'
 * allocators differ, chosen with {@link ClusterIpAllocator.Builder#profile(CompatibilityProfile)}.
 * Every profile has the same bands, the same scan, the same messages and the same
 * {@link RangeAllocation} bytes; they differ only in the places listed on each constant.
 *
 * <p>A {@link NodePortAllocator} takes a profile too ({@link NodePortAllocator.Builder#profile}).
 * kube-apiserver has one port allocator, a bitmap, whichever address allocator it runs, so for
 * ports both Kubernetes profiles mean the same: a restore keeps and counts bits set beyond the
 * range, as described on {@link #KUBE_APISERVER_BITMAP}, instead of refusing them.
 */
public enum CompatibilityProfile {

    /**
     * clusterip's own rules, the default: the whole range is allocated, IPv6 ranges up to /64
     * in full; an address must be of the range's family ({@code ::ffff:10.96.0.5} is an IPv6
     * address, refused by an IPv4 range); a restore refuses a snapshot with an address beyond
     * the range; {@link ClusterIpAllocator#free()} is the exact free count, at most
     * {@code Long.MAX_VALUE}.
     */
    CLUSTERIP,

    /**
     * Exact to kube-apiserver's bitmap allocator ({@code pkg/registry/core/service/ipallocator/bitmap.go},
     * the one used without the {@code MultiCIDRServiceAllocator} feature):
     * <ul>
     *   <li>an IPv6 range allocates only its first 65,535 usable addresses (the block size is
     *       capped at 65,536, less the network address): in {@code fd00:10:96::/64} the dynamic
     *       band ends at {@code fd00:10:96::ffff}, {@code fd00:10:96::1:0} is not in the range,
     *       and an empty allocator has 65,535 free; the band offset is still that of the whole
     *       block (256 for a /64);</li>
     *   <li>an IPv4-mapped IPv6 address given to an IPv4 range is the IPv4 address:
     *       {@code ::ffff:10.96.0.5} allocates {@code 10.96.0.5};</li>
     *   <li>{@link ClusterIpAllocator#restore(RangeAllocation)} keeps bits set beyond the range
     *       instead of refusing them: they are counted by {@link ClusterIpAllocator#used()} (but in
     *       neither band's count), so
     *       {@link ClusterIpAllocator#free()} can go below zero, {@link ClusterIpAllocator#allocateNext()}
     *       reports the range full while the count has reached its size (explicit allocations
     *       still work), and {@link ClusterIpAllocator#snapshot()} writes them back;
     *       {@link ClusterIpAllocator#compactSnapshot()} refuses to drop them.</li>
     * </ul>
     * kube-apiserver's {@code --service-cluster-ip-range} itself refuses ranges of more than 20
     * host bits with this allocator, so a real cluster has at most {@code /12} or {@code /108};
     * this profile, like the Go allocator, takes any range that clusterip takes.
     */
    KUBE_APISERVER_BITMAP,

    /**
     * Exact to kube-apiserver's IPAddress-object allocator
     * ({@code pkg/registry/core/service/ipallocator/ipallocator.go}, the default with the
     * {@code MultiCIDRServiceAllocator} feature): the same ranges and bands as clusterip's own
     * rules, IPv6 up to /64 in full, but
     * <ul>
     *   <li>an IPv4-mapped IPv6 address given to an IPv4 range is the IPv4 address, as above;</li>
     *   <li>in an IPv6 {@code /64}, whose 2<sup>64</sup> - 1 usable addresses are more than
     *       {@code Long.MAX_VALUE}, {@link ClusterIpAllocator#free()} is {@code Long.MAX_VALUE}
     *       less the used count, as its {@code Free()} reports it, not {@code Long.MAX_VALUE}.</li>
     * </ul>
     * That allocator keeps one object per address, not a bitmap, so it has no
     * {@link RangeAllocation} of its own; the snapshots work as with clusterip's rules.
     */
    KUBE_APISERVER_IPADDRESS
}
