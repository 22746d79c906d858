package io.github.clusterip;

import io.github.clusterip.store.KeyValueStore;
import io.github.clusterip.store.StoreLayout;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.random.RandomGenerator;

/** The options both shared allocators' builders take. Not thread-safe, like the builders. */
final class SharedOptions {
    private final KeyValueStore store;
    private String prefix = "/clusterip/";
    private StoreLayout layout = StoreLayout.BLOCKS;
    private int blockBits = SharedRange.DEFAULT_BLOCK_BITS;
    private RandomGenerator random;
    private int maxAttempts = SharedRange.DEFAULT_MAX_ATTEMPTS;

    SharedOptions(KeyValueStore store) {
        this.store = store;
    }

    void prefix(String value) {
        Objects.requireNonNull(value, "prefix");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("invalid key prefix \"\": must not be empty");
        }
        prefix = value;
    }

    void layout(StoreLayout value) {
        layout = Objects.requireNonNull(value, "layout");
    }

    void blockBits(int bits) {
        if (bits < 64 || bits > 65536 || Integer.bitCount(bits) != 1) {
            throw new IllegalArgumentException("invalid block size " + bits + ": must be a power of two from 64 to 65536");
        }
        blockBits = bits;
    }

    void seed(long seed) {
        random = new SplittableRandom(seed);
    }

    void maxAttempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("invalid attempts " + attempts + ": must be at least 1");
        }
        maxAttempts = attempts;
    }

    SharedRange open(String rangeText, int size, int offset, IntFunction<String> names) {
        // the engine draws only under its lock, so a plain generator is safe
        RandomGenerator r = random != null ? random : new SplittableRandom();
        SharedRange range = new SharedRange(store, prefix, rangeText, size, offset, layout, blockBits,
                r, maxAttempts, names);
        range.open();
        return range;
    }
}
