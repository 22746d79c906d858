package io.github.clusterip.bench;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Baseline: a faithful Java re-implementation of kube-apiserver's ClusterIP allocation bitmap,
 * {@code AllocationBitmap} with {@code randomScanStrategyWithOffset}
 * (k8s.io/kubernetes/pkg/registry/core/service/allocator/bitmap.go).
 *
 * <p>Like the Go code it keeps the bits in one bitmap plus a {@code count}, guards every call with
 * one mutex, and finds a free bit by probing one bit at a time:
 *
 * <pre>
 * if count &gt;= max: full
 * subrangeMax = max - offset
 * start = rand.Intn(subrangeMax)
 * for i in 0 until subrangeMax: at = offset + (start + i) % subrangeMax; if Bit(at) == 0: return at
 * start = rand.Intn(offset)
 * for i in 0 until offset:      at = (start + i) % offset;               if Bit(at) == 0: return at
 * full
 * </pre>
 *
 * <p>The bits are a {@code long[]} that is updated in place, so that one probe costs about what
 * Go's {@code big.Int.Bit} costs (a word load, a bounds check, a shift) and setting a bit costs
 * what Go's in-place {@code SetBit} costs. (A {@code BigInteger.setBit} would copy the whole
 * number on every allocation and make the baseline unfairly slow.) The only deviation from the Go
 * code is a guard against an empty band (kubernetes issue 115316), which the Go code avoids
 * elsewhere.
 *
 * <p>Snapshot and restore follow {@code Snapshot()} ({@code big.Int.Bytes()}) and
 * {@code Restore()} ({@code SetBytes} plus counting the bits).
 */
public final class KubernetesStrategyAllocator implements IndexAllocator {

    private final int max;
    private final int offset;
    private final RandomGenerator rand;
    // Guarded by this.
    private long[] allocated;
    private int count;

    /**
     * Creates an empty allocator.
     *
     * @param max the number of usable indexes
     * @param offset the band offset (size of the static band), at most {@code max}
     * @param seed the seed of the random starts
     */
    public KubernetesStrategyAllocator(int max, int offset, long seed) {
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
    public KubernetesStrategyAllocator(int max, int offset, RandomGenerator rand) {
        if (max < 0 || offset < 0 || offset > max) {
            throw new IllegalArgumentException("max=" + max + ", offset=" + offset);
        }
        this.max = max;
        this.offset = offset;
        this.rand = Objects.requireNonNull(rand, "rand");
        this.allocated = new long[GoBigIntBytes.wordsFor(max)];
    }

    @Override
    public int size() {
        return max;
    }

    @Override
    public int offset() {
        return offset;
    }

    /** Go: {@code AllocationBitmap.AllocateNext}. */
    @Override
    public synchronized int allocateNextIndex() {
        int next = allocateBit();
        if (next < 0) {
            return -1;
        }
        count++;
        allocated[next >>> 6] |= 1L << next;
        return next;
    }

    /** Go: {@code randomScanStrategyWithOffset.AllocateBit}. Caller holds the lock. */
    private int allocateBit() {
        if (count >= max) {
            return -1;
        }
        // size of the upper subrange, prioritized for random allocation
        int subrangeMax = max - offset;
        if (subrangeMax > 0) {
            int start = rand.nextInt(subrangeMax);
            for (int i = 0; i < subrangeMax; i++) {
                int at = offset + ((start + i) % subrangeMax);
                if (bit(at) == 0) {
                    return at;
                }
            }
        }
        if (offset > 0) {
            // subrange full, try to get the value from the first block before giving up.
            int start = rand.nextInt(offset);
            for (int i = 0; i < offset; i++) {
                int at = (start + i) % offset;
                if (bit(at) == 0) {
                    return at;
                }
            }
        }
        return -1;
    }

    /** Go: {@code big.Int.Bit}. */
    private int bit(int at) {
        return (int) (allocated[at >>> 6] >>> at) & 1;
    }

    /** Go: {@code AllocationBitmap.Allocate}. */
    @Override
    public synchronized boolean allocate(int index) {
        checkIndex(index);
        if (bit(index) == 1) {
            return false;
        }
        allocated[index >>> 6] |= 1L << index;
        count++;
        return true;
    }

    /** Go: {@code AllocationBitmap.Release}. */
    @Override
    public synchronized boolean release(int index) {
        checkIndex(index);
        if (bit(index) == 0) {
            return false;
        }
        allocated[index >>> 6] &= ~(1L << index);
        count--;
        return true;
    }

    @Override
    public synchronized boolean isAllocated(int index) {
        checkIndex(index);
        return bit(index) == 1;
    }

    @Override
    public synchronized int used() {
        return count;
    }

    /** Go: {@code AllocationBitmap.Snapshot}, that is {@code big.Int.Bytes()}. */
    @Override
    public synchronized byte[] snapshotBytes() {
        return GoBigIntBytes.toBytes(allocated);
    }

    /** Go: {@code AllocationBitmap.Restore}: {@code SetBytes} and {@code countBits}. */
    @Override
    public void restoreBytes(byte[] data) {
        long[] words = GoBigIntBytes.toWords(data, max);
        int bits = GoBigIntBytes.countBits(words);
        synchronized (this) {
            allocated = words;
            count = bits;
        }
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= max) {
            throw new IndexOutOfBoundsException("index " + index + " not in [0, " + max + ")");
        }
    }
}
