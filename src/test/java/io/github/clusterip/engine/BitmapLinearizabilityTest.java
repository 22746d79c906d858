package io.github.clusterip.engine;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Lincheck on the lock-free summary upkeep of {@link HierarchicalBitmap}, for both storages: set,
 * clear and get must be linearizable, and once the threads are done every summary bit must say
 * exactly whether its word is full ({@link Validate}).
 *
 * <p>The allocator-level {@link LinearizabilityTest} rarely makes a word full and empties it again
 * from two threads at once, which is where the summary can go stale: a thread that has just filled
 * a word reads it as full, another clears a bit of it, and the first then marks the word full in
 * the level above. Here the map is 256 bits (four words and a summary word) with all bits set
 * but two in the second word and two in the third, and the operations only touch those four, so
 * that words become full and not full all the time. Model checking switches threads at every shared
 * access, so it runs into that interleaving; a summary upkeep without its re-read of the word
 * fails the check.
 *
 * <p>The checks take minutes, so they are tagged {@code long} and run only in the build's long run
 * ({@code -Plong-tests}).
 */
@Tag("long")
class BitmapLinearizabilityTest {

    /** The bits the operations touch: two in word 1, two in word 2; every other bit stays set. */
    private static final int[] BITS = {64, 127, 128, 170};

    @Param(name = "i", gen = IntGen.class, conf = "0:3")
    public abstract static class Scenario {
        private final HierarchicalBitmap map;

        Scenario(boolean sparse) {
            map = HierarchicalBitmap.create(256, sparse);
            for (int k = 0; k < 256; k++) {
                map.set(k);
            }
            for (int k : BITS) {
                map.clear(k);
            }
        }

        /** Sets bit BITS[i]; false if it was set. */
        @Operation
        public boolean set(@Param(name = "i") int i) {
            return map.set(BITS[i]);
        }

        /** Clears bit BITS[i]; false if it was clear. */
        @Operation
        public boolean clear(@Param(name = "i") int i) {
            return map.clear(BITS[i]);
        }

        /** Reads bit BITS[i]. */
        @Operation
        public boolean get(@Param(name = "i") int i) {
            return map.get(BITS[i]);
        }

        /** After each run: the summary agrees with the words. */
        @Validate
        public void summariesAreExact() {
            if (!map.summariesExact()) {
                throw new IllegalStateException("a summary bit disagrees with its word");
            }
        }
    }

    /** The dense storage. */
    public static class Dense extends Scenario {
        /** Lincheck builds a fresh instance for each run. */
        public Dense() {
            super(false);
        }
    }

    /** The sparse storage, forced at this small size. */
    public static class Sparse extends Scenario {
        /** Lincheck builds a fresh instance for each run. */
        public Sparse() {
            super(true);
        }
    }

    private static ModelCheckingOptions modelChecking() {
        return new ModelCheckingOptions().iterations(30).invocationsPerIteration(500)
                .threads(2).actorsPerThread(4).actorsBefore(1).actorsAfter(1);
    }

    private static StressOptions stress() {
        return new StressOptions().iterations(20).invocationsPerIteration(2_000)
                .threads(3).actorsPerThread(4).actorsBefore(1).actorsAfter(1);
    }

    @Test
    void denseModelChecking() {
        modelChecking().check(Dense.class);
    }

    @Test
    void sparseModelChecking() {
        modelChecking().check(Sparse.class);
    }

    @Test
    void denseStress() {
        stress().check(Dense.class);
    }

    @Test
    void sparseStress() {
        stress().check(Sparse.class);
    }
}
