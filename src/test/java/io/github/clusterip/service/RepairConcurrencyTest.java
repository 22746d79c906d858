package io.github.clusterip.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.IpAddress;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Passes run from several threads at once count every leak once and release it once. */
class RepairConcurrencyTest {

    @Test
    void passesFromManyThreadsReleaseEachLeakExactlyOnce() throws Exception {
        ServiceCidrSet set = ServiceCidrSet.create(ServiceCidr.parse("10.96.0.0/24"));
        NodePortAllocator ports = NodePortAllocator.create(PortRange.parse("30000-30199"));
        Owner gone = new Owner("default", "gone");
        List<ExistingService> services = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            IpAddress address = IpAddress.parse("10.96.0." + i);
            if (i % 2 == 0) {
                set.allocate(address, gone);     // leaked
                ports.allocate(30000 + i);       // leaked
            } else {
                services.add(new ExistingService(new Owner("default", "svc-" + i), List.of(address),
                        List.of(30000 + i)));
            }
        }
        Repair repair = Repair.builder().addresses(set).nodePorts(ports).build();
        int threads = 4;
        int passesEach = 5;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<RepairReport>>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            results.add(pool.submit(() -> {
                start.await();
                List<RepairReport> reports = new ArrayList<>();
                for (int p = 0; p < passesEach; p++) {
                    reports.add(repair.runOnce(services));
                }
                return reports;
            }));
        }
        start.countDown();
        List<RepairReport> all = new ArrayList<>();
        for (Future<List<RepairReport>> f : results) {
            all.addAll(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertThat(all).extracting(RepairReport::pass).containsExactlyInAnyOrderElementsOf(
                java.util.stream.LongStream.rangeClosed(1, threads * passesEach).boxed().toList());
        int released = all.stream().mapToInt(r -> r.count(RepairErrorType.LEAK, RepairAction.RELEASED)).sum();
        int allocated = all.stream().mapToInt(r -> r.count(RepairErrorType.REPAIR, RepairAction.ALLOCATED)).sum();
        assertThat(released).isEqualTo(100);     // 50 addresses and 50 ports, each once
        assertThat(allocated).isEqualTo(100);    // 50 addresses and 50 ports used but not allocated, each once
        assertThat(set.used()).isEqualTo(50);
        assertThat(ports.used()).isEqualTo(50);
        for (ExistingService s : services) {
            assertThat(set.owner(s.clusterIPs().get(0))).hasValue(s.owner());
            assertThat(ports.isAllocated(s.nodePorts().get(0))).isTrue();
        }
    }
}
