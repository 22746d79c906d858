package io.github.clusterip.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.clusterip.IpAddress;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import io.github.clusterip.service.ExistingService.Port;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Tests of {@link Repair}: the NodePort cases are those of kube-apiserver's
 * {@code portallocator/controller/repair_test.go} ({@code TestRepairLeak},
 * {@code TestRepairWithExisting}, {@code TestCollectServiceNodePorts}); the ClusterIP cases follow
 * the branches of {@code ipallocator/controller/repairip.go} and the leak counter of
 * {@code ipallocator/controller/repair.go}. Expected values are worked out by hand.
 */
class RepairTest {

    private static final Owner WEB = new Owner("default", "web");
    private static final Owner DB = new Owner("prod", "db");
    private static final Owner GONE = new Owner("default", "gone");

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static ServiceCidrSet set(String... cidrs) {
        ServiceCidrSet.Builder builder = ServiceCidrSet.builder();
        for (String c : cidrs) {
            builder.add(ServiceCidr.parse(c));
        }
        return builder.build();
    }

    private static ExistingService svc(Owner owner, String... ips) {
        List<IpAddress> list = new ArrayList<>();
        for (String s : ips) {
            list.add(ip(s));
        }
        return ExistingService.of(owner, list);
    }

    private static ExistingService ports(String namespace, Integer... ports) {
        return new ExistingService(new Owner(namespace, namespace), List.of(), List.of(ports));
    }

    /** Records what the listener hears, as "ip:label" and "port:label". */
    private static final class Recording implements RepairMetrics {
        final List<String> heard = new ArrayList<>();

        @Override
        public void clusterIpRepairError(RepairErrorType type) {
            heard.add("ip:" + type.label());
        }

        @Override
        public void nodePortRepairError(RepairErrorType type) {
            heard.add("port:" + type.label());
        }
    }

    // ---- NodePorts, from kube-apiserver's tests

    @Test
    void portsWithExistingServicesAsKubeApiserverTestRepairWithExisting() {
        NodePortAllocator allocator = NodePortAllocator.create(PortRange.parse("100-200"));
        Recording metrics = new Recording();
        Repair repair = Repair.builder().nodePorts(allocator).metrics(metrics).build();
        List<ExistingService> services = List.of(
                ports("one", 111),
                ports("two", 122, 133),
                ports("three", 201),        // outside the range
                ExistingService.of(new Owner("four", "four"), List.of(), List.of(new Port(0, "TCP")), 0),
                ports("five", 111),         // a duplicate of one/one
                ExistingService.of(new Owner("six", "six"), List.of(), List.of(), 144));

        RepairReport report = repair.runOnce(services);

        assertThat(allocator.allocatedPorts().boxed()).containsExactly(111, 122, 133, 144);
        assertThat(allocator.free()).isEqualTo(97);
        assertThat(report.portErrors()).isEqualTo(Map.of(RepairErrorType.REPAIR, 4,
                RepairErrorType.OUT_OF_RANGE, 1, RepairErrorType.DUPLICATE, 1));
        assertThat(report.ipErrors()).isEmpty();
        assertThat(metrics.heard).containsExactlyInAnyOrder("port:repair", "port:repair", "port:repair",
                "port:repair", "port:outOfRange", "port:duplicate");
        RepairFinding duplicate = report.findings().stream().filter(f -> f.type() == RepairErrorType.DUPLICATE)
                .findFirst().orElseThrow();
        assertThat(duplicate.port()).hasValue(111);
        assertThat(duplicate.service()).hasValue(new Owner("five", "five"));
        assertThat(duplicate.otherService()).hasValue(new Owner("one", "one"));
        assertThat(duplicate.reason()).isEqualTo("PortAlreadyAllocated");
        assertThat(duplicate.message()).isEqualTo("Port 111 was assigned to multiple services; please recreate service");
        RepairFinding outside = report.findings().stream().filter(f -> f.type() == RepairErrorType.OUT_OF_RANGE)
                .findFirst().orElseThrow();
        assertThat(outside.reason()).isEqualTo("PortOutOfRange");
        assertThat(outside.message()).isEqualTo("Port 201 is not within the port range 100-200; please recreate service");
        assertThat(report.findings().get(0).message()).isEqualTo("Port 111 is not allocated; repairing");
        assertThat(report.findings().get(0).reason()).isEqualTo("PortNotAllocated");
        assertThat(report.findings().get(0).action()).isEqualTo(RepairAction.ALLOCATED);

        // Nothing more to repair; the duplicate and the outside port are reported again.
        RepairReport second = repair.runOnce(services);
        assertThat(second.portErrors()).isEqualTo(Map.of(RepairErrorType.OUT_OF_RANGE, 1,
                RepairErrorType.DUPLICATE, 1));
    }

    @Test
    void aLeakedPortIsReleasedInTheThirdConsecutivePassAsKubeApiserverTestRepairLeak() {
        NodePortAllocator allocator = NodePortAllocator.create(PortRange.parse("100-200"));
        allocator.allocate(111);
        Recording metrics = new Recording();
        Repair repair = Repair.builder().nodePorts(allocator).metrics(metrics).build();
        for (int pass = 1; pass < Repair.LEAK_PASSES; pass++) {
            RepairReport report = repair.runOnce(List.of());
            assertThat(allocator.isAllocated(111)).isTrue();
            assertThat(report.findings()).singleElement().satisfies(f -> {
                assertThat(f.action()).isEqualTo(RepairAction.FLAGGED);
                assertThat(f.message()).isEqualTo("the node port 111 may have leaked: flagging for later clean up");
            });
            assertThat(report.portErrors()).isEmpty();
        }
        assertThat(metrics.heard).isEmpty();
        RepairReport third = repair.runOnce(List.of());
        assertThat(allocator.isAllocated(111)).isFalse();
        assertThat(third.findings()).singleElement().satisfies(f -> {
            assertThat(f.action()).isEqualTo(RepairAction.RELEASED);
            assertThat(f.passes()).isEqualTo(3);
            assertThat(f.message()).isEqualTo("the node port 111 appears to have leaked: cleaning up");
        });
        assertThat(third.portErrors()).isEqualTo(Map.of(RepairErrorType.LEAK, 1));
        assertThat(metrics.heard).containsExactly("port:leak");
        assertThat(repair.runOnce(List.of()).isClean()).isTrue();
    }

    @Test
    void aLeakCounterRestartsWhenAPassDoesNotSeeTheLeak() {
        NodePortAllocator allocator = NodePortAllocator.create(PortRange.parse("100-200"));
        allocator.allocate(111);
        Repair repair = Repair.builder().nodePorts(allocator).build();
        repair.runOnce(List.of());
        repair.runOnce(List.of());
        // Released and allocated again between passes, as a delete and a create would do:
        // kube-apiserver would keep its counter at 0 and free the port at once; here it starts over.
        allocator.release(111);
        repair.runOnce(List.of());
        allocator.allocate(111);
        RepairReport report = repair.runOnce(List.of());
        assertThat(report.findings()).singleElement().satisfies(f -> assertThat(f.passes()).isEqualTo(1));
        assertThat(allocator.isAllocated(111)).isTrue();
        // A pass where a Service uses it also restarts the count.
        repair.runOnce(List.of(ports("one", 111)));
        assertThat(repair.runOnce(List.of()).findings().get(0).passes()).isEqualTo(1);
    }

    @Test
    void nodePortsAreCollectedAsKubeApiserverTestCollectServiceNodePorts() {
        Owner one = new Owner("one", "one");
        Map<List<Integer>, ExistingService> cases = Map.of(
                List.of(111, 112, 113), ExistingService.of(one, List.of(),
                        List.of(new Port(111, "TCP"), new Port(112, "UDP"), new Port(113, "UDP")), 0),
                List.of(111, 111, 112), ExistingService.of(one, List.of(),
                        List.of(new Port(111, "TCP"), new Port(111, "TCP"), new Port(112, "UDP")), 0),
                List.of(111, 111, 112, 0), ExistingService.of(one, List.of(),
                        List.of(new Port(111, "UDP"), new Port(111, "UDP"), new Port(112, "TCP")), 0),
                List.of(111, 112), ExistingService.of(one, List.of(),
                        List.of(new Port(111, "TCP"), new Port(112, "TCP"), new Port(111, "UDP")), 0),
                List.of(111, 112, 113, 0), ExistingService.of(one, List.of(),
                        List.of(new Port(111, "TCP"), new Port(112, "UDP")), 113),
                List.of(111, 112, 0), ExistingService.of(one, List.of(),
                        List.of(new Port(111, "UDP"), new Port(112, "TCP")), 111),
                List.of(111, 112, 112), ExistingService.of(one, List.of(),
                        List.of(new Port(111, "UDP"), new Port(112, "TCP")), 112));
        cases.forEach((expected, service) -> assertThat(service.nodePorts().stream().sorted().toList())
                .as(expected.toString())
                .isEqualTo(expected.stream().filter(p -> p != 0).toList()));
    }

    @Test
    void aNodePortOutsideOneToAPortNumberIsRefused() {
        assertThatThrownBy(() -> ports("one", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid NodePort 0 of Service one/one: a port is from 1 to 65535");
        assertThatThrownBy(() -> ports("one", 65536)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Port(-1, "TCP")).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- ClusterIPs

    @Test
    void anAddressUsedButNotAllocatedIsAllocatedForItsService() {
        ServiceCidrSet set = set("10.96.0.0/24", "fd00::/120");
        Recording metrics = new Recording();
        Repair repair = Repair.builder().addresses(set).metrics(metrics).build();
        RepairReport report = repair.runOnce(List.of(svc(WEB, "10.96.0.20", "fd00::20")));
        assertThat(set.owner(ip("10.96.0.20"))).hasValue(WEB);
        assertThat(set.owner(ip("fd00::20"))).hasValue(WEB);
        assertThat(report.findings()).extracting(RepairFinding::message).containsExactly(
                "Cluster IP [IPv4]: 10.96.0.20 is not allocated; repairing",
                "Cluster IP [IPv6]: fd00::20 is not allocated; repairing");
        assertThat(report.findings()).allSatisfy(f -> {
            assertThat(f.reason()).isEqualTo("ClusterIPNotAllocated");
            assertThat(f.action()).isEqualTo(RepairAction.ALLOCATED);
            assertThat(f.kind()).isEqualTo(RepairFinding.Kind.CLUSTER_IP);
            assertThat(f.port()).isEmpty();
        });
        assertThat(report.ipErrors()).isEqualTo(Map.of(RepairErrorType.REPAIR, 2));
        assertThat(metrics.heard).containsExactly("ip:repair", "ip:repair");
        assertThat(repair.runOnce(List.of(svc(WEB, "10.96.0.20", "fd00::20"))).isClean()).isTrue();
    }

    @Test
    void anAddressOutsideEveryCidrIsReportedAndLeft() {
        ServiceCidrSet set = set("10.96.0.0/24");
        Repair repair = Repair.builder().addresses(set).build();
        // 10.96.0.0 is the network address: in the block but not usable, as kube's host-IP match.
        RepairReport report = repair.runOnce(List.of(svc(WEB, "10.0.0.1"), svc(DB, "10.96.0.0")));
        assertThat(report.findings()).extracting(RepairFinding::message).containsExactly(
                "Cluster IP [IPv4]: 10.0.0.1 is not within any configured Service CIDR; please recreate service",
                "Cluster IP [IPv4]: 10.96.0.0 is not within any configured Service CIDR; please recreate service");
        assertThat(report.findings()).allSatisfy(f -> {
            assertThat(f.reason()).isEqualTo("ClusterIPOutOfRange");
            assertThat(f.action()).isEqualTo(RepairAction.NONE);
        });
        assertThat(set.used()).isZero();
        assertThat(report.ipErrors()).isEqualTo(Map.of(RepairErrorType.OUT_OF_RANGE, 2));
    }

    @Test
    void theOwnerOnRecordKeepsADuplicateAddressAsTheIpAddressParentRefDoes() {
        ServiceCidrSet set = set("10.96.0.0/24");
        set.allocate(ip("10.96.0.20"), DB);
        Repair repair = Repair.builder().addresses(set).build();
        RepairReport report = repair.runOnce(List.of(svc(WEB, "10.96.0.20"), svc(DB, "10.96.0.20")));
        assertThat(set.owner(ip("10.96.0.20"))).hasValue(DB);
        assertThat(report.findings()).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(RepairErrorType.DUPLICATE);
            assertThat(f.service()).hasValue(WEB);
            assertThat(f.otherService()).hasValue(DB);
            assertThat(f.reason()).isEqualTo("ClusterIPAlreadyAllocated");
            assertThat(f.message()).isEqualTo(
                    "Cluster IP [IPv4]:10.96.0.20 was assigned to multiple services; please recreate service");
        });
    }

    @Test
    void withNoOwnerOnRecordTheFirstServiceKeepsADuplicateAddress() {
        ServiceCidrSet set = set("10.96.0.0/24");
        Repair repair = Repair.builder().addresses(set).build();
        RepairReport report = repair.runOnce(List.of(svc(WEB, "10.96.0.20"), svc(DB, "10.96.0.20")));
        assertThat(set.owner(ip("10.96.0.20"))).hasValue(WEB);
        assertThat(report.findings()).extracting(RepairFinding::type, RepairFinding::action)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(RepairErrorType.REPAIR, RepairAction.ALLOCATED),
                        org.assertj.core.groups.Tuple.tuple(RepairErrorType.DUPLICATE, RepairAction.NONE));
    }

    @Test
    void anAddressAllocatedToAnotherOwnerGetsTheOwnerThatUsesIt() {
        ServiceCidrSet set = set("10.96.0.0/24");
        set.allocate(ip("10.96.0.20"), GONE);
        Recording metrics = new Recording();
        Repair repair = Repair.builder().addresses(set).metrics(metrics).build();
        RepairReport report = repair.runOnce(List.of(svc(WEB, "10.96.0.20")));
        assertThat(set.owner(ip("10.96.0.20"))).hasValue(WEB);
        assertThat(report.findings()).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(RepairErrorType.REPAIR);
            assertThat(f.action()).isEqualTo(RepairAction.OWNER_SET);
            assertThat(f.otherService()).hasValue(GONE);
            assertThat(f.reason()).isEqualTo("ClusterIPNotAllocated");
            assertThat(f.message()).isEqualTo(
                    "the ClusterIP [IPv4]: 10.96.0.20 for Service default/web has a wrong reference; repairing");
            assertThat(f.toString()).isEqualTo("repair 10.96.0.20 default/web: owner set (was default/gone)"
                    + " (ClusterIPNotAllocated: the ClusterIP [IPv4]: 10.96.0.20 for Service default/web has a wrong"
                    + " reference; repairing)");
        });
        assertThat(metrics.heard).containsExactly("ip:repair");
    }

    @Test
    void anAddressRestoredWithoutOwnerIsAdoptedSilently() {
        ServiceCidrSet source = set("10.96.0.0/24");
        source.allocate(ip("10.96.0.20"), GONE);
        ServiceCidrSet set = set("10.96.0.0/24");
        set.restore(source.snapshot(ServiceCidr.parse("10.96.0.0/24")));
        assertThat(set.owner(ip("10.96.0.20"))).isEmpty();
        RepairReport report = Repair.builder().addresses(set).build().runOnce(List.of(svc(WEB, "10.96.0.20")));
        assertThat(report.isClean()).isTrue();
        assertThat(set.owner(ip("10.96.0.20"))).hasValue(WEB);
    }

    @Test
    void leakedAddressesAreFlaggedTwiceThenReleasedWithTheReasonOfTheirOwner() {
        ServiceCidrSet set = set("10.96.0.0/24");
        set.allocate(ip("10.96.0.10"), WEB);   // WEB exists but does not list it
        set.allocate(ip("10.96.0.11"), GONE);  // GONE does not exist
        set.allocate(ip("10.96.0.30"), DB);    // used
        ServiceCidrSet source = set("10.96.0.0/24");
        source.allocate(ip("10.96.0.12"), GONE);
        set.restore(source.snapshot(ServiceCidr.parse("10.96.0.0/24"))); // no owner known
        Recording metrics = new Recording();
        Repair repair = Repair.builder().addresses(set).metrics(metrics).build();
        List<ExistingService> services = List.of(svc(WEB), svc(DB, "10.96.0.30"));
        for (int pass = 1; pass < Repair.LEAK_PASSES; pass++) {
            RepairReport report = repair.runOnce(services);
            int seen = pass;
            assertThat(report.findings()).hasSize(3).allSatisfy(f -> {
                assertThat(f.action()).isEqualTo(RepairAction.FLAGGED);
                assertThat(f.passes()).isEqualTo(seen);
            });
            assertThat(set.used()).isEqualTo(4);
        }
        RepairReport third = repair.runOnce(services);
        assertThat(set.allocations().keySet()).containsExactly(ip("10.96.0.30"));
        assertThat(third.findings()).extracting(RepairFinding::reason, RepairFinding::message).containsExactly(
                org.assertj.core.groups.Tuple.tuple("IPAddressWrongReference",
                        "IPAddress: 10.96.0.10 for Service default/web has a wrong reference; cleaning up"),
                org.assertj.core.groups.Tuple.tuple("IPAddressNotAllocated",
                        "IPAddress: 10.96.0.11 for Service default/gone appears to have leaked: cleaning up"),
                org.assertj.core.groups.Tuple.tuple("", "the cluster IP 10.96.0.12 appears to have leaked: cleaning up"));
        assertThat(third.ipErrors()).isEqualTo(Map.of(RepairErrorType.LEAK, 3));
        assertThat(metrics.heard).containsExactly("ip:leak", "ip:leak", "ip:leak");
    }

    @Test
    void anAddressWhoseOnlyCidrIsTerminatingIsKeptIfAllocatedAndUnknownIfNot() {
        ServiceCidrSet set = set("10.96.0.0/24", "10.97.0.0/24");
        set.allocate(ip("10.96.0.20"), WEB);
        set.remove(ServiceCidr.parse("10.96.0.0/24"));
        Repair repair = Repair.builder().addresses(set).build();
        RepairReport report = repair.runOnce(List.of(svc(WEB, "10.96.0.20"), svc(DB, "10.96.0.21")));
        assertThat(report.findings()).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo(RepairErrorType.UNKNOWN);
            assertThat(f.service()).hasValue(DB);
            assertThat(f.reason()).isEqualTo("UnknownError");
            assertThat(f.message()).startsWith("Unable to allocate ClusterIP [IPv4]: 10.96.0.21 due to an unknown error: ");
        });
        assertThat(set.isAllocated(ip("10.96.0.20"))).isTrue();
        assertThat(set.isAllocated(ip("10.96.0.21"))).isFalse();
    }

    @Test
    void aServiceGivenTwiceIsRefusedAndNothingChanges() {
        ServiceCidrSet set = set("10.96.0.0/24");
        set.allocate(ip("10.96.0.10"), GONE);
        Repair repair = Repair.builder().addresses(set).build();
        assertThatThrownBy(() -> repair.runOnce(List.of(svc(WEB, "10.96.0.20"), svc(WEB, "10.96.0.21"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Service default/web is given twice: a repair needs each Service once");
        assertThat(set.allocations()).isEqualTo(Map.of(ip("10.96.0.10"), Optional.of(GONE)));
        // The refused call was no pass: the leak is in its first pass now.
        assertThat(repair.runOnce(List.of()).findings().get(0).passes()).isEqualTo(1);
    }

    @Test
    void aRepairNeedsSomethingToRepair() {
        assertThatThrownBy(() -> Repair.builder().build()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theReportRendersTheCountsAndOneLinePerFinding() {
        ServiceCidrSet set = set("10.96.0.0/24");
        NodePortAllocator allocator = NodePortAllocator.create(PortRange.parse("30000-30015"));
        allocator.allocate(30001);
        Repair repair = Repair.builder().addresses(set).nodePorts(allocator).build();
        RepairReport report = repair.runOnce(List.of(new ExistingService(WEB, List.of(ip("10.96.0.20")),
                List.of(30000))));
        assertThat(report.pass()).isEqualTo(1);
        assertThat(report.count(RepairErrorType.REPAIR, RepairAction.ALLOCATED)).isEqualTo(2);
        assertThat(report.render()).isEqualTo("""
                repair pass 1: 3 findings; ClusterIP errors repair=1; NodePort errors repair=1
                  repair 10.96.0.20 default/web: allocated (ClusterIPNotAllocated: Cluster IP [IPv4]: 10.96.0.20 is not allocated; repairing)
                  repair port 30000 default/web: allocated (PortNotAllocated: Port 30000 is not allocated; repairing)
                  leak port 30001: flagged, seen leaked in 1 of 3 passes (the node port 30001 may have leaked: flagging for later clean up)
                """);
        assertThat(report.toString()).isEqualTo(report.render());
        assertThat(repair.runOnce(List.of(new ExistingService(WEB, List.of(ip("10.96.0.20")), List.of(30000, 30001))))
                .render()).isEqualTo("repair pass 2: no problem found\n");
    }

    @Test
    void theErrorTypesCarryKubeApiserversLabels() {
        assertThat(java.util.Arrays.stream(RepairErrorType.values()).map(RepairErrorType::label)
                .collect(Collectors.joining(","))).isEqualTo("leak,repair,full,outOfRange,duplicate,unknown,invalid");
    }
}
