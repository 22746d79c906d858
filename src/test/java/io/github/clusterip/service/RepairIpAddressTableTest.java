package io.github.clusterip.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.IpAddress;
import io.github.clusterip.Owner;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cases of kube-apiserver's {@code TestRepairServiceIP}
 * ({@code ipallocator/controller/repairip_test.go}), over a {@link ServiceCidrSet}: Services in
 * namespace {@code bar}, the CIDRs 10.0.0.0/16 and 2001:db8::/64 (and a custom pair where the case
 * has one), IPAddress objects as allocated addresses with their owner. The expected events are
 * kube-apiserver's, as "reason message". Where kube-apiserver waits for a grace period after an
 * IPAddress object's creation before it deletes an orphan, the repair here waits for
 * {@value Repair#LEAK_PASSES} passes: the events compared are those of the last pass, flags
 * aside.
 */
class RepairIpAddressTableTest {

    private static Owner svc(String name) {
        return new Owner("bar", name);
    }

    private static ExistingService service(String name, String... ips) {
        return ExistingService.of(svc(name), Arrays.stream(ips).map(IpAddress::parse).toList());
    }

    /** An IPAddress object: the address and the Service its parentRef names. */
    private record Ip(String address, String owner) {
    }

    static Stream<Arguments> cases() {
        List<String> kubernetes = List.of("10.0.0.0/16", "2001:db8::/64");
        List<String> custom = List.of("10.0.0.0/16", "2001:db8::/64", "192.168.0.0/24", "2001:db8:a:b::/64");
        List<String> secondary = List.of("10.0.0.0/16", "2001:db8::/64", "192.168.1.0/24");
        return Stream.of(
                Arguments.of("no changes needed single stack", kubernetes, List.of(service("test-svc", "10.0.1.1")),
                        List.of(new Ip("10.0.1.1", "test-svc")), List.of("10.0.1.1"), List.of()),
                Arguments.of("no changes needed dual stack", kubernetes,
                        List.of(service("test-svc", "10.0.1.1", "2001:db8::10")),
                        List.of(new Ip("10.0.1.1", "test-svc"), new Ip("2001:db8::10", "test-svc")),
                        List.of("10.0.1.1", "2001:db8::10"), List.of()),
                Arguments.of("no changes needed dual stack multiple cidrs", custom,
                        List.of(service("test-svc", "192.168.0.1", "2001:db8:a:b::10")),
                        List.of(new Ip("192.168.0.1", "test-svc"), new Ip("2001:db8:a:b::10", "test-svc")),
                        List.of("192.168.0.1", "2001:db8:a:b::10"), List.of()),
                Arguments.of("create IPAddress single stack", kubernetes, List.of(service("test-svc", "10.0.1.1")),
                        List.of(), List.of("10.0.1.1"),
                        List.of("ClusterIPNotAllocated Cluster IP [IPv4]: 10.0.1.1 is not allocated; repairing")),
                Arguments.of("create IPAddresses dual stack", kubernetes,
                        List.of(service("test-svc", "10.0.1.1", "2001:db8::10")), List.of(),
                        List.of("10.0.1.1", "2001:db8::10"),
                        List.of("ClusterIPNotAllocated Cluster IP [IPv4]: 10.0.1.1 is not allocated; repairing",
                                "ClusterIPNotAllocated Cluster IP [IPv6]: 2001:db8::10 is not allocated; repairing")),
                Arguments.of("create IPAddress single stack from secondary", secondary,
                        List.of(service("test-svc", "192.168.1.1")), List.of(), List.of("192.168.1.1"),
                        List.of("ClusterIPNotAllocated Cluster IP [IPv4]: 192.168.1.1 is not allocated; repairing")),
                Arguments.of("reconcile IPAddress single stack wrong reference", kubernetes,
                        List.of(service("test-svc", "10.0.1.1")), List.of(new Ip("10.0.1.1", "test-svc2")),
                        List.of("10.0.1.1"), List.of("ClusterIPNotAllocated the ClusterIP [IPv4]: 10.0.1.1 for Service"
                                + " bar/test-svc has a wrong reference; repairing")),
                Arguments.of("reconcile IPAddresses dual stack", kubernetes,
                        List.of(service("test-svc", "10.0.1.1", "2001:db8::10")),
                        List.of(new Ip("10.0.1.1", "test-svc2"), new Ip("2001:db8::10", "test-svc2")),
                        List.of("10.0.1.1", "2001:db8::10"),
                        List.of("ClusterIPNotAllocated the ClusterIP [IPv4]: 10.0.1.1 for Service bar/test-svc has a"
                                        + " wrong reference; repairing",
                                "ClusterIPNotAllocated the ClusterIP [IPv6]: 2001:db8::10 for Service bar/test-svc has"
                                        + " a wrong reference; repairing")),
                Arguments.of("one IP out of range", kubernetes,
                        List.of(service("test-svc", "192.168.1.1", "2001:db8::10")),
                        List.of(new Ip("2001:db8::10", "test-svc")), List.of("2001:db8::10"),
                        List.of("ClusterIPOutOfRange Cluster IP [IPv4]: 192.168.1.1 is not within any configured"
                                + " Service CIDR; please recreate service")),
                Arguments.of("one IP orphan", kubernetes, List.of(), List.of(new Ip("10.0.1.1", "test-svc")),
                        List.of(), List.of("IPAddressNotAllocated IPAddress: 10.0.1.1 for Service bar/test-svc appears"
                                + " to have leaked: cleaning up")),
                Arguments.of("one IP out of range matching the network address", kubernetes,
                        List.of(service("test-svc", "10.0.0.0")), List.of(), List.of(),
                        List.of("ClusterIPOutOfRange Cluster IP [IPv4]: 10.0.0.0 is not within any configured Service"
                                + " CIDR; please recreate service")),
                Arguments.of("one IP out of range matching the broadcast address", kubernetes,
                        List.of(service("test-svc", "10.0.255.255")), List.of(), List.of(),
                        List.of("ClusterIPOutOfRange Cluster IP [IPv4]: 10.0.255.255 is not within any configured"
                                + " Service CIDR; please recreate service")),
                Arguments.of("one IPv6 out of range matching the subnet address", kubernetes,
                        List.of(service("test-svc", "2001:db8::")), List.of(), List.of(),
                        List.of("ClusterIPOutOfRange Cluster IP [IPv6]: 2001:db8:: is not within any configured Service"
                                + " CIDR; please recreate service")),
                Arguments.of("one IPv6 matching the broadcast address", kubernetes,
                        List.of(service("test-svc", "2001:db8::ffff:ffff:ffff:ffff")),
                        List.of(new Ip("2001:db8::ffff:ffff:ffff:ffff", "test-svc")),
                        List.of("2001:db8::ffff:ffff:ffff:ffff"), List.of()),
                Arguments.of("Two IPAddresses referencing the same service", kubernetes,
                        List.of(service("test-svc", "10.0.1.1")),
                        List.of(new Ip("10.0.1.1", "test-svc"), new Ip("10.0.1.2", "test-svc")), List.of("10.0.1.1"),
                        List.of("IPAddressWrongReference IPAddress: 10.0.1.2 for Service bar/test-svc has a wrong"
                                + " reference; cleaning up")),
                Arguments.of("Two Services with same ClusterIP", kubernetes,
                        List.of(service("test-svc", "10.0.1.1"), service("test-svc2", "10.0.1.1")),
                        List.of(new Ip("10.0.1.1", "test-svc2")), List.of("10.0.1.1"),
                        List.of("ClusterIPAlreadyAllocated Cluster IP [IPv4]:10.0.1.1 was assigned to multiple"
                                + " services; please recreate service")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void asKubeApiserversTestRepairServiceIp(String name, List<String> cidrs, List<ExistingService> services,
            List<Ip> ipAddresses, List<String> expectedIps, List<String> expectedEvents) {
        ServiceCidrSet.Builder builder = ServiceCidrSet.builder();
        cidrs.forEach(c -> builder.add(ServiceCidr.parse(c)));
        ServiceCidrSet set = builder.build();
        for (Ip ip : ipAddresses) {
            set.allocate(IpAddress.parse(ip.address()), svc(ip.owner()));
        }
        Repair repair = Repair.builder().addresses(set).build();
        // The events: what the first pass reports and repairs, and what later passes release.
        List<String> events = new ArrayList<>();
        for (int pass = 1; pass <= Repair.LEAK_PASSES; pass++) {
            for (RepairFinding f : repair.runOnce(services).findings()) {
                if (f.action() == RepairAction.RELEASED || (pass == 1 && f.action() != RepairAction.FLAGGED)) {
                    events.add(f.reason() + " " + f.message());
                }
            }
        }
        assertThat(events).containsExactlyElementsOf(expectedEvents);
        assertThat(set.allocations().keySet()).containsExactlyElementsOf(
                expectedIps.stream().map(IpAddress::parse).sorted().toList());
        for (ExistingService s : services) {
            for (IpAddress ip : s.clusterIPs()) {
                if (set.isAllocated(ip) && services.stream().filter(o -> o.clusterIPs().contains(ip)).count() == 1) {
                    assertThat(set.owner(ip)).as("owner of %s", ip).hasValue(s.owner());
                }
            }
        }
    }
}
