package io.github.clusterip.bench;

import java.util.random.RandomGenerator;

/**
 * A "random" source that always returns the same fixed fraction {@code f} of its range, so that an
 * allocator's random start is known in advance. Every bounded method returns
 * {@code origin + floor(f * (bound - origin))}, so the start is the same whether the allocator asks
 * for {@code nextInt(bound)}, {@code nextLong(bound)} or the two-argument forms; {@code nextLong()}
 * returns {@code f * 2^64} (as an unsigned value), {@code nextInt()} its upper 32 bits and
 * {@code nextDouble()} {@code f} itself, for allocators that scale a raw value themselves.
 *
 * <p>All bounded methods are overridden: the default ones of {@link RandomGenerator} reject and
 * retry values, which with a constant source could loop for ever.
 *
 * <p>Immutable, so thread-safe.
 */
final class FixedFractionRandom implements RandomGenerator {

    private final double fraction;
    private final long bits;

    /**
     * Creates the generator.
     *
     * @param fraction the fraction of every range to return, in [0, 1)
     */
    FixedFractionRandom(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("fraction " + fraction + " is not in [0, 1)");
        }
        this.fraction = fraction;
        // f * 2^64 as an unsigned long: the top 53 bits from the double, exact for f = k / 2^n.
        this.bits = (long) (fraction * 0x1p53) << 11;
    }

    /** Returns the fraction. */
    double fraction() {
        return fraction;
    }

    private long scale(long origin, long bound) {
        long span = bound - origin; // may overflow for very wide ranges: then use unsigned arithmetic
        long offset;
        if (span > 0) {
            offset = Math.min((long) (fraction * span), span - 1);
        } else {
            // unsigned span in [2^63, 2^64): f * span, computed as the high word of bits * span
            offset = Math.multiplyHigh(bits, span) + ((bits >> 63) & span) + ((span >> 63) & bits);
        }
        return origin + offset;
    }

    @Override
    public long nextLong() {
        return bits;
    }

    @Override
    public long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        return scale(0, bound);
    }

    @Override
    public long nextLong(long origin, long bound) {
        if (origin >= bound) {
            throw new IllegalArgumentException("bound must be greater than origin: " + origin + ", " + bound);
        }
        return scale(origin, bound);
    }

    @Override
    public int nextInt() {
        return (int) (bits >>> 32);
    }

    @Override
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        return (int) scale(0, bound);
    }

    @Override
    public int nextInt(int origin, int bound) {
        if (origin >= bound) {
            throw new IllegalArgumentException("bound must be greater than origin: " + origin + ", " + bound);
        }
        return (int) scale(origin, bound);
    }

    @Override
    public double nextDouble() {
        return fraction;
    }

    @Override
    public double nextDouble(double bound) {
        return fraction * bound;
    }

    @Override
    public double nextDouble(double origin, double bound) {
        return origin + fraction * (bound - origin);
    }

    @Override
    public float nextFloat() {
        return (float) fraction;
    }

    @Override
    public boolean nextBoolean() {
        return fraction >= 0.5;
    }

    @Override
    public String toString() {
        return "FixedFractionRandom[" + fraction + "]";
    }
}
