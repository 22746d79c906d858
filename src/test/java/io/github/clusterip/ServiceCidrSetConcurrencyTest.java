package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Several threads allocating and releasing across three CIDRs (two of them overlapping) while
 * another removes and adds one of them: no address is handed out twice, and every count is
 * exact at the end.
 */
class ServiceCidrSetConcurrencyTest {

    private static final long SEED = Long.getLong("clusterip.seed", 0x5E7_5EEDL);
    private static final int WORKERS = 4;
    private static final int OPERATIONS = 3_000;

    private static final ServiceCidr WIDE = ServiceCidr.parse("10.0.0.0/25");
    private static final ServiceCidr NARROW = ServiceCidr.parse("10.0.0.0/26");
    private static final ServiceCidr TOGGLED = ServiceCidr.parse("10.1.0.0/26");

    @Test
    void noAddressTwiceAndExactCounts() throws Exception {
        ServiceCidrSet set = ServiceCidrSet.builder().seed(SEED).add(WIDE).add(NARROW).add(TOGGLED).build();
        Map<IpAddress, Owner> claims = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong fullSeen = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < WORKERS; t++) {
                Owner me = new Owner("ns", "worker-" + t);
                SplittableRandom random = new SplittableRandom(SEED + t);
                workers.add(pool.submit(() -> {
                    go.await();
                    List<IpAddress> held = new ArrayList<>();
                    for (int i = 0; i < OPERATIONS; i++) {
                        if (held.isEmpty() || (held.size() < 60 && random.nextInt(3) != 0)) {
                            IpAddress a;
                            try {
                                a = random.nextBoolean() ? set.allocateNext(IpFamily.IPV4, me) : given(set, random, me);
                            } catch (RangeFullException e) {
                                fullSeen.incrementAndGet();
                                continue;
                            } catch (IpAlreadyAllocatedException | IpNotInAnyCidrException e) {
                                continue;
                            }
                                            assertThat(claims.putIfAbsent(a, me)).as("%s handed out twice", a).isNull();
                            assertThat(set.owner(a)).contains(me);
                            held.add(a);
                        } else {
                            IpAddress a = held.remove(random.nextInt(held.size()));
                            claims.remove(a);
                            assertThat(set.release(a)).as("release of %s", a).isTrue();
                        }
                    }
                    return null;
                }));
            }
            Future<?> toggler = pool.submit(() -> {
                go.await();
                while (!stop.get()) {
                    set.remove(TOGGLED);
                    set.add(TOGGLED);
                }
                return null;
            });
            go.countDown();
            for (Future<?> f : workers) {
                f.get(60, TimeUnit.SECONDS);
            }
            stop.set(true);
            toggler.get(10, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(fullSeen.get()).as("the set was found full at times").isPositive();
        Map<IpAddress, Optional<Owner>> expected = new TreeMap<>();
        claims.forEach((a, o) -> expected.put(a, Optional.of(o)));
        assertThat(set.allocations()).isEqualTo(expected);
        assertThat(set.used()).isEqualTo(claims.size());
        assertThat(set.used(IpFamily.IPV4)).isEqualTo(claims.size());
        for (ServiceCidrStatus status : set.cidrs()) {
            long inIt = claims.keySet().stream().filter(a -> status.cidr().bandOf(a).isPresent()).count();
            assertThat(status.ready()).isTrue();
            assertThat(status.allocated()).as("allocated in %s", status.cidr()).isEqualTo(inIt);
            assertThat(status.available()).isEqualTo(status.cidr().usableCount().longValueExact() - inIt);
        }
        assertThat(set.cidrs()).extracting(ServiceCidrStatus::cidr).containsExactly(WIDE, NARROW, TOGGLED);
        for (int t = 0; t < WORKERS; t++) {
            Owner owner = new Owner("ns", "worker-" + t);
            assertThat(set.addressesOf(owner)).isSorted()
                    .containsExactlyInAnyOrderElementsOf(claims.entrySet().stream()
                            .filter(e -> e.getValue().equals(owner)).map(Map.Entry::getKey).toList());
        }
    }

    /** Allocates a random address of 10.0.0.1 to 10.0.0.126 or 10.1.0.1 to 10.1.0.126; some are in no CIDR. */
    private static IpAddress given(ServiceCidrSet set, SplittableRandom random, Owner me) {
        IpAddress a = IpAddress.parse((random.nextBoolean() ? "10.0.0." : "10.1.0.") + random.nextInt(1, 127));
        set.allocate(a, me);
        return a;
    }
}
