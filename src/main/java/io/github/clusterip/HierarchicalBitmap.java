package io.github.clusterip;

/*
 * A bitmap of a fixed number of bits with a summary above it, so that the next clear bit is
 * found in a bounded number of word operations however full the map is.
 *
 * Level 0 holds the bits themselves, 64 to a long. Level i + 1 has one bit for each word of
 * level i, set when that word is full (all 64 bits set). The top level is a single word. A
 * search for a clear bit at or after some index looks at one word on each level going up until
 * a level shows a word that is not full, then follows that word down, one word per level:
 * at most 2 x levels word reads, 4 levels for 2^24 bits.
 *
 * Bits past the end (the tail of the last word on every level) are kept set, as if allocated,
 * so that a search never returns them and a word with only tail bits left counts as full.
 *
 * Not thread-safe: the allocator guards it with its lock.
 */
final class HierarchicalBitmap {

    private final int size;
    /** levels[0] holds the bits; levels[i + 1] has a bit per word of levels[i], set when it is full. */
    private final long[][] levels;
    private int cardinality;

    HierarchicalBitmap(int size) {
        this(size, new long[wordsFor(size)]);
    }

    /** Takes ownership of {@code words}, whose bits at or past {@code size} must be clear. */
    private HierarchicalBitmap(int size, long[] words) {
        this.size = size;
        int levelCount = 1;
        for (int n = words.length; n > 1; n = wordsFor(n)) {
            levelCount++;
        }
        levels = new long[levelCount][];
        levels[0] = words;
        int count = 0;
        for (long word : words) {
            count += Long.bitCount(word);
        }
        cardinality = count;
        setTail(words, size);
        for (int level = 1; level < levelCount; level++) {
            long[] below = levels[level - 1];
            long[] summary = new long[wordsFor(below.length)];
            for (int i = 0; i < below.length; i++) {
                if (below[i] == -1L) {
                    summary[i >>> 6] |= 1L << i;
                }
            }
            setTail(summary, below.length);
            levels[level] = summary;
        }
    }

    /**
     * Returns a bitmap over {@code words} (bit k is bit {@code k % 64} of {@code words[k / 64]}),
     * taking ownership of the array, which has {@code wordsFor(size)} words. The caller has checked
     * that no bit at or past {@code size} is set.
     */
    static HierarchicalBitmap fromWords(int size, long[] words) {
        if (words.length != wordsFor(size)) {
            throw new IllegalArgumentException(words.length + " words for " + size + " bits");
        }
        return new HierarchicalBitmap(size, words);
    }

    static int wordsFor(int bits) {
        return (int) ((bits + 63L) >>> 6);
    }

    private static void setTail(long[] words, int bits) {
        if ((bits & 63) != 0) {
            words[words.length - 1] |= -1L << bits;
        }
    }

    int size() {
        return size;
    }

    int cardinality() {
        return cardinality;
    }

    /** Returns the number of set bits in [0, to). */
    int cardinalityBelow(int to) {
        long[] words = levels[0];
        int count = 0;
        int full = to >>> 6;
        for (int w = 0; w < full; w++) {
            count += Long.bitCount(words[w]);
        }
        if ((to & 63) != 0) {
            count += Long.bitCount(words[full] & ~(-1L << to));
        }
        return count;
    }

    boolean get(int index) {
        return (levels[0][index >>> 6] & (1L << index)) != 0;
    }

    /** Sets bit {@code index}; returns false if it was already set. */
    boolean set(int index) {
        long[] words = levels[0];
        int w = index >>> 6;
        long old = words[w];
        long updated = old | (1L << index);
        if (updated == old) {
            return false;
        }
        words[w] = updated;
        cardinality++;
        // A word that just became full becomes a set bit one level up, which may fill that word.
        for (int level = 1; updated == -1L && level < levels.length; level++) {
            long[] summary = levels[level];
            int bit = w;
            w = bit >>> 6;
            updated = summary[w] | (1L << bit);
            summary[w] = updated;
        }
        return true;
    }

    /** Clears bit {@code index}; returns false if it was already clear. */
    boolean clear(int index) {
        long[] words = levels[0];
        int w = index >>> 6;
        long old = words[w];
        if ((old & (1L << index)) == 0) {
            return false;
        }
        words[w] = old & ~(1L << index);
        cardinality--;
        // A word that was full no longer is: clear its bit one level up, and so on while full.
        for (int level = 1; old == -1L && level < levels.length; level++) {
            long[] summary = levels[level];
            int bit = w;
            w = bit >>> 6;
            old = summary[w];
            summary[w] = old & ~(1L << bit);
        }
        return true;
    }

    /** Returns the first clear bit in [from, to), or -1 if there is none. */
    int nextClear(int from, int to) {
        if (from >= to) {
            return -1;
        }
        int found = clearAtOrAfter(0, from);
        return found >= 0 && found < to ? found : -1;
    }

    /** Returns the first clear bit at or after {@code from} on {@code level}, or -1. */
    private int clearAtOrAfter(int level, int from) {
        long[] words = levels[level];
        int w = from >>> 6;
        if (w >= words.length) {
            return -1;
        }
        long free = ~words[w] & (-1L << from);
        if (free != 0) {
            return (w << 6) + Long.numberOfTrailingZeros(free);
        }
        if (level + 1 == levels.length) {
            return -1; // the top level is a single word
        }
        int next = clearAtOrAfter(level + 1, w + 1);
        if (next < 0) {
            return -1;
        }
        return (next << 6) + Long.numberOfTrailingZeros(~words[next]);
    }

    /**
     * Returns the first set bit at or after {@code from} in bit words of a map of {@code size}
     * bits (a copy made by {@link #copyWords()}), or -1; for iteration, not for allocation.
     */
    static int nextSet(long[] words, int size, int from) {
        int w = from >>> 6;
        if (from >= size) {
            return -1;
        }
        long bits = words[w] & (-1L << from);
        while (bits == 0) {
            if (++w == words.length) {
                return -1;
            }
            bits = words[w];
        }
        int found = (w << 6) + Long.numberOfTrailingZeros(bits);
        return found < size ? found : -1;
    }

    /** Returns the bits without the tail padding: bit k is bit {@code k % 64} of word {@code k / 64}. */
    long[] copyWords() {
        long[] copy = levels[0].clone();
        if ((size & 63) != 0) {
            copy[copy.length - 1] &= ~(-1L << size);
        }
        return copy;
    }
}
