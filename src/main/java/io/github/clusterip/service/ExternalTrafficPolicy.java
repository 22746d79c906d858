package io.github.clusterip.service;

/**
 * The {@code spec.externalTrafficPolicy} of a Service. With {@link #LOCAL}, a
 * {@link ServiceType#LOAD_BALANCER} Service needs a {@code healthCheckNodePort}.
 *
 * <p>This type is immutable and thread-safe.
 */
public enum ExternalTrafficPolicy {
    /** {@code Cluster}, the default. */
    CLUSTER("Cluster"),
    /** {@code Local}. */
    LOCAL("Local");

    private final String kubeName;

    ExternalTrafficPolicy(String kubeName) {
        this.kubeName = kubeName;
    }

    /**
     * Returns the name Kubernetes uses, such as {@code Local}.
     *
     * @return the API value
     */
    public String kubeName() {
        return kubeName;
    }
}
