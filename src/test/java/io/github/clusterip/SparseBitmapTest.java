package io.github.clusterip;

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
}
