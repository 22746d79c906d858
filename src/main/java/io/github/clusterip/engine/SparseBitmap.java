package io.github.clusterip.engine;

import java.util.Arrays;

/*
 * A HierarchicalBitmap that stores only its non-zero words, for maps too large to hold densely
 * (up to 2^64 - 1 bits): its memory grows with the bits set, not with the size.
 *
 * The words of every level live in one hash table keyed by (level, word index), split into
 * stripes that each have their own lock, so that threads working on different words rarely
 * meet. Each stripe is an open-addressing table with linear probing over two parallel long
 * arrays (about 16 to 43 bytes per stored word), grown at 3/4 full and shrunk at 1/8 full. A
 * word that becomes 0 is removed, so a map with n addresses scattered over a /64 holds about n
 * words.
 */
final class SparseBitmap extends HierarchicalBitmap {

    /** Stripes: a power of two. */
    private static final int STRIPES = 64;
    private static final int MIN_CAPACITY = 8;
    /** The largest table a stripe is sized to up front; it may still grow past it. */
    private static final int MAX_CAPACITY = 1 << 26;
    /** Word indexes of level 0 are below 2^58; the level goes above them. */
    private static final int LEVEL_SHIFT = 58;

    private final Stripe[] stripes = new Stripe[STRIPES];

    /**
     * A map sized up front for about {@code expectedWords} stored words, so that a restore that
     * knows its word count does not grow (and copy) its tables on the way.
     */
    SparseBitmap(long size, long expectedWords) {
        super(size);
        // Each stripe expects 1/64 of the words; allow a few percent more for the spread of the
        // hash, and keep it at most 3/4 full.
        long perStripe = expectedWords / STRIPES;
        long wanted = (perStripe + perStripe / 16 + 8) * 4 / 3;
        int capacity = MIN_CAPACITY;
        while (capacity < wanted && capacity < MAX_CAPACITY) {
            capacity <<= 1;
        }
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe(capacity);
        }
    }

    private static long key(int level, long index) {
        return ((long) level << LEVEL_SHIFT) | index;
    }

    private static long hash(long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return h ^ (h >>> 29);
    }

    private Stripe stripe(long hash) {
        return stripes[(int) (hash >>> 58) & (STRIPES - 1)];
    }

    @Override
    long word(int level, long index) {
        long key = key(level, index);
        long hash = hash(key);
        Stripe stripe = stripe(hash);
        synchronized (stripe) {
            return stripe.get(key, hash);
        }
    }

    @Override
    boolean compareAndSet(int level, long index, long expect, long update) {
        long key = key(level, index);
        long hash = hash(key);
        Stripe stripe = stripe(hash);
        synchronized (stripe) {
            if (stripe.get(key, hash) != expect) {
                return false;
            }
            stripe.put(key, hash, update);
            return true;
        }
    }

    @Override
    void put(int level, long index, long value) {
        long key = key(level, index);
        long hash = hash(key);
        Stripe stripe = stripe(hash);
        synchronized (stripe) {
            stripe.put(key, hash, value);
        }
    }

    @Override
    void forEachWord(int level, WordVisitor visitor) {
        long[] pairs = collect(level);
        for (int i = 0; i < pairs.length; i += 2) {
            visitor.visit(pairs[i], pairs[i + 1]);
        }
    }

    @Override
    long[] sortedWords() {
        long[] pairs = collect(0);
        sortPairs(pairs, new long[pairs.length], 0, pairs.length / 2);
        return pairs;
    }

    /**
     * Sorts pairs [from, to) of {@code pairs} (pair i at 2i, 2i + 1) by their first element, a
     * level-0 index below 2^58 (so signed order is unsigned order); a merge sort, stable and
     * O(n log n) whatever the order of the table.
     */
    private static void sortPairs(long[] pairs, long[] scratch, int from, int to) {
        if (to - from < 2) {
            return;
        }
        int mid = (from + to) >>> 1;
        sortPairs(pairs, scratch, from, mid);
        sortPairs(pairs, scratch, mid, to);
        if (pairs[2 * (mid - 1)] <= pairs[2 * mid]) {
            return; // already in order
        }
        System.arraycopy(pairs, 2 * from, scratch, 2 * from, 2 * (to - from));
        int left = from;
        int right = mid;
        for (int out = from; out < to; out++) {
            int take = right >= to || (left < mid && scratch[2 * left] <= scratch[2 * right]) ? left++ : right++;
            pairs[2 * out] = scratch[2 * take];
            pairs[2 * out + 1] = scratch[2 * take + 1];
        }
    }

    /** Returns the words of one level as pairs [index, value, ...]: a copy, to allow writes while visiting. */
    private long[] collect(int level) {
        long[] pairs = new long[16];
        int n = 0;
        for (Stripe stripe : stripes) {
            synchronized (stripe) {
                for (int slot = 0; slot < stripe.keys.length; slot++) {
                    long stored = stripe.keys[slot];
                    if (stored != 0 && (int) ((stored - 1) >>> LEVEL_SHIFT) == level) {
                        if (n + 2 > pairs.length) {
                            pairs = Arrays.copyOf(pairs, pairs.length * 2);
                        }
                        pairs[n++] = (stored - 1) & ((1L << LEVEL_SHIFT) - 1);
                        pairs[n++] = stripe.values[slot];
                    }
                }
            }
        }
        return Arrays.copyOf(pairs, n);
    }

    /** Returns the number of words stored, for tests and memory checks. */
    long storedWords() {
        long n = 0;
        for (Stripe stripe : stripes) {
            synchronized (stripe) {
                n += stripe.size;
            }
        }
        return n;
    }

    /**
     * One open-addressing table: keys[slot] holds key + 1 (0 marks an empty slot; keys are below
     * 2^62), values[slot] its non-zero word. Guarded by its own monitor.
     */
    private static final class Stripe {
        long[] keys;
        long[] values;
        int size;

        Stripe(int capacity) {
            keys = new long[capacity];
            values = new long[capacity];
        }

        private int home(long hash) {
            return (int) hash & (keys.length - 1);
        }

        long get(long key, long hash) {
            int mask = keys.length - 1;
            for (int slot = home(hash); ; slot = (slot + 1) & mask) {
                long stored = keys[slot];
                if (stored == 0) {
                    return 0;
                }
                if (stored == key + 1) {
                    return values[slot];
                }
            }
        }

        /** Stores {@code value} under {@code key}; 0 removes the key. */
        void put(long key, long hash, long value) {
            int mask = keys.length - 1;
            int slot = home(hash);
            while (keys[slot] != 0 && keys[slot] != key + 1) {
                slot = (slot + 1) & mask;
            }
            if (keys[slot] != 0) {
                if (value != 0) {
                    values[slot] = value;
                } else {
                    remove(slot);
                }
            } else if (value != 0) {
                keys[slot] = key + 1;
                values[slot] = value;
                if (++size > keys.length - (keys.length >>> 2)) {
                    resize(keys.length * 2);
                }
            }
        }

        /** Empties {@code slot}, moving later entries of its probe run back into the gap. */
        private void remove(int slot) {
            int mask = keys.length - 1;
            int gap = slot;
            for (int next = (gap + 1) & mask; keys[next] != 0; next = (next + 1) & mask) {
                int home = home(hash(keys[next] - 1));
                // The entry at `next` may fill the gap if the gap lies on its probe path [home, next].
                if (((next - home) & mask) >= ((next - gap) & mask)) {
                    keys[gap] = keys[next];
                    values[gap] = values[next];
                    gap = next;
                }
            }
            keys[gap] = 0;
            values[gap] = 0;
            size--;
            if (keys.length > MIN_CAPACITY && size < keys.length >>> 3) {
                resize(keys.length / 2);
            }
        }

        private void resize(int capacity) {
            long[] oldKeys = keys;
            long[] oldValues = values;
            keys = new long[capacity];
            values = new long[capacity];
            int mask = capacity - 1;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != 0) {
                    int slot = home(hash(oldKeys[i] - 1));
                    while (keys[slot] != 0) {
                        slot = (slot + 1) & mask;
                    }
                    keys[slot] = oldKeys[i];
                    values[slot] = oldValues[i];
                }
            }
        }
    }
}
