package io.github.clusterip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** {@link HierarchicalBitmapTest} on the dense storage, restored from words as a RangeAllocation is. */
class DenseBitmapTest extends HierarchicalBitmapTest {

    @Override
    HierarchicalBitmap newMap(long size) {
        HierarchicalBitmap map = HierarchicalBitmap.create(size, false);
        assertThat(map).isInstanceOf(DenseBitmap.class);
        return map;
    }

    @Override
    HierarchicalBitmap fromBits(int size, BitSet ref) {
        long[] words = java.util.Arrays.copyOf(ref.toLongArray(), (int) HierarchicalBitmap.wordsFor(size));
        return HierarchicalBitmap.fromWords(size, words);
    }

    @Test
    void createPicksDenseUpTo2To24BitsAndSparseAbove() {
        assertThat(HierarchicalBitmap.create(1L << 24)).isInstanceOf(DenseBitmap.class);
        assertThat(HierarchicalBitmap.create((1L << 24) + 1)).isInstanceOf(SparseBitmap.class);
        assertThat(HierarchicalBitmap.create(-1L)).as("2^64 - 1 bits").isInstanceOf(SparseBitmap.class);
    }
}
