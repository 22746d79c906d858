package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Several threads on one allocator: nothing handed out twice, nothing lost, counts agree.
 *
 * <p>The first tests run a fixed amount of work. The timed tests (drain-and-release rounds, churn
 * with readers and a sequential replay, tagged {@code stress}) run each case for
 * {@code -Dclusterip.stress.seconds} seconds, in rounds with an exact check of the whole state
 * between rounds. The build sets it: a short taste in the default run, longer in the long run
 * ({@code -Plong-tests}, which runs only the tests tagged {@code long} or {@code stress}); raise
 * it for a longer soak. {@code -Dclusterip.seed} changes the seeds of all random choices.
 */
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
        "fd00::/121, 8, SEQUENTIAL",
        "10.0.0.0/29, 8, SEQUENTIAL",
        "10.0.0.0/29, 4, RANDOM",
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
        "10.0.0.0/29, 8",
        "fd00::/121, 5",
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

    // ---- timed tests in lock-step rounds ----------------------------------------------------------

    /**
     * How long each case of the timed tests below runs, in seconds: {@code -Dclusterip.stress.seconds}
     * (a fraction is fine). Without it, the build's default applies, passed as
     * {@code clusterip.stress.defaultSeconds} (0.3 in the default run, 3 with {@code -Plong-tests}),
     * and 3 where nothing is passed. Every case runs at least {@link #MIN_ROUNDS} rounds however
     * short the budget.
     */
    private static final Duration STRESS = Duration.ofMillis(Math.max(100, Math.round(1000 * Double.parseDouble(
            System.getProperty("clusterip.stress.seconds", System.getProperty("clusterip.stress.defaultSeconds", "3"))))));
    private static final int MIN_ROUNDS = 3;
    /** Operations each writer does between two quiescent checks of the churn test. */
    private static final int OPS_PER_STEP = 1_000;

    /** One step of one thread. */
    @FunctionalInterface
    private interface Step {
        void run(int party, int step) throws Exception;
    }

    /**
     * Runs {@code parties} threads in lock-step: each runs {@code step.run(party, step)}, then waits
     * for the others; when all have arrived, {@code betweenSteps} runs alone, with every other thread
     * waiting, so the allocator is quiescent and exact checks are possible. A round is
     * {@code stepsPerRound} steps; rounds go on until the budget is spent (and at least
     * {@link #MIN_ROUNDS} ran). The first failure of any thread, or of a check, stops all and is
     * rethrown.
     *
     * @return the number of rounds run
     */
    private static int runInSteps(int parties, int stepsPerRound, Duration budget, Step step,
            IntConsumer betweenSteps, Queue<Throwable> problems) throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        AtomicInteger rounds = new AtomicInteger();
        Phaser phaser = new Phaser(parties) {
            @Override
            protected boolean onAdvance(int phase, int registeredParties) {
                if (!problems.isEmpty()) {
                    return true;
                }
                try {
                    betweenSteps.accept(phase);
                } catch (Throwable t) {
                    problems.add(t);
                    return true;
                }
                if (phase % stepsPerRound != stepsPerRound - 1) {
                    return false;
                }
                return rounds.incrementAndGet() >= MIN_ROUNDS && System.nanoTime() - deadline >= 0;
            }
        };
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < parties; p++) {
            int party = p;
            Thread thread = new Thread(() -> {
                try {
                    for (int s = 0; !phaser.isTerminated(); s++) {
                        step.run(party, s);
                        phaser.arriveAndAwaitAdvance();
                    }
                } catch (Throwable t) {
                    problems.add(t);
                    phaser.forceTermination();
                }
            }, "allocator-stress-" + party);
            thread.setDaemon(true);
            threads.add(thread);
        }
        threads.forEach(Thread::start);
        long joinBy = System.nanoTime() + budget.toNanos() + LIMIT.toNanos();
        for (Thread thread : threads) {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinBy - System.nanoTime())));
            if (thread.isAlive()) {
                problems.add(new AssertionError(thread.getName() + " still running " + LIMIT
                        + " after the budget; stack: " + Arrays.toString(thread.getStackTrace())));
                phaser.forceTermination();
                threads.forEach(Thread::interrupt);
                break;
            }
        }
        if (!problems.isEmpty()) {
            AssertionError failure = new AssertionError("failed after " + rounds.get() + " rounds: "
                    + problems.peek(), problems.peek());
            problems.stream().skip(1).limit(5).forEach(failure::addSuppressed);
            throw failure;
        }
        return rounds.get();
    }

    /** Usable addresses by index, and back, from the test's own arithmetic. */
    private static Map<IpAddress, Integer> indexes(RangeLayout layout) {
        Map<IpAddress, Integer> map = new HashMap<>();
        for (int k = 0; k < layout.usable; k++) {
            map.put(layout.address(k), k);
        }
        return map;
    }

    /** Counts of a set of indexes per band, checked against every counter of the allocator. */
    private static void assertCountsAre(ClusterIpAllocator allocator, RangeLayout layout, BitSet allocated,
            String what) {
        int used = allocated.cardinality();
        int usedStatic = allocated.get(0, layout.staticSize).cardinality();
        assertThat(allocator.used()).as("%s: used()", what).isEqualTo(used);
        assertThat(allocator.free()).as("%s: free()", what).isEqualTo(layout.usable - used);
        assertThat(allocator.used(Band.STATIC)).as("%s: used(STATIC)", what).isEqualTo(usedStatic);
        assertThat(allocator.used(Band.DYNAMIC)).as("%s: used(DYNAMIC)", what).isEqualTo(used - usedStatic);
        assertThat(allocator.free(Band.STATIC)).as("%s: free(STATIC)", what)
                .isEqualTo(layout.staticSize - usedStatic);
        assertThat(allocator.free(Band.DYNAMIC)).as("%s: free(DYNAMIC)", what)
                .isEqualTo(layout.dynamicSize() - (used - usedStatic));
    }

    /** Fails naming a few of the differences, rather than printing two sets of thousands. */
    private static void assertSameBits(BitSet actual, BitSet expected, String what) {
        if (!actual.equals(expected)) {
            BitSet extra = (BitSet) actual.clone();
            extra.andNot(expected);
            BitSet missing = (BitSet) expected.clone();
            missing.andNot(actual);
            throw new AssertionError(what + ": " + extra.cardinality() + " extra, for example indexes "
                    + Arrays.toString(extra.stream().limit(8).toArray()) + ", " + missing.cardinality()
                    + " missing, for example " + Arrays.toString(missing.stream().limit(8).toArray()));
        }
    }

    /** The allocator's listing as a set of indexes; every listed address must be usable, in order. */
    private static BitSet listed(ClusterIpAllocator allocator, Map<IpAddress, Integer> index, String what) {
        BitSet listed = new BitSet();
        int previous = -1;
        for (Iterator<IpAddress> it = allocator.allocatedAddresses().iterator(); it.hasNext(); ) {
            IpAddress a = it.next();
            Integer k = index.get(a);
            assertThat(k).as("%s: listed %s is not a usable address", what, a).isNotNull();
            assertThat(k).as("%s: listing not ascending at %s", what, a).isGreaterThan(previous);
            listed.set(k);
            previous = k;
        }
        return listed;
    }

    /**
     * Rounds of: all threads drain the range with {@code allocateNext()} until it is full, then all
     * release, concurrently, most of what they hold, keeping a random part (some rounds nothing). Each
     * drain must hand out exactly the addresses free at its start, each once; each thread must see
     * the dynamic band before the static band; after each step the counters, the listing and a
     * snapshot must match what the threads hold.
     */
    @Tag("stress")
    @ParameterizedTest(name = "{0} with {1} threads, {2}")
    @CsvSource({
        "10.96.0.0/20, 4, RANDOM",
        "10.96.0.0/20, 8, SEQUENTIAL",
        "fd00::/121, 6, SEQUENTIAL",
        "10.0.0.0/29, 8, SEQUENTIAL",
        "10.0.0.0/29, 5, RANDOM",
    })
    void drainAndPartlyReleaseInRoundsHandsOutExactlyTheFreeAddresses(String cidr, int threads,
            ScanStrategy strategy) throws InterruptedException {
        RangeLayout layout = RangeLayout.of(cidr);
        Map<IpAddress, Integer> index = indexes(layout);
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(layout.cidr).scanStrategy(strategy)
                .seed(BASE_SEED + 2).build();
        int[][] got = new int[threads][layout.usable];
        int[] gotCount = new int[threads];
        int[][] kept = new int[threads][layout.usable];
        int[] keptCount = new int[threads];
        SplittableRandom[] rnd = new SplittableRandom[threads];
        for (int t = 0; t < threads; t++) {
            rnd[t] = new SplittableRandom(BASE_SEED + 200 + t);
        }
        Queue<Throwable> problems = new ConcurrentLinkedQueue<>();
        Step step = (party, s) -> {
            if (s % 2 == 0) {
                // Drain: no release runs now, so once this thread gets a static address the dynamic
                // band is full for good.
                boolean sawStatic = false;
                gotCount[party] = 0;
                while (true) {
                    IpAddress a;
                    try {
                        a = allocator.allocateNext();
                    } catch (RangeFullException e) {
                        break;
                    }
                    Integer k = index.get(a);
                    if (k == null) {
                        throw new AssertionError(cidr + ": allocateNext() handed out " + a + ", not a usable address");
                    }
                    boolean isStatic = layout.isStatic(k);
                    if (sawStatic && !isStatic) {
                        throw new AssertionError(cidr + ": dynamic " + a + " after a static address, step " + s);
                    }
                    sawStatic |= isStatic;
                    if (gotCount[party] == layout.usable) {
                        throw new AssertionError(cidr + ": more addresses than the range has");
                    }
                    got[party][gotCount[party]++] = k;
                }
            } else {
                // Release all this thread holds but a random part, in random order.
                SplittableRandom r = rnd[party];
                int[] mine = new int[keptCount[party] + gotCount[party]];
                System.arraycopy(kept[party], 0, mine, 0, keptCount[party]);
                System.arraycopy(got[party], 0, mine, keptCount[party], gotCount[party]);
                for (int i = mine.length - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    int swap = mine[i];
                    mine[i] = mine[j];
                    mine[j] = swap;
                }
                int keep = (s / 2) % 3 == 0 ? 0 : r.nextInt(mine.length / 3 + 1);
                keptCount[party] = keep;
                System.arraycopy(mine, 0, kept[party], 0, keep);
                for (int i = keep; i < mine.length; i++) {
                    IpAddress a = layout.address(mine[i]);
                    if (!allocator.isAllocated(a) || !allocator.release(a)) {
                        throw new AssertionError(cidr + ": " + a + ", held by this thread, not allocated or not released");
                    }
                    if ((i & 7) == 0 && (allocator.release(a) || allocator.isAllocated(a))) {
                        throw new AssertionError(cidr + ": " + a + " released twice, or still allocated");
                    }
                }
            }
        };
        BitSet retained = new BitSet();
        IntConsumer check = s -> {
            String what = cidr + " step " + s;
            BitSet held = new BitSet();
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < keptCount[t]; i++) {
                    held.set(kept[t][i]);
                }
            }
            if (s % 2 == 0) {
                assertSameBits(held, retained, what + ": what the threads kept");
                int handedOut = 0;
                for (int t = 0; t < threads; t++) {
                    for (int i = 0; i < gotCount[t]; i++) {
                        int k = got[t][i];
                        assertThat(held.get(k)).as("%s: %s handed out twice, or while held", what, layout.address(k))
                                .isFalse();
                        held.set(k);
                        handedOut++;
                    }
                }
                assertThat(handedOut).as("%s: handed out", what).isEqualTo(layout.usable - retained.cardinality());
                assertThat(held.cardinality()).as("%s: held after the drain", what).isEqualTo(layout.usable);
                assertThatThrownBy(allocator::allocateNext).as(what).isInstanceOf(RangeFullException.class);
            } else {
                retained.clear();
                retained.or(held);
            }
            assertCountsAre(allocator, layout, held, what);
            assertSameBits(listed(allocator, index, what), held, what + ": listing vs held");
            ClusterIpAllocator replay = ClusterIpAllocator.create(layout.cidr);
            held.stream().forEach(k -> replay.allocate(layout.address(k)));
            assertThat(allocator.snapshot()).as("%s: snapshot", what).isEqualTo(replay.snapshot());
        };
        int rounds = runInSteps(threads, 2, STRESS, step, check, problems);
        assertThat(rounds).isGreaterThanOrEqualTo(MIN_ROUNDS);
    }

    /** What one writer of the churn test holds, and the log of what it did, for the replay. */
    private static final class Writer {
        final SplittableRandom rnd;
        final BitSet mine = new BitSet();
        int[] held = new int[16];
        int heldCount;
        /** (stamp << 26) | (index << 1) | (1 if allocated, 0 if released), in the order of the stamps. */
        long[] log = new long[1024];
        int logCount;
        long fullSeen;
        long allocations;
        long releases;

        Writer(long seed) {
            this.rnd = new SplittableRandom(seed);
        }

        void record(long stamp, int k, boolean allocated) {
            if (logCount == log.length) {
                log = Arrays.copyOf(log, log.length * 2);
            }
            log[logCount++] = stamp << 26 | (long) k << 1 | (allocated ? 1 : 0);
        }

        void take(int k, String cidr) {
            if (mine.get(k)) {
                throw new AssertionError(cidr + ": got index " + k + " which this thread already holds");
            }
            mine.set(k);
            if (heldCount == held.length) {
                held = Arrays.copyOf(held, held.length * 2);
            }
            held[heldCount++] = k;
            allocations++;
        }
    }

    /**
     * Writers churn (allocateNext, allocate, release of their own and of foreign addresses) while
     * readers check, concurrently, what must hold at every moment: counts within bounds, addresses
     * taken up front ("pinned") and never released always allocated, foreign addresses never
     * allocated, listings ascending and in range. After every {@link #OPS_PER_STEP} operations per
     * writer all stop, and the state is checked exactly: the counters against what the writers hold,
     * and the snapshot against a sequential replay of everything the writers did.
     *
     * <p>The replay order: a writer stamps (from one shared clock) an allocation after the call
     * returns and a release before the call, so the stamps of an address's allocations and releases
     * fall inside the periods it was held, which cannot overlap. Replayed in stamp order on a fresh
     * allocator, every allocation must succeed and every release return true, and the end state
     * must be the concurrent allocator's, bit for bit.
     */
    @Tag("stress")
    @ParameterizedTest(name = "{0} with {1} writers and {2} readers, {3}")
    @CsvSource({
        "10.96.0.0/20, 4, 2, RANDOM",
        "10.96.0.0/20, 8, 1, SEQUENTIAL",
        "fd00::/121, 6, 2, SEQUENTIAL",
        "10.96.0.0/24, 5, 2, RANDOM",
        "10.0.0.0/29, 8, 2, SEQUENTIAL",
        "10.0.0.0/29, 4, 1, RANDOM",
    })
    void churnInRoundsWithReadersMatchesASequentialReplay(String cidr, int writers, int readers,
            ScanStrategy strategy) throws InterruptedException {
        RangeLayout layout = RangeLayout.of(cidr);
        Map<IpAddress, Integer> index = indexes(layout);
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(layout.cidr).scanStrategy(strategy)
                .seed(BASE_SEED + 3).build();
        ClusterIpAllocator replay = ClusterIpAllocator.create(layout.cidr);
        // Pinned: the first and last usable addresses and the first dynamic one, never released.
        BitSet pinned = new BitSet();
        pinned.set(0);
        pinned.set(layout.usable - 1);
        if (layout.staticSize > 0) {
            pinned.set(layout.staticSize);
        }
        pinned.stream().forEach(k -> {
            allocator.allocate(layout.address(k));
            replay.allocate(layout.address(k));
        });
        int[] pinnedList = pinned.stream().toArray();
        int pinnedStatic = pinned.get(0, layout.staticSize).cardinality();
        int pinnedDynamic = pinned.cardinality() - pinnedStatic;
        List<IpAddress> foreign = List.of(layout.networkAddress(), layout.justAfterBlock(), layout.otherFamily());

        Writer[] w = new Writer[writers];
        for (int t = 0; t < writers; t++) {
            w[t] = new Writer(BASE_SEED + 300 + t);
        }
        AtomicLong clock = new AtomicLong();
        AtomicInteger writersActive = new AtomicInteger(writers);
        AtomicLong readerChecks = new AtomicLong();
        Queue<Throwable> problems = new ConcurrentLinkedQueue<>();

        Step step = (party, s) -> {
            if (party < writers) {
                try {
                    // Alternate stretches that fill the range with stretches that empty it, so
                    // that every fill level comes up, not only "nearly full".
                    boolean emptying = (s / 16) % 2 == 1;
                    writerStep(allocator, layout, index, w[party], clock, foreign, cidr, emptying);
                } finally {
                    writersActive.decrementAndGet();
                }
                return;
            }
            SplittableRandom r = new SplittableRandom(BASE_SEED + 400 + 31L * s + party);
            long checks = 0;
            do {
                checks++;
                readerCheck(allocator, layout, index, r, checks, pinnedList, pinnedStatic, pinnedDynamic, foreign, cidr);
            } while (writersActive.get() > 0 && problems.isEmpty());
            readerChecks.addAndGet(checks);
        };
        IntConsumer check = s -> {
            String what = cidr + " step " + s;
            // Replay this step's allocations and releases in stamp order.
            int events = 0;
            for (Writer writer : w) {
                events += writer.logCount;
            }
            long[] all = new long[events];
            int at = 0;
            for (Writer writer : w) {
                System.arraycopy(writer.log, 0, all, at, writer.logCount);
                at += writer.logCount;
                writer.logCount = 0;
            }
            Arrays.sort(all);
            for (long event : all) {
                IpAddress a = layout.address((int) (event >>> 1 & ((1 << 25) - 1)));
                if ((event & 1) != 0) {
                    try {
                        replay.allocate(a);
                    } catch (IpAlreadyAllocatedException e) {
                        throw new AssertionError(what + ": replay: " + a + " allocated while held", e);
                    }
                } else {
                    assertThat(replay.release(a)).as("%s: replay: release of %s", what, a).isTrue();
                }
            }
            assertThat(allocator.snapshot()).as("%s: snapshot vs sequential replay", what).isEqualTo(replay.snapshot());
            // What the writers hold, plus the pinned addresses, is exactly what is allocated.
            BitSet held = (BitSet) pinned.clone();
            for (Writer writer : w) {
                assertThat(writer.mine.intersects(held)).as("%s: an address held twice", what).isFalse();
                held.or(writer.mine);
            }
            assertCountsAre(allocator, layout, held, what);
            assertSameBits(listed(allocator, index, what), held, what + ": listing vs held");
            writersActive.set(writers);
        };
        int rounds = runInSteps(writers + readers, 1, STRESS, step, check, problems);

        assertThat(rounds).isGreaterThanOrEqualTo(MIN_ROUNDS);
        assertThat(readerChecks.get()).as("%s: reader checks", cidr).isPositive();
        long allocations = Arrays.stream(w).mapToLong(x -> x.allocations).sum();
        long releases = Arrays.stream(w).mapToLong(x -> x.releases).sum();
        long held = Arrays.stream(w).mapToLong(x -> x.heldCount).sum();
        assertThat(allocations - releases).as("%s: allocations - releases", cidr).isEqualTo(held);
        if (layout.usable <= 256) {
            assertThat(Arrays.stream(w).mapToLong(x -> x.fullSeen).sum()).as("%s: range never full", cidr)
                    .isPositive();
        }
    }

    private static void writerStep(ClusterIpAllocator allocator, RangeLayout layout, Map<IpAddress, Integer> index,
            Writer w, AtomicLong clock, List<IpAddress> foreign, String cidr, boolean emptying) {
        SplittableRandom rnd = w.rnd;
        int allocateNextBelow = emptying ? 20 : 40;
        int allocateBelow = emptying ? 30 : 60;
        for (int i = 0; i < OPS_PER_STEP; i++) {
            int r = rnd.nextInt(100);
            if (r < allocateNextBelow) {
                IpAddress a;
                try {
                    a = allocator.allocateNext();
                } catch (RangeFullException e) {
                    w.fullSeen++;
                    continue;
                }
                long stamp = clock.incrementAndGet();
                Integer k = index.get(a);
                if (k == null) {
                    throw new AssertionError(cidr + ": allocateNext() handed out " + a + ", not a usable address");
                }
                w.record(stamp, k, true);
                w.take(k, cidr);
            } else if (r < allocateBelow) {
                int k = rnd.nextInt(layout.usable);
                try {
                    allocator.allocate(layout.address(k));
                } catch (IpAlreadyAllocatedException e) {
                    continue; // held by someone: fine
                }
                w.record(clock.incrementAndGet(), k, true);
                w.take(k, cidr);
            } else if (r < 95) {
                if (w.heldCount == 0) {
                    continue;
                }
                int j = rnd.nextInt(w.heldCount);
                int k = w.held[j];
                IpAddress a = layout.address(k);
                if (!allocator.isAllocated(a)) {
                    throw new AssertionError(cidr + ": own " + a + " not allocated");
                }
                w.held[j] = w.held[--w.heldCount];
                w.mine.clear(k);
                w.record(clock.incrementAndGet(), k, false);
                if (!allocator.release(a)) {
                    throw new AssertionError(cidr + ": release(" + a + ") of an address this thread holds returned false");
                }
                w.releases++;
            } else {
                IpAddress a = foreign.get(rnd.nextInt(foreign.size()));
                if (allocator.release(a)) {
                    throw new AssertionError(cidr + ": release of foreign " + a + " returned true");
                }
                try {
                    allocator.allocate(a);
                    throw new AssertionError(cidr + ": allocate of foreign " + a + " succeeded");
                } catch (IpNotInRangeException expected) {
                    // as it should
                }
            }
        }
    }

    private static void readerCheck(ClusterIpAllocator allocator, RangeLayout layout, Map<IpAddress, Integer> index,
            SplittableRandom r, long n, int[] pinned, int pinnedStatic, int pinnedDynamic, List<IpAddress> foreign,
            String cidr) {
        long used = allocator.used();
        long free = allocator.free();
        long usedStatic = allocator.used(Band.STATIC);
        long usedDynamic = allocator.used(Band.DYNAMIC);
        long freeStatic = allocator.free(Band.STATIC);
        long freeDynamic = allocator.free(Band.DYNAMIC);
        int pinnedCount = pinned.length;
        if (used < pinnedCount || used > layout.usable || free < 0 || free > layout.usable - pinnedCount
                || usedStatic < pinnedStatic || usedStatic > layout.staticSize
                || usedDynamic < pinnedDynamic || usedDynamic > layout.dynamicSize()
                || freeStatic < 0 || freeStatic > layout.staticSize - pinnedStatic
                || freeDynamic < 0 || freeDynamic > layout.dynamicSize() - pinnedDynamic) {
            throw new AssertionError(cidr + ": counts out of bounds: used " + used + ", free " + free + ", static "
                    + usedStatic + "/" + freeStatic + ", dynamic " + usedDynamic + "/" + freeDynamic);
        }
        IpAddress p = layout.address(pinned[r.nextInt(pinned.length)]);
        if (!allocator.isAllocated(p)) {
            throw new AssertionError(cidr + ": pinned " + p + " reads as free");
        }
        IpAddress f = foreign.get(r.nextInt(foreign.size()));
        if (allocator.isAllocated(f)) {
            throw new AssertionError(cidr + ": foreign " + f + " reads as allocated");
        }
        allocator.isAllocated(layout.address(r.nextInt(layout.usable))); // any answer, but no failure
        if (n % 32 == 1) {
            BitSet listed = listed(allocator, index, cidr + " (reader)");
            for (int k : pinned) {
                if (!listed.get(k)) {
                    throw new AssertionError(cidr + ": pinned " + layout.address(k) + " not listed");
                }
            }
        }
    }
}
