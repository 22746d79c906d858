package io.github.clusterip;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * A builder's choice of random source, shared by the allocators' builders: a given generator or a
 * seed, never both (taking the later one silently would hide a mistake), or neither, for
 * {@link java.util.concurrent.ThreadLocalRandom}. Not thread-safe, as builders are not.
 */
final class RandomChoice {

    private RandomGenerator random;
    private Long seed;

    void random(RandomGenerator random) {
        Objects.requireNonNull(random, "random");
        if (seed != null) {
            throw new IllegalStateException("cannot set a random source: a seed (" + seed
                    + ") is already set, and the two are alternatives");
        }
        this.random = random;
    }

    void seed(long seed) {
        if (random != null) {
            throw new IllegalStateException("cannot set seed " + seed + ": a random source ("
                    + random.getClass().getName() + ") is already set, and the two are alternatives");
        }
        this.seed = seed;
    }

    /** The generator for one allocator: the given one, a new one of the seed, or null for none. */
    RandomGenerator forAllocator() {
        return random != null ? random : seed != null ? new SplittableRandom(seed) : null;
    }
}
