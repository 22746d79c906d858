package io.github.clusterip.service;

/**
 * The {@code spec.ipFamilyPolicy} of a Service.
 *
 * <p>This type is immutable and thread-safe.
 */
public enum IpFamilyPolicy {
    /** {@code SingleStack}: one family, the first of {@code ipFamilies} or the cluster's primary. */
    SINGLE_STACK("SingleStack"),
    /** {@code PreferDualStack}: both families if the cluster has both, else one. */
    PREFER_DUAL_STACK("PreferDualStack"),
    /** {@code RequireDualStack}: both families; refused on a single-stack cluster. */
    REQUIRE_DUAL_STACK("RequireDualStack");

    private final String kubeName;

    IpFamilyPolicy(String kubeName) {
        this.kubeName = kubeName;
    }

    /**
     * Returns the name Kubernetes uses, such as {@code PreferDualStack}.
     *
     * @return the API value
     */
    public String kubeName() {
        return kubeName;
    }
}
