package io.github.clusterip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link HierarchicalBitmap} against {@link BitSet} as the reference, at sizes around the word (64)
 * and summary (4096 = 64 words, 262144 = 64 x 64 words) boundaries; run for each storage by
 * {@link DenseBitmapTest} and {@link SparseBitmapTest}.
 */
abstract class HierarchicalBitmapTest {

    /** An empty map of {@code size} bits in the storage under test. */
    abstract HierarchicalBitmap newMap(long size);

    /** A map with the bits of {@code ref} set, built the way a restore builds it. */
    abstract HierarchicalBitmap fromBits(int size, BitSet ref);

    /** The level-0 words without tail bits, from the sorted non-zero pairs. */
    static long[] words(HierarchicalBitmap bits, int size) {
        long[] words = new long[(int) HierarchicalBitmap.wordsFor(size)];
        long[] pairs = bits.setWords();
        for (int i = 0; i < pairs.length; i += 2) {
            assertThat(pairs[i + 1]).as("setWords pair %d is non-zero", i / 2).isNotZero();
            if (i > 0) {
                assertThat(pairs[i]).as("setWords ascending").isGreaterThan(pairs[i - 2]);
            }
            words[(int) pairs[i]] = pairs[i + 1];
        }
        return words;
    }

    private static final long BASE_SEED = Long.getLong("clusterip.seed", 0x5EED_B17L);

    /** Expected nextClear(from, to) from the reference. */
    private static int expectedNextClear(BitSet ref, int from, int to) {
        if (from >= to) {
            return -1;
        }
        int c = ref.nextClearBit(from);
        return c < to ? c : -1;
    }

    private static void checkQuery(HierarchicalBitmap bits, BitSet ref, int from, int to, long seed, String phase) {
        assertThat(bits.nextClear(from, to))
                .as("seed %d %s size %d nextClear(%d, %d)", seed, phase, bits.size(), from, to)
                .isEqualTo(expectedNextClear(ref, from, to));
    }

    static void checkState(HierarchicalBitmap bits, BitSet ref, int size, long seed, String phase) {
        assertThat(bits.cardinality()).as("seed %d %s cardinality", seed, phase).isEqualTo(ref.cardinality());
        long[] expected = java.util.Arrays.copyOf(ref.toLongArray(), (int) HierarchicalBitmap.wordsFor(size));
        assertThat(words(bits, size)).as("seed %d %s setWords", seed, phase).containsExactly(expected);
        if (bits instanceof DenseBitmap) {
            assertThat(((DenseBitmap) bits).copyWords()).as("seed %d %s copyWords", seed, phase).containsExactly(expected);
        }
        // The allocator counts the static band with cardinalityBelow; check it at band-like bounds.
        for (int to : new int[] {0, 1, 16, 63, 64, 65, 256, size / 2, size}) {
            if (to <= size) {
                assertThat(bits.cardinalityBelow(to)).as("seed %d %s cardinalityBelow(%d)", seed, phase, to)
                        .isEqualTo(ref.get(0, to).cardinality());
            }
        }
    }

    static void randomQueries(HierarchicalBitmap bits, BitSet ref, int size, SplittableRandom rnd, int count,
            long seed, String phase) {
        for (int q = 0; q < count; q++) {
            int from = rnd.nextInt(size + 1);
            int to = rnd.nextInt(4) == 0 ? size : from + rnd.nextInt(size - from + 1);
            checkQuery(bits, ref, from, to, seed, phase);
        }
        // Whole-map queries and queries at both ends.
        checkQuery(bits, ref, 0, size, seed, phase);
        if (size > 0) {
            checkQuery(bits, ref, size - 1, size, seed, phase);
            checkQuery(bits, ref, 0, 1, seed, phase);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 63, 64, 65, 127, 128, 4095, 4096, 4097, 262143, 262144, 262145})
    void nextClearMatchesBitSetOverRandomSetAndClearSequences(int size) {
        for (int round = 0; round < 3; round++) {
            long seed = BASE_SEED + 1000L * size + round;
            SplittableRandom rnd = new SplittableRandom(seed);
            HierarchicalBitmap bits = newMap(size);
            BitSet ref = new BitSet(size);
            assertThat(bits.size()).isEqualTo(size);
            checkState(bits, ref, size, seed, "empty");
            randomQueries(bits, ref, size, rnd, 50, seed, "empty");
            if (size == 0) {
                return;
            }
            // Random fill to a random density, then random churn.
            double density = rnd.nextDouble();
            int ops = Math.min(20_000, 4 * size + 10);
            for (int i = 0; i < ops; i++) {
                int k = rnd.nextInt(size);
                boolean wantSet = rnd.nextDouble() < density;
                if (wantSet) {
                    assertThat(bits.set(k)).as("seed %d op %d set(%d)", seed, i, k).isEqualTo(!ref.get(k));
                    ref.set(k);
                } else {
                    assertThat(bits.clear(k)).as("seed %d op %d clear(%d)", seed, i, k).isEqualTo(ref.get(k));
                    ref.clear(k);
                }
                assertThat(bits.get(k)).as("seed %d op %d get(%d)", seed, i, k).isEqualTo(ref.get(k));
                if (i % 97 == 0) {
                    randomQueries(bits, ref, size, rnd, 5, seed, "churn step " + i);
                }
            }
            checkState(bits, ref, size, seed, "after churn");
            randomQueries(bits, ref, size, rnd, 300, seed, "after churn");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 63, 64, 65, 4095, 4096, 4097, 262143, 262144, 262145})
    void almostFullMapsFindTheFewClearBits(int size) {
        for (int round = 0; round < 3; round++) {
            long seed = BASE_SEED + 7_000_000L + 1000L * size + round;
            SplittableRandom rnd = new SplittableRandom(seed);
            HierarchicalBitmap bits = newMap(size);
            BitSet ref = new BitSet(size);
            int refused = 0;
            for (int k = 0; k < size; k++) {
                refused += bits.set(k) ? 0 : 1;
            }
            assertThat(refused).as("seed %d set() on a clear bit returned false", seed).isZero();
            ref.set(0, size);
            checkState(bits, ref, size, seed, "full");
            assertThat(bits.nextClear(0, size)).as("seed %d full map", seed).isEqualTo(-1);
            randomQueries(bits, ref, size, rnd, 50, seed, "full");

            // Clear a handful of bits, favouring the ends and the word/summary edges.
            int holes = 1 + rnd.nextInt(Math.min(size, 6));
            for (int h = 0; h < holes; h++) {
                int k;
                switch (rnd.nextInt(5)) {
                    case 0:
                        k = size - 1;
                        break;
                    case 1:
                        k = 0;
                        break;
                    case 2:
                        k = Math.min(size - 1, 64 * rnd.nextInt(size / 64 + 1) + (rnd.nextBoolean() ? 63 : 0));
                        break;
                    case 3:
                        k = Math.min(size - 1, 4096 * rnd.nextInt(size / 4096 + 1) + (rnd.nextBoolean() ? 4095 : 0));
                        break;
                    default:
                        k = rnd.nextInt(size);
                        break;
                }
                assertThat(bits.clear(k)).as("seed %d clear(%d)", seed, k).isEqualTo(ref.get(k));
                ref.clear(k);
            }
            checkState(bits, ref, size, seed, "holes");
            randomQueries(bits, ref, size, rnd, 500, seed, "holes");
            // Every hole is found from every start just after the previous hole.
            int from = 0;
            while (true) {
                int expected = expectedNextClear(ref, from, size);
                checkQuery(bits, ref, from, size, seed, "walk");
                if (expected < 0) {
                    break;
                }
                checkQuery(bits, ref, expected, expected + 1, seed, "walk exact");
                checkQuery(bits, ref, from, expected, seed, "walk before");
                from = expected + 1;
            }
            // Fill the holes through nextClear, as the allocator does: the map becomes full again.
            int holeCount = size - ref.cardinality();
            int filled = 0;
            for (int k = (int) bits.nextClear(0, size); k >= 0; k = (int) bits.nextClear(0, size)) {
                assertThat(ref.get(k)).as("seed %d nextClear gave a set bit %d", seed, k).isFalse();
                assertThat(bits.set(k)).isTrue();
                ref.set(k);
                filled++;
            }
            assertThat(filled).as("seed %d holes refilled", seed).isEqualTo(holeCount);
            assertThat(bits.cardinality()).isEqualTo(size);
            assertThat(ref.cardinality()).isEqualTo(size);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 63, 64, 65, 4095, 4096, 4097, 262145})
    void sequentialFillFindsEveryBitInOrderThenNone(int size) {
        HierarchicalBitmap bits = newMap(size);
        for (int k = 0; k < size; k++) {
            assertThat(bits.nextClear(0, size)).isEqualTo(k);
            assertThat(bits.cardinality()).isEqualTo(k);
            bits.set(k);
        }
        assertThat(bits.nextClear(0, size)).isEqualTo(-1);
        assertThat(bits.cardinality()).isEqualTo(size);
        // Clear from the top down: each cleared bit is the only clear one.
        for (int k = size - 1; k >= Math.max(0, size - 200); k--) {
            bits.clear(k);
            assertThat(bits.nextClear(0, size)).isEqualTo(k);
            assertThat(bits.nextClear(k + 1, size)).isEqualTo(-1);
            bits.set(k);
        }
    }

    @Test
    void tailBitsAreNeverReturnedAndNeverCounted() {
        // Bits past the end are kept set inside; they must not show anywhere.
        for (int size : new int[] {1, 63, 65, 4097, 262145}) {
            HierarchicalBitmap bits = newMap(size);
            for (int k = 0; k < size - 1; k++) {
                bits.set(k);
            }
            assertThat(bits.nextClear(0, size)).as("size %d", size).isEqualTo(size - 1);
            assertThat(bits.nextClear(size - 1, size)).isEqualTo(size - 1);
            bits.set(size - 1);
            assertThat(bits.nextClear(0, size)).as("size %d full", size).isEqualTo(-1);
            assertThat(bits.cardinality()).isEqualTo(size);
            long[] words = words(bits, size);
            long total = 0;
            for (long w : words) {
                total += Long.bitCount(w);
            }
            assertThat(total).as("setWords has no tail bits, size %d", size).isEqualTo(size);
            assertThat(bits.clear(size - 1)).isTrue();
            assertThat(bits.cardinality()).isEqualTo(size - 1);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64, 65, 4096, 4097, 262145})
    void restoredMapsRebuildSummaryAndCardinality(int size) {
        long seed = BASE_SEED + size;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (double density : new double[] {0.0, 0.5, 0.99, 1.0}) {
            BitSet ref = new BitSet(size);
            for (int k = 0; k < size; k++) {
                if (rnd.nextDouble() < density) {
                    ref.set(k);
                }
            }
            HierarchicalBitmap bits = fromBits(size, ref);
            String phase = "restored, density " + density;
            checkState(bits, ref, size, seed, phase);
            randomQueries(bits, ref, size, rnd, 300, seed, phase);
            if (size > 0) {
                // Still consistent after changes: flip a bit and query again.
                int k = rnd.nextInt(size);
                if (ref.get(k)) {
                    assertThat(bits.clear(k)).isTrue();
                    ref.clear(k);
                } else {
                    assertThat(bits.set(k)).isTrue();
                    ref.set(k);
                }
                randomQueries(bits, ref, size, rnd, 100, seed, phase + " flipped " + k);
            }
        }
    }

    /** Sets the runs of {@code ref} in an empty map with {@link HierarchicalBitmap#fromRuns}. */
    static HierarchicalBitmap restoreFromRuns(HierarchicalBitmap empty, BitSet ref) {
        long[] starts = new long[ref.cardinality() + 1];
        long[] lengths = new long[starts.length];
        int n = 0;
        for (int k = ref.nextSetBit(0); k >= 0; k = ref.nextSetBit(ref.nextClearBit(k))) {
            starts[n] = k;
            lengths[n] = ref.nextClearBit(k) - k;
            n++;
        }
        return HierarchicalBitmap.fromRuns(empty, starts, lengths, n);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 64, 65, 4097, 262145})
    void restoredFromRunsEqualsTheBitsSetOneByOne(int size) {
        SplittableRandom rnd = new SplittableRandom(BASE_SEED + 31L * size);
        for (double density : new double[] {0.0, 0.3, 0.97, 1.0}) {
            BitSet ref = new BitSet(size);
            for (int k = 0; k < size; k++) {
                if (rnd.nextDouble() < density) {
                    ref.set(k);
                }
            }
            HierarchicalBitmap bits = restoreFromRuns(newMap(size), ref);
            checkState(bits, ref, size, BASE_SEED, "fromRuns density " + density);
            randomQueries(bits, ref, size, rnd, 200, BASE_SEED, "fromRuns density " + density);
        }
    }

    /**
     * Threads set and clear bits of shared words at once (thread t owns the bits k with
     * k % threads == t), filling and emptying words so that summary bits flip back and forth;
     * afterwards the map must hold exactly the union of what each thread did, and every search
     * must agree with it, which fails if a summary bit was left stale.
     */
    @ParameterizedTest
    @ValueSource(ints = {64, 4097, 262145})
    void concurrentSetsAndClearsLeaveExactSummaries(int size) throws Exception {
        int threads = 4;
        for (int round = 0; round < 5; round++) {
            long seed = BASE_SEED + 99L * size + round;
            HierarchicalBitmap bits = newMap(size);
            BitSet[] mine = new BitSet[threads];
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                for (int t = 0; t < threads; t++) {
                    int me = t;
                    mine[t] = new BitSet(size);
                    done.add(pool.submit(() -> {
                        SplittableRandom rnd = new SplittableRandom(seed * 31 + me);
                        start.await();
                        int owned = (size - me + threads - 1) / threads;
                        for (int i = 0; i < 30_000; i++) {
                            // Sweep the density up and down so that words fill and empty repeatedly.
                            double density = (i / 3_000) % 2 == 0 ? 0.97 : 0.05;
                            int k = me + threads * rnd.nextInt(owned);
                            if (rnd.nextDouble() < density) {
                                if (bits.set(k) == mine[me].get(k)) {
                                    throw new AssertionError("set(" + k + ") disagrees with its owner");
                                }
                                mine[me].set(k);
                            } else {
                                if (bits.clear(k) != mine[me].get(k)) {
                                    throw new AssertionError("clear(" + k + ") disagrees with its owner");
                                }
                                mine[me].clear(k);
                            }
                            int found = (int) bits.nextClear(rnd.nextInt(size), size);
                            if (found != -1 && (found % threads == me) && mine[me].get(found)) {
                                throw new AssertionError("nextClear returned " + found + ", set by its owner throughout");
                            }
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            BitSet ref = new BitSet(size);
            for (BitSet b : mine) {
                ref.or(b);
            }
            checkState(bits, ref, size, seed, "after concurrent churn");
            randomQueries(bits, ref, size, new SplittableRandom(seed), 2_000, seed, "after concurrent churn");
            // Fill it completely through nextClear: a stale summary bit would hide a clear bit.
            for (long k = bits.nextClear(0, size); k != -1; k = bits.nextClear(0, size)) {
                assertThat(bits.set(k)).isTrue();
                ref.set((int) k);
            }
            assertThat(ref.cardinality()).as("seed %d: every clear bit was found", seed).isEqualTo(size);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 63, 64, 65, 4097, 262145})
    void setFirstClearSetsWhatNextClearFindsWithinTheBounds(int size) {
        SplittableRandom rnd = new SplittableRandom(BASE_SEED + 77L * size);
        HierarchicalBitmap bits = newMap(size);
        BitSet ref = new BitSet(size);
        for (int i = 0; i < 3 * size + 100; i++) {
            int from = rnd.nextInt(size);
            int to = from + 1 + rnd.nextInt(size - from);
            long expected = expectedNextClear(ref, from, to);
            assertThat(bits.setFirstClear(from, to)).as("size %d setFirstClear(%d, %d)", size, from, to).isEqualTo(expected);
            if (expected != -1) {
                ref.set((int) expected);
            }
            if (rnd.nextInt(3) == 0) {
                int k = rnd.nextInt(size);
                assertThat(bits.clear(k)).isEqualTo(ref.get(k));
                ref.clear(k);
            }
        }
        checkState(bits, ref, size, BASE_SEED, "after setFirstClear");
    }
}
