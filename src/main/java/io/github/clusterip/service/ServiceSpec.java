package io.github.clusterip.service;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.Owner;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What kube-apiserver's Service storage reads of a Service to allocate for it, and what it sets:
 * a {@link ServiceAllocator} takes a spec as asked for and returns the same type with the
 * allocated values filled in, as kube-apiserver returns the Service it stored. Pass that result
 * (changed as wanted) to {@link ServiceAllocator#update(ServiceSpec)}, as a client sends back the
 * Service it read.
 *
 * <p>{@code clusterIP} and {@code clusterIPs} are one list here ({@link #clusterIPs()}, whose first
 * entry is {@link #clusterIP()}): keeping the singular and plural fields in step
 * ({@code normalizeClusterIPs} in kube-apiserver) is the caller's part. The addresses are kept as
 * text, as given, because the API field is text ({@code None} among its values).
 *
 * <p>This class is immutable and thread-safe.
 */
public final class ServiceSpec {

    /** The {@code clusterIP} of a headless Service. */
    public static final String NONE = "None";

    private final Owner owner;
    private final ServiceType type;
    private final List<String> clusterIPs;
    private final IpFamilyPolicy ipFamilyPolicy;
    private final List<IpFamily> ipFamilies;
    private final List<ServicePort> ports;
    private final boolean allocateLoadBalancerNodePorts;
    private final ExternalTrafficPolicy externalTrafficPolicy;
    private final int healthCheckNodePort;
    private final boolean selector;

    private ServiceSpec(Builder b) {
        this.owner = Objects.requireNonNull(b.owner, "owner");
        this.type = b.type;
        this.clusterIPs = List.copyOf(b.clusterIPs);
        this.ipFamilyPolicy = b.ipFamilyPolicy;
        this.ipFamilies = List.copyOf(b.ipFamilies);
        this.ports = List.copyOf(b.ports);
        this.allocateLoadBalancerNodePorts = b.allocateLoadBalancerNodePorts;
        this.externalTrafficPolicy = b.externalTrafficPolicy;
        this.healthCheckNodePort = b.healthCheckNodePort;
        this.selector = b.selector;
    }

    /**
     * Returns a builder of a spec for the Service.
     *
     * @param owner the Service's namespace and name
     * @return a builder: type ClusterIP, no address, no policy, no family, no port, a selector,
     *         {@code allocateLoadBalancerNodePorts} true, {@code externalTrafficPolicy} Cluster
     * @throws NullPointerException if {@code owner} is null
     */
    public static Builder builder(Owner owner) {
        return new Builder(Objects.requireNonNull(owner, "owner"));
    }

    /**
     * Returns a builder that starts from this spec.
     *
     * @return a new builder with this spec's values
     */
    public Builder toBuilder() {
        Builder b = new Builder(owner);
        b.type = type;
        b.clusterIPs.addAll(clusterIPs);
        b.ipFamilyPolicy = ipFamilyPolicy;
        b.ipFamilies.addAll(ipFamilies);
        b.ports.addAll(ports);
        b.allocateLoadBalancerNodePorts = allocateLoadBalancerNodePorts;
        b.externalTrafficPolicy = externalTrafficPolicy;
        b.healthCheckNodePort = healthCheckNodePort;
        b.selector = selector;
        return b;
    }

    /**
     * Returns the Service's namespace and name.
     *
     * @return the owner
     */
    public Owner owner() {
        return owner;
    }

    /**
     * Returns {@code spec.type}.
     *
     * @return the type
     */
    public ServiceType type() {
        return type;
    }

    /**
     * Returns {@code spec.clusterIP}: the first of {@link #clusterIPs()}, or empty text.
     *
     * @return the primary cluster IP as text, {@value #NONE} for a headless Service, or {@code ""}
     */
    public String clusterIP() {
        return clusterIPs.isEmpty() ? "" : clusterIPs.get(0);
    }

    /**
     * Returns {@code spec.clusterIPs}, primary first.
     *
     * @return an immutable list of texts: addresses, or the one value {@value #NONE}
     */
    public List<String> clusterIPs() {
        return clusterIPs;
    }

    /**
     * Returns the cluster IPs as addresses.
     *
     * @return an immutable list, primary first; empty if the Service is headless or has none
     * @throws IllegalArgumentException if an entry is not an address (possible only in a spec that
     *         was not allocated)
     */
    public List<IpAddress> clusterIpAddresses() {
        if (isHeadless()) {
            return List.of();
        }
        List<IpAddress> out = new ArrayList<>(clusterIPs.size());
        for (String ip : clusterIPs) {
            out.add(IpAddress.parse(ip));
        }
        return List.copyOf(out);
    }

    /**
     * Tells whether the Service is headless: its only cluster IP is {@value #NONE}.
     *
     * @return true if headless
     */
    public boolean isHeadless() {
        return clusterIPs.size() == 1 && NONE.equals(clusterIPs.get(0));
    }

    /**
     * Returns {@code spec.ipFamilyPolicy}.
     *
     * @return the policy, or empty if not set (the allocation sets it, except for ExternalName)
     */
    public Optional<IpFamilyPolicy> ipFamilyPolicy() {
        return Optional.ofNullable(ipFamilyPolicy);
    }

    /**
     * Returns {@code spec.ipFamilies}, primary first.
     *
     * @return an immutable list of zero, one or two families
     */
    public List<IpFamily> ipFamilies() {
        return ipFamilies;
    }

    /**
     * Returns {@code spec.ports}.
     *
     * @return an immutable list
     */
    public List<ServicePort> ports() {
        return ports;
    }

    /**
     * Returns {@code spec.allocateLoadBalancerNodePorts}, read for LoadBalancer Services only.
     *
     * @return whether a LoadBalancer gets NodePorts it did not ask for
     */
    public boolean allocateLoadBalancerNodePorts() {
        return allocateLoadBalancerNodePorts;
    }

    /**
     * Returns {@code spec.externalTrafficPolicy}.
     *
     * @return the policy
     */
    public ExternalTrafficPolicy externalTrafficPolicy() {
        return externalTrafficPolicy;
    }

    /**
     * Returns {@code spec.healthCheckNodePort}.
     *
     * @return the port asked for or allocated, or 0 for none
     */
    public int healthCheckNodePort() {
        return healthCheckNodePort;
    }

    /**
     * Tells whether the Service has a selector. A headless Service without one defaults to
     * RequireDualStack, as kube-apiserver does.
     *
     * @return true if it has a selector
     */
    public boolean hasSelector() {
        return selector;
    }

    /**
     * Returns the NodePorts of {@link #ports()} that are not 0, in port order, each once.
     *
     * @return an immutable list
     */
    public List<Integer> nodePorts() {
        List<Integer> out = new ArrayList<>();
        for (ServicePort p : ports) {
            if (p.nodePort() != 0 && !out.contains(p.nodePort())) {
                out.add(p.nodePort());
            }
        }
        return List.copyOf(out);
    }

    /**
     * Compares every field.
     *
     * @param obj the object to compare with
     * @return true if {@code obj} is a spec with the same values
     */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof ServiceSpec o && owner.equals(o.owner) && type == o.type
                && clusterIPs.equals(o.clusterIPs) && ipFamilyPolicy == o.ipFamilyPolicy
                && ipFamilies.equals(o.ipFamilies) && ports.equals(o.ports)
                && allocateLoadBalancerNodePorts == o.allocateLoadBalancerNodePorts
                && externalTrafficPolicy == o.externalTrafficPolicy
                && healthCheckNodePort == o.healthCheckNodePort && selector == o.selector;
    }

    /**
     * Returns a hash of every field.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(owner, type, clusterIPs, ipFamilyPolicy, ipFamilies, ports,
                allocateLoadBalancerNodePorts, externalTrafficPolicy, healthCheckNodePort, selector);
    }

    /**
     * Returns the values, for logs and test failures.
     *
     * @return a one-line description
     */
    @Override
    public String toString() {
        return "ServiceSpec{" + owner + " type=" + type.kubeName() + " clusterIPs=" + clusterIPs
                + " ipFamilyPolicy=" + (ipFamilyPolicy == null ? "" : ipFamilyPolicy.kubeName())
                + " ipFamilies=" + ipFamilies + " ports=" + ports
                + " allocateLoadBalancerNodePorts=" + allocateLoadBalancerNodePorts
                + " externalTrafficPolicy=" + externalTrafficPolicy.kubeName()
                + " healthCheckNodePort=" + healthCheckNodePort + " selector=" + selector + "}";
    }

    /**
     * Builds a {@link ServiceSpec}. Not thread-safe.
     */
    public static final class Builder {
        private final Owner owner;
        private ServiceType type = ServiceType.CLUSTER_IP;
        private final List<String> clusterIPs = new ArrayList<>();
        private IpFamilyPolicy ipFamilyPolicy;
        private final List<IpFamily> ipFamilies = new ArrayList<>();
        private final List<ServicePort> ports = new ArrayList<>();
        private boolean allocateLoadBalancerNodePorts = true;
        private ExternalTrafficPolicy externalTrafficPolicy = ExternalTrafficPolicy.CLUSTER;
        private int healthCheckNodePort;
        private boolean selector = true;

        private Builder(Owner owner) {
            this.owner = owner;
        }

        /**
         * Sets {@code spec.type}.
         *
         * @param type the type
         * @return this builder
         */
        public Builder type(ServiceType type) {
            this.type = Objects.requireNonNull(type, "type");
            return this;
        }

        /**
         * Sets {@code spec.clusterIPs} to the one value given, or to none for {@code ""}, as a
         * client that sets only {@code spec.clusterIP} does.
         *
         * @param clusterIP an address, {@value ServiceSpec#NONE}, or {@code ""} to have one allocated
         * @return this builder
         */
        public Builder clusterIP(String clusterIP) {
            Objects.requireNonNull(clusterIP, "clusterIP");
            clusterIPs.clear();
            if (!clusterIP.isEmpty()) {
                clusterIPs.add(clusterIP);
            }
            return this;
        }

        /**
         * Sets {@code spec.clusterIPs}.
         *
         * @param clusterIPs the addresses as text, primary first, or {@value ServiceSpec#NONE}
         * @return this builder
         */
        public Builder clusterIPs(List<String> clusterIPs) {
            List<String> copy = List.copyOf(clusterIPs);
            this.clusterIPs.clear();
            this.clusterIPs.addAll(copy);
            return this;
        }

        /**
         * Sets {@code spec.ipFamilyPolicy}.
         *
         * @param policy the policy, or null to leave it to the allocation's defaulting
         * @return this builder
         */
        public Builder ipFamilyPolicy(IpFamilyPolicy policy) {
            this.ipFamilyPolicy = policy;
            return this;
        }

        /**
         * Sets {@code spec.ipFamilies}.
         *
         * @param families the families, primary first
         * @return this builder
         */
        public Builder ipFamilies(List<IpFamily> families) {
            List<IpFamily> copy = List.copyOf(families);
            ipFamilies.clear();
            ipFamilies.addAll(copy);
            return this;
        }

        /**
         * Sets {@code spec.ipFamilies}.
         *
         * @param families the families, primary first
         * @return this builder
         */
        public Builder ipFamilies(IpFamily... families) {
            return ipFamilies(List.of(families));
        }

        /**
         * Sets {@code spec.ports}.
         *
         * @param ports the ports
         * @return this builder
         */
        public Builder ports(List<ServicePort> ports) {
            List<ServicePort> copy = List.copyOf(ports);
            this.ports.clear();
            this.ports.addAll(copy);
            return this;
        }

        /**
         * Sets {@code spec.ports}.
         *
         * @param ports the ports
         * @return this builder
         */
        public Builder ports(ServicePort... ports) {
            return ports(List.of(ports));
        }

        /**
         * Sets {@code spec.allocateLoadBalancerNodePorts}.
         *
         * @param allocate whether a LoadBalancer gets NodePorts it did not ask for
         * @return this builder
         */
        public Builder allocateLoadBalancerNodePorts(boolean allocate) {
            this.allocateLoadBalancerNodePorts = allocate;
            return this;
        }

        /**
         * Sets {@code spec.externalTrafficPolicy}.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder externalTrafficPolicy(ExternalTrafficPolicy policy) {
            this.externalTrafficPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Sets {@code spec.healthCheckNodePort}.
         *
         * @param port the port asked for, or 0
         * @return this builder
         * @throws IllegalArgumentException if {@code port} is not 0 to 65535
         */
        public Builder healthCheckNodePort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("invalid healthCheckNodePort " + port
                        + ": must be 0 (none) or between 1 and 65535, inclusive");
            }
            this.healthCheckNodePort = port;
            return this;
        }

        /**
         * Sets whether the Service has a selector.
         *
         * @param hasSelector true if it has one (the default)
         * @return this builder
         */
        public Builder selector(boolean hasSelector) {
            this.selector = hasSelector;
            return this;
        }

        /**
         * Builds the spec.
         *
         * @return a new immutable spec
         * @throws NullPointerException if an entry of a list is null
         */
        public ServiceSpec build() {
            return new ServiceSpec(this);
        }
    }
}
