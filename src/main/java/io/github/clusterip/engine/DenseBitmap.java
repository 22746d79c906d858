package io.github.clusterip.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A {@link HierarchicalBitmap} in plain arrays, one per level: for maps of up to 2^24 bits. */
final class DenseBitmap extends HierarchicalBitmap {

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[][] levels;

    DenseBitmap(long size) {
        this(size, new long[(int) Math.max(1, wordsFor(size))]);
    }

    /** Takes ownership of {@code words}, the level-0 words. */
    DenseBitmap(long size, long[] words) {
        super(size);
        int count = 1;
        for (long n = words.length; n > 1; n = wordsFor(n)) {
            count++;
        }
        levels = new long[count][];
        levels[0] = words;
        for (int level = 1; level < count; level++) {
            levels[level] = new long[(int) wordsFor(levels[level - 1].length)];
        }
    }

    @Override
    long word(int level, long index) {
        return (long) WORDS.getVolatile(levels[level], (int) index);
    }

    @Override
    boolean compareAndSet(int level, long index, long expect, long update) {
        return WORDS.compareAndSet(levels[level], (int) index, expect, update);
    }

    @Override
    void put(int level, long index, long value) {
        levels[level][(int) index] = value;
    }

    @Override
    void forEachWord(int level, WordVisitor visitor) {
        long[] words = levels[level];
        for (int i = 0; i < words.length; i++) {
            if (words[i] != 0) {
                visitor.visit(i, words[i]);
            }
        }
    }

    @Override
    long[] sortedWords() {
        long[] words = levels[0];
        int n = 0;
        for (long word : words) {
            if (word != 0) {
                n++;
            }
        }
        long[] pairs = new long[2 * n];
        n = 0;
        for (int i = 0; i < words.length; i++) {
            if (words[i] != 0) {
                pairs[n++] = i;
                pairs[n++] = words[i];
            }
        }
        return pairs;
    }

    /**
     * Sets the summary bits of every full word, level by level upwards, in plain array loops (a
     * restore of a /12 runs it on 16,384 words); the summary levels hold only their tails so far,
     * and the map is not shared yet.
     */
    void rebuildSummaries() {
        for (int level = 1; level < levels.length; level++) {
            long[] below = levels[level - 1];
            long[] summary = levels[level];
            for (int i = 0; i < below.length; i++) {
                if (below[i] == -1L) {
                    summary[i >>> 6] |= 1L << i;
                }
            }
        }
    }

    @Override
    long cardinality() {
        long[] words = levels[0];
        long count = 0;
        for (int i = 0; i < words.length - 1; i++) {
            count += Long.bitCount(words[i]);
        }
        return count + Long.bitCount(words[words.length - 1] & realBits(words.length - 1));
    }

    /** Returns a copy of the level-0 words without the tail bits; quiescent only. */
    long[] copyWords() {
        long[] copy = levels[0].clone();
        long size = size();
        if ((size & 63) != 0) {
            copy[copy.length - 1] &= ~(-1L << size);
        } else if (size == 0) {
            return new long[0];
        }
        return copy;
    }
}
