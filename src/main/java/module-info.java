/**
 * Kubernetes-style Service ClusterIP and NodePort allocation.
 *
 * <p>The package {@code io.github.clusterip} holds the address and port model
 * ({@link io.github.clusterip.IpAddress}, {@link io.github.clusterip.ServiceCidr},
 * {@link io.github.clusterip.IpRange}, {@link io.github.clusterip.PortRange}), the allocators
 * ({@link io.github.clusterip.ClusterIpAllocator}, {@link io.github.clusterip.NodePortAllocator})
 * and their kube-apiserver compatible snapshot ({@link io.github.clusterip.RangeAllocation}), and the
 * multi-CIDR set ({@link io.github.clusterip.ServiceCidrSet}). The package
 * {@code io.github.clusterip.service} allocates whole Services on them
 * ({@link io.github.clusterip.service.ServiceAllocator}) and repairs their state
 * ({@link io.github.clusterip.service.Repair}). The
 * engine they share, the command line and the message helpers live in packages the module does
 * not export. The library needs nothing beyond {@code java.base}; the command line also reads
 * etcd's JSON gateway over HTTP ({@code inspect --etcd}), for which the module requires
 * {@code java.net.http}, a module of every Java runtime. No library outside the JDK is needed.
 */
module io.github.clusterip {
    requires java.net.http;

    exports io.github.clusterip;
    exports io.github.clusterip.service;
    exports io.github.clusterip.store;
}
