package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Several threads on one allocator: nothing handed out twice, nothing lost, counts agree. */
class ConcurrencyTest {

    private static final long BASE_SEED = Long.getLong("clusterip.seed", 0xC0C0_5EEDL);
    private static final Duration LIMIT = Duration.ofSeconds(30);

    /** Runs the tasks together (released by one latch) and returns their results in order. */
    private static <T> List<T> runTogether(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            CountDownLatch ready = new CountDownLatch(tasks.size());
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> task : tasks) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    if (!go.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("start signal never came");
                    }
                    return task.call();
                }));
            }
            assertThat(ready.await(10, TimeUnit.SECONDS)).as("all threads started").isTrue();
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(25, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).as("pool terminated").isTrue();
        }
    }

    @ParameterizedTest(name = "{0} with {1} threads, {2}")
    @CsvSource({
        "10.96.0.0/20, 8, RANDOM",
        "10.96.0.0/20, 4, SEQUENTIAL",
        "fd00::/116, 8, RANDOM",
        "fd00::/116, 6, SEQUENTIAL",
        "10.96.0.0/24, 8, RANDOM",
    })
    void threadsDrainingWithAllocateNextGetEveryUsableAddressExactlyOnce(String cidr, int threads,
            ScanStrategy strategy) {
        RangeLayout layout = RangeLayout.of(cidr);
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(layout.cidr).scanStrategy(strategy)
                .seed(BASE_SEED).build();
        List<List<IpAddress>> perThread = assertTimeoutPreemptively(LIMIT, () -> {
            List<Callable<List<IpAddress>>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                tasks.add(() -> {
                    List<IpAddress> got = new ArrayList<>();
                    while (true) {
                        try {
                            got.add(allocator.allocateNext());
                        } catch (RangeFullException e) {
                            return got;
                        }
                    }
                });
            }
            return runTogether(tasks);
        });
        List<IpAddress> all = perThread.stream().flatMap(List::stream).collect(Collectors.toList());
        Set<IpAddress> distinct = new HashSet<>(all);
        assertThat(all).as("%s: handed out %d, distinct %d", cidr, all.size(), distinct.size())
                .hasSize(distinct.size());
        assertThat(distinct).as("%s: the union is every usable address", cidr)
                .isEqualTo(new HashSet<>(layout.allUsable()));
        assertThat(allocator.used()).isEqualTo(layout.usable);
        assertThat(allocator.free()).isZero();
        assertThat(allocator.used(Band.STATIC)).isEqualTo(layout.staticSize);
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(layout.dynamicSize());
        assertThat(allocator.allocatedAddresses().count()).isEqualTo(layout.usable);
        // Each thread saw the dynamic band before the static band: once it got a static address,
        // it never got a dynamic one again (the dynamic band was full by then).
        for (List<IpAddress> got : perThread) {
            boolean sawStatic = false;
            for (IpAddress a : got) {
                boolean isStatic = layout.isStatic(layout.indexOf(a));
                assertThat(sawStatic && !isStatic).as("%s: dynamic %s after a static address", cidr, a).isFalse();
                sawStatic |= isStatic;
            }
        }
    }

    /** What one churning thread ends up holding, and what it saw. */
    private static final class Holdings {
        final Set<IpAddress> held = new HashSet<>();
        int releases;
        int allocations;
        int fullSeen;
    }

    @ParameterizedTest(name = "{0} with {1} threads")
    @CsvSource({
        "10.96.0.0/24, 8",
        "10.96.0.0/20, 4",
        "fd00::/120, 6",
        "10.96.0.0/28, 4",
    })
    void mixedChurnKeepsCountsAndHoldingsConsistent(String cidr, int threads) {
        RangeLayout layout = RangeLayout.of(cidr);
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(layout.cidr).seed(BASE_SEED + 1).build();
        int opsPerThread = 20_000;
        CountDownLatch writersDone = new CountDownLatch(threads);
        List<Holdings> holdings = new ArrayList<>();
        List<String> readerProblems = new ArrayList<>();
        assertTimeoutPreemptively(LIMIT, () -> {
            List<Callable<Holdings>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = BASE_SEED + 100 + t;
                tasks.add(() -> {
                    try {
                        return churn(allocator, layout, new SplittableRandom(seed), opsPerThread, cidr, seed);
                    } finally {
                        writersDone.countDown();
                    }
                });
            }
            // A reader that checks snapshots and listings taken while the others write.
            tasks.add(() -> {
                Holdings none = new Holdings();
                int rounds = 0;
                while (writersDone.getCount() > 0 && rounds < 5000) {
                    rounds++;
                    List<IpAddress> listed = allocator.allocatedAddresses().collect(Collectors.toList());
                    for (int i = 1; i < listed.size(); i++) {
                        if (listed.get(i - 1).compareTo(listed.get(i)) >= 0) {
                            synchronized (readerProblems) {
                                readerProblems.add("not ascending: " + listed.get(i - 1) + ", " + listed.get(i));
                            }
                        }
                    }
                    ClusterIpAllocator copy = ClusterIpAllocator.fromSnapshot(allocator.snapshot());
                    long used = copy.used();
                    if (used != copy.used(Band.STATIC) + copy.used(Band.DYNAMIC) || used > layout.usable) {
                        synchronized (readerProblems) {
                            readerProblems.add("inconsistent snapshot: used " + used);
                        }
                    }
                }
                return none;
            });
            List<Holdings> results = runTogether(tasks);
            holdings.addAll(results.subList(0, threads));
        });
        assertThat(readerProblems).as("%s: reader saw", cidr).isEmpty();
        Set<IpAddress> union = new HashSet<>();
        long held = 0;
        for (int t = 0; t < holdings.size(); t++) {
            Holdings h = holdings.get(t);
            held += h.held.size();
            for (IpAddress a : h.held) {
                assertThat(union.add(a)).as("%s: %s held by two threads (seed %d)", cidr, a, BASE_SEED).isTrue();
            }
        }
        assertThat(allocator.used()).as("%s: used() vs what threads hold", cidr).isEqualTo(held);
        assertThat(allocator.allocatedAddresses().count()).isEqualTo(held);
        assertThat(allocator.allocatedAddresses().collect(Collectors.toSet())).isEqualTo(union);
        long heldStatic = union.stream().filter(a -> layout.isStatic(layout.indexOf(a))).count();
        assertThat(allocator.used(Band.STATIC)).isEqualTo(heldStatic);
        assertThat(allocator.used(Band.DYNAMIC)).isEqualTo(held - heldStatic);
        assertThat(allocator.free()).isEqualTo(layout.usable - held);
        int totalAllocations = holdings.stream().mapToInt(h -> h.allocations).sum();
        int totalReleases = holdings.stream().mapToInt(h -> h.releases).sum();
        assertThat(totalAllocations - totalReleases).as("%s: allocations - releases", cidr).isEqualTo((int) held);
        if (layout.usable <= 256) {
            assertThat(holdings.stream().mapToInt(h -> h.fullSeen).sum()).as("%s: range never became full", cidr)
                    .isPositive();
        }
    }

    private static Holdings churn(ClusterIpAllocator allocator, RangeLayout layout, SplittableRandom rnd, int ops,
            String cidr, long seed) {
        Holdings h = new Holdings();
        List<IpAddress> mine = new ArrayList<>();
        for (int i = 0; i < ops; i++) {
            int r = rnd.nextInt(100);
            if (r < 40) {
                try {
                    IpAddress a = allocator.allocateNext();
                    take(h, mine, a, cidr, seed, i);
                } catch (RangeFullException e) {
                    h.fullSeen++;
                }
            } else if (r < 60) {
                IpAddress a = layout.address(rnd.nextInt(layout.usable));
                try {
                    allocator.allocate(a);
                    take(h, mine, a, cidr, seed, i);
                } catch (IpAlreadyAllocatedException e) {
                    // held by this or another thread: fine
                }
            } else if (r < 95) {
                if (!mine.isEmpty()) {
                    int j = rnd.nextInt(mine.size());
                    IpAddress a = mine.get(j);
                    if (!allocator.isAllocated(a)) {
                        throw new AssertionError(cidr + " seed " + seed + " step " + i + ": own " + a + " not allocated");
                    }
                    if (!allocator.release(a)) {
                        throw new AssertionError(cidr + " seed " + seed + " step " + i + ": release(" + a
                                + ") of an address this thread holds returned false");
                    }
                    IpAddress lastOne = mine.remove(mine.size() - 1);
                    if (j < mine.size()) {
                        mine.set(j, lastOne);
                    }
                    h.held.remove(a);
                    h.releases++;
                }
            } else {
                if (allocator.release(layout.networkAddress()) || allocator.release(layout.justAfterBlock())) {
                    throw new AssertionError(cidr + " seed " + seed + ": release of a foreign address returned true");
                }
            }
        }
        return h;
    }

    private static void take(Holdings h, List<IpAddress> mine, IpAddress a,
            String cidr, long seed, int step) {
        if (!h.held.add(a)) {
            throw new AssertionError(cidr + " seed " + seed + " step " + step + ": got " + a + " which it already holds");
        }
        mine.add(a);
        h.allocations++;
    }
}
