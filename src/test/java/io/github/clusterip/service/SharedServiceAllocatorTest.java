package io.github.clusterip.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.SharedClusterIpAllocator;
import io.github.clusterip.store.InMemoryKeyValueStore;
import io.github.clusterip.store.StoreLayout;
import io.github.clusterip.store.StoreValueException;
import io.github.clusterip.store.StoreWrite;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Whole Services through a shared store; two instances stand for two JVMs. */
class SharedServiceAllocatorTest {

    private final InMemoryKeyValueStore store = new InMemoryKeyValueStore();
    private final List<SharedServiceAllocator> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(SharedServiceAllocator::close);
        store.close();
    }

    private SharedServiceAllocator open(StoreLayout layout, String... cidrs) {
        SharedServiceAllocator.Builder b = SharedServiceAllocator.builder(store).layout(layout).blockBits(64)
                .nodePorts(PortRange.parse("30000-30099")).leakPasses(2);
        for (String c : cidrs) {
            b.cidr(ServiceCidr.parse(c));
        }
        SharedServiceAllocator a = b.build();
        opened.add(a);
        return a;
    }

    private static ServiceSpec.Builder svc(String name) {
        return ServiceSpec.builder(new Owner("default", name)).ports(ServicePort.of("http", Protocol.TCP, 80));
    }

    @ParameterizedTest
    @EnumSource(StoreLayout.class)
    void aServiceCreatedInOneInstanceIsSeenUpdatedAndDeletedInAnother(StoreLayout layout) {
        SharedServiceAllocator a = open(layout, "10.0.0.0/24", "fd00::/120");
        SharedServiceAllocator b = open(layout, "10.0.0.0/24", "fd00::/120");
        ServiceSpec created = a.create(svc("web").type(ServiceType.NODE_PORT)
                .ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK).build());
        assertThat(created.clusterIPs()).hasSize(2);
        int nodePort = created.ports().get(0).nodePort();
        assertThat(nodePort).isBetween(30000, 30099);
        assertThat(b.get(created.owner())).contains(created);
        assertThat(b.services()).containsExactly(created);
        IpAddress v4 = created.clusterIpAddresses().get(0);
        SharedClusterIpAllocator bv4 = b.addresses(IpFamily.IPV4).orElseThrow();
        assertThat(bv4.owner(v4)).contains(created.owner());
        assertThat(b.nodePorts().owner(nodePort)).contains(created.owner());

        assertThatThrownBy(() -> b.create(svc("web").build())).isInstanceOf(ServiceAlreadyExistsException.class);

        ServiceSpec updated = b.update(created.toBuilder().type(ServiceType.CLUSTER_IP).build());
        assertThat(updated.ports().get(0).nodePort()).isZero();
        assertThat(a.get(created.owner())).contains(updated);
        a.nodePorts().refresh();
        assertThat(a.nodePorts().isAllocated(nodePort)).isFalse();

        assertThat(a.delete(created.owner())).isEqualTo(updated);
        assertThat(b.get(created.owner())).isEmpty();
        bv4.refresh();
        assertThat(bv4.isAllocated(v4)).isFalse();
        assertThat(bv4.used()).isZero();
        assertThatThrownBy(() -> b.delete(created.owner())).isInstanceOf(ServiceNotFoundException.class);
    }

    @Test
    void errorsAreServiceAllocatorsAndAFailedCreateLeavesNothing() {
        SharedServiceAllocator a = open(StoreLayout.BLOCKS, "10.0.0.0/28");
        SharedServiceAllocator b = open(StoreLayout.BLOCKS, "10.0.0.0/28");
        a.create(svc("one").clusterIP("10.0.0.5").build());
        assertThatThrownBy(() -> b.create(svc("two").clusterIP("10.0.0.5").build()))
                .isInstanceOf(ServiceInvalidException.class)
                .hasMessageContaining("failed to allocate IP 10.0.0.5: provided IP is already allocated");
        assertThatThrownBy(() -> b.create(svc("two").clusterIP("10.0.1.5").build()))
                .isInstanceOf(ServiceInvalidException.class)
                .hasMessageContaining("the provided IP (10.0.1.5) is not in the valid range");
        // a NodePort that another Service holds: the cluster IP taken first is given back
        ServiceSpec np = a.create(svc("np").type(ServiceType.NODE_PORT).build());
        int taken = np.ports().get(0).nodePort();
        long before = b.addresses(IpFamily.IPV4).orElseThrow().allocations().size();
        assertThatThrownBy(() -> b.create(svc("np2").type(ServiceType.NODE_PORT)
                .ports(new ServicePort("http", Protocol.TCP, 80, taken)).build()))
                .isInstanceOf(ServiceInvalidException.class).hasMessageContaining("provided port is already allocated");
        assertThat(b.addresses(IpFamily.IPV4).orElseThrow().allocations()).hasSize((int) before);
        assertThat(b.get(new Owner("default", "np2"))).isEmpty();
        // 14 usable addresses: "one", "np" and 12 more
        for (int i = 0; i < 12; i++) {
            b.create(svc("fill" + i).build());
        }
        assertThatThrownBy(() -> a.create(svc("full").build())).isInstanceOf(ServiceInternalException.class)
                .hasMessageContaining("failed to allocate a serviceIP: range is full");
    }

    @ParameterizedTest
    @EnumSource(StoreLayout.class)
    void instancesRacingToCreateServicesNeverShareAnAddressOrPort(StoreLayout layout) throws Exception {
        int threads = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<SharedServiceAllocator> instances = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                instances.add(open(layout, "10.0.0.0/25"));
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<ServiceSpec>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                SharedServiceAllocator mine = instances.get(t);
                int id = t;
                results.add(pool.submit(() -> {
                    start.await();
                    List<ServiceSpec> made = new ArrayList<>();
                    for (int i = 0; i < 40; i++) {
                        try {
                            made.add(mine.create(svc("s" + id + "-" + i).type(ServiceType.NODE_PORT).build()));
                        } catch (ServiceInternalException full) {
                            break;
                        }
                    }
                    return made;
                }));
            }
            start.countDown();
            Set<String> ips = new HashSet<>();
            Set<Integer> ports = new HashSet<>();
            int count = 0;
            for (Future<List<ServiceSpec>> f : results) {
                for (ServiceSpec s : f.get(60, TimeUnit.SECONDS)) {
                    count++;
                    assertThat(ips.add(s.clusterIP())).as("address %s twice", s.clusterIP()).isTrue();
                    assertThat(ports.add(s.ports().get(0).nodePort())).isTrue();
                }
            }
            // 100 NodePorts and 126 addresses: the ports run out first
            assertThat(count).isEqualTo(100);
            assertThat(instances.get(0).services()).hasSize(100);
            assertThat(instances.get(0).repair().isClean()).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentUpdatesOfOneServiceFromTwoInstancesBothLand() throws Exception {
        SharedServiceAllocator a = open(StoreLayout.BLOCKS, "10.0.0.0/24");
        SharedServiceAllocator b = open(StoreLayout.BLOCKS, "10.0.0.0/24");
        ServiceSpec s = a.create(svc("web").build());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> fa = pool.submit(() -> {
                for (int i = 0; i < 30; i++) {
                    a.update(s.toBuilder().type(i % 2 == 0 ? ServiceType.NODE_PORT : ServiceType.CLUSTER_IP).build());
                }
            });
            Future<?> fb = pool.submit(() -> {
                for (int i = 0; i < 30; i++) {
                    b.update(s.toBuilder().type(i % 2 == 0 ? ServiceType.CLUSTER_IP : ServiceType.NODE_PORT).build());
                }
            });
            fa.get(60, TimeUnit.SECONDS);
            fb.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        ServiceSpec last = a.get(s.owner()).orElseThrow();
        // whatever the last update was, the ports allocated are exactly the record's, after repair
        RepairReport first = a.repair();
        RepairReport second = a.repair();
        assertThat(first.findings()).allMatch(f -> f.type() == RepairErrorType.LEAK);
        assertThat(a.nodePorts().allocations().keySet()).containsExactlyInAnyOrderElementsOf(last.nodePorts());
        assertThat(second.pass()).isEqualTo(2);
    }

    @Test
    void aRepairPassFreesWhatACrashedWriterLeftAfterTheGivenPasses() {
        SharedServiceAllocator a = open(StoreLayout.BLOCKS, "10.0.0.0/24");
        Owner ghost = new Owner("default", "ghost");
        // what a JVM killed between its allocations and its Service's record leaves behind
        IpAddress ip = a.addresses(IpFamily.IPV4).orElseThrow().allocateNext(ghost);
        int port = a.nodePorts().allocateNext(ghost);
        ServiceSpec live = a.create(svc("live").type(ServiceType.NODE_PORT).build());

        RepairReport first = a.repair();
        assertThat(first.findings()).extracting(RepairFinding::action).containsOnly(RepairAction.FLAGGED);
        assertThat(first.findings()).hasSize(2);
        assertThat(a.addresses(IpFamily.IPV4).orElseThrow().owner(ip)).contains(ghost);

        RepairReport second = a.repair();
        assertThat(second.findings()).extracting(RepairFinding::action).containsOnly(RepairAction.RELEASED);
        assertThat(second.count(RepairErrorType.LEAK, RepairAction.RELEASED)).isEqualTo(2);
        SharedClusterIpAllocator v4 = a.addresses(IpFamily.IPV4).orElseThrow();
        assertThat(v4.allocations()).containsOnlyKeys(live.clusterIpAddresses().get(0));
        assertThat(a.nodePorts().allocations()).containsOnlyKeys(live.ports().get(0).nodePort());
        assertThat(a.nodePorts().owner(port)).isEmpty();
        assertThat(a.repair().isClean()).isTrue();
    }

    @Test
    void aLeakAllocatedAgainBeforeItsReleaseIsNotFreed() {
        SharedServiceAllocator a = open(StoreLayout.BLOCKS, "10.0.0.0/24");
        SharedClusterIpAllocator v4 = a.addresses(IpFamily.IPV4).orElseThrow();
        IpAddress ip = v4.allocateNext(new Owner("default", "ghost"));
        a.repair();
        // released and taken again by a real Service between two passes
        v4.release(ip);
        ServiceSpec s = a.create(svc("real").clusterIP(ip.toString()).build());
        RepairReport second = a.repair();
        assertThat(second.isClean()).isTrue();
        assertThat(v4.owner(ip)).contains(s.owner());
    }

    @Test
    void aServiceWhoseAddressIsNotAllocatedGetsItBack() {
        SharedServiceAllocator a = open(StoreLayout.BLOCKS, "10.0.0.0/24");
        ServiceSpec s = a.create(svc("web").build());
        IpAddress ip = s.clusterIpAddresses().get(0);
        a.addresses(IpFamily.IPV4).orElseThrow().release(ip);
        RepairReport report = a.repair();
        assertThat(report.count(RepairErrorType.REPAIR, RepairAction.ALLOCATED)).isEqualTo(1);
        assertThat(a.addresses(IpFamily.IPV4).orElseThrow().owner(ip)).contains(s.owner());
    }

    @Test
    void aCorruptedServiceRecordIsNamedAndLeftAlone() {
        SharedServiceAllocator a = open(StoreLayout.BLOCKS, "10.0.0.0/24");
        a.create(svc("web").build());
        String key = "/clusterip/services/default/web";
        byte[] junk = "clusterip-service 1\nowner default/other\n".getBytes(StandardCharsets.UTF_8);
        store.commit(List.of(), List.of(StoreWrite.put(key, junk)));
        assertThatThrownBy(() -> a.get(new Owner("default", "web"))).isInstanceOf(StoreValueException.class)
                .hasMessage("invalid value under key " + key
                        + ": invalid Service record: the record is Service default/other, not default/web");
        assertThatThrownBy(() -> a.delete(new Owner("default", "web"))).isInstanceOf(StoreValueException.class);
        assertThatThrownBy(a::services).isInstanceOf(StoreValueException.class).hasMessageContaining(key);
        assertThat(store.get(key).orElseThrow().value()).isEqualTo(junk);
        store.commit(List.of(), List.of(StoreWrite.put(key, "{\"kind\":\"Service\"}".getBytes(StandardCharsets.UTF_8))));
        assertThatThrownBy(() -> a.get(new Owner("default", "web"))).isInstanceOf(StoreValueException.class)
                .hasMessageContaining("not a clusterip Service record");
    }

    @Test
    void recordsRoundTripEveryField() {
        ServiceSpec s = ServiceSpec.builder(new Owner("prod", "api")).type(ServiceType.LOAD_BALANCER)
                .clusterIPs(List.of("10.0.0.7", "fd00::7")).ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK)
                .ipFamilies(IpFamily.IPV4, IpFamily.IPV6)
                .ports(new ServicePort("web ui/%", Protocol.UDP, 53, 30053), new ServicePort("", Protocol.SCTP, 9, 0))
                .allocateLoadBalancerNodePorts(false).externalTrafficPolicy(ExternalTrafficPolicy.LOCAL)
                .healthCheckNodePort(30999).selector(false).build();
        byte[] bytes = ServiceRecords.encode(s);
        assertThat(ServiceRecords.decode("k", s.owner(), bytes)).isEqualTo(s);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("port UDP 53 30053 web%20ui%2F%25\n");
        ServiceSpec plain = svc("x").build();
        assertThat(ServiceRecords.decode("k", plain.owner(), ServiceRecords.encode(plain))).isEqualTo(plain);
        assertThatThrownBy(() -> ServiceRecords.decode("k", plain.owner(), new byte[ServiceRecords.MAX_BYTES + 1]))
                .isInstanceOf(StoreValueException.class).hasMessageContaining("longer than the 65536 allowed");
        assertThatThrownBy(() -> ServiceRecords.decode("k", plain.owner(),
                "clusterip-service 1\nowner default/x\ntype BOGUS\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(StoreValueException.class).hasMessageContaining("invalid Service record");
    }

    @Test
    void builderErrors() {
        assertThatThrownBy(() -> SharedServiceAllocator.builder(store).build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no CIDR");
        assertThatThrownBy(() -> SharedServiceAllocator.builder(store).cidr(ServiceCidr.parse("10.0.0.0/24"))
                .cidr(ServiceCidr.parse("10.1.0.0/24"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("one CIDR per family");
        assertThatThrownBy(() -> SharedServiceAllocator.builder(store).leakPasses(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Map.of()).isEmpty();
        assertThat(Optional.empty()).isEmpty();
    }
}
