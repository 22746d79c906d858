package io.github.clusterip.service;

/**
 * The {@code spec.type} of a Service, which decides what kube-apiserver allocates for it.
 *
 * <p>This type is immutable and thread-safe.
 */
public enum ServiceType {
    /** {@code ClusterIP}: cluster IPs only (none if headless). */
    CLUSTER_IP("ClusterIP"),
    /** {@code NodePort}: cluster IPs and a NodePort for each port. */
    NODE_PORT("NodePort"),
    /**
     * {@code LoadBalancer}: as {@code NodePort}, NodePorts only if
     * {@code allocateLoadBalancerNodePorts}, and a {@code healthCheckNodePort} when the
     * {@code externalTrafficPolicy} is {@code Local}.
     */
    LOAD_BALANCER("LoadBalancer"),
    /** {@code ExternalName}: a DNS alias; nothing is allocated. */
    EXTERNAL_NAME("ExternalName");

    private final String kubeName;

    ServiceType(String kubeName) {
        this.kubeName = kubeName;
    }

    /**
     * Returns the name Kubernetes uses, such as {@code NodePort}.
     *
     * @return the API value
     */
    public String kubeName() {
        return kubeName;
    }

    boolean needsClusterIp() {
        return this != EXTERNAL_NAME;
    }

    boolean needsNodePort() {
        return this == NODE_PORT || this == LOAD_BALANCER;
    }
}
