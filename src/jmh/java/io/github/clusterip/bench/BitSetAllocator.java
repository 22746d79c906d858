package io.github.clusterip.bench;

import java.util.BitSet;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Baseline: the obvious plain-Java allocator over {@link java.util.BitSet}, with Kubernetes' band
 * behaviour. Inside a band it takes a random start, {@link BitSet#nextClearBit(int)} from there
 * (a word at a time), and wraps to the start of the band; the dynamic band first, then the static
 * band. It keeps a count per band, so it knows without scanning that a band is full. One lock
 * ({@code synchronized}) guards every call.
 */
public final class BitSetAllocator implements IndexAllocator {

    private final int max;
    private final int offset;
    private final RandomGenerator rand;
    // Guarded by this.
    private BitSet bits;
    private int used;
    private int usedDynamic;

    /**
     * Creates an empty allocator.
     *
     * @param max the number of usable indexes
     * @param offset the band offset (size of the static band), at most {@code max}
     * @param seed the seed of the random starts
     */
    public BitSetAllocator(int max, int offset, long seed) {
        this(max, offset, new SplittableRandom(seed));
    }

    /**
     * Creates an empty allocator that takes its random starts from a given source, called under
     * the allocator's lock only (for example a {@link FixedFractionRandom}, to fix the start).
     *
     * @param max the number of usable indexes
     * @param offset the band offset (size of the static band), at most {@code max}
     * @param rand the source of the random starts
     */
    public BitSetAllocator(int max, int offset, RandomGenerator rand) {
        if (max < 0 || offset < 0 || offset > max) {
            throw new IllegalArgumentException("max=" + max + ", offset=" + offset);
        }
        this.max = max;
        this.offset = offset;
        this.rand = Objects.requireNonNull(rand, "rand");
        this.bits = new BitSet(max);
    }

    @Override
    public int size() {
        return max;
    }

    @Override
    public int offset() {
        return offset;
    }

    @Override
    public synchronized int allocateNextIndex() {
        int index;
        if (usedDynamic < max - offset) {
            index = find(offset, max);
        } else if (used - usedDynamic < offset) {
            index = find(0, offset);
        } else {
            return -1;
        }
        bits.set(index);
        used++;
        if (index >= offset) {
            usedDynamic++;
        }
        return index;
    }

    /** First clear bit at or after a random start in [from, to), wrapping; the band has one. */
    private int find(int from, int to) {
        int start = from + rand.nextInt(to - from);
        int found = bits.nextClearBit(start);
        if (found < to) {
            return found;
        }
        found = bits.nextClearBit(from);
        if (found >= start) {
            throw new IllegalStateException("band [" + from + ", " + to + ") has no clear bit but its count says so");
        }
        return found;
    }

    @Override
    public synchronized boolean allocate(int index) {
        checkIndex(index);
        if (bits.get(index)) {
            return false;
        }
        bits.set(index);
        used++;
        if (index >= offset) {
            usedDynamic++;
        }
        return true;
    }

    @Override
    public synchronized boolean release(int index) {
        checkIndex(index);
        if (!bits.get(index)) {
            return false;
        }
        bits.clear(index);
        used--;
        if (index >= offset) {
            usedDynamic--;
        }
        return true;
    }

    @Override
    public synchronized boolean isAllocated(int index) {
        checkIndex(index);
        return bits.get(index);
    }

    @Override
    public synchronized int used() {
        return used;
    }

    @Override
    public byte[] snapshotBytes() {
        long[] words;
        synchronized (this) {
            words = bits.toLongArray();
        }
        return GoBigIntBytes.toBytes(words);
    }

    @Override
    public void restoreBytes(byte[] data) {
        long[] words = GoBigIntBytes.toWords(data, max);
        BitSet restored = new BitSet(max); // full capacity, so later sets never grow it
        restored.or(BitSet.valueOf(words));
        int total = restored.cardinality();
        int dynamic = offset == 0 ? total : total - restored.get(0, offset).cardinality();
        synchronized (this) {
            bits = restored;
            used = total;
            usedDynamic = dynamic;
        }
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= max) {
            throw new IndexOutOfBoundsException("index " + index + " not in [0, " + max + ")");
        }
    }
}
