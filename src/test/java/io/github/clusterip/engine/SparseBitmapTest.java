package io.github.clusterip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link HierarchicalBitmapTest} on the sparse storage (forced at small sizes so that it can be
 * checked against a BitSet), restored from runs as a compact snapshot is; and the sparse map at
 * the sizes it exists for, up to 2^64 - 1 bits.
 */
class SparseBitmapTest extends HierarchicalBitmapTest {

    @Override
    HierarchicalBitmap newMap(long size) {
        return HierarchicalBitmap.create(size, true);
    }

    @Override
    HierarchicalBitmap fromBits(int size, BitSet ref) {
        return restoreFromRuns(newMap(size), ref);
    }

    /** A /64's usable count: 2^64 - 1, as an unsigned long. */
    private static final long SLASH_64 = -1L;

    @Test
    void aMapOf2To64Bits_findsSetsAndClearsAtBothEnds() {
        HierarchicalBitmap bits = HierarchicalBitmap.create(SLASH_64);
        assertThat(bits).isInstanceOf(SparseBitmap.class);
        long last = SLASH_64 - 1; // 2^64 - 2
        assertThat(bits.nextClear(0, SLASH_64)).isZero();
        assertThat(bits.nextClear(last, SLASH_64)).isEqualTo(last);
        assertThat(bits.set(last)).isTrue();
        assertThat(bits.get(last)).isTrue();
        assertThat(bits.nextClear(last, SLASH_64)).as("the tail bit 2^64 - 1 is never returned").isEqualTo(-1);
        assertThat(bits.set(last)).isFalse();
        assertThat(bits.cardinality()).isEqualTo(1);
        assertThat(bits.setWords()).containsExactly(last >>> 6, 1L << 62);
        // Fill the last 3 words below the end: the search from before them skips to the first clear bit after.
        long from = last - 191;
        for (long k = from; k != last; k++) {
            assertThat(bits.set(k)).isTrue();
        }
        assertThat(bits.nextClear(from, SLASH_64)).isEqualTo(-1);
        assertThat(bits.nextClear(from - 1, SLASH_64)).isEqualTo(from - 1);
        assertThat(bits.cardinality()).isEqualTo(192);
        assertThat(bits.clear(last - 100)).isTrue();
        assertThat(bits.nextClear(from, SLASH_64)).isEqualTo(last - 100);
        assertThat(bits.nextClear(Long.MIN_VALUE, from)).as("unsigned: 2^63 is below the end").isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void memoryFollowsTheSetBitsNotTheSize() {
        SparseBitmap bits = (SparseBitmap) HierarchicalBitmap.create(SLASH_64);
        long empty = bits.storedWords();
        assertThat(empty).as("an empty /64 stores only its tail words").isLessThanOrEqualTo(11);
        SplittableRandom rnd = new SplittableRandom(7);
        long[] set = new long[20_000];
        for (int i = 0; i < set.length; i++) {
            long k;
            do {
                k = rnd.nextLong();
            } while (k == -1L || !bits.set(k));
            set[i] = k;
        }
        assertThat(bits.cardinality()).isEqualTo(set.length);
        assertThat(bits.storedWords()).as("about one word per scattered bit").isBetween((long) set.length / 2, set.length + empty + 5);
        for (long k : set) {
            assertThat(bits.clear(k)).isTrue();
        }
        assertThat(bits.storedWords()).as("words that become 0 are dropped").isEqualTo(empty);
        assertThat(bits.cardinality()).isZero();
    }

    @Test
    void aLongRunFillsSummariesSoTheSearchSkipsIt() {
        long size = 1L << 40;
        HierarchicalBitmap bits = HierarchicalBitmap.fromRuns(HierarchicalBitmap.create(size, true),
                new long[] {5, 1L << 30}, new long[] {(1L << 20) - 5, 1L << 22}, 2);
        assertThat(bits.nextClear(5, size)).isEqualTo(1L << 20);
        assertThat(bits.nextClear(1L << 30, size)).isEqualTo((1L << 30) + (1L << 22));
        assertThat(bits.nextClear(0, 5)).isZero();
        assertThat(bits.cardinality()).isEqualTo((1L << 20) - 5 + (1L << 22));
    }

    @Test
    void theStoredWordBoundOfARestoreCoversWhatTheMapStores() {
        // 3 runs in a /64. The first, 64 * 64 + 3 indexes from index 64, fills level-0 words 1 to
        // 64 and touches word 65: 65 words; its 64 full words are bits 1 to 64 of level 1, which
        // lie in level-1 words 0 and 1: 2 words. Then two single indexes, a word each: 69 words.
        // The bound adds a tail word for each of the 11 levels of a /64: 80. Only levels 0 and 10
        // really have one (the others hold a multiple of 64 bits), so the map stores 71.
        long[] starts = {64, 1L << 40, 1L << 50};
        long[] lengths = {64 * 64 + 3, 1, 1};
        BandedAllocator.Runs runs = visitor -> {
            for (int i = 0; i < starts.length; i++) {
                visitor.visit(starts[i], lengths[i]);
            }
        };
        long words = HierarchicalBitmap.storedWordsBound(-1L, runs);
        assertThat(words).isEqualTo(80);
        SparseBitmap built = (SparseBitmap) HierarchicalBitmap.fromRuns(HierarchicalBitmap.create(-1L, true, words), runs);
        assertThat(built.storedWords()).isEqualTo(71);
        assertThat(built.cardinality()).isEqualTo(64 * 64 + 5);
        assertThat(new BandedAllocator(-1L, 256, io.github.clusterip.ScanStrategy.SEQUENTIAL, null).restoreCost(runs))
                .isEqualTo(new BandedAllocator.RestoreCost(80 * HierarchicalBitmap.SPARSE_BYTES_PER_WORD, 80));
    }
}
