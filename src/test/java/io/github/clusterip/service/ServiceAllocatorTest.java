package io.github.clusterip.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Scenarios from kube-apiserver's Service storage tests (pkg/registry/core/service/storage:
 * TestCreateInitIPFields, TestCreateDualStack*, TestUpdate*, TestServiceRegistryIPReallocation,
 * the NodePort and healthCheckNodePort tests), run on this package's code.
 */
class ServiceAllocatorTest {

    private static final IpFamily V4 = IpFamily.IPV4;
    private static final IpFamily V6 = IpFamily.IPV6;

    private ServiceCidrSet cidrs;
    private NodePortAllocator ports;
    private ServiceAllocator alloc;

    private ServiceAllocator singleStack() {
        return cluster("30000-32767", List.of(V4), "10.0.0.0/16");
    }

    private ServiceAllocator dualStack() {
        return cluster("30000-32767", List.of(V4, V6), "10.0.0.0/16", "2000::/108");
    }

    private ServiceAllocator cluster(String portRange, List<IpFamily> families, String... cidrTexts) {
        ServiceCidr[] c = new ServiceCidr[cidrTexts.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = ServiceCidr.parse(cidrTexts[i]);
        }
        cidrs = ServiceCidrSet.create(c);
        ports = NodePortAllocator.create(PortRange.parse(portRange));
        alloc = ServiceAllocator.create(cidrs, ports, families);
        return alloc;
    }

    private static ServiceSpec.Builder svc(String name) {
        return ServiceSpec.builder(new Owner("default", name)).ports(ServicePort.of("http", Protocol.TCP, 80));
    }

    private record State(Map<IpAddress, Optional<Owner>> ips, List<Integer> ports, List<ServiceSpec> services) {
    }

    private State state() {
        return new State(cidrs.allocations(), ports.allocatedPorts().boxed().toList(), alloc.services());
    }

    /** Asserts that the call is refused with the message and leaves everything as it was. */
    private void assertRefused(Consumer<ServiceOperations> call, Class<? extends ServiceException> type, String message) {
        State before = state();
        assertThatThrownBy(() -> call.accept(alloc)).isInstanceOf(type).hasMessage(message);
        assertThat(state()).isEqualTo(before);
        assertThatThrownBy(() -> call.accept(alloc.dryRun())).isInstanceOf(type).hasMessage(message);
        assertThat(state()).isEqualTo(before);
    }

    // ------------------------------------------------------------ families (TestCreateInitIPFields)

    @Test
    void singleStackClusterDefaultsToSingleStackOfThePrimaryFamily() {
        singleStack();
        ServiceSpec s = alloc.create(svc("a").build());
        assertThat(s.ipFamilyPolicy()).contains(IpFamilyPolicy.SINGLE_STACK);
        assertThat(s.ipFamilies()).containsExactly(V4);
        assertThat(s.clusterIPs()).hasSize(1);
        assertThat(ServiceCidr.parse("10.0.0.0/16").contains(IpAddress.parse(s.clusterIP()))).isTrue();
        assertThat(cidrs.owner(IpAddress.parse(s.clusterIP()))).contains(new Owner("default", "a"));
    }

    @Test
    void preferDualStackOnSingleStackClusterTakesOneFamily() {
        singleStack();
        ServiceSpec s = alloc.create(svc("a").ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK).build());
        assertThat(s.ipFamilies()).containsExactly(V4);
        assertThat(s.clusterIPs()).hasSize(1);
        assertThat(s.ipFamilyPolicy()).contains(IpFamilyPolicy.PREFER_DUAL_STACK);
    }

    @Test
    void requireDualStackOnSingleStackClusterIsRefused() {
        singleStack();
        assertRefused(ops -> ops.create(svc("a").ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK).build()),
                ServiceInvalidException.class,
                "Service \"a\" is invalid: spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": "
                        + "this cluster is not configured for dual-stack services");
    }

    @Test
    void familyNotConfiguredIsRefused() {
        singleStack();
        assertRefused(ops -> ops.create(svc("a").ipFamilies(V6).build()), ServiceInvalidException.class,
                "Service \"a\" is invalid: spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster");
        assertRefused(ops -> ops.create(svc("a").clusterIP("2000::1").build()), ServiceInvalidException.class,
                "Service \"a\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"2000::1\"}: IPv6 is not configured on this cluster");
    }

    @Test
    void dualStackPolicyMatrix() {
        dualStack();
        ServiceSpec prefer = alloc.create(svc("prefer").ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK).build());
        assertThat(prefer.ipFamilies()).containsExactly(V4, V6);
        assertThat(prefer.clusterIpAddresses()).extracting(IpAddress::family).containsExactly(V4, V6);

        ServiceSpec single = alloc.create(svc("single").build());
        assertThat(single.ipFamilies()).containsExactly(V4);
        assertThat(single.ipFamilyPolicy()).contains(IpFamilyPolicy.SINGLE_STACK);

        ServiceSpec v6first = alloc.create(svc("v6first").ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK).ipFamilies(V6).build());
        assertThat(v6first.ipFamilies()).containsExactly(V6, V4);
        assertThat(v6first.clusterIpAddresses()).extracting(IpAddress::family).containsExactly(V6, V4);

        ServiceSpec byIp = alloc.create(svc("byip").ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK)
                .clusterIPs(List.of("2000::5")).build());
        assertThat(byIp.clusterIPs().get(0)).isEqualTo("2000::5");
        assertThat(byIp.ipFamilies()).containsExactly(V6, V4);

        assertRefused(ops -> ops.create(svc("x").ipFamilies(V4, V6).build()), ServiceInvalidException.class,
                "Service \"x\" is invalid: spec.ipFamilyPolicy: Invalid value: \"SingleStack\": "
                        + "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified");
        assertRefused(ops -> ops.create(svc("x").ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK).ipFamilies(V4, V4).build()),
                ServiceInvalidException.class, "Service \"x\" is invalid: spec.ipFamilies[1]: Duplicate value: \"IPv4\"");
        assertRefused(ops -> ops.create(svc("x").ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK)
                        .clusterIPs(List.of("10.0.0.5", "10.0.0.6")).build()), ServiceInvalidException.class,
                "Service \"x\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.0.0.5\", \"10.0.0.6\"}: "
                        + "may specify no more than one IP for each IP family");
        assertRefused(ops -> ops.create(svc("x").clusterIP("10.0.0.5").ipFamilies(V6).build()), ServiceInvalidException.class,
                "Service \"x\" is invalid: spec.clusterIPs[0]: Invalid value: \"10.0.0.5\": expected an IPv6 value as indicated by `ipFamilies[0]`");
    }

    @Test
    void secondaryPrimaryFamilyClusterDefaultsToIpv6() {
        cluster("30000-32767", List.of(V6, V4), "10.0.0.0/16", "2000::/108");
        assertThat(alloc.create(svc("a").build()).ipFamilies()).containsExactly(V6);
    }

    @Test
    void headlessServices() {
        singleStack();
        ServiceSpec selectorless = alloc.create(svc("a").clusterIP("None").selector(false).build());
        assertThat(selectorless.ipFamilyPolicy()).contains(IpFamilyPolicy.REQUIRE_DUAL_STACK);
        assertThat(selectorless.ipFamilies()).containsExactly(V4, V6);
        assertThat(selectorless.clusterIPs()).containsExactly("None");
        ServiceSpec withSelector = alloc.create(svc("b").clusterIP("None").build());
        assertThat(withSelector.ipFamilyPolicy()).contains(IpFamilyPolicy.SINGLE_STACK);
        assertThat(withSelector.ipFamilies()).containsExactly(V4);
        assertThat(cidrs.used()).isZero();
    }

    @Test
    void externalNameGetsNothing() {
        dualStack();
        ServiceSpec s = alloc.create(svc("a").type(ServiceType.EXTERNAL_NAME).build());
        assertThat(s.clusterIPs()).isEmpty();
        assertThat(s.ipFamilies()).isEmpty();
        assertThat(s.ipFamilyPolicy()).isEmpty();
        assertThat(cidrs.used()).isZero();
        assertRefused(ops -> ops.create(svc("b").type(ServiceType.EXTERNAL_NAME).ipFamilies(V4).build()),
                ServiceInvalidException.class, "Service \"b\" is invalid: spec.ipFamilies: Forbidden: may not be set for ExternalName services");
    }

    // ------------------------------------------------------------ cluster IPs, rollback

    @Test
    void requestedAddressTakenHasKubeApiserversError() {
        singleStack();
        alloc.create(svc("a").clusterIP("10.0.0.10").build());
        assertRefused(ops -> ops.create(svc("b").clusterIP("10.0.0.10").build()), ServiceInvalidException.class,
                "Service \"b\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.0.0.10\"}: "
                        + "failed to allocate IP 10.0.0.10: provided IP is already allocated");
        ServiceInvalidException e = catchInvalid(() -> alloc.create(svc("b").clusterIP("10.0.0.10").build()));
        assertThat(e.errors()).containsExactly(new FieldError("spec.clusterIPs", FieldError.Type.INVALID,
                "[]string{\"10.0.0.10\"}", "failed to allocate IP 10.0.0.10: provided IP is already allocated"));
        assertRefused(ops -> ops.create(svc("c").clusterIP("10.1.0.10").build()), ServiceInvalidException.class,
                "Service \"c\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.1.0.10\"}: "
                        + "failed to allocate IP 10.1.0.10: the provided network does not match the current range");
    }

    @Test
    void secondFamilyFailingReleasesTheFirst() {
        // 2000::/126 has 3 usable addresses; kube-apiserver leaks the IPv4 address here (issue 136475)
        cluster("30000-32767", List.of(V4, V6), "10.0.0.0/16", "2000::/126");
        for (int i = 0; i < 3; i++) {
            alloc.create(svc("v6-" + i).ipFamilies(V6).build());
        }
        assertRefused(ops -> ops.create(svc("dual").ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK).build()),
                ServiceInternalException.class, "Internal error occurred: failed to allocate a serviceIP: range is full");
        assertThat(cidrs.used(V4)).isZero();
    }

    @Test
    void fullRangeIsAnInternalError() {
        cluster("30000-32767", List.of(V4), "10.0.0.0/30");
        alloc.create(svc("a").build());
        alloc.create(svc("b").build());
        assertRefused(ops -> ops.create(svc("c").build()), ServiceInternalException.class,
                "Internal error occurred: failed to allocate a serviceIP: range is full");
    }

    // ------------------------------------------------------------ NodePorts

    @Test
    void nodePortsOnePerPortNumberAcrossProtocols() {
        singleStack();
        ServiceSpec s = alloc.create(svc("a").type(ServiceType.NODE_PORT).ports(ServicePort.of("dns-tcp", Protocol.TCP, 53),
                ServicePort.of("dns-udp", Protocol.UDP, 53), ServicePort.of("https", Protocol.TCP, 443)).build());
        assertThat(s.ports().get(0).nodePort()).isEqualTo(s.ports().get(1).nodePort()).isNotZero();
        assertThat(s.ports().get(2).nodePort()).isNotZero().isNotEqualTo(s.ports().get(0).nodePort());
        assertThat(ports.used()).isEqualTo(2);
    }

    @Test
    void requestedNodePortIsReservedAndSharedByTheSamePortNumber() {
        singleStack();
        ServiceSpec s = alloc.create(svc("a").type(ServiceType.NODE_PORT).ports(ServicePort.of("tcp", Protocol.TCP, 53),
                new ServicePort("udp", Protocol.UDP, 53, 30053)).build());
        assertThat(s.ports()).extracting(ServicePort::nodePort).containsExactly(30053, 30053);
        assertThat(ports.allocatedPorts().boxed().toList()).containsExactly(30053);
    }

    @Test
    void requestedNodePortTakenRollsBackTheClusterIp() {
        dualStack();
        alloc.create(svc("a").type(ServiceType.NODE_PORT).ports(new ServicePort("http", Protocol.TCP, 80, 30080)).build());
        assertRefused(ops -> ops.create(svc("b").type(ServiceType.NODE_PORT).ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK)
                        .ports(new ServicePort("http", Protocol.TCP, 80, 30080)).build()), ServiceInvalidException.class,
                "Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated");
        assertRefused(ops -> ops.create(svc("b").type(ServiceType.NODE_PORT)
                        .ports(new ServicePort("http", Protocol.TCP, 80, 29000)).build()), ServiceInvalidException.class,
                "Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: 29000: "
                        + "provided port is not in the valid range. The range of valid ports is 30000-32767");
    }

    @Test
    void nodePortRangeFullRollsBackEverything() {
        cluster("30000-30001", List.of(V4, V6), "10.0.0.0/16", "2000::/108");
        assertRefused(ops -> ops.create(svc("a").type(ServiceType.NODE_PORT).ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK)
                        .ports(ServicePort.of("a", Protocol.TCP, 1), ServicePort.of("b", Protocol.TCP, 2), ServicePort.of("c", Protocol.TCP, 3)).build()),
                ServiceInternalException.class, "Internal error occurred: failed to allocate a nodePort: range is full");
    }

    @Test
    void nodePortOnClusterIpTypeIsForbidden() {
        singleStack();
        assertRefused(ops -> ops.create(svc("a").ports(new ServicePort("http", Protocol.TCP, 80, 30080)).build()),
                ServiceInvalidException.class,
                "Service \"a\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
    }

    @Test
    void loadBalancerWithoutNodePortsKeepsRequestedOnes() {
        singleStack();
        ServiceSpec s = alloc.create(svc("a").type(ServiceType.LOAD_BALANCER).allocateLoadBalancerNodePorts(false)
                .ports(ServicePort.of("a", Protocol.TCP, 80), new ServicePort("b", Protocol.TCP, 81, 30081)).build());
        assertThat(s.ports()).extracting(ServicePort::nodePort).containsExactly(0, 30081);
        assertThat(ports.used()).isEqualTo(1);
    }

    // ------------------------------------------------------------ healthCheckNodePort

    @Test
    void healthCheckNodePortOnlyForLoadBalancerLocal() {
        singleStack();
        ServiceSpec lb = alloc.create(svc("lb").type(ServiceType.LOAD_BALANCER).externalTrafficPolicy(ExternalTrafficPolicy.LOCAL).build());
        assertThat(lb.healthCheckNodePort()).isNotZero().isNotEqualTo(lb.ports().get(0).nodePort());
        ServiceSpec np = alloc.create(svc("np").type(ServiceType.NODE_PORT).externalTrafficPolicy(ExternalTrafficPolicy.LOCAL).build());
        assertThat(np.healthCheckNodePort()).isZero();
        assertThat(ports.used()).isEqualTo(3);
        ServiceSpec requested = alloc.create(svc("req").type(ServiceType.LOAD_BALANCER)
                .externalTrafficPolicy(ExternalTrafficPolicy.LOCAL).healthCheckNodePort(30500).build());
        assertThat(requested.healthCheckNodePort()).isEqualTo(30500);
        assertRefused(ops -> ops.create(svc("dup").type(ServiceType.LOAD_BALANCER)
                        .externalTrafficPolicy(ExternalTrafficPolicy.LOCAL).healthCheckNodePort(30500).build()),
                ServiceInternalException.class,
                "Internal error occurred: failed to allocate requested HealthCheck NodePort 30500: provided port is already allocated");
    }

    @Test
    void healthCheckNodePortFollowsThePolicyOnUpdate() {
        singleStack();
        ServiceSpec lb = alloc.create(svc("lb").type(ServiceType.LOAD_BALANCER).build());
        assertThat(lb.healthCheckNodePort()).isZero();
        ServiceSpec local = alloc.update(lb.toBuilder().externalTrafficPolicy(ExternalTrafficPolicy.LOCAL).build());
        assertThat(local.healthCheckNodePort()).isNotZero();
        assertThat(ports.isAllocated(local.healthCheckNodePort())).isTrue();
        assertRefused(ops -> ops.update(local.toBuilder().healthCheckNodePort(local.healthCheckNodePort() == 30999 ? 30998 : 30999).build()),
                ServiceInvalidException.class, "Service \"lb\" is invalid: spec.healthCheckNodePort: Forbidden: field is immutable");
        ServiceSpec cluster = alloc.update(local.toBuilder().externalTrafficPolicy(ExternalTrafficPolicy.CLUSTER).build());
        assertThat(cluster.healthCheckNodePort()).isZero();
        assertThat(ports.isAllocated(local.healthCheckNodePort())).isFalse();
    }

    // ------------------------------------------------------------ updates

    @Test
    void resubmittingWithoutAllocatedValuesKeepsThem() {
        dualStack();
        ServiceSpec asked = svc("a").type(ServiceType.LOAD_BALANCER).externalTrafficPolicy(ExternalTrafficPolicy.LOCAL)
                .ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK).build();
        ServiceSpec created = alloc.create(asked);
        State before = state();
        assertThat(alloc.update(asked)).isEqualTo(created);
        assertThat(state()).isEqualTo(before);
    }

    @Test
    void typeChangesReleaseAndAllocate() {
        singleStack();
        ServiceSpec np = alloc.create(svc("a").type(ServiceType.NODE_PORT).build());
        int nodePort = np.ports().get(0).nodePort();
        ServiceSpec ci = alloc.update(np.toBuilder().type(ServiceType.CLUSTER_IP).build());
        assertThat(ci.ports().get(0).nodePort()).isZero();
        assertThat(ci.clusterIPs()).isEqualTo(np.clusterIPs());
        assertThat(ports.isAllocated(nodePort)).isFalse();

        ServiceSpec back = alloc.update(ci.toBuilder().type(ServiceType.NODE_PORT).build());
        assertThat(back.ports().get(0).nodePort()).isNotZero();
        assertThat(ports.used()).isEqualTo(1);

        ServiceSpec ext = alloc.update(back.toBuilder().type(ServiceType.EXTERNAL_NAME).build());
        assertThat(ext.clusterIPs()).isEmpty();
        assertThat(ext.ipFamilies()).isEmpty();
        assertThat(ext.ipFamilyPolicy()).isEmpty();
        assertThat(ext.ports().get(0).nodePort()).isZero();
        assertThat(cidrs.used()).isZero();
        assertThat(ports.used()).isZero();

        ServiceSpec again = alloc.update(ext.toBuilder().type(ServiceType.CLUSTER_IP).build());
        assertThat(again.clusterIPs()).hasSize(1);
        assertThat(cidrs.used()).isEqualTo(1);
    }

    @Test
    void upgradeAndDowngradeDualStack() {
        dualStack();
        ServiceSpec single = alloc.create(svc("a").build());
        ServiceSpec dual = alloc.update(single.toBuilder().ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK).build());
        assertThat(dual.ipFamilies()).containsExactly(V4, V6);
        assertThat(dual.clusterIPs().get(0)).isEqualTo(single.clusterIP());
        assertThat(cidrs.used(V6)).isEqualTo(1);

        assertRefused(ops -> ops.update(dual.toBuilder().clusterIPs(List.of(single.clusterIP())).build()),
                ServiceInvalidException.class, "Service \"a\" is invalid: spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": "
                        + "must be 'SingleStack' to release the secondary cluster IP");

        ServiceSpec down = alloc.update(dual.toBuilder().ipFamilyPolicy(IpFamilyPolicy.SINGLE_STACK).build());
        assertThat(down.clusterIPs()).containsExactly(single.clusterIP());
        assertThat(down.ipFamilies()).containsExactly(V4);
        assertThat(cidrs.used(V6)).isZero();
    }

    @Test
    void preferDualStackIsNotUpgradedByAnUnchangedUpdate() {
        singleStack();
        ServiceSpec s = alloc.create(svc("a").ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK).build());
        assertThat(alloc.update(s)).isEqualTo(s);
    }

    @Test
    void changingTheClusterIpIsRefused() {
        singleStack();
        ServiceSpec s = alloc.create(svc("a").clusterIP("10.0.0.20").build());
        assertRefused(ops -> ops.update(s.toBuilder().clusterIP("10.0.0.21").build()), ServiceInvalidException.class,
                "Service \"a\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.0.0.21\"}: may not change once set");
    }

    @Test
    void failedUpdateKeepsWhatItWouldHaveReleasedAndReleasesWhatItTook() {
        dualStack();
        alloc.create(svc("other").type(ServiceType.NODE_PORT).ports(new ServicePort("http", Protocol.TCP, 80, 30090)).build());
        ServiceSpec s = alloc.create(svc("a").type(ServiceType.NODE_PORT).build());
        // upgrade to dual-stack (takes an IPv6 address) and move the NodePort to a taken one
        assertRefused(ops -> ops.update(s.toBuilder().ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK)
                        .ports(new ServicePort("http", Protocol.TCP, 80, 30090)).build()), ServiceInvalidException.class,
                "Service \"a\" is invalid: spec.ports[0].nodePort: Invalid value: 30090: provided port is already allocated");
        assertThat(ports.isAllocated(s.ports().get(0).nodePort())).isTrue();
    }

    @Test
    void updatedNodePortIsTakenAndTheOldOneReleased() {
        singleStack();
        ServiceSpec s = alloc.create(svc("a").type(ServiceType.NODE_PORT).ports(new ServicePort("http", Protocol.TCP, 80, 30100)).build());
        ServiceSpec moved = alloc.update(s.toBuilder().ports(new ServicePort("http", Protocol.TCP, 80, 30101)).build());
        assertThat(moved.ports().get(0).nodePort()).isEqualTo(30101);
        assertThat(ports.allocatedPorts().boxed().toList()).containsExactly(30101);
    }

    @Test
    void updateWithTheSameNodePortTwiceForOneProtocolIsAPlainError() {
        singleStack();
        ServiceSpec s = alloc.create(svc("a").type(ServiceType.NODE_PORT).build());
        int np = s.ports().get(0).nodePort();
        assertRefused(ops -> ops.update(s.toBuilder().ports(new ServicePort("a", Protocol.TCP, 80, np),
                        new ServicePort("b", Protocol.TCP, 81, np)).build()),
                ServiceInternalException.class, "duplicate nodePort: {TCP " + np + "}");
    }

    // ------------------------------------------------------------ delete, dry run, lookups

    @Test
    void deleteReleasesEverything() {
        dualStack();
        ServiceSpec s = alloc.create(svc("a").type(ServiceType.LOAD_BALANCER).externalTrafficPolicy(ExternalTrafficPolicy.LOCAL)
                .ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK).build());
        assertThat(cidrs.used()).isEqualTo(2);
        assertThat(ports.used()).isEqualTo(2);
        State before = state();
        assertThat(alloc.dryRun().delete(s.owner())).isEqualTo(s);
        assertThat(state()).isEqualTo(before);
        assertThat(alloc.delete(s.owner())).isEqualTo(s);
        assertThat(cidrs.used()).isZero();
        assertThat(ports.used()).isZero();
        assertThat(alloc.get(s.owner())).isEmpty();
        assertRefused(ops -> ops.delete(s.owner()), ServiceNotFoundException.class, "services \"a\" not found");
    }

    @Test
    void dryRunReturnsPlaceholdersAndChangesNothing() {
        dualStack();
        State before = state();
        ServiceSpec s = alloc.dryRun().create(svc("a").type(ServiceType.NODE_PORT).ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK)
                .ports(ServicePort.of("a", Protocol.TCP, 80), new ServicePort("b", Protocol.TCP, 81, 30005),
                        ServicePort.of("c", Protocol.TCP, 82)).build());
        assertThat(s.clusterIPs()).containsExactly("10.0.0.0", "2000::");
        assertThat(s.ports()).extracting(ServicePort::nodePort).containsExactly(32769, 30005, 32770);
        assertThat(state()).isEqualTo(before);
        ServiceSpec real = alloc.create(svc("a").build());
        assertRefused(ops -> ops.create(svc("a").build()), ServiceAlreadyExistsException.class, "services \"a\" already exists");
        assertThat(alloc.get(real.owner())).contains(real);
        assertThat(alloc.services()).containsExactly(real);
    }

    @Test
    void dryRunSeesAFullNodePortRangeAsTheRealCallDoes() {
        cluster("30000-30001", List.of(V4), "10.0.0.0/16");
        ServiceSpec twoPorts = svc("a").type(ServiceType.NODE_PORT)
                .ports(ServicePort.of("a", Protocol.TCP, 1), ServicePort.of("b", Protocol.TCP, 2)).build();
        assertThat(alloc.dryRun().create(twoPorts).ports()).extracting(ServicePort::nodePort).containsExactly(32769, 32770);
        alloc.create(svc("first").type(ServiceType.NODE_PORT).build());
        assertRefused(ops -> ops.create(twoPorts), ServiceInternalException.class,
                "Internal error occurred: failed to allocate a nodePort: range is full");
    }

    private static ServiceInvalidException catchInvalid(Runnable call) {
        try {
            call.run();
        } catch (ServiceInvalidException e) {
            return e;
        }
        throw new AssertionError("expected a ServiceInvalidException");
    }
}
