package io.github.clusterip.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/*
 * Lets mutations of an allocator run in parallel while keeping an exact, linearizable count of
 * allocated addresses, and lets whole-state operations (counting, snapshots, restores, the
 * full-range check) run alone.
 *
 * A mutation brackets its compare-and-set on the bitmap with enter() and exit(delta). enter()
 * adds one "in flight" to a counter cell picked by the thread; exit() takes it away and adds the
 * change in allocated addresses, in one atomic add. Cells are padded to their own cache lines,
 * so threads on different cells do not contend.
 *
 * An exclusive section takes the monitor, closes the gate, and waits until no cell shows a
 * mutation in flight. A mutation that enters while the gate is closed backs out and waits on the
 * monitor. (enter() adds, then reads `closed`; the exclusive side writes `closed`, then reads
 * the cells: both are volatile, so one of them sees the other.) Inside the section nothing
 * changes the bitmap except the section itself, so the count (base plus the cells) equals the
 * bits set, at an instant that lies inside the section: that is what makes used() linearizable
 * although bits and counter are separate words.
 *
 * A cell packs its in-flight count in bits 48 and up and its share of the count below, as the
 * sum inflight * 2^48 + count, with |count| < 2^47. A cell's count can drift (one thread
 * allocates, another releases), so when an exit sees it beyond the fold limit, the cells' counts
 * are folded into the base in an exclusive section.
 *
 * estimate() reads the base and the cells without closing the gate, so that a caller polling a
 * count never holds writers off. Folds and resets move counts between the cells and the base;
 * each bumps `moves` before and after (odd while it runs), and estimate() retries if `moves`
 * changed while it read, so that it never counts a moved share twice or not at all.
 */
final class MutationGate {

    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Longs per cell: 128 bytes, so two cells never share a cache line (nor its neighbour). */
    private static final int STRIDE = 16;
    private static final long IN_FLIGHT = 1L << 48;
    private static final long HALF = 1L << 47;
    /** Default fold limit, far below the 2^47 a cell can hold. */
    static final long FOLD_LIMIT = 1L << 44;

    private final long[] cells;
    private final int cellMask;
    private final long foldLimit;
    private final Object monitor = new Object();
    private volatile boolean closed;
    /** The count not held in cells. Guarded by monitor, changed only while closed; volatile for estimate(). */
    private volatile long base;
    /** Bumped by each fold and reset before and after it moves counts: odd while one runs. */
    private volatile long moves;

    MutationGate() {
        this(FOLD_LIMIT);
    }

    MutationGate(long foldLimit) {
        this.foldLimit = foldLimit;
        int n = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 2 - 1) << 1;
        n = Math.min(64, n);
        cellMask = n - 1;
        cells = new long[(n + 1) * STRIDE]; // cell i at (i + 1) * STRIDE: none next to the array header
    }

    /** Enters a mutation; returns the cell to pass to {@link #exit}. Waits while the gate is closed. */
    int enter() {
        // Thread ids are handed out in sequence, so the threads of a pool, made one after another,
        // land on different cells (a hash would make two of them share one cell by chance).
        int cell = (((int) Thread.currentThread().getId() & cellMask) + 1) * STRIDE;
        while (true) {
            CELLS.getAndAdd(cells, cell, IN_FLIGHT);
            if (!closed) {
                return cell;
            }
            CELLS.getAndAdd(cells, cell, -IN_FLIGHT);
            synchronized (monitor) {
                // The gate closes only while the monitor is held: wait for the section to end.
            }
        }
    }

    /** Leaves a mutation that changed the count by {@code delta}. */
    void exit(int cell, long delta) {
        long after = (long) CELLS.getAndAdd(cells, cell, delta - IN_FLIGHT) + delta - IN_FLIGHT;
        if (delta != 0 && Math.abs(countOf(after)) > foldLimit) {
            runAlone(this::fold);
        }
    }

    /** Moves the cells' counts into the base; alone. */
    private void fold() {
        moves++;
        for (int c = STRIDE; c < cells.length; c += STRIDE) {
            long count = countOf((long) CELLS.getVolatile(cells, c));
            base += count;
            CELLS.getAndAdd(cells, c, -count);
        }
        moves++;
    }

    private static long countOf(long cell) {
        return cell - ((cell + HALF) >> 48) * IN_FLIGHT;
    }

    private static long inFlightOf(long cell) {
        return (cell + HALF) >> 48;
    }

    /**
     * Runs {@code action} alone: with the monitor held, the gate closed and no mutation in
     * flight, so that the state it reads or replaces is not changing. Returns its result.
     */
    <T> T callAlone(Supplier<T> action) {
        synchronized (monitor) {
            close();
            try {
                return action.get();
            } finally {
                closed = false;
            }
        }
    }

    /** {@link #callAlone} for a long result. */
    long callAloneAsLong(LongSupplier action) {
        synchronized (monitor) {
            close();
            try {
                return action.getAsLong();
            } finally {
                closed = false;
            }
        }
    }

    /** {@link #callAlone} without a result. */
    void runAlone(Runnable action) {
        callAlone(() -> {
            action.run();
            return null;
        });
    }

    /** Closes the gate and waits until no mutation is in flight. The caller holds the monitor. */
    private void close() {
        closed = true;
        for (int c = STRIDE; c < cells.length; c += STRIDE) {
            while (inFlightOf((long) CELLS.getVolatile(cells, c)) != 0) {
                Thread.onSpinWait();
            }
        }
    }

    /** The exact count; alone. */
    long count() {
        long count = base;
        for (int c = STRIDE; c < cells.length; c += STRIDE) {
            count += countOf((long) CELLS.getVolatile(cells, c));
        }
        return count;
    }

    /** Adds to the count; alone. */
    void add(long delta) {
        base += delta;
    }

    /** Sets the count (after a restore); alone. */
    void reset(long count) {
        moves++;
        for (int c = STRIDE; c < cells.length; c += STRIDE) {
            CELLS.getAndAdd(cells, c, -countOf((long) CELLS.getVolatile(cells, c)));
        }
        base = count;
        moves++;
    }

    /**
     * Returns the count without holding mutations off: exact if none runs during the call,
     * otherwise off by at most the mutations that overlap it (a mutation's bitmap change comes
     * before its count change, and the cells are read one after another). Waits only while a
     * fold or reset is moving counts, which takes a few dozen memory operations.
     */
    long estimate() {
        while (true) {
            long before = moves;
            if ((before & 1) == 0) {
                long count = base;
                for (int c = STRIDE; c < cells.length; c += STRIDE) {
                    count += countOf((long) CELLS.getVolatile(cells, c));
                }
                if (moves == before) {
                    return count;
                }
            }
            Thread.onSpinWait();
        }
    }
}
