package io.github.clusterip.engine;

import io.github.clusterip.engine.BandedAllocator.Runs;

/*
 * A bitmap of a fixed number of bits with a summary above it, so that the next clear bit is
 * found in a bounded number of word operations however full the map is, safe for threads that
 * set and clear bits at the same time without a lock.
 *
 * Level 0 holds the bits themselves, 64 to a long. Level i + 1 has one bit for each word of
 * level i, set when that word is full (all 64 bits set). The top level is a single word. A
 * search for a clear bit at or after some index looks at one word on each level going up until
 * a level shows a word that is not full, then follows that word down, one word per level:
 * at most 2 x levels word reads (4 levels for 2^24 bits, 11 for 2^64).
 *
 * Bits past the end (the tail of the last word on every level) are kept set, as if allocated,
 * so that a search never returns them and a word with only tail bits left counts as full.
 *
 * Indexes are unsigned 64-bit values: a map may have up to 2^64 - 1 bits.
 *
 * Concurrency. Bits change only by compare-and-set on their word, so set and clear are atomic
 * and linearizable. The summary bits are hints kept up to date after the fact: the thread whose
 * compare-and-set made a word full (or not full) then writes the word's summary bit and reads
 * the word again, and repeats while the two disagree; so once no thread is changing the map
 * every summary bit is exact (the last summary write was followed by a read of the word that
 * agreed with it, and every later change of the word is followed by its own fix). While threads
 * run, a summary bit may be briefly stale: a search then reads one word too many (and moves on)
 * or misses a bit cleared during the search. A search never returns a bit that was set for its
 * whole duration. Callers that need an exact answer (the allocator, to declare a range full)
 * search again while no mutation runs.
 *
 * Storage is left to subclasses: a dense array of words (DenseBitmap) or a hash map of the
 * non-zero words only (SparseBitmap), whose memory grows with the bits set, not with the size.
 */
abstract class HierarchicalBitmap {

    /** The largest map kept dense: 2^24 bits (a 2 MiB array at level 0). */
    static final long DENSE_LIMIT = 1L << 24;

    /**
     * Allocations counted beyond the range, kept from a restore as kube-apiserver keeps them; 0
     * in every other case. Set before the map is published, never changed after.
     */
    long beyond;
    /** Those allocations as bits of the whole bitmap, all at or past its size; null when none. */
    java.math.BigInteger beyondBits;

    /** Number of bits (unsigned). */
    private final long size;
    /** levelBits[l]: the number of bits on level l (unsigned); levelBits[0] == size. */
    private final long[] levelBits;
    /** The index of the top level, which is a single word. */
    private final int top;

    HierarchicalBitmap(long size) {
        this.size = size;
        int count = levelsFor(size);
        levelBits = new long[count];
        long bits = size;
        for (int level = 0; level < count; level++) {
            levelBits[level] = bits;
            bits = wordsFor(bits);
        }
        top = count - 1;
    }

    /** The number of levels of a map of {@code size} bits (unsigned): 1 up to 64 bits, 11 for 2^64 - 1. */
    static int levelsFor(long size) {
        int count = 1;
        for (long words = wordsFor(size); words > 1; words = wordsFor(words)) {
            count++;
        }
        return count;
    }

    /** Tells whether a map of {@code size} bits (unsigned) is kept sparse. */
    static boolean isSparse(long size) {
        return Long.compareUnsigned(size, DENSE_LIMIT) > 0;
    }

    /** Returns an empty map of {@code size} bits, dense up to {@link #DENSE_LIMIT} bits. */
    static HierarchicalBitmap create(long size) {
        return create(size, isSparse(size));
    }

    /** Returns an empty map of {@code size} bits, sparse or (up to {@link #DENSE_LIMIT}) dense. */
    static HierarchicalBitmap create(long size, boolean sparse) {
        return create(size, sparse, 0);
    }

    /**
     * Returns an empty map of {@code size} bits, sparse or (up to {@link #DENSE_LIMIT}) dense; a
     * sparse one is sized up front to store about {@code expectedWords} words without growing.
     */
    static HierarchicalBitmap create(long size, boolean sparse, long expectedWords) {
        HierarchicalBitmap map = sparse ? new SparseBitmap(size, expectedWords) : new DenseBitmap(size);
        map.setTails();
        return map;
    }

    /**
     * The most heap a sparse map built by a restore takes per stored word: two longs per table
     * slot, the tables sized up front to be at least about a third full (45.2 bytes a word at
     * worst), rounded up for the array headers.
     */
    static final int SPARSE_BYTES_PER_WORD = 48;

    /** Returns the heap, in bytes, of the arrays of a dense map of {@code size} bits (at most 2^24). */
    static long denseBytes(long size) {
        long bytes = 0;
        for (long n = Math.max(1, wordsFor(size)); ; n = wordsFor(n)) {
            bytes += 8 * n + 16; // the words and the array header
            if (n == 1) {
                return bytes;
            }
        }
    }

    /** Returns an upper bound of the heap, in bytes, of a sparse map built by a restore to store {@code words} words. */
    static long sparseBytes(long words) {
        return words > Long.MAX_VALUE / SPARSE_BYTES_PER_WORD ? Long.MAX_VALUE : words * SPARSE_BYTES_PER_WORD;
    }

    /**
     * Returns an upper bound, close to exact, of the number of non-zero words, on all levels,
     * of a map of {@code size} bits (unsigned) that holds exactly the given runs: without building
     * anything, in time linear in the number of runs. A word of level 0 is non-zero when a run
     * touches it; bit j of level l (l &ge; 1) is set when the 64<sup>l</sup> bits below it are all
     * set, which, as runs are maximal, means they lie inside one run. Each level's last word may
     * also hold tail bits.
     */
    static long storedWordsBound(long size, Runs runs) {
        int levels = levelsFor(size);
        long[] lastWord = new long[levels];
        java.util.Arrays.fill(lastWord, -1L);
        long[] total = {levels}; // the tail words
        runs.forEachRun((start, length) -> {
            long endExclusive = start + length; // at most size <= 2^64 - 1: no wrap
            for (int level = 0; level < levels; level++) {
                int shift = 6 * level; // bit j of this level covers bits [j << shift, (j + 1) << shift)
                if (shift >= 64) {
                    break; // such a bit covers 2^64 bits or more: never set
                }
                long mask = (1L << shift) - 1;
                long first = (start >>> shift) + ((start & mask) != 0 ? 1 : 0); // first covered bit
                long endBit = endExclusive >>> shift; // one past the last covered bit
                if (Long.compareUnsigned(first, endBit) >= 0) {
                    break; // no bit of this level, nor of any above, is covered
                }
                long firstWord = first >>> 6;
                long lastCovered = (endBit - 1) >>> 6;
                total[0] += lastCovered - firstWord + 1 - (firstWord == lastWord[level] ? 1 : 0);
                lastWord[level] = lastCovered;
            }
        });
        return total[0];
    }

    /**
     * Returns a dense map over {@code words} (bit k is bit {@code k % 64} of {@code words[k / 64]}),
     * taking ownership of the array, which has {@code wordsFor(size)} words and no bit set at or
     * past {@code size}.
     */
    static HierarchicalBitmap fromWords(long size, long[] words) {
        if (Long.compareUnsigned(size, DENSE_LIMIT) > 0 || words.length != wordsFor(size)) {
            throw new IllegalArgumentException(words.length + " words for " + size + " bits");
        }
        DenseBitmap map = new DenseBitmap(size, size == 0 ? new long[1] : words);
        map.setTails();
        map.rebuildSummaries();
        return map;
    }

    /**
     * Sets the given runs in {@code map}, an empty map just created, and returns it: run i is
     * [starts[i], starts[i] + lengths[i]), ascending, disjoint and not touching, all inside the
     * map. Not for concurrent use until published.
     */
    static HierarchicalBitmap fromRuns(HierarchicalBitmap map, long[] starts, long[] lengths, int runCount) {
        return fromRuns(map, visitor -> {
            for (int r = 0; r < runCount; r++) {
                visitor.visit(starts[r], lengths[r]);
            }
        });
    }

    /**
     * Sets the given runs in {@code map}, an empty map just created, and returns it, with its
     * summary levels exact. Each word of every level is written once and nothing else is
     * allocated: the runs come in ascending order, so each level's words come in ascending order
     * too, and a word is complete, to be written, when the next one of its level starts. A word
     * written full sets its bit in the level above, which is built the same way.
     */
    static HierarchicalBitmap fromRuns(HierarchicalBitmap map, Runs runs) {
        RunWriter writer = map.new RunWriter();
        runs.forEachRun(writer::addRun);
        writer.finish();
        return map;
    }

    /** Gathers the bits of one word per level at a time and writes each word once, complete. */
    private final class RunWriter {
        private final long[] pendingIndex = new long[top + 1];
        private final long[] pendingBits = new long[top + 1];

        RunWriter() {
            java.util.Arrays.fill(pendingIndex, -1L); // no word pending (-1 is never a word index)
        }

        void addRun(long first, long length) {
            long last = first + length - 1;
            for (long w = first >>> 6; ; w++) {
                long mask = -1L;
                if (w == first >>> 6) {
                    mask &= -1L << first;
                }
                if (w == last >>> 6) {
                    mask &= -1L >>> (63 - (last & 63));
                }
                add(0, w, mask);
                if (w == last >>> 6) {
                    break; // w + 1 could wrap round at the very end of a 2^64 map
                }
            }
        }

        private void add(int level, long w, long bits) {
            if (pendingIndex[level] != w) {
                flush(level);
                pendingIndex[level] = w;
                pendingBits[level] = 0;
            }
            pendingBits[level] |= bits;
        }

        /** Writes the pending word of {@code level}, with the tail bits it already has. */
        private void flush(int level) {
            long w = pendingIndex[level];
            if (w == -1L) {
                return;
            }
            pendingIndex[level] = -1L;
            // In a map just created only the last word of a level holds anything (its tail bits):
            // read that one, and spare the other words a look-up (a locked one in a sparse map).
            boolean last = w == (levelBits[level] - 1) >>> 6;
            long value = pendingBits[level] | (last ? word(level, w) : 0);
            put(level, w, value);
            if (value == -1L && level < top) {
                add(level + 1, w >>> 6, 1L << w);
            }
        }

        void finish() {
            for (int level = 0; level <= top; level++) {
                flush(level); // may add to the level above, flushed next
            }
        }
    }

    /** Returns the number of 64-bit words that hold {@code bits} bits (unsigned). */
    static long wordsFor(long bits) {
        return (bits >>> 6) + ((bits & 63) == 0 ? 0 : 1);
    }

    // Storage.

    /** Reads word {@code index} of {@code level} (a volatile read); a word never written is 0. */
    abstract long word(int level, long index);

    /** Sets word {@code index} of {@code level} to {@code update} if it is {@code expect}. */
    abstract boolean compareAndSet(int level, long index, long expect, long update);

    /** Writes a word while the map is not shared (construction and restore). */
    abstract void put(int level, long index, long value);

    /**
     * Calls {@code visitor} for every non-zero word of {@code level}, in no set order; quiescent
     * only. The visitor may {@link #put} words of other levels.
     */
    abstract void forEachWord(int level, WordVisitor visitor);

    /** Receives a word's index and value. */
    interface WordVisitor {
        void visit(long index, long value);
    }

    final long size() {
        return size;
    }

    final void setTails() {
        for (int level = 0; level <= top; level++) {
            long bits = levelBits[level];
            if ((bits & 63) != 0) {
                long last = bits >>> 6;
                put(level, last, word(level, last) | (-1L << bits));
            } else if (bits == 0) {
                put(level, 0, -1L); // an empty map: one word, all of it tail
            }
        }
    }

    // Bits.

    /** Tells whether bit {@code index} is set. */
    final boolean get(long index) {
        return (word(0, index >>> 6) & (1L << index)) != 0;
    }

    /** Sets bit {@code index}; returns false if it was already set. Atomic. */
    final boolean set(long index) {
        long w = index >>> 6;
        long mask = 1L << index;
        long old;
        do {
            old = word(0, w);
            if ((old & mask) != 0) {
                return false;
            }
        } while (!compareAndSet(0, w, old, old | mask));
        if ((old | mask) == -1L) {
            refresh(0, w);
        }
        return true;
    }

    /** Clears bit {@code index}; returns false if it was already clear. Atomic. */
    final boolean clear(long index) {
        long w = index >>> 6;
        long mask = 1L << index;
        long old;
        do {
            old = word(0, w);
            if ((old & mask) == 0) {
                return false;
            }
        } while (!compareAndSet(0, w, old, old & ~mask));
        if (old == -1L) {
            refresh(0, w);
        }
        return true;
    }

    /**
     * Sets the first clear bit of [from, to) (unsigned) and returns it, or returns -1 if none was
     * found. The bit is chosen from the same value of its word that the compare-and-set replaces,
     * so inside one word the bit set is the first clear one at the instant it is set, never one
     * behind a bit cleared meanwhile; across words the search is as {@link #nextClear} describes.
     */
    final long setFirstClear(long from, long to) {
        long index = nextClear(from, to);
        while (index != -1) {
            long w = index >>> 6;
            long old = word(0, w);
            long free = ~old;
            if (Long.compareUnsigned(from, w << 6) > 0) {
                free &= -1L << from; // from lies inside this word
            }
            if ((to - 1) >>> 6 == w) {
                free &= -1L >>> (63 - ((to - 1) & 63)); // so does the end
            }
            if (free == 0) {
                // Taken meanwhile: search on after this word.
                if ((to - 1) >>> 6 == w) {
                    return -1;
                }
                index = nextClear((w + 1) << 6, to);
                continue;
            }
            long bit = free & -free;
            if (compareAndSet(0, w, old, old | bit)) {
                if ((old | bit) == -1L) {
                    refresh(0, w);
                }
                return (w << 6) | Long.numberOfTrailingZeros(bit);
            }
            // The word changed under us: choose again from its new value.
        }
        return -1;
    }

    /**
     * Makes the summary bit of word {@code w} of {@code level} say whether that word is full,
     * and so on upwards, until a read of the word after the write agrees with what was written.
     */
    private void refresh(int level, long w) {
        if (level == top) {
            return;
        }
        int up = level + 1;
        long parent = w >>> 6;
        long mask = 1L << w;
        while (true) {
            boolean full = word(level, w) == -1L;
            long old;
            long updated;
            do {
                old = word(up, parent);
                updated = full ? old | mask : old & ~mask;
            } while (updated != old && !compareAndSet(up, parent, old, updated));
            if (updated != old && (old == -1L) != (updated == -1L)) {
                refresh(up, parent);
            }
            if ((word(level, w) == -1L) == full) {
                return;
            }
        }
    }

    /**
     * Returns the first clear bit in [from, to) (unsigned), or -1 if there is none. Exact while
     * no other thread changes the map; see the class comment for what concurrent changes do.
     */
    final long nextClear(long from, long to) {
        if (Long.compareUnsigned(from, to) >= 0) {
            return -1;
        }
        long found = clearAtOrAfter(from);
        return found != -1 && Long.compareUnsigned(found, to) < 0 ? found : -1;
    }

    private long clearAtOrAfter(long from) {
        int level = 0;
        long pos = from;
        while (Long.compareUnsigned(pos, levelBits[level]) < 0) {
            long w = pos >>> 6;
            long free = ~word(level, w) & (-1L << pos);
            if (free != 0) {
                long bit = (w << 6) | Long.numberOfTrailingZeros(free);
                if (level == 0) {
                    return bit;
                }
                level--; // word `bit` of the level below is not full: look inside it
                pos = bit << 6;
            } else if (level == top) {
                return -1;
            } else {
                level++; // nothing left in this word: find the next word that is not full
                pos = w + 1;
            }
        }
        return -1;
    }

    /**
     * Tells whether every summary bit says exactly whether its word is full; quiescent only, and
     * for tests (it reads every word of every level).
     */
    final boolean summariesExact() {
        for (int level = 0; level < top; level++) {
            for (long w = 0; w < wordsFor(levelBits[level]); w++) {
                boolean full = word(level, w) == -1L;
                boolean marked = (word(level + 1, w >>> 6) & (1L << w)) != 0;
                if (full != marked) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Returns the number of set bits in [0, to), with {@code to} at most 2^24; quiescent only. */
    final long cardinalityBelow(long to) {
        long count = 0;
        long full = to >>> 6;
        for (long w = 0; w < full; w++) {
            count += Long.bitCount(word(0, w));
        }
        if ((to & 63) != 0) {
            count += Long.bitCount(word(0, full) & ~(-1L << to));
        }
        return count;
    }

    /** Returns the number of set bits; quiescent only. */
    long cardinality() {
        long[] count = {0};
        forEachWord(0, (index, value) -> count[0] += Long.bitCount(value & realBits(index)));
        return count[0];
    }

    /** The mask of the bits of level-0 word {@code index} that are inside the map (not tail). */
    final long realBits(long index) {
        return (size & 63) != 0 && index == size >>> 6 ? ~(-1L << size) : (size == 0 ? 0 : -1L);
    }

    /**
     * Returns the non-zero level-0 words without tail bits, ascending by index, as pairs
     * {@code [index0, word0, index1, word1, ...]}; quiescent only.
     */
    final long[] setWords() {
        long[] pairs = sortedWords();
        int n = 0;
        for (int i = 0; i < pairs.length; i += 2) {
            long value = pairs[i + 1] & realBits(pairs[i]);
            if (value != 0) {
                pairs[n++] = pairs[i];
                pairs[n++] = value;
            }
        }
        return n == pairs.length ? pairs : java.util.Arrays.copyOf(pairs, n);
    }

    /** The non-zero level-0 words as pairs [index, word, ...], ascending by index; quiescent only. */
    abstract long[] sortedWords();
}
