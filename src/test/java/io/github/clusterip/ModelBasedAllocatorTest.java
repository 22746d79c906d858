package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Long random operation sequences applied to the real allocator and to a reference model: a set
 * of allocated indexes plus the band ranges worked out in the test ({@link RangeLayout}).
 *
 * <p>Every assertion message names the seed, the step and the operation. Replay one seed with
 * {@code -Dclusterip.seed=<seed>} (decimal, or hex with 0x).
 */
class ModelBasedAllocatorTest {

    private static final long BASE_SEED = 0x5EED_0C1A_57E1L;
    private static final int SEEDS = 3;

    private static final String[] CIDRS = {
        "10.96.0.0/24", "10.96.0.0/27", "10.96.0.0/28", "10.96.0.0/20",
        "fd00::/120", "fd00::/124", "fd00::/127",
    };

    static long[] seeds() {
        Long override = Long.getLong("clusterip.seed");
        if (override != null) {
            return new long[] {override};
        }
        return LongStream.range(0, SEEDS).map(i -> BASE_SEED + i * 0x9E37_79B9_7F4A_7C15L).toArray();
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (String cidr : CIDRS) {
            for (ScanStrategy strategy : ScanStrategy.values()) {
                for (long seed : seeds()) {
                    list.add(Arguments.of(cidr, strategy, seed));
                }
            }
        }
        return list.stream();
    }

    enum Op {
        NEXT, ALLOCATE_USABLE, ALLOCATE_UNUSABLE, RELEASE, RELEASE_UNUSABLE, SAVE, RESTORE_SAVED, FROM_SNAPSHOT,
        RESTORE_RANDOM_STATE, RESTORE_PADDED, RESTORE_MISMATCH, RESTORE_UNPARSEABLE, RESTORE_BIT_BEYOND
    }

    /** Records what the allocator asked of its random source, so the model can predict the pick. */
    static final class RecordingRandom implements RandomGenerator {
        private final SplittableRandom delegate;
        final List<int[]> calls = new ArrayList<>();

        RecordingRandom(long seed) {
            this.delegate = new SplittableRandom(seed);
        }

        @Override
        public long nextLong() {
            calls.add(new int[] {-1, -1});
            return delegate.nextLong();
        }

        @Override
        public int nextInt(int bound) {
            int v = delegate.nextInt(bound);
            calls.add(new int[] {bound, v});
            return v;
        }
    }

    /** One run: the allocator, the model, and the replay context. */
    private static final class Run {
        final RangeLayout layout;
        final ScanStrategy strategy;
        final long seed;
        final SplittableRandom rnd;
        final RecordingRandom random;
        ClusterIpAllocator allocator;
        BitSet model = new BitSet();
        RangeAllocation saved;
        BitSet savedModel;
        int step;
        Op op;
        int rangeFullSeen;
        int staticPicks;
        int exactPredictions;

        Run(String cidr, ScanStrategy strategy, long seed) {
            this.layout = RangeLayout.of(cidr);
            this.strategy = strategy;
            this.seed = seed;
            this.rnd = new SplittableRandom(seed);
            this.random = new RecordingRandom(seed * 31 + 17);
            this.allocator = newAllocator();
        }

        ClusterIpAllocator newAllocator() {
            return ClusterIpAllocator.builder(layout.cidr).scanStrategy(strategy).random(random).build();
        }

        String ctx() {
            return String.format("seed %d step %d op %s cidr %s strategy %s (replay: -Dclusterip.seed=%d)",
                    seed, step, op, layout, strategy, seed);
        }

        int usedIn(int from, int to) {
            return from >= to ? 0 : model.get(from, to).cardinality();
        }

        int lowestFree(int from, int to) {
            int k = model.nextClearBit(from);
            return k < to ? k : -1;
        }
    }

    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("cases")
    void randomOperationSequencesAgreeWithModel(String cidr, ScanStrategy strategy, long seed) {
        Run run = new Run(cidr, strategy, seed);
        RangeLayout layout = run.layout;
        int steps = layout.usable > 1000 ? 3000 : 2500;
        boolean growing = true;
        int phaseLeft = 0;
        for (run.step = 0; run.step < steps; run.step++) {
            if (phaseLeft-- <= 0) {
                growing = run.rnd.nextInt(3) != 0;
                phaseLeft = 20 + run.rnd.nextInt(Math.max(40, layout.usable * 3 / 2));
            }
            run.op = pickOp(run.rnd, growing);
            RangeAllocation before = run.allocator.snapshot();
            boolean failed;
            try {
                failed = apply(run);
            } catch (RuntimeException e) {
                throw new AssertionError(run.ctx() + ": unexpected " + e, e);
            }
            if (failed) {
                assertThat(run.allocator.snapshot()).as("%s: a failed call changed the state", run.ctx())
                        .isEqualTo(before);
            }
            checkAgainstModel(run, run.allocator);
        }
        // The run must have reached the interesting places, or it proves little.
        if (layout.usable <= 256) {
            assertThat(run.rangeFullSeen).as("%s: range never full", run.ctx()).isPositive();
        }
        if (layout.staticSize > 0 && layout.usable <= 256) {
            assertThat(run.staticPicks).as("%s: allocateNext never fell back to the static band", run.ctx())
                    .isPositive();
        }
        if (strategy == ScanStrategy.RANDOM) {
            assertThat(run.exactPredictions).as("%s: model never predicted a random pick", run.ctx()).isPositive();
        }
    }

    private static Op pickOp(SplittableRandom rnd, boolean growing) {
        int r = rnd.nextInt(100);
        if (growing) {
            if (r < 62) {
                return Op.NEXT;
            }
            if (r < 77) {
                return Op.ALLOCATE_USABLE;
            }
            if (r < 82) {
                return Op.RELEASE;
            }
        } else {
            if (r < 15) {
                return Op.NEXT;
            }
            if (r < 25) {
                return Op.ALLOCATE_USABLE;
            }
            if (r < 82) {
                return Op.RELEASE;
            }
        }
        Op[] rest = {Op.ALLOCATE_UNUSABLE, Op.ALLOCATE_UNUSABLE, Op.RELEASE_UNUSABLE, Op.SAVE, Op.SAVE,
            Op.RESTORE_SAVED, Op.FROM_SNAPSHOT, Op.RESTORE_RANDOM_STATE, Op.RESTORE_PADDED, Op.RESTORE_MISMATCH,
            Op.RESTORE_UNPARSEABLE, Op.RESTORE_BIT_BEYOND};
        return rest[rnd.nextInt(rest.length)];
    }

    /** Applies run.op to the allocator and the model; returns true if the allocator threw. */
    private static boolean apply(Run run) {
        RangeLayout layout = run.layout;
        ClusterIpAllocator allocator = run.allocator;
        SplittableRandom rnd = run.rnd;
        switch (run.op) {
            case NEXT:
                return next(run);
            case ALLOCATE_USABLE: {
                int k = pickUsable(run, 0.4);
                IpAddress a = layout.address(k);
                boolean wasAllocated = run.model.get(k);
                try {
                    allocator.allocate(a);
                    assertThat(wasAllocated).as("%s: allocate(%s) succeeded on an allocated address", run.ctx(), a)
                            .isFalse();
                    run.model.set(k);
                    return false;
                } catch (IpAlreadyAllocatedException e) {
                    assertThat(wasAllocated).as("%s: allocate(%s) said allocated", run.ctx(), a).isTrue();
                    assertThat(e.getMessage()).as(run.ctx()).isEqualTo("provided IP is already allocated");
                    assertThat(e.address()).as(run.ctx()).isEqualTo(a);
                    return true;
                } catch (AllocationException e) {
                    return fail("%s: allocate(%s) threw %s", run.ctx(), a, e);
                }
            }
            case ALLOCATE_UNUSABLE: {
                IpAddress a = pickUnusable(run);
                try {
                    allocator.allocate(a);
                    return fail("%s: allocate(%s) of an unusable address succeeded", run.ctx(), a);
                } catch (IpNotInRangeException e) {
                    assertThat(e.getMessage()).as(run.ctx()).isEqualTo("the provided IP (" + a
                            + ") is not in the valid range. The range of valid IPs is " + layout.text);
                    assertThat(e.address()).as(run.ctx()).isEqualTo(a);
                    assertThat(e.validRange()).as(run.ctx()).isEqualTo(layout.cidr);
                    return true;
                }
            }
            case RELEASE: {
                int k = pickUsable(run, 0.7);
                IpAddress a = layout.address(k);
                boolean expected = run.model.get(k);
                assertThat(allocator.release(a)).as("%s: release(%s)", run.ctx(), a).isEqualTo(expected);
                assertThat(allocator.isAllocated(a)).as("%s: isAllocated(%s) after release", run.ctx(), a).isFalse();
                run.model.clear(k);
                return false;
            }
            case RELEASE_UNUSABLE: {
                IpAddress a = pickUnusable(run);
                RangeAllocation before = allocator.snapshot();
                assertThat(allocator.release(a)).as("%s: release(%s)", run.ctx(), a).isFalse();
                assertThat(allocator.isAllocated(a)).as("%s: isAllocated(%s)", run.ctx(), a).isFalse();
                assertThat(allocator.snapshot()).as("%s: release of unusable changed state", run.ctx())
                        .isEqualTo(before);
                return false;
            }
            case SAVE:
                run.saved = allocator.snapshot();
                run.savedModel = (BitSet) run.model.clone();
                return false;
            case RESTORE_SAVED:
                if (run.saved != null) {
                    allocator.restore(run.saved);
                    run.model = (BitSet) run.savedModel.clone();
                }
                return false;
            case FROM_SNAPSHOT: {
                RangeAllocation snap = allocator.snapshot();
                ClusterIpAllocator copy = ClusterIpAllocator.fromSnapshot(snap);
                checkAgainstModel(run, copy);
                // Continue on a fresh allocator with the same options, restored from the snapshot.
                ClusterIpAllocator fresh = run.newAllocator();
                if (rnd.nextBoolean()) {
                    fresh.allocateNext(); // some state to be replaced
                }
                fresh.restore(snap);
                run.allocator = fresh;
                return false;
            }
            case RESTORE_RANDOM_STATE: {
                // Each band empty, full, nearly full or at a random density.
                double[] densities = {0.0, 1.0, 0.95, rnd.nextDouble()};
                double staticDensity = densities[rnd.nextInt(densities.length)];
                double dynamicDensity = densities[rnd.nextInt(densities.length)];
                BitSet state = new BitSet();
                for (int k = 0; k < layout.usable; k++) {
                    if (rnd.nextDouble() < (layout.isStatic(k) ? staticDensity : dynamicDensity)) {
                        state.set(k);
                    }
                }
                allocator.restore(new RangeAllocation(layout.text, RangeLayout.goBytesDirect(state)));
                run.model = state;
                return false;
            }
            case RESTORE_PADDED: {
                byte[] data = allocator.snapshot().data();
                byte[] padded = new byte[data.length + 1 + rnd.nextInt(5)];
                System.arraycopy(data, 0, padded, padded.length - data.length, data.length);
                allocator.restore(new RangeAllocation(layout.text, padded));
                return false; // model unchanged; checked after the step
            }
            case RESTORE_MISMATCH: {
                String other = mismatchingRange(run);
                RangeAllocation bad = new RangeAllocation(other, allocator.snapshot().data());
                try {
                    allocator.restore(bad);
                    return fail("%s: restore of range %s accepted", run.ctx(), other);
                } catch (IllegalArgumentException e) {
                    assertThat(e.getMessage()).as("%s: restore(%s)", run.ctx(), other)
                            .contains("the provided network does not match the current range");
                    return true;
                }
            }
            case RESTORE_UNPARSEABLE: {
                String[] texts = {"", "garbage", layout.text + " ", " " + layout.text, layout.text + "/1",
                    layout.v6 ? "fd00::/129" : "10.96.0.0/33", layout.v6 ? "fd00::1/120" : "10.96.0.1/24",
                    layout.v6 ? "fd00::g/120" : "10.96.0.256/24", layout.v6 ? "[fd00::]/120" : "010.96.0.0/24"};
                String text = texts[rnd.nextInt(texts.length)];
                try {
                    allocator.restore(new RangeAllocation(text, new byte[0]));
                    return fail("%s: restore of range \"%s\" accepted", run.ctx(), text);
                } catch (IllegalArgumentException e) {
                    return true;
                }
            }
            case RESTORE_BIT_BEYOND: {
                BitSet state = (BitSet) run.model.clone();
                int beyond = layout.usable + rnd.nextInt(layout.v6 ? 9 : 10);
                state.set(beyond);
                byte[] data = RangeLayout.goBytesDirect(state);
                try {
                    allocator.restore(new RangeAllocation(layout.text, data));
                    return fail("%s: restore with bit %d set (usable %d) accepted", run.ctx(), beyond, layout.usable);
                } catch (IllegalArgumentException e) {
                    return true;
                }
            }
            default:
                throw new AssertionError(run.op);
        }
    }

    private static boolean next(Run run) {
        RangeLayout layout = run.layout;
        int freeDynamic = layout.dynamicSize() - run.usedIn(layout.staticSize, layout.usable);
        int freeStatic = layout.staticSize - run.usedIn(0, layout.staticSize);
        run.random.calls.clear();
        IpAddress a;
        try {
            a = run.allocator.allocateNext();
        } catch (RangeFullException e) {
            assertThat(freeDynamic + freeStatic).as("%s: range full, but the model has free addresses", run.ctx())
                    .isZero();
            assertThat(e.getMessage()).as(run.ctx()).isEqualTo("range is full");
            run.rangeFullSeen++;
            return true;
        }
        assertThat(freeDynamic + freeStatic).as("%s: allocateNext gave %s in a full range", run.ctx(), a).isPositive();
        int k = layout.indexOf(a);
        assertThat(k).as("%s: allocateNext gave %s, not a usable address", run.ctx(), a).isNotNegative();
        assertThat(run.model.get(k)).as("%s: allocateNext handed out %s twice", run.ctx(), a).isFalse();
        int from;
        int to;
        if (freeDynamic > 0) {
            assertThat(layout.isStatic(k))
                    .as("%s: allocateNext gave static %s while the dynamic band had %d free", run.ctx(), a, freeDynamic)
                    .isFalse();
            from = layout.staticSize;
            to = layout.usable;
        } else {
            assertThat(layout.isStatic(k)).as("%s: %s", run.ctx(), a).isTrue();
            run.staticPicks++;
            from = 0;
            to = layout.staticSize;
        }
        Integer expected = null;
        if (run.strategy == ScanStrategy.SEQUENTIAL) {
            expected = run.lowestFree(from, to);
        } else if (run.random.calls.size() == 1 && run.random.calls.get(0)[0] == to - from) {
            // Kubernetes' pick: the first free at or after a random start, wrapping inside the band.
            int start = from + run.random.calls.get(0)[1];
            int found = run.lowestFree(start, to);
            expected = found >= 0 ? found : run.lowestFree(from, start);
            run.exactPredictions++;
        }
        if (expected != null) {
            assertThat(a).as("%s: allocateNext pick", run.ctx()).isEqualTo(layout.address(expected));
        }
        run.model.set(k);
        return false;
    }

    /** A usable index; with probability pAllocated one that the model holds, if any. */
    private static int pickUsable(Run run, double pAllocated) {
        int card = run.model.cardinality();
        if (card > 0 && run.rnd.nextDouble() < pAllocated) {
            int skip = run.rnd.nextInt(card);
            int k = run.model.nextSetBit(0);
            for (int i = 0; i < skip; i++) {
                k = run.model.nextSetBit(k + 1);
            }
            return k;
        }
        // Favour the band edges now and then.
        int usable = run.layout.usable;
        switch (run.rnd.nextInt(8)) {
            case 0:
                return 0;
            case 1:
                return usable - 1;
            case 2:
                return Math.max(0, run.layout.staticSize - 1);
            case 3:
                return Math.min(usable - 1, run.layout.staticSize);
            default:
                return run.rnd.nextInt(usable);
        }
    }

    private static IpAddress pickUnusable(Run run) {
        RangeLayout layout = run.layout;
        List<IpAddress> candidates = new ArrayList<>();
        candidates.add(layout.networkAddress());
        if (!layout.v6) {
            candidates.add(layout.lastOfBlock()); // IPv4 broadcast
        }
        candidates.add(layout.justAfterBlock());
        candidates.add(layout.justBeforeNetwork());
        candidates.add(layout.otherFamily());
        candidates.add(layout.offsetFromNetwork((1L << layout.hostBits) + run.rnd.nextInt(1 << 16)));
        candidates.add(layout.offsetFromNetwork(-1L - run.rnd.nextInt(1 << 16)));
        return candidates.get(run.rnd.nextInt(candidates.size()));
    }

    private static String mismatchingRange(Run run) {
        RangeLayout layout = run.layout;
        int prefix = Integer.parseInt(layout.text.substring(layout.text.indexOf('/') + 1));
        List<String> options = new ArrayList<>();
        if (layout.v6) {
            options.add("fd00:1::/" + prefix);
            options.add("fd00::/" + (prefix - 1));
            if (prefix < 128) {
                options.add("fd00::/" + (prefix + 1));
            }
            options.add("10.96.0.0/24");
        } else {
            options.add("10.97.0.0/" + prefix);
            options.add("10.96.0.0/" + (prefix - 1));
            options.add("10.96.0.0/" + (prefix + 1));
            options.add("fd00::/120");
        }
        return options.get(run.rnd.nextInt(options.size()));
    }

    /** The allocator's whole observable state against the model. */
    private static void checkAgainstModel(Run run, ClusterIpAllocator allocator) {
        RangeLayout layout = run.layout;
        BitSet model = run.model;
        int used = model.cardinality();
        int usedStatic = run.usedIn(0, layout.staticSize);
        int usedDynamic = used - usedStatic;
        String ctx = run.ctx();
        assertThat(allocator.used()).as("%s: used()", ctx).isEqualTo(used);
        assertThat(allocator.free()).as("%s: free()", ctx).isEqualTo(layout.usable - used);
        assertThat(allocator.used(Band.STATIC)).as("%s: used(STATIC)", ctx).isEqualTo(usedStatic);
        assertThat(allocator.used(Band.DYNAMIC)).as("%s: used(DYNAMIC)", ctx).isEqualTo(usedDynamic);
        assertThat(allocator.free(Band.STATIC)).as("%s: free(STATIC)", ctx).isEqualTo(layout.staticSize - usedStatic);
        assertThat(allocator.free(Band.DYNAMIC)).as("%s: free(DYNAMIC)", ctx)
                .isEqualTo(layout.dynamicSize() - usedDynamic);
        // allocatedAddresses() against the model, element by element (ascending, no duplicates).
        Iterator<IpAddress> it = allocator.allocatedAddresses().iterator();
        int k = model.nextSetBit(0);
        int position = 0;
        while (it.hasNext()) {
            IpAddress actual = it.next();
            if (k < 0 || !actual.equals(layout.address(k))) {
                fail("%s: allocatedAddresses()[%d] is %s, the model has %s", ctx, position, actual,
                        k < 0 ? "no more addresses" : layout.address(k));
            }
            k = model.nextSetBit(k + 1);
            position++;
        }
        if (k >= 0) {
            fail("%s: allocatedAddresses() ends after %d addresses, the model also has %s", ctx, position,
                    layout.address(k));
        }
        RangeAllocation snapshot = allocator.snapshot();
        assertThat(snapshot.range()).as("%s: snapshot range", ctx).isEqualTo(layout.text);
        assertThat(snapshot.data()).as("%s: snapshot data", ctx).isEqualTo(RangeLayout.goBytesDirect(model));
    }
}
