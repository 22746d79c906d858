package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link HierarchicalBitmap} against {@link BitSet} as the reference, at sizes around the word (64)
 * and summary (4096 = 64 words, 262144 = 64 x 64 words) boundaries.
 */
class HierarchicalBitmapTest {

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

    private static void checkState(HierarchicalBitmap bits, BitSet ref, int size, long seed, String phase) {
        assertThat(bits.cardinality()).as("seed %d %s cardinality", seed, phase).isEqualTo(ref.cardinality());
        long[] words = bits.copyWords();
        long[] expected = java.util.Arrays.copyOf(ref.toLongArray(), HierarchicalBitmap.wordsFor(size));
        assertThat(words).as("seed %d %s copyWords", seed, phase).containsExactly(expected);
        int firstSet = ref.nextSetBit(0);
        assertThat(HierarchicalBitmap.nextSet(bits.copyWords(), size, 0)).as("seed %d %s nextSet(0)", seed, phase).isEqualTo(firstSet);
        // The allocator counts the static band with cardinalityBelow; check it at band-like bounds.
        for (int to : new int[] {0, 1, 16, 63, 64, 65, 256, size / 2, size}) {
            if (to <= size) {
                assertThat(bits.cardinalityBelow(to)).as("seed %d %s cardinalityBelow(%d)", seed, phase, to)
                        .isEqualTo(ref.get(0, to).cardinality());
            }
        }
    }

    private static void randomQueries(HierarchicalBitmap bits, BitSet ref, int size, SplittableRandom rnd, int count,
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
            HierarchicalBitmap bits = new HierarchicalBitmap(size);
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
            HierarchicalBitmap bits = new HierarchicalBitmap(size);
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
            for (int k = bits.nextClear(0, size); k >= 0; k = bits.nextClear(0, size)) {
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
        HierarchicalBitmap bits = new HierarchicalBitmap(size);
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
            HierarchicalBitmap bits = new HierarchicalBitmap(size);
            for (int k = 0; k < size - 1; k++) {
                bits.set(k);
            }
            assertThat(bits.nextClear(0, size)).as("size %d", size).isEqualTo(size - 1);
            assertThat(bits.nextClear(size - 1, size)).isEqualTo(size - 1);
            bits.set(size - 1);
            assertThat(bits.nextClear(0, size)).as("size %d full", size).isEqualTo(-1);
            assertThat(HierarchicalBitmap.nextSet(bits.copyWords(), size, size - 1)).isEqualTo(size - 1);
            assertThat(HierarchicalBitmap.nextSet(bits.copyWords(), size, size)).isEqualTo(-1);
            assertThat(bits.cardinality()).isEqualTo(size);
            long[] words = bits.copyWords();
            long total = 0;
            for (long w : words) {
                total += Long.bitCount(w);
            }
            assertThat(total).as("copyWords has no tail bits, size %d", size).isEqualTo(size);
            assertThat(bits.clear(size - 1)).isTrue();
            assertThat(bits.cardinality()).isEqualTo(size - 1);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 64, 65, 4096, 4097, 262145})
    void fromWordsRebuildsSummaryAndCardinality(int size) {
        long seed = BASE_SEED + size;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (double density : new double[] {0.0, 0.5, 0.99, 1.0}) {
            BitSet ref = new BitSet(size);
            for (int k = 0; k < size; k++) {
                if (rnd.nextDouble() < density) {
                    ref.set(k);
                }
            }
            long[] words = java.util.Arrays.copyOf(ref.toLongArray(), HierarchicalBitmap.wordsFor(size));
            HierarchicalBitmap bits = HierarchicalBitmap.fromWords(size, words);
            String phase = "fromWords density " + density;
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
}
