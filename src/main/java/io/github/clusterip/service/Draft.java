package io.github.clusterip.service;

import io.github.clusterip.IpFamily;
import io.github.clusterip.Owner;
import java.util.ArrayList;
import java.util.List;

/**
 * A Service being allocated: the mutable working copy of a {@link ServiceSpec} that kube-apiserver's
 * functions change in place. Confined to one call, under the allocator's lock.
 */
final class Draft {
    final Owner owner;
    ServiceType type;
    final List<String> clusterIps;
    IpFamilyPolicy policy;
    final List<IpFamily> families;
    final List<ServicePort> ports;
    final boolean allocateLoadBalancerNodePorts;
    final ExternalTrafficPolicy externalTrafficPolicy;
    int healthCheckNodePort;
    final boolean selector;

    Draft(ServiceSpec spec) {
        owner = spec.owner();
        type = spec.type();
        clusterIps = new ArrayList<>(spec.clusterIPs());
        policy = spec.ipFamilyPolicy().orElse(null);
        families = new ArrayList<>(spec.ipFamilies());
        ports = new ArrayList<>(spec.ports());
        allocateLoadBalancerNodePorts = spec.allocateLoadBalancerNodePorts();
        externalTrafficPolicy = spec.externalTrafficPolicy();
        healthCheckNodePort = spec.healthCheckNodePort();
        selector = spec.hasSelector();
    }

    /** Headless as validation sees it: exactly one cluster IP, {@code None}. */
    boolean isHeadless() {
        return clusterIps.size() == 1 && ServiceSpec.NONE.equals(clusterIps.get(0));
    }

    /** Headless as alloc.go sees it: the first cluster IP is {@code None}. */
    boolean isHeadlessByFirst() {
        return !clusterIps.isEmpty() && ServiceSpec.NONE.equals(clusterIps.get(0));
    }

    /** alloc.go collectServiceNodePorts: every non-zero NodePort, duplicates kept. */
    List<Integer> nodePortNumbers() {
        List<Integer> out = new ArrayList<>();
        for (ServicePort p : ports) {
            if (p.nodePort() != 0) {
                out.add(p.nodePort());
            }
        }
        return out;
    }

    /** The policy as kube-apiserver prints the pointer it holds: {@code "SingleStack"} or {@code null}. */
    String policyValue() {
        return policy == null ? "null" : FieldError.str(policy.kubeName());
    }

    ServiceInvalidException invalid(List<FieldError> errors) {
        return new ServiceInvalidException(owner, errors);
    }

    ServiceSpec build() {
        return ServiceSpec.builder(owner).type(type).clusterIPs(clusterIps).ipFamilyPolicy(policy)
                .ipFamilies(families).ports(ports).allocateLoadBalancerNodePorts(allocateLoadBalancerNodePorts)
                .externalTrafficPolicy(externalTrafficPolicy).healthCheckNodePort(healthCheckNodePort)
                .selector(selector).build();
    }
}
