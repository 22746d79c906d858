/**
 * Whole Services, as kube-apiserver allocates them: the ClusterIPs and NodePorts a Service's spec
 * asks for, from a {@link io.github.clusterip.ServiceCidrSet} and a
 * {@link io.github.clusterip.NodePortAllocator}, created, updated and deleted as one transaction;
 * and the repair of that state against the Services that exist.
 */
package io.github.clusterip.service;
