package io.github.clusterip.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many threads create, update and delete dual-stack NodePort Services on one allocator, in CIDRs
 * and a port range small enough to run full, while another thread adds and removes a CIDR. While
 * they run, every Service a thread holds has addresses and ports that no other Service holds at
 * the same time; at the end the set and the port allocator hold exactly what the remaining
 * Services hold, and the counts are exact.
 */
class ServiceConcurrencyTest {

    private static final int THREADS = 6;
    private static final int ROUNDS = 3_000;

    @Test
    void concurrentServicesNeverShareAnAddressOrAPortAndLeakNothing() throws Exception {
        ServiceCidrSet cidrs = ServiceCidrSet.create(ServiceCidr.parse("10.0.0.0/27"), ServiceCidr.parse("fd00::/122"));
        NodePortAllocator ports = NodePortAllocator.create(PortRange.parse("30000-30079"));
        ServiceAllocator services = ServiceAllocator.create(cidrs, ports, List.of(IpFamily.IPV4, IpFamily.IPV6));
        // Who holds what, claimed after a successful create or update and dropped before a delete:
        // a second claim of the same address or port while the first holds it is a duplicate.
        Map<Object, Owner> claims = new ConcurrentHashMap<>();
        List<String> duplicates = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger created = new AtomicInteger();
        AtomicInteger full = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(thread);
                    List<ServiceSpec> mine = new ArrayList<>();
                    start.await();
                    for (int round = 0; round < ROUNDS; round++) {
                        if (mine.size() < 8 && random.nextInt(3) != 0) {
                            Owner owner = new Owner("t" + thread, "s" + round);
                            ServiceSpec spec = ServiceSpec.builder(owner).type(ServiceType.NODE_PORT)
                                    .ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK)
                                    .ports(ServicePort.of("a", Protocol.TCP, 80), ServicePort.of("b", Protocol.UDP, 80),
                                            ServicePort.of("c", Protocol.TCP, 443))
                                    .build();
                            try {
                                ServiceSpec result = services.create(spec);
                                claim(claims, duplicates, result);
                                mine.add(result);
                                created.incrementAndGet();
                            } catch (ServiceInternalException e) {
                                assertThat(e.getMessage()).contains("range is full");
                                full.incrementAndGet();
                            }
                        } else if (!mine.isEmpty()) {
                            ServiceSpec victim = mine.remove(random.nextInt(mine.size()));
                            unclaim(claims, victim);
                            services.delete(victim.owner());
                        }
                    }
                    return null;
                }));
            }
            futures.add(pool.submit(() -> {
                ServiceCidr extra = ServiceCidr.parse("10.0.1.0/28");
                start.await();
                for (int i = 0; i < 200; i++) {
                    // Read once: releases by the other threads can end a terminating CIDR at any time.
                    Optional<io.github.clusterip.ServiceCidrStatus> status = cidrs.status(extra);
                    if (status.isEmpty()) {
                        cidrs.add(extra);
                    } else if (status.get().ready()) {
                        cidrs.remove(extra);
                    }
                    Thread.yield();
                }
                return null;
            }));
            start.countDown();
            for (Future<?> f : futures) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(duplicates).as("addresses or ports held by two Services at once").isEmpty();
        assertThat(created.get()).as("Services created").isGreaterThan(THREADS * 100);
        assertThat(full.get()).as("creates refused because a range was full").isPositive();

        Map<IpAddress, Optional<Owner>> expected = new TreeMap<>();
        Set<Integer> expectedPorts = new HashSet<>();
        for (ServiceSpec s : services.services()) {
            s.clusterIpAddresses().forEach(ip -> expected.put(ip, Optional.of(s.owner())));
            expectedPorts.addAll(s.nodePorts());
        }
        assertThat(cidrs.allocations()).as("the set holds exactly the Services' addresses").isEqualTo(expected);
        assertThat(cidrs.used()).isEqualTo(expected.size());
        assertThat(ports.allocatedPorts().boxed().collect(java.util.stream.Collectors.toSet())).isEqualTo(expectedPorts);
        assertThat(ports.used()).isEqualTo(expectedPorts.size());
        for (ServiceSpec s : services.services()) {
            services.delete(s.owner());
        }
        assertThat(cidrs.used()).as("nothing leaked").isZero();
        assertThat(ports.used()).as("nothing leaked").isZero();
    }

    private static void claim(Map<Object, Owner> claims, List<String> duplicates, ServiceSpec s) {
        for (Object key : keys(s)) {
            Owner previous = claims.putIfAbsent(key, s.owner());
            if (previous != null) {
                duplicates.add(key + " held by " + previous + " and " + s.owner());
            }
        }
    }

    private static void unclaim(Map<Object, Owner> claims, ServiceSpec s) {
        for (Object key : keys(s)) {
            claims.remove(key, s.owner());
        }
    }

    private static List<Object> keys(ServiceSpec s) {
        List<Object> keys = new ArrayList<>(s.clusterIpAddresses());
        s.nodePorts().forEach(p -> keys.add("port " + p));
        return keys;
    }
}
