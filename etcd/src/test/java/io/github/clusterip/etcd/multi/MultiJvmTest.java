package io.github.clusterip.etcd.multi;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.IpAddress;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.RangeFullException;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.SharedClusterIpAllocator;
import io.github.clusterip.etcd.EtcdKeyValueStore;
import io.github.clusterip.etcd.testing.EtcdCluster;
import io.github.clusterip.service.RepairAction;
import io.github.clusterip.service.RepairFinding;
import io.github.clusterip.service.RepairReport;
import io.github.clusterip.service.ServiceSpec;
import io.github.clusterip.service.SharedServiceAllocator;
import io.github.clusterip.store.StoreLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Several JVMs allocating through one etcd, and JVMs killed with SIGKILL mid-way. */
class MultiJvmTest {

    private static final Duration LINE = Duration.ofSeconds(30);

    private static EtcdCluster etcd;
    private static EtcdKeyValueStore store;
    private static String endpoints;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.startSingle();
        endpoints = String.join(",", etcd.endpoints());
        store = EtcdKeyValueStore.builder().endpoints(etcd.endpoints().toArray(String[]::new))
                .timeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stopEtcd() {
        if (store != null) {
            store.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    private static SharedClusterIpAllocator open(String cidr, StoreLayout layout) {
        return SharedClusterIpAllocator.builder(store, ServiceCidr.parse(cidr)).layout(layout).blockBits(64).build();
    }

    @ParameterizedTest
    @EnumSource(StoreLayout.class)
    void threeJvmsFillASlash24TogetherAndEachAddressIsHandedOutOnce(StoreLayout layout) throws Exception {
        String cidr = layout == StoreLayout.BLOCKS ? "10.1.0.0/24" : "10.2.0.0/24";
        List<Worker> workers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                workers.add(Worker.start("fill", "--endpoints", endpoints, "--cidr", cidr, "--layout", layout.name(),
                        "--id", String.valueOf(i)));
            }
            for (Worker w : workers) {
                assertThat(w.next(LINE)).isEqualTo("READY");
            }
            for (Worker w : workers) {
                w.send("GO");
            }
            Map<IpAddress, Owner> handedOut = new HashMap<>();
            List<String> duplicates = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                List<String> lines = workers.get(i).rest(Duration.ofSeconds(60));
                assertThat(lines.size()).as("addresses of worker " + i + " (plus FULL)").isGreaterThan(1);
                assertThat(lines).as("worker " + i).endsWith("FULL");
                for (String line : lines.subList(0, lines.size() - 1)) {
                    assertThat(line).startsWith("IP ");
                    IpAddress ip = IpAddress.parse(line.substring(3));
                    Owner previous = handedOut.put(ip, new Owner("jvm", "w" + i));
                    if (previous != null) {
                        duplicates.add(ip + " to " + previous + " and jvm/w" + i);
                    }
                }
            }
            assertThat(duplicates).isEmpty();
            assertThat(handedOut).hasSize(254);
            Set<IpAddress> usable = new HashSet<>();
            ServiceCidr c = ServiceCidr.parse(cidr);
            for (int i = 1; i <= 254; i++) {
                usable.add(IpAddress.parse(cidr.substring(0, cidr.lastIndexOf('.') + 1) + i));
            }
            assertThat(handedOut.keySet()).isEqualTo(usable);
            try (SharedClusterIpAllocator a = open(cidr, layout)) {
                assertThat(a.cidr()).isEqualTo(c);
                Map<IpAddress, Optional<Owner>> expected = new HashMap<>();
                handedOut.forEach((ip, o) -> expected.put(ip, Optional.of(o)));
                assertThat(a.allocations()).isEqualTo(expected);
                assertThat(a.used()).isEqualTo(254);
            }
        } finally {
            for (Worker w : workers) {
                w.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(StoreLayout.class)
    void fourJvmsRaceForTheLastFreeAddressAndExactlyOneWins(StoreLayout layout) throws Exception {
        String cidr = layout == StoreLayout.BLOCKS ? "10.3.0.0/28" : "10.4.0.0/28";
        List<Worker> workers = new ArrayList<>();
        try (SharedClusterIpAllocator test = open(cidr, layout)) {
            Owner mine = new Owner("test", "filler");
            for (int i = 0; i < 13; i++) {
                test.allocateNext(mine);
            }
            for (int i = 0; i < 4; i++) {
                workers.add(Worker.start("race", "--endpoints", endpoints, "--cidr", cidr, "--layout", layout.name(),
                        "--id", String.valueOf(i)));
            }
            for (Worker w : workers) {
                assertThat(w.next(LINE)).isEqualTo("READY");
            }
            IpAddress free = null;
            for (int round = 0; round < 4; round++) {
                for (Worker w : workers) {
                    w.send("GO");
                }
                List<String> won = new ArrayList<>();
                int full = 0;
                for (int i = 0; i < workers.size(); i++) {
                    String line = workers.get(i).next(LINE);
                    if (line.startsWith("WON ")) {
                        won.add(i + " " + line.substring(4));
                    } else {
                        assertThat(line).as("worker " + i + ", round " + round).startsWith("FULL ")
                                .contains("range is full");
                        full++;
                    }
                }
                assertThat(won).as("round " + round).hasSize(1);
                assertThat(full).isEqualTo(3);
                int winner = Integer.parseInt(won.get(0).split(" ")[0]);
                IpAddress ip = IpAddress.parse(won.get(0).split(" ")[1]);
                if (free != null) {
                    assertThat(ip).as("the one address released").isEqualTo(free);
                }
                test.refresh();
                assertThat(test.owner(ip)).contains(new Owner("jvm", "w" + winner));
                assertThat(test.used()).isEqualTo(14);
                try {
                    test.allocateNext(mine);
                    throw new AssertionError("the range should be full");
                } catch (RangeFullException expected) {
                    // full
                }
                // free one for the next round: the winner's, or one of the test's
                free = round % 2 == 0 ? ip : test.allocations().entrySet().stream()
                        .filter(e -> e.getValue().equals(Optional.of(mine))).findFirst().orElseThrow().getKey();
                assertThat(test.release(free)).isTrue();
            }
            for (Worker w : workers) {
                w.endInput();
                assertThat(w.rest(LINE)).isEmpty();
            }
        } finally {
            for (Worker w : workers) {
                w.close();
            }
        }
    }

    private static SharedServiceAllocator services(String prefix, String cidr, String ports, int leakPasses) {
        return SharedServiceAllocator.builder(store).prefix(prefix).cidr(ServiceCidr.parse(cidr))
                .nodePorts(PortRange.parse(ports)).blockBits(64).leakPasses(leakPasses).build();
    }

    @Test
    void aJvmKilledWhileCreatingServicesLeavesNoSharedAddressOrPortAndRepairFreesItsLeftovers() throws Exception {
        String cidr = "10.5.0.0/24";
        String ports = "30000-30299";
        Map<String, String> printed = new HashMap<>();
        // two JVMs create Services at once; each is killed after some, at no chosen point of a create
        try (Worker w1 = Worker.start("services", "--endpoints", endpoints, "--cidr", cidr, "--ports", ports,
                "--layout", "BLOCKS", "--id", "k1");
                Worker w2 = Worker.start("services", "--endpoints", endpoints, "--cidr", cidr, "--ports", ports,
                        "--layout", "BLOCKS", "--id", "k2")) {
            long firstLine = 0;
            for (int i = 0; i < 40; i++) {
                Worker w = i % 2 == 0 ? w1 : w2;
                if (i == 25) {
                    w1.kill();
                }
                if (i >= 25) {
                    w = w2;
                }
                String[] f = w.next(LINE).split(" ");
                assertThat(f[0]).isEqualTo("SVC");
                printed.put(f[1], f[2] + " " + f[3]);
                if (i == 0) {
                    firstLine = System.nanoTime();
                }
            }
            // w2 is killed a while after its last line: half the time its creates take, on average
            long meanNanos = (System.nanoTime() - firstLine) / 39;
            Thread.sleep(meanNanos / 2_000_000);
            w2.kill();
        }
        try (SharedServiceAllocator s = services("/clusterip/", cidr, ports, 1)) {
            List<ServiceSpec> stored = s.services();
            assertThat(stored.size()).isGreaterThanOrEqualTo(40);
            Map<IpAddress, Owner> ipUsers = new HashMap<>();
            Map<Integer, Owner> portUsers = new HashMap<>();
            for (ServiceSpec spec : stored) {
                for (IpAddress ip : spec.clusterIpAddresses()) {
                    assertThat(ipUsers.put(ip, spec.owner())).as("address " + ip + " held twice").isNull();
                }
                for (int p : spec.nodePorts()) {
                    assertThat(portUsers.put(p, spec.owner())).as("port " + p + " held twice").isNull();
                }
                String p = printed.get(spec.owner().name());
                if (p != null) {
                    assertThat(spec.clusterIpAddresses().get(0) + " " + spec.nodePorts().get(0)).isEqualTo(p);
                }
            }
            assertThat(stored.stream().map(x -> x.owner().name()).toList()).containsAll(printed.keySet());
            SharedClusterIpAllocator ips = s.addresses(ServiceCidr.parse(cidr).family()).orElseThrow();
            RepairReport report = s.repair();
            for (RepairFinding f : report.findings()) {
                assertThat(f.action()).as(f.message()).isEqualTo(RepairAction.RELEASED);
            }
            Map<IpAddress, Optional<Owner>> wantIps = new HashMap<>();
            ipUsers.forEach((ip, o) -> wantIps.put(ip, Optional.of(o)));
            Map<Integer, Optional<Owner>> wantPorts = new HashMap<>();
            portUsers.forEach((p, o) -> wantPorts.put(p, Optional.of(o)));
            assertThat(ips.allocations()).isEqualTo(wantIps);
            assertThat(s.nodePorts().allocations()).isEqualTo(wantPorts);
            // a second pass finds nothing more
            assertThat(s.repair().findings()).isEmpty();
        }
    }

    @Test
    void anAddressLeakedByAKilledJvmIsFlaggedThenReleasedThenAllocatableAgain() throws Exception {
        String cidr = "10.6.0.0/29";
        String ports = "30300-30309";
        IpAddress leaked;
        try (Worker w = Worker.start("leak", "--endpoints", endpoints, "--cidr", cidr, "--ports", ports, "--id", "l")) {
            String line = w.next(LINE);
            assertThat(line).startsWith("LEAKED ");
            leaked = IpAddress.parse(line.substring(7));
            w.kill();
        }
        Owner ghost = new Owner("jvm", "ghost");
        try (SharedServiceAllocator s = services("/clusterip/", cidr, ports, 2)) {
            SharedClusterIpAllocator ips = s.addresses(ServiceCidr.parse(cidr).family()).orElseThrow();
            assertThat(ips.allocations()).isEqualTo(Map.of(leaked, Optional.of(ghost)));
            RepairReport first = s.repair();
            assertThat(first.findings()).singleElement().satisfies(f -> {
                assertThat(f.action()).isEqualTo(RepairAction.FLAGGED);
                assertThat(f.address()).contains(leaked);
            });
            assertThat(ips.owner(leaked)).contains(ghost);
            RepairReport second = s.repair();
            assertThat(second.findings()).singleElement().satisfies(f -> {
                assertThat(f.action()).isEqualTo(RepairAction.RELEASED);
                assertThat(f.address()).contains(leaked);
            });
            assertThat(ips.allocations()).isEmpty();
            assertThat(ips.owner(leaked)).isEmpty();
            Owner again = new Owner("test", "again");
            ips.allocate(leaked, again);
            assertThat(ips.owner(leaked)).contains(again);
        }
    }
}
