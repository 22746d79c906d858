package io.github.clusterip.engine;

import io.github.clusterip.ScanStrategy;
import java.math.BigInteger;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/*
 * The engine: allocates the indexes of [0, size), a static band [0, staticSize) and a dynamic band
 * [staticSize, size), as kube-apiserver allocates ClusterIPs and NodePorts. Sizes and indexes are
 * unsigned 64-bit values (an IPv6 /64 has 2^64 - 1 usable addresses), so -1 is never an index and
 * stands for "none".
 *
 * allocateNext() claims a clear bit of the dynamic band first, then of the static band. Inside a
 * band the scan strategy picks the start: the band's first index, or a uniform random one, from
 * which the first clear bit at or after it is taken, wrapping round inside the band. The bitmap
 * (HierarchicalBitmap) finds that bit in a bounded number of word operations at any fill level,
 * and each change is one compare-and-set on a word, so threads allocate in parallel.
 *
 * The MutationGate counts changes and lets exact reads (counts, snapshots) and restores hold
 * changes off for a moment. A search that finds the dynamic band full while others change it may
 * have missed a bit freed meanwhile, so it is repeated with changes held off before "full" is
 * reported: a full answer is exact.
 */

/**
 * Allocates the indexes of a banded index space: thread-safe, linearizable, with flat cost at any
 * fill level. Not part of the library's API.
 */
public final class BandedAllocator {

    /** Ranges of up to this many indexes keep their bitmap in arrays; larger ones in hash tables. */
    public static final long DENSE_LIMIT = HierarchicalBitmap.DENSE_LIMIT;

    /** The number of indexes, unsigned. */
    private final long size;
    /** The static band is [0, staticSize), the dynamic band [staticSize, size). */
    private final long staticSize;
    private final boolean sequential;
    /** The caller's random source, guarded by itself; null: ThreadLocalRandom. */
    private final RandomGenerator random;
    private final MutationGate gate = new MutationGate();
    /** Replaced only by a restore, inside an exclusive section. */
    private volatile HierarchicalBitmap bits;

    /**
     * Creates an empty engine.
     *
     * @param size the number of indexes, unsigned (-1 stands for 2^64 - 1)
     * @param staticSize the size of the static band, unsigned, at most {@code size}
     * @param strategy how an index is picked inside a band
     * @param random the random source, called under a lock of its own; null for
     *     {@link ThreadLocalRandom}
     * @throws IllegalArgumentException if {@code staticSize} exceeds {@code size}
     */
    public BandedAllocator(long size, long staticSize, ScanStrategy strategy, RandomGenerator random) {
        if (Long.compareUnsigned(staticSize, size) > 0) {
            throw new IllegalArgumentException("a static band of " + Long.toUnsignedString(staticSize)
                    + " indexes does not fit in a range of " + Long.toUnsignedString(size));
        }
        this.size = size;
        this.staticSize = staticSize;
        this.sequential = strategy == ScanStrategy.SEQUENTIAL;
        this.random = random;
        this.bits = HierarchicalBitmap.create(size);
    }

    /**
     * Returns the number of indexes.
     *
     * @return the size, unsigned
     */
    public long size() {
        return size;
    }

    /**
     * Returns the size of the static band.
     *
     * @return the static band size, unsigned
     */
    public long staticSize() {
        return staticSize;
    }

    /**
     * Allocates a free index: from the dynamic band if it has one, otherwise from the static band.
     *
     * @return the index, or -1 if every index is allocated
     * @throws IllegalStateException if the caller's random source returns a value outside the
     *     bound it was asked for; nothing is allocated
     */
    public long allocateNext() {
        long index = -1;
        boolean capped = false;
        int cell = gate.enter();
        try {
            // Read inside the gate, where no restore can run: a restore that kept bits beyond the
            // range is then either wholly before this call or wholly after it.
            // Kept on the bitmap, which this reads anyway: no further volatile read on this path.
            HierarchicalBitmap map = bits;
            capped = map.beyond != 0;
            if (!capped) {
                index = claim(map, staticSize, size);
            }
        } finally {
            gate.exit(cell, index == -1 ? 0 : 1);
        }
        // As kube-apiserver, with bits kept beyond the range: full while the count, those bits
        // included, has reached the size, whatever the range itself still has free.
        return index != -1 ? index : allocateNextAlone(capped);
    }

    /**
     * allocateNext with no mutation running: an exact dynamic-then-static search; with
     * {@code capped}, none while the count has reached the size.
     */
    private long allocateNextAlone(boolean capped) {
        return gate.callAloneAsLong(() -> {
            if (capped && Long.compareUnsigned(gate.count(), size) >= 0) {
                return -1;
            }
            HierarchicalBitmap map = bits;
            long index = claim(map, staticSize, size);
            if (index == -1) {
                index = claim(map, 0, staticSize);
            }
            if (index != -1) {
                gate.add(1);
            }
            return index;
        });
    }

    /**
     * Sets a clear bit of [from, to) picked by the strategy and returns its index, or -1 if none
     * was found (the band is full, or, while other threads run, looked full).
     */
    private long claim(HierarchicalBitmap map, long from, long to) {
        if (Long.compareUnsigned(from, to) >= 0) {
            return -1;
        }
        long start = sequential ? from : from + randomBelow(to - from);
        long found = map.setFirstClear(start, to);
        return found != -1 || start == from ? found : map.setFirstClear(from, start);
    }

    /** A uniform random value in [0, bound), bound unsigned and not 0. */
    private long randomBelow(long bound) {
        if (random == null) {
            return below(ThreadLocalRandom.current(), bound);
        }
        long value;
        synchronized (random) {
            value = below(random, bound);
        }
        if (Long.compareUnsigned(value, bound) >= 0) {
            throw brokenRandom(value, bound);
        }
        return value;
    }

    /**
     * A generator of the caller's that breaks its contract: refused before anything changes,
     * rather than start the search outside the band. Out of line, so that the hot path stays small
     * enough for the compiler to inline.
     */
    private IllegalStateException brokenRandom(long value, long bound) {
        return new IllegalStateException("the random source " + random.getClass().getName() + " returned "
                + Long.toUnsignedString(value) + " when asked for a value from 0 to "
                + Long.toUnsignedString(bound - 1) + " (bound " + Long.toUnsignedString(bound)
                + "); nothing was allocated");
    }

    private static long below(RandomGenerator generator, long bound) {
        if (bound > 0 && bound <= Integer.MAX_VALUE) {
            return generator.nextInt((int) bound);
        }
        if (bound > 0) {
            return generator.nextLong(bound);
        }
        long value;
        do {
            value = generator.nextLong(); // bound >= 2^63: fewer than half of the draws are rejected
        } while (Long.compareUnsigned(value, bound) >= 0);
        return value;
    }

    /**
     * Allocates one index if it is free.
     *
     * @param index an index below {@link #size()}, unsigned
     * @return true if it was free and is now allocated
     */
    public boolean allocate(long index) {
        boolean set = false;
        int cell = gate.enter();
        try {
            set = bits.set(index);
        } finally {
            gate.exit(cell, set ? 1 : 0);
        }
        return set;
    }

    /**
     * Frees one index.
     *
     * @param index an index below {@link #size()}, unsigned
     * @return true if it was allocated and is now free
     */
    public boolean release(long index) {
        boolean cleared = false;
        int cell = gate.enter();
        try {
            cleared = bits.clear(index);
        } finally {
            gate.exit(cell, cleared ? -1 : 0);
        }
        return cleared;
    }

    /**
     * Tells whether an index is allocated, without waiting for other calls.
     *
     * @param index an index below {@link #size()}, unsigned
     * @return true if it is allocated
     */
    public boolean isAllocated(long index) {
        return bits.get(index);
    }

    /**
     * Returns the exact number of allocated indexes, holding changes off for a moment; with the
     * allocations beyond the range that a restore kept, if any.
     *
     * @return the count, unsigned
     */
    public long used() {
        return gate.callAloneAsLong(gate::count);
    }

    /**
     * Returns the exact number of allocated indexes in the static band.
     *
     * @return the count, unsigned
     */
    public long usedStatic() {
        return gate.callAloneAsLong(() -> bits.cardinalityBelow(staticSize));
    }

    /**
     * Returns the number of allocated indexes without holding changes off, clamped to
     * {@code [0, size]}: exact when nothing changes during the call.
     *
     * @return the estimate, unsigned
     */
    public long estimatedUsed() {
        long estimate = gate.estimate();
        if (estimate < 0) {
            return 0;
        }
        long most = size + bits.beyond; // beyond is 0 but in dense ranges: no wrap
        return Long.compareUnsigned(estimate, most) > 0 ? most : estimate;
    }

    /**
     * Returns the allocated words as ascending index/word pairs (word w holds indexes 64w to
     * 64w + 63), read while nothing changes.
     *
     * @return a new array of pairs
     */
    public long[] setWords() {
        return gate.callAlone(() -> bits.setWords());
    }

    /**
     * Returns what {@link #setWords()} returns, for a compact snapshot, which cannot hold the
     * allocations a restore kept beyond the range; the check and the read are one exclusive
     * section.
     *
     * @param range the range's text, for the error message
     * @return a new array of pairs
     * @throws IllegalStateException if the state holds allocations beyond the range
     */
    public long[] setWordsForCompactSnapshot(String range) {
        long[] beyond = {0};
        long[] pairs = gate.callAlone(() -> {
            beyond[0] = bits.beyond;
            return beyond[0] != 0 ? null : bits.setWords();
        });
        if (pairs == null) {
            throw new IllegalStateException("cannot write a compact snapshot of " + range + ": it holds "
                    + beyond[0] + " allocations beyond the range, kept from a RangeAllocation as"
                    + " kube-apiserver keeps them, which the compact form cannot hold; use snapshot() to keep them");
        }
        return pairs;
    }

    /**
     * Tells whether the bitmap is held in arrays: ranges of up to {@link #DENSE_LIMIT} indexes.
     *
     * @return true for a dense bitmap
     */
    public boolean isDense() {
        return !HierarchicalBitmap.isSparse(size);
    }

    /**
     * Returns the state of a dense range as the bytes of kube-apiserver's RangeAllocation, Go's
     * {@code big.Int.Bytes()} of the bitmap, with the bits that a restore kept beyond the range
     * (see {@link #restoreRangeAllocation}); read while nothing changes.
     *
     * @return the bytes, a new array
     * @throws IllegalStateException if the bitmap is not {@linkplain #isDense() dense}
     */
    public byte[] rangeAllocationData() {
        if (!isDense()) {
            throw new IllegalStateException("a range of " + Long.toUnsignedString(size) + " indexes has no dense bitmap");
        }
        HierarchicalBitmap[] map = new HierarchicalBitmap[1];
        long[] words = gate.callAlone(() -> {
            map[0] = bits;
            return ((DenseBitmap) map[0]).copyWords();
        });
        byte[] data = BigEndianBitmap.toBytes(words);
        BigInteger beyond = map[0].beyondBits; // fixed for the life of that map
        return beyond == null ? data : BigEndianBitmap.magnitude(new BigInteger(1, data).or(beyond));
    }

    /**
     * Returns the heap that a dense bitmap of this range takes, in bytes.
     *
     * @return the figure for {@link #isDense() dense} ranges
     */
    public long denseBytes() {
        return HierarchicalBitmap.denseBytes(size);
    }

    /**
     * Works out, before anything is built, the most heap a restore of {@code runs} would take.
     *
     * @param runs the allocated indexes, as ascending runs inside {@code [0, size)}
     * @return the cost
     */
    public RestoreCost restoreCost(Runs runs) {
        if (isDense()) {
            return new RestoreCost(HierarchicalBitmap.denseBytes(size), -1);
        }
        long words = HierarchicalBitmap.storedWordsBound(size, runs);
        return new RestoreCost(HierarchicalBitmap.sparseBytes(words), words);
    }

    /**
     * The most heap a restore would take.
     *
     * @param bytes the heap, in bytes
     * @param words the 64-bit words a sparse bitmap would store, or -1 for a dense one
     */
    public record RestoreCost(long bytes, long words) {
    }

    /**
     * Replaces the whole state with the indexes of {@code runs}, with changes held off.
     *
     * @param runs the allocated indexes, as ascending, disjoint runs inside {@code [0, size)}
     * @param count the number of indexes the runs hold
     * @param cost what {@link #restoreCost(Runs)} returned for them
     */
    public void restore(Runs runs, long count, RestoreCost cost) {
        HierarchicalBitmap map = HierarchicalBitmap.create(size, !isDense(), Math.max(0, cost.words()));
        replace(HierarchicalBitmap.fromRuns(map, runs), count, 0);
    }

    /**
     * Replaces the whole state of a dense range with that of the bytes of a kube-apiserver
     * RangeAllocation, with changes held off. Bits set at or past the size are refused, or, with
     * {@code keepBeyond}, kept and counted as kube-apiserver's {@code AllocationBitmap.Restore}
     * keeps them: they take room, so that while the count has reached the size
     * {@link #allocateNext()} finds nothing, whatever the range still has free
     * ({@link #allocate(long)} and {@link #release(long)} work as ever), and
     * {@link #rangeAllocationData()} writes them back.
     *
     * @param data the bytes, big-endian, leading zero bytes allowed
     * @param range the range's text, for the error message
     * @param elements what the range holds, for the error message: "usable addresses" or "ports"
     * @param keepBeyond whether to keep bits beyond the range rather than refuse them
     * @throws IllegalArgumentException if a bit beyond the range is set and not kept
     * @throws IllegalStateException if the bitmap is not {@linkplain #isDense() dense}
     */
    public void restoreRangeAllocation(byte[] data, String range, String elements, boolean keepBeyond) {
        if (!isDense()) {
            throw new IllegalStateException("a range of " + Long.toUnsignedString(size) + " indexes has no dense bitmap");
        }
        int bitCount = (int) size;
        BigInteger beyond = null;
        if (keepBeyond) {
            BigInteger all = new BigInteger(1, data);
            if (all.bitLength() > bitCount) {
                beyond = all.shiftRight(bitCount).shiftLeft(bitCount);
                data = BigEndianBitmap.magnitude(all.xor(beyond));
            }
        }
        HierarchicalBitmap restored = HierarchicalBitmap.fromWords(size,
                BigEndianBitmap.toWords(data, bitCount, range, elements));
        long count = restored.cardinality();
        long beyondCount = beyond == null ? 0 : beyond.bitCount();
        restored.beyond = beyondCount; // published with the map, by the volatile write in replace
        restored.beyondBits = beyond;
        replace(restored, count, beyondCount);
    }

    private void replace(HierarchicalBitmap restored, long count, long beyondCount) {
        gate.runAlone(() -> {
            bits = restored;
            gate.reset(count + beyondCount);
        });
    }

    /**
     * Returns the exact number of allocated indexes in the dynamic band.
     *
     * @return the count, unsigned
     */
    public long usedDynamic() {
        return gate.callAloneAsLong(() -> gate.count() - bits.beyond - bits.cardinalityBelow(staticSize));
    }


    /**
     * The allocated indexes of a snapshot, as runs: ascending, disjoint, each of at least one.
     */
    public interface Runs {
        /**
         * Calls {@code visitor} with each run, in ascending order.
         *
         * @param visitor takes each run
         */
        void forEachRun(RunVisitor visitor);
    }

    /** Takes one run of allocated indexes. */
    public interface RunVisitor {
        /**
         * Takes the run {@code [start, start + length)}.
         *
         * @param start the first index, unsigned
         * @param length the number of indexes, unsigned, at least 1
         */
        void visit(long start, long length);
    }
}
