package io.github.clusterip;

import java.math.BigInteger;
import java.util.Comparator;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Allocates the usable addresses of one {@link ServiceCidr} the way kube-apiserver allocates
 * Service ClusterIPs.
 *
 * <ul>
 *   <li>{@link #allocateNext()} takes a free address from the {@linkplain ServiceCidr#dynamicBand()
 *       dynamic band} first; only when that band is full does it take one from the
 *       {@linkplain ServiceCidr#staticBand() static band}; when both are full it throws
 *       {@link RangeFullException}. Inside a band the {@link ScanStrategy} picks the address:
 *       by default, as Kubernetes does, the first free one at or after a random start, wrapping
 *       round inside the band.</li>
 *   <li>{@link #allocate(IpAddress)} reserves a given usable address of either band.</li>
 *   <li>{@link #release(IpAddress)} frees an address; releasing a free or foreign address does
 *       nothing and returns false.</li>
 *   <li>{@link #snapshot()} and {@link #restore(RangeAllocation)} read and write the state in
 *       kube-apiserver's {@link RangeAllocation} form, byte for byte.</li>
 * </ul>
 *
 * <p>A failed call throws and leaves the allocator exactly as it was.
 *
 * <p>This class is thread-safe: every method is atomic (linearizable), guarded by one lock per
 * allocator. A {@link RandomGenerator} given to the {@link Builder} is only called under that
 * lock, so it need not be thread-safe itself, but it must not be shared with other code.
 *
 * <p>The state is a bitmap of one bit per usable address with a summary of full words above it,
 * so that finding a free address costs a bounded number of word operations at any fill level.
 * A {@code /12} takes about 130 KiB. This version accepts ranges of at most 2<sup>24</sup>
 * addresses (IPv4 {@code /8}, IPv6 {@code /104}).
 */
public final class ClusterIpAllocator {

    /** The largest block this version allocates in: 2^24 addresses (IPv4 /8, IPv6 /104). */
    static final int MAX_HOST_BITS = 24;

    private final ServiceCidr cidr;
    /** Usable addresses; index k is address network + 1 + k. */
    private final int size;
    /** The static band is [0, staticSize), the dynamic band [staticSize, size). */
    private final int staticSize;
    private final ScanStrategy strategy;
    private final RandomGenerator random;
    private final Object lock = new Object();

    // Guarded by lock.
    private HierarchicalBitmap bits;
    private int usedDynamic;

    private ClusterIpAllocator(Builder builder) {
        this.cidr = builder.cidr;
        this.size = builder.cidr.usableCount().intValueExact();
        this.staticSize = Math.min(builder.cidr.bandOffset(), size);
        this.strategy = builder.strategy;
        this.random = builder.random != null ? builder.random
                : builder.seed != null ? new SplittableRandom(builder.seed) : new SplittableRandom();
        this.bits = new HierarchicalBitmap(size);
    }

    /**
     * Returns an allocator for {@code cidr} with Kubernetes' random scan strategy and an unseeded
     * random source.
     *
     * @param cidr the range to allocate from
     * @return an empty allocator
     * @throws IllegalArgumentException if the range has more than 2<sup>24</sup> addresses
     * @throws NullPointerException if {@code cidr} is null
     */
    public static ClusterIpAllocator create(ServiceCidr cidr) {
        return builder(cidr).build();
    }

    /**
     * Returns a builder for an allocator over {@code cidr}, to choose its options.
     *
     * @param cidr the range to allocate from
     * @return a new builder
     * @throws IllegalArgumentException if the range has more than 2<sup>24</sup> addresses
     * @throws NullPointerException if {@code cidr} is null
     */
    public static Builder builder(ServiceCidr cidr) {
        return new Builder(cidr);
    }

    /**
     * Returns an allocator for the range of a snapshot, holding the snapshot's allocations, with
     * the default options. The same as {@code create(ServiceCidr.parse(snapshot.range()))}
     * followed by {@link #restore(RangeAllocation)}.
     *
     * @param snapshot a snapshot, for example one read from kube-apiserver's storage
     * @return a new allocator holding the snapshot's state
     * @throws IllegalArgumentException if the snapshot's range is not a valid CIDR, is too large,
     *     or its data has bits beyond the range
     * @throws NullPointerException if {@code snapshot} is null
     */
    public static ClusterIpAllocator fromSnapshot(RangeAllocation snapshot) {
        ClusterIpAllocator allocator = create(rangeOf(snapshot));
        allocator.restore(snapshot);
        return allocator;
    }

    /**
     * Returns the range this allocator allocates from.
     *
     * @return the CIDR
     */
    public ServiceCidr cidr() {
        return cidr;
    }

    /**
     * Returns the strategy that picks addresses inside a band.
     *
     * @return the scan strategy
     */
    public ScanStrategy scanStrategy() {
        return strategy;
    }

    /**
     * Allocates a free address: from the dynamic band if it has one, otherwise from the static
     * band.
     *
     * @return the allocated address
     * @throws RangeFullException if every usable address is allocated ({@code "range is full"})
     */
    public IpAddress allocateNext() {
        int index;
        synchronized (lock) {
            index = findFree();
            if (index < 0) {
                throw new RangeFullException(cidr);
            }
            bits.set(index);
            if (index >= staticSize) {
                usedDynamic++;
            }
        }
        return cidr.addressAt(index);
    }

    /** Picks a free index, dynamic band first; -1 if the range is full. Caller holds the lock. */
    private int findFree() {
        if (usedDynamic < size - staticSize) {
            return findFree(staticSize, size);
        }
        if (bits.cardinality() - usedDynamic < staticSize) {
            return findFree(0, staticSize);
        }
        return -1;
    }

    /** Picks a free index in [from, to), which has one. */
    private int findFree(int from, int to) {
        if (strategy == ScanStrategy.SEQUENTIAL) {
            return bits.nextClear(from, to);
        }
        int start = from + random.nextInt(to - from);
        int found = bits.nextClear(start, to);
        return found >= 0 ? found : bits.nextClear(from, start);
    }

    /**
     * Allocates the given address, which may lie in either band.
     *
     * @param address a usable address of this range
     * @throws IpNotInRangeException if {@code address} is not a usable address of this range (of
     *     the other family, outside the CIDR, or its network or IPv4 broadcast address)
     * @throws IpAlreadyAllocatedException if {@code address} is already allocated
     * @throws NullPointerException if {@code address} is null
     */
    public void allocate(IpAddress address) {
        int index = indexOf(address);
        if (index < 0) {
            throw new IpNotInRangeException(address, cidr);
        }
        synchronized (lock) {
            if (!bits.set(index)) {
                throw new IpAlreadyAllocatedException(address, cidr);
            }
            if (index >= staticSize) {
                usedDynamic++;
            }
        }
    }

    /**
     * Releases an address. Releasing an address that is free, or not a usable address of this
     * range, changes nothing and returns false, as Kubernetes does.
     *
     * @param address the address to release
     * @return true if the address was allocated and is now free
     * @throws NullPointerException if {@code address} is null
     */
    public boolean release(IpAddress address) {
        int index = indexOf(address);
        if (index < 0) {
            return false;
        }
        synchronized (lock) {
            if (!bits.clear(index)) {
                return false;
            }
            if (index >= staticSize) {
                usedDynamic--;
            }
            return true;
        }
    }

    /**
     * Tells whether an address is allocated.
     *
     * @param address the address to look up
     * @return true if {@code address} is a usable address of this range and allocated
     * @throws NullPointerException if {@code address} is null
     */
    public boolean isAllocated(IpAddress address) {
        int index = indexOf(address);
        if (index < 0) {
            return false;
        }
        synchronized (lock) {
            return bits.get(index);
        }
    }

    /**
     * Returns the number of allocated addresses.
     *
     * @return the count of allocated addresses in both bands
     */
    public long used() {
        synchronized (lock) {
            return bits.cardinality();
        }
    }

    /**
     * Returns the number of free usable addresses.
     *
     * @return the count of usable addresses not allocated, in both bands
     */
    public long free() {
        synchronized (lock) {
            return size - bits.cardinality();
        }
    }

    /**
     * Returns the number of allocated addresses in one band.
     *
     * @param band the band to count
     * @return the count of allocated addresses in {@code band}
     * @throws NullPointerException if {@code band} is null
     */
    public long used(Band band) {
        Objects.requireNonNull(band, "band");
        synchronized (lock) {
            return band == Band.DYNAMIC ? usedDynamic : bits.cardinality() - usedDynamic;
        }
    }

    /**
     * Returns the number of free addresses in one band.
     *
     * @param band the band to count
     * @return the count of usable addresses of {@code band} that are not allocated
     * @throws NullPointerException if {@code band} is null
     */
    public long free(Band band) {
        Objects.requireNonNull(band, "band");
        synchronized (lock) {
            return band == Band.DYNAMIC
                    ? size - staticSize - usedDynamic
                    : staticSize - (bits.cardinality() - usedDynamic);
        }
    }

    /**
     * Returns the allocated addresses in ascending order, as they were at the moment of the call:
     * later changes to the allocator do not show in the stream.
     *
     * @return an ordered, sorted stream of the allocated addresses
     */
    public Stream<IpAddress> allocatedAddresses() {
        long[] words;
        int count;
        synchronized (lock) {
            words = bits.copyWords();
            count = bits.cardinality();
        }
        return StreamSupport.stream(new AllocatedSpliterator(words, count), false);
    }

    /**
     * Returns the state in kube-apiserver's {@link RangeAllocation} form: the canonical CIDR text
     * and the bitmap as Go's {@code big.Int.Bytes()} writes it.
     *
     * @return a snapshot of the allocations at the moment of the call
     */
    public RangeAllocation snapshot() {
        long[] words;
        synchronized (lock) {
            words = bits.copyWords();
        }
        return new RangeAllocation(cidr.toString(), BigEndianBitmap.toBytes(words));
    }

    /**
     * Replaces the whole state with that of a snapshot, as kube-apiserver restores a
     * {@link RangeAllocation}. The options (strategy, random source) stay as they are.
     *
     * <p>The snapshot is checked in full before anything changes: on any error the allocator
     * keeps its state.
     *
     * @param snapshot the state to restore
     * @throws IllegalArgumentException if the snapshot's range is not this allocator's CIDR
     *     ({@code "the provided network does not match the current range"}) or its data has a bit
     *     set beyond the usable addresses
     * @throws NullPointerException if {@code snapshot} is null
     */
    public void restore(RangeAllocation snapshot) {
        ServiceCidr other = rangeOf(snapshot);
        if (!other.equals(cidr)) {
            throw new IllegalArgumentException("the provided network does not match the current range: "
                    + "the snapshot is of " + other + ", this allocator of " + cidr);
        }
        long[] words = BigEndianBitmap.toWords(snapshot.data(), size, cidr);
        HierarchicalBitmap restored = HierarchicalBitmap.fromWords(size, words);
        int dynamic = restored.cardinality() - restored.cardinalityBelow(staticSize);
        synchronized (lock) {
            bits = restored;
            usedDynamic = dynamic;
        }
    }

    /**
     * Returns a short description with the range and the counts, for logs.
     *
     * @return for example {@code "ClusterIpAllocator[10.96.0.0/24, used=3, free=251]"}
     */
    @Override
    public String toString() {
        long used = used();
        return "ClusterIpAllocator[" + cidr + ", used=" + used + ", free=" + (size - used) + "]";
    }

    private static ServiceCidr rangeOf(RangeAllocation snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        try {
            return ServiceCidr.parse(snapshot.range());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid RangeAllocation: " + e.getMessage(), e);
        }
    }

    /** Returns the index of a usable address of this range, or -1. */
    private int indexOf(IpAddress address) {
        return (int) cidr.indexOf(address); // fits: the range has at most 2^24 addresses
    }

    /** Walks the set bits of a private copy of the bitmap. */
    private final class AllocatedSpliterator extends Spliterators.AbstractSpliterator<IpAddress> {
        private final long[] words;
        private int next;

        AllocatedSpliterator(long[] words, int count) {
            super(count, ORDERED | DISTINCT | SORTED | NONNULL | SIZED | IMMUTABLE);
            this.words = words;
            this.next = HierarchicalBitmap.nextSet(words, size, 0);
        }

        @Override
        public boolean tryAdvance(Consumer<? super IpAddress> action) {
            if (next < 0) {
                return false;
            }
            int index = next;
            next = HierarchicalBitmap.nextSet(words, size, index + 1);
            action.accept(cidr.addressAt(index));
            return true;
        }

        @Override
        public Comparator<? super IpAddress> getComparator() {
            return null; // natural order
        }
    }

    /**
     * Chooses the options of a {@link ClusterIpAllocator}.
     *
     * <p>Builders are not thread-safe; the allocators they build are.
     */
    public static final class Builder {
        private final ServiceCidr cidr;
        private ScanStrategy strategy = ScanStrategy.RANDOM;
        private RandomGenerator random;
        private Long seed;

        private Builder(ServiceCidr cidr) {
            this.cidr = Objects.requireNonNull(cidr, "cidr");
            if (cidr.hostBits() > MAX_HOST_BITS) {
                throw new IllegalArgumentException("cannot allocate in " + cidr + ": it has "
                        + cidr.addressCount() + " addresses, and this version supports ranges of at most 2^"
                        + MAX_HOST_BITS + " (" + BigInteger.ONE.shiftLeft(MAX_HOST_BITS)
                        + ") addresses (IPv4 /8, IPv6 /104)");
            }
        }

        /**
         * Sets how an address is picked inside a band; {@link ScanStrategy#RANDOM} by default.
         *
         * @param strategy the scan strategy
         * @return this builder
         * @throws NullPointerException if {@code strategy} is null
         */
        public Builder scanStrategy(ScanStrategy strategy) {
            this.strategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /**
         * Sets the source of random starts for {@link ScanStrategy#RANDOM}, replacing any
         * {@linkplain #seed(long) seed} set before. The allocator calls it only under its own
         * lock, so a generator used by that one allocator alone need not be thread-safe. Every
         * allocator this builder builds uses this same generator: build several only if it is
         * thread-safe.
         *
         * @param random the random source
         * @return this builder
         * @throws NullPointerException if {@code random} is null
         */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random");
            this.seed = null;
            return this;
        }

        /**
         * Makes the random starts repeatable: the same seed and the same calls give the same
         * addresses. Each allocator built gets a random source of its own seeded with it.
         * Replaces any {@linkplain #random(RandomGenerator) random source} set before.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            this.random = null;
            return this;
        }

        /**
         * Builds an empty allocator with these options. A builder may build several allocators.
         *
         * @return a new allocator
         */
        public ClusterIpAllocator build() {
            return new ClusterIpAllocator(this);
        }
    }
}
