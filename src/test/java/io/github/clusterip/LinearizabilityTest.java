package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Checks with Lincheck that {@link ClusterIpAllocator} is linearizable: every result of a
 * concurrent scenario must match some sequential order of the same operations on a fresh allocator
 * (the sequential specification is the scenario class itself, run on one thread).
 *
 * <p>Each scenario is checked twice: in stress mode (real threads, many runs) and in model-checking
 * mode (Lincheck switches threads at shared-memory accesses and explores the interleavings
 * systematically, which finds races that stress rarely hits).
 *
 * <p>So that a sequential run has exactly one outcome, the allocators use
 * {@link ScanStrategy#SEQUENTIAL} (the lowest free address of the dynamic band, then of the static
 * band) and every operation returns a plain value instead of throwing: the address handed out, or
 * {@code "full"}, {@code "already-allocated"}, {@code "not-in-range"}. After each run a
 * {@link Validate} method checks that the counters agree with the bits.
 *
 * <p>Four scenarios:
 * <ul>
 *   <li>{@link TinyRange}: IPv4 {@code /29}, 6 usable addresses and no static band, two of them
 *       taken up front, so that {@code "full"} is reachable within a scenario.</li>
 *   <li>{@link SmallRange}: IPv4 {@code /27}, 30 usable addresses, static band 16, dynamic band
 *       14, all in one 64-bit word. The dynamic band is nearly full up front, so that
 *       {@code allocateNext()} falls back to the static band within a scenario; addresses of both
 *       bands (among them those {@code allocateNext()} would pick) are allocated and released
 *       freely.</li>
 *   <li>{@link BandSwitch}: the same {@code /27} with the dynamic band full up front and only a
 *       few operations and addresses, so that races between the fall-back to the static band and
 *       the release of a dynamic address come up in most scenarios.</li>
 *   <li>{@link MultiWordRange}: IPv6 {@code /121}, 127 usable addresses in two words, static band
 *       16 (in the first word). Up front the dynamic band is full but for one address in each word,
 *       so that {@code allocateNext()} must move on to the second word, then fall back to the static
 *       band.</li>
 * </ul>
 *
 * <p>Why {@link MultiWordRange} never releases a dynamic address: an allocator whose scan is
 * lock-free reads the words of a band one after the other. If a scan passes a full word, and an
 * address of that word is then released while the scan goes on to a later word, the scan takes the
 * later address although by then a lower one is free. When other operations pin the release before
 * the take (say the releasing thread next sees, with {@code isAllocated}, that the later address is
 * still free), no sequential order explains the results, so Lincheck would report it. Yet that is a
 * legitimate behaviour of such an allocator: Kubernetes only promises "a free address of the
 * dynamic band while it has one", and {@link ScanStrategy#SEQUENTIAL} is about predictable
 * assignment, not a strict minimum under concurrency. While dynamic addresses are only ever taken,
 * never given back, a word once seen full stays full, so "the lowest free address" is well defined
 * at every moment and the check is exact. That scenario therefore allocates and releases only
 * static addresses (and addresses outside the range), and looks at dynamic ones only with
 * {@code isAllocated}. In a single word (the {@code /29} and {@code /27}) a scan reads the whole
 * band at once, so releases of dynamic addresses are part of those scenarios.
 *
 * <p>The scenarios share one base, {@link Scenario}. The checks take minutes, so they are tagged
 * {@code long} and run only in the build's long run ({@code -Plong-tests}); the check of the
 * fixtures runs in every build. {@code -Dclusterip.lincheck.scale=N} multiplies the number of
 * scenarios (iterations) of every check, for a longer search.
 */
class LinearizabilityTest {

    private static final int SCALE = Math.max(1, Integer.getInteger("clusterip.lincheck.scale", 1));

    // ---- results as plain values ----------------------------------------------------------------

    static String next(ClusterIpAllocator allocator) {
        try {
            return allocator.allocateNext().toString();
        } catch (RangeFullException e) {
            return "full";
        }
    }

    static String take(ClusterIpAllocator allocator, IpAddress address) {
        try {
            allocator.allocate(address);
            return "ok";
        } catch (IpAlreadyAllocatedException e) {
            return "already-allocated";
        } catch (IpNotInRangeException e) {
            return "not-in-range";
        }
    }

    /** The state a scenario starts from: {@code cidr} with {@code preallocated} taken. */
    static RangeAllocation initialState(String cidr, IpAddress... preallocated) {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse(cidr));
        for (IpAddress a : preallocated) {
            allocator.allocate(a);
        }
        return allocator.snapshot();
    }

    /** A sequential-scan allocator in {@code initial}'s state; cheap, as it runs before every scenario. */
    static ClusterIpAllocator sequential(ServiceCidr cidr, RangeAllocation initial) {
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(cidr)
                .scanStrategy(ScanStrategy.SEQUENTIAL).seed(1).build();
        allocator.restore(initial);
        return allocator;
    }

    static IpAddress[] parseAll(String... addresses) {
        IpAddress[] result = new IpAddress[addresses.length];
        for (int i = 0; i < addresses.length; i++) {
            result[i] = IpAddress.parse(addresses[i]);
        }
        return result;
    }

    /**
     * The counters agree with each other and with the bits, after a scenario. {@code watched} are
     * the addresses a scenario may change (looked up with {@code isAllocated}); besides them
     * {@code fixedDynamic} dynamic addresses are taken and never released. (The listing of all
     * addresses would do too, but costs more than the scenario itself in model checking, and the
     * model checker cannot follow the byte-array view that {@code snapshot()} writes with.)
     */
    static void checkCounters(ClusterIpAllocator allocator, IpAddress[] watched, long fixedDynamic) {
        ServiceCidr cidr = allocator.cidr();
        long usable = cidr.usableCount().longValueExact();
        long staticSize = Math.min(cidr.bandOffset(), usable);
        long setStatic = 0;
        long setDynamic = fixedDynamic;
        for (IpAddress a : watched) {
            if (allocator.isAllocated(a)) {
                if (cidr.indexOf(a) < staticSize) {
                    setStatic++;
                } else {
                    setDynamic++;
                }
            }
        }
        long used = allocator.used();
        long free = allocator.free();
        long usedStatic = allocator.used(Band.STATIC);
        long freeStatic = allocator.free(Band.STATIC);
        long usedDynamic = allocator.used(Band.DYNAMIC);
        long freeDynamic = allocator.free(Band.DYNAMIC);
        if (used != setStatic + setDynamic || free != usable - used
                || usedStatic != setStatic || freeStatic != staticSize - setStatic
                || usedDynamic != setDynamic || freeDynamic != usable - staticSize - setDynamic) {
            throw new IllegalStateException("counters disagree with the bits (" + setStatic + " static and "
                    + setDynamic + " dynamic set): used/free " + used + "/" + free + ", static " + usedStatic
                    + "/" + freeStatic + ", dynamic " + usedDynamic + "/" + freeDynamic);
        }
    }

    /** Usable addresses number {@code from} to {@code to} (inclusive) of {@code cidr}. */
    static IpAddress[] usable(ServiceCidr cidr, int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(cidr::addressAt).toArray(IpAddress[]::new);
    }

    // ---- scenario classes --------------------------------------------------------------------------

    /**
     * What every scenario shares: a sequential-scan allocator in the scenario's initial state, the
     * writes ({@code allocateNext}, and {@code allocate} and {@code release} of address choice
     * {@code a}) and the check of the counters after a run.
     *
     * <p>The subclasses declare the operations, each a one-line call of the methods here, with a
     * class-level {@code @Param(name = "a")} that has one value per address choice. Why not here:
     * Lincheck 3 looks up a named generator only among the class-level {@code @Param}s of the class
     * that declares the operation, so an operation with a parameter cannot live in a base while
     * its range differs from scenario to scenario; and Lincheck draws its scenarios from the
     * operations in the order the class declares them, so declaring them all in one place per
     * scenario keeps that order (and the scenarios drawn with Lincheck's fixed seeds) as it is.
     * The subclasses also choose their read operations: the fewer operations a scenario has, the
     * more often the races it is about come up.
     */
    public abstract static class Scenario {
        /** The allocator under test; subclasses read it in their operations. */
        final ClusterIpAllocator allocator;
        private final IpAddress[] watched;
        private final long fixedDynamic;

        /**
         * A scenario on {@code cidr}, starting from {@code initial}; {@code watched} and
         * {@code fixedDynamic} are as in {@link LinearizabilityTest#checkCounters}.
         */
        Scenario(ServiceCidr cidr, RangeAllocation initial, IpAddress[] watched, long fixedDynamic) {
            this.allocator = sequential(cidr, initial);
            this.watched = watched;
            this.fixedDynamic = fixedDynamic;
        }

        /** The address handed out, or "full"; subclasses make it an operation. */
        final String allocateNextOrFull() {
            return next(allocator);
        }

        /** Allocates {@code address}: "ok", or why not; subclasses make it an operation. */
        final String allocateOrWhyNot(IpAddress address) {
            return take(allocator, address);
        }

        /** Releases {@code address}; subclasses make it an operation. */
        final boolean releaseIt(IpAddress address) {
            return allocator.release(address);
        }

        /** Checks the counters after a run. */
        @Validate
        public void countersAgree() {
            checkCounters(allocator, watched, fixedDynamic);
        }
    }

    /**
     * IPv4 {@code 10.0.0.0/29}: usable {@code .1 - .6}, no static band; {@code .2} and {@code .5}
     * taken up front. Address choice a stands for {@code 10.0.0.a}, a in 0..7, so the network
     * ({@code .0}) and broadcast ({@code .7}) addresses come up too.
     */
    @Param(name = "a", gen = IntGen.class, conf = "0:7")
    public static class TinyRange extends Scenario {
        private static final IpAddress[] ADDRESSES = parseAll("10.0.0.0", "10.0.0.1", "10.0.0.2",
                "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7");

        private static final ServiceCidr CIDR = ServiceCidr.parse("10.0.0.0/29");
        private static final RangeAllocation INITIAL = initialState("10.0.0.0/29", ADDRESSES[2], ADDRESSES[5]);
        private static final IpAddress[] WATCHED = usable(CIDR, 0, 5);

        /** Lincheck builds a fresh instance for each run. */
        public TinyRange() {
            super(CIDR, INITIAL, WATCHED, 0);
        }

        /** The address handed out, or "full". */
        @Operation
        public String allocateNext() {
            return allocateNextOrFull();
        }

        /** Allocates address choice a: "ok", or why not. */
        @Operation
        public String allocate(@Param(name = "a") int a) {
            return allocateOrWhyNot(ADDRESSES[a]);
        }

        /** Releases address choice a. */
        @Operation
        public boolean release(@Param(name = "a") int a) {
            return releaseIt(ADDRESSES[a]);
        }

        /** Whether 10.0.0.a is allocated. */
        @Operation
        public boolean isAllocated(@Param(name = "a") int a) {
            return allocator.isAllocated(ADDRESSES[a]);
        }

        /** Returns used(). */
        @Operation
        public long used() {
            return allocator.used();
        }

        /** Returns free(). */
        @Operation
        public long free() {
            return allocator.free();
        }
    }

    /**
     * IPv4 {@code 10.0.0.0/27}: usable {@code .1 - .30}, static band {@code .1 - .16}, dynamic band
     * {@code .17 - .30}. Up front {@code .1} and the dynamic band but {@code .17} and {@code .29}
     * are taken: {@code allocateNext()} hands out {@code .17}, {@code .29}, then {@code .2},
     * {@code .3}, ...
     */
    @Param(name = "a", gen = IntGen.class, conf = "0:9")
    public static class SmallRange extends Scenario {
        /** The address choices: outside, static, dynamic (free and taken), outside. */
        private static final IpAddress[] ADDRESSES = parseAll(
                "10.0.0.0", // network: not in range
                "10.0.0.1", // static, taken up front
                "10.0.0.2", // static, the first static allocateNext() picks
                "10.0.0.3", // static, the next one
                "10.0.0.16", // last static
                "10.0.0.17", // dynamic, free: the first allocateNext() picks
                "10.0.0.18", // dynamic, taken up front
                "10.0.0.29", // dynamic, free: the second allocateNext() picks
                "10.0.0.30", // last dynamic, taken up front
                "10.0.0.31"); // broadcast: not in range

        private static final ServiceCidr CIDR = ServiceCidr.parse("10.0.0.0/27");
        private static final RangeAllocation INITIAL = initialState("10.0.0.0/27",
                IntStream.rangeClosed(0, 29).filter(k -> k == 0 || k >= 17 && k != 28)
                        .mapToObj(CIDR::addressAt).toArray(IpAddress[]::new));
        /** The static band and the dynamic address choices: all that can change (.19 - .28 stay taken). */
        private static final IpAddress[] WATCHED = IntStream.rangeClosed(0, 29)
                .filter(k -> k < 16 || k == 16 || k == 17 || k == 28 || k == 29)
                .mapToObj(CIDR::addressAt).toArray(IpAddress[]::new);

        /** Lincheck builds a fresh instance for each run. */
        public SmallRange() {
            super(CIDR, INITIAL, WATCHED, 10);
        }

        /** The address handed out, or "full". */
        @Operation
        public String allocateNext() {
            return allocateNextOrFull();
        }

        /** Allocates address choice a: "ok", or why not. */
        @Operation
        public String allocate(@Param(name = "a") int a) {
            return allocateOrWhyNot(ADDRESSES[a]);
        }

        /** Releases address choice a. */
        @Operation
        public boolean release(@Param(name = "a") int a) {
            return releaseIt(ADDRESSES[a]);
        }

        /** Whether address choice a is allocated. */
        @Operation
        public boolean isAllocated(@Param(name = "a") int a) {
            return allocator.isAllocated(ADDRESSES[a]);
        }

        /** Returns used(). */
        @Operation
        public long used() {
            return allocator.used();
        }

        /** Returns free(). */
        @Operation
        public long free() {
            return allocator.free();
        }

        /** Returns used(STATIC). */
        @Operation
        public long usedStatic() {
            return allocator.used(Band.STATIC);
        }

        /** Returns free(DYNAMIC). */
        @Operation
        public long freeDynamic() {
            return allocator.free(Band.DYNAMIC);
        }
    }

    /**
     * The switch between the bands, on its own: IPv4 {@code 10.0.0.0/27} with the dynamic band
     * ({@code .17 - .30}) full and {@code .1} taken up front, so that {@code allocateNext()} hands
     * out {@code .2} unless a dynamic address was released first. Few operations and few address
     * choices, so that scenarios like "release a dynamic address, then take {@code .2} by hand,
     * while another thread's {@code allocateNext()} is under way" come up often: an allocator that
     * decides "the dynamic band is full" from a stale look and then takes a static address fails
     * them.
     */
    @Param(name = "a", gen = IntGen.class, conf = "0:2")
    public static class BandSwitch extends Scenario {
        /** The address choices: the static address allocateNext() picks, two taken dynamic ones. */
        private static final IpAddress[] ADDRESSES = parseAll("10.0.0.2", "10.0.0.17", "10.0.0.30");

        private static final ServiceCidr CIDR = ServiceCidr.parse("10.0.0.0/27");
        private static final RangeAllocation INITIAL = initialState("10.0.0.0/27",
                IntStream.rangeClosed(0, 29).filter(k -> k == 0 || k >= 16)
                        .mapToObj(CIDR::addressAt).toArray(IpAddress[]::new));
        /** The static band and the dynamic address choices: all that can change (.18 - .29 stay taken). */
        private static final IpAddress[] WATCHED = IntStream.rangeClosed(0, 29)
                .filter(k -> k < 16 || k == 16 || k == 29)
                .mapToObj(CIDR::addressAt).toArray(IpAddress[]::new);

        /** Lincheck builds a fresh instance for each run. */
        public BandSwitch() {
            super(CIDR, INITIAL, WATCHED, 12);
        }

        /** The address handed out, or "full". */
        @Operation
        public String allocateNext() {
            return allocateNextOrFull();
        }

        /** Allocates address choice a: "ok", or why not. */
        @Operation
        public String allocate(@Param(name = "a") int a) {
            return allocateOrWhyNot(ADDRESSES[a]);
        }

        /** Releases address choice a. */
        @Operation
        public boolean release(@Param(name = "a") int a) {
            return releaseIt(ADDRESSES[a]);
        }

        /** Returns used(DYNAMIC). */
        @Operation
        public long usedDynamic() {
            return allocator.used(Band.DYNAMIC);
        }
    }

    /**
     * IPv6 {@code fd00::/121}: usable {@code fd00::1 - fd00::7f} (indexes 0 - 126, two words),
     * static band {@code fd00::1 - fd00::10}. Up front the dynamic band is taken but for
     * {@code fd00::29} (index 40, first word) and {@code fd00::65} (index 100, second word), and
     * {@code fd00::1} is taken: {@code allocateNext()} hands out {@code fd00::29}, {@code fd00::65},
     * then {@code fd00::2}, {@code fd00::3}, ... Explicit operations touch static addresses only
     * (see the class comment of {@link LinearizabilityTest}); {@code isAllocated} also looks at
     * dynamic ones, query choice q.
     */
    @Param(name = "a", gen = IntGen.class, conf = "0:5")
    @Param(name = "q", gen = IntGen.class, conf = "0:9")
    public static class MultiWordRange extends Scenario {
        /** Choices for allocate and release: static addresses, and addresses outside the range. */
        private static final IpAddress[] STATIC_CHOICES = parseAll(
                "fd00::", // network: not in range
                "fd00::1", // taken up front
                "fd00::2", // the first static allocateNext() picks
                "fd00::3", // the next one
                "fd00::10", // last static
                "fd00::80"); // just past the block: not in range
        /** Choices for isAllocated: the static ones and dynamic ones. */
        private static final IpAddress[] QUERY_CHOICES = parseAll(
                "fd00::1", "fd00::2", "fd00::3", "fd00::10",
                "fd00::11", // first dynamic, taken up front
                "fd00::29", // free: the first allocateNext() picks
                "fd00::40", // last of the first word, taken
                "fd00::41", // first of the second word, taken
                "fd00::65", // free: the second allocateNext() picks
                "fd00::7f"); // last usable, taken

        private static final ServiceCidr CIDR = ServiceCidr.parse("fd00::/121");
        private static final RangeAllocation INITIAL = initialState("fd00::/121",
                IntStream.range(0, 127).filter(k -> k == 0 || k >= 16 && k != 40 && k != 100)
                        .mapToObj(CIDR::addressAt).toArray(IpAddress[]::new));
        /** The static band and the two free dynamic addresses: all that can change. */
        private static final IpAddress[] WATCHED = IntStream.range(0, 127)
                .filter(k -> k < 16 || k == 40 || k == 100).mapToObj(CIDR::addressAt).toArray(IpAddress[]::new);

        /** Lincheck builds a fresh instance for each run. */
        public MultiWordRange() {
            super(CIDR, INITIAL, WATCHED, 127 - 16 - 2);
        }

        /** The address handed out, or "full". */
        @Operation
        public String allocateNext() {
            return allocateNextOrFull();
        }

        /** Allocates address choice a: "ok", or why not. */
        @Operation
        public String allocate(@Param(name = "a") int a) {
            return allocateOrWhyNot(STATIC_CHOICES[a]);
        }

        /** Releases address choice a. */
        @Operation
        public boolean release(@Param(name = "a") int a) {
            return releaseIt(STATIC_CHOICES[a]);
        }

        /** Whether query choice q is allocated. */
        @Operation
        public boolean isAllocated(@Param(name = "q") int q) {
            return allocator.isAllocated(QUERY_CHOICES[q]);
        }

        /** Returns used(). */
        @Operation
        public long used() {
            return allocator.used();
        }

        /** Returns free(). */
        @Operation
        public long free() {
            return allocator.free();
        }

        /** Returns used(DYNAMIC). */
        @Operation
        public long usedDynamic() {
            return allocator.used(Band.DYNAMIC);
        }

        /** Returns free(STATIC). */
        @Operation
        public long freeStatic() {
            return allocator.free(Band.STATIC);
        }
    }

    // ---- the checks ---------------------------------------------------------------------------------

    private static StressOptions stress() {
        return new StressOptions()
                .iterations(15 * SCALE)
                .invocationsPerIteration(1_500)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2);
    }

    private static ModelCheckingOptions modelChecking() {
        return modelChecking(12);
    }

    private static ModelCheckingOptions modelChecking(int iterations) {
        return new ModelCheckingOptions()
                .iterations(iterations * SCALE)
                .invocationsPerIteration(250)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2);
    }

    @Test
    @Tag("long")
    void tinyRangeStress() {
        stress().check(TinyRange.class);
    }

    @Test
    @Tag("long")
    void tinyRangeModelChecking() {
        modelChecking().check(TinyRange.class);
    }

    @Test
    @Tag("long")
    void smallRangeBothBandsStress() {
        stress().check(SmallRange.class);
    }

    @Test
    @Tag("long")
    void smallRangeBothBandsModelChecking() {
        modelChecking().check(SmallRange.class);
    }

    @Test
    @Tag("long")
    void bandSwitchStress() {
        stress().check(BandSwitch.class);
    }

    @Test
    @Tag("long")
    void bandSwitchModelChecking() {
        // More scenarios than the others: a fall-back to the static band from a stale look at the
        // dynamic band (allocateNext without its re-check under the gate) shows only in a few of
        // the scenarios drawn, and 12 iterations did not always draw one.
        modelChecking(36).check(BandSwitch.class);
    }

    @Test
    @Tag("long")
    void multiWordRangeStress() {
        stress().check(MultiWordRange.class);
    }

    @Test
    @Tag("long")
    void multiWordRangeModelChecking() {
        modelChecking().check(MultiWordRange.class);
    }

    /** The fixtures are what the comments say: guards against a silently wrong set-up. */
    @Test
    void fixturesStartAsDescribed() {
        TinyRange tiny = new TinyRange();
        assertThat(tiny.used()).isEqualTo(2);
        assertThat(List.of(tiny.allocateNext(), tiny.allocateNext(), tiny.allocateNext(), tiny.allocateNext(),
                tiny.allocateNext())).containsExactly("10.0.0.1", "10.0.0.3", "10.0.0.4", "10.0.0.6", "full");
        tiny.countersAgree();

        SmallRange small = new SmallRange();
        assertThat(small.used()).isEqualTo(13);
        assertThat(small.freeDynamic()).isEqualTo(2);
        assertThat(List.of(small.allocateNext(), small.allocateNext(), small.allocateNext(), small.allocateNext()))
                .containsExactly("10.0.0.17", "10.0.0.29", "10.0.0.2", "10.0.0.3");
        assertThat(small.allocate(0)).isEqualTo("not-in-range");
        assertThat(small.allocate(9)).isEqualTo("not-in-range");
        assertThat(small.allocate(8)).isEqualTo("already-allocated");
        small.countersAgree();

        BandSwitch band = new BandSwitch();
        assertThat(band.usedDynamic()).isEqualTo(14);
        assertThat(band.allocateNext()).isEqualTo("10.0.0.2");
        assertThat(band.release(2)).isTrue();
        assertThat(band.allocateNext()).isEqualTo("10.0.0.30");
        band.countersAgree();

        MultiWordRange multi = new MultiWordRange();
        assertThat(multi.used()).isEqualTo(110);
        assertThat(multi.usedDynamic()).isEqualTo(109);
        assertThat(multi.freeStatic()).isEqualTo(15);
        assertThat(multi.isAllocated(6)).isTrue();
        assertThat(multi.isAllocated(7)).isTrue();
        assertThat(List.of(multi.allocateNext(), multi.allocateNext(), multi.allocateNext()))
                .containsExactly("fd00::29", "fd00::65", "fd00::2");
        assertThat(multi.allocate(0)).isEqualTo("not-in-range");
        assertThat(multi.allocate(5)).isEqualTo("not-in-range");
        assertThat(multi.release(1)).isTrue();
        multi.countersAgree();
    }
}
