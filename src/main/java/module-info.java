/**
 * Kubernetes-style Service ClusterIP allocation.
 *
 * <p>The single exported package, {@code io.github.clusterip}, holds the address model
 * ({@link io.github.clusterip.IpAddress}, {@link io.github.clusterip.ServiceCidr},
 * {@link io.github.clusterip.IpRange}), the allocator
 * ({@link io.github.clusterip.ClusterIpAllocator}) and its kube-apiserver compatible snapshot
 * ({@link io.github.clusterip.RangeAllocation}). The module has no dependencies beyond
 * {@code java.base}.
 */
module io.github.clusterip {
    exports io.github.clusterip;
}
