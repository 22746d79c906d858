/**
 * Allocates Kubernetes Service ClusterIPs and NodePorts exactly as kube-apiserver does: the static
 * and dynamic bands of KEP-3070 and KEP-3668, a bitmap of the usable addresses or ports, and
 * kube-apiserver's RangeAllocation bytes.
 *
 * <p>Where to start: parse a range with {@link io.github.clusterip.ServiceCidr#parse(String)}, and
 * create a {@link io.github.clusterip.ClusterIpAllocator} for it, with
 * {@link io.github.clusterip.ClusterIpAllocator#create(ServiceCidr)} or its
 * {@linkplain io.github.clusterip.ClusterIpAllocator#builder(ServiceCidr) builder}; its class
 * comment has a short example.
 *
 * <p>The types:
 * <ul>
 *   <li>{@link io.github.clusterip.IpAddress}, {@link io.github.clusterip.IpFamily} and
 *       {@link io.github.clusterip.IpRange}: IPv4 and IPv6 addresses and ranges, immutable
 *       values with strict parsing.</li>
 *   <li>{@link io.github.clusterip.ServiceCidr}: a service CIDR, its usable addresses and its two
 *       {@linkplain io.github.clusterip.Band bands}.</li>
 *   <li>{@link io.github.clusterip.ClusterIpAllocator}: hands out and takes back the addresses of
 *       one {@code ServiceCidr}; a {@link io.github.clusterip.ScanStrategy} chooses where a search
 *       starts.</li>
 *   <li>{@link io.github.clusterip.PortRange}: a NodePort range as kube-apiserver's
 *       {@code --service-node-port-range} reads it, with its two bands, and
 *       {@link io.github.clusterip.NodePortAllocator}, which hands out its ports.</li>
 *   <li>{@link io.github.clusterip.CompatibilityProfile}: whose rules an address allocator
 *       follows where clusterip and kube-apiserver's allocators differ.</li>
 *   <li>{@link io.github.clusterip.RangeAllocation}: the allocator's state in kube-apiserver's
 *       persisted form, for {@code snapshot()} and {@code restore(...)}.</li>
 *   <li>{@link io.github.clusterip.AllocationException} and its subclasses
 *       {@link io.github.clusterip.RangeFullException},
 *       {@link io.github.clusterip.IpAlreadyAllocatedException},
 *       {@link io.github.clusterip.IpNotInRangeException},
 *       {@link io.github.clusterip.PortAlreadyAllocatedException} and
 *       {@link io.github.clusterip.PortNotInRangeException}: why an allocation was refused.</li>
 * </ul>
 *
 * <p>Thread-safety: the values are immutable, and the allocators are safe for use by many threads
 * at once, each of its methods but {@code estimatedUsed()} and {@code toString()}
 * atomic.
 *
 * <p>The concepts (the band rule, the snapshot forms, range sizes and memory) are explained in the
 * project's <a href="https://github.com/clusterip/clusterip#the-band-rule">README</a>.
 */
package io.github.clusterip;
