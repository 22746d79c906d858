package io.github.clusterip;

import io.github.clusterip.engine.BandedAllocator;
import io.github.clusterip.internal.Messages;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.stream.IntStream;

/**
 * Allocates the ports of one {@link PortRange} the way kube-apiserver allocates NodePorts
 * (KEP-3668), with the same engine as {@link ClusterIpAllocator}.
 *
 * <ul>
 *   <li>{@link #allocateNext()} takes a free port from the {@linkplain PortRange#dynamicBand()
 *       dynamic band} first; only when that band is full does it take one from the
 *       {@linkplain PortRange#staticBand() static band}; when both are full it throws
 *       {@link RangeFullException}. Inside a band the {@link ScanStrategy} picks the port: by
 *       default, as Kubernetes does, the first free one at or after a random start, wrapping round
 *       inside the band.</li>
 *   <li>{@link #allocate(int)} reserves a given port of either band.</li>
 *   <li>{@link #release(int)} frees a port; releasing a free port or one outside the range does
 *       nothing and returns false, as Kubernetes does.</li>
 *   <li>{@link #snapshot()} and {@link #restore(RangeAllocation)} read and write the state in
 *       kube-apiserver's {@link RangeAllocation} form, byte for byte: the range text
 *       {@code 30000-32767} and bit k for port {@code base + k}; {@link #compactSnapshot()} writes
 *       clusterip's compact form.</li>
 * </ul>
 *
 * <p>A failed call throws and leaves the allocator exactly as it was.
 *
 * <p>For example:
 *
 * <pre>{@code
 * NodePortAllocator ports = NodePortAllocator.create(PortRange.parse("30000-32767"));
 * ports.allocate(30080);                 // a well-known port, in the static band 30000-30085
 * int next = ports.allocateNext();       // from the dynamic band, 30086-32767
 * RangeAllocation saved = ports.snapshot();
 * NodePortAllocator copy = NodePortAllocator.fromSnapshot(saved);
 * assert copy.isAllocated(next) && copy.used() == 2;
 * }</pre>
 *
 * <p>An {@link AllocationMetrics} listener set with {@link Builder#metrics} hears of each
 * allocation, failed allocation and release, as kube-apiserver's NodePort allocator metrics count
 * them.
 *
 * <p>This class is thread-safe, and every method but {@link #estimatedUsed()} and
 * {@link #toString()} is atomic (linearizable). Threads allocate and release in parallel, each
 * change a compare-and-set on one word of the bitmap, with no lock. {@link #used()}, the band
 * counts, {@link #allocatedPorts()}, the snapshots and the restores are exact: they hold off
 * changes for the moment it takes to read or replace the state; code that polls a count should
 * call {@link #estimatedUsed()}, which never does. The random source follows the same rules as
 * {@link ClusterIpAllocator}'s: a given one is called under a lock of its own, and must neither be
 * shared with other code nor call back into the allocator.
 *
 * <p>The state is a bitmap of at most 65,536 bits with summary levels above it, so finding a free
 * port costs a bounded number of word operations at any fill level; it takes about 8 KiB for the
 * whole port space.
 */
public final class NodePortAllocator {

    private final PortRange range;
    private final ScanStrategy strategy;
    private final CompatibilityProfile profile;
    /** The engine: index k is port base + k. */
    private final BandedAllocator engine;
    /** The metrics listener; {@link AllocationMetrics#NONE} when none was set. */
    private final AllocationMetrics metrics;
    /** Whether a listener was set: the only test on the hot path when none was. */
    private final boolean measured;

    private NodePortAllocator(Builder builder) {
        this.range = builder.range;
        this.strategy = builder.strategy;
        this.profile = builder.profile;
        RandomGenerator random = builder.random.forAllocator();
        this.engine = new BandedAllocator(range.size(), range.bandOffset(), strategy, random);
        this.metrics = builder.metrics;
        this.measured = metrics != AllocationMetrics.NONE;
    }

    /**
     * Returns an allocator for {@code range} with Kubernetes' random scan strategy and an unseeded
     * random source.
     *
     * @param range the ports to allocate from
     * @return an empty allocator
     * @throws NullPointerException if {@code range} is null
     */
    public static NodePortAllocator create(PortRange range) {
        return builder(range).build();
    }

    /**
     * Returns a builder for an allocator over {@code range}, to choose its options.
     *
     * @param range the ports to allocate from
     * @return a new builder
     * @throws NullPointerException if {@code range} is null
     */
    public static Builder builder(PortRange range) {
        return new Builder(range);
    }

    /**
     * Returns an allocator for the range of a snapshot, holding the snapshot's allocations, with
     * the default options.
     *
     * @param snapshot a snapshot, for example one read from kube-apiserver's storage
     * @return a new allocator holding the snapshot's state
     * @throws IllegalArgumentException if the snapshot's range is not a valid port range, or its
     *     data has bits beyond the range
     * @throws NullPointerException if {@code snapshot} is null
     */
    public static NodePortAllocator fromSnapshot(RangeAllocation snapshot) {
        return fromSnapshot(snapshot, options -> { });
    }

    /**
     * Returns an allocator for the range of a snapshot, holding the snapshot's allocations, with
     * the options that {@code options} sets on a builder for that range.
     *
     * @param snapshot a snapshot, for example one read from kube-apiserver's storage
     * @param options sets options on the builder, which is already for the snapshot's range
     * @return a new allocator holding the snapshot's state
     * @throws IllegalArgumentException if the snapshot's range is not a valid port range, or its
     *     data has bits beyond the range
     * @throws NullPointerException if an argument is null
     */
    public static NodePortAllocator fromSnapshot(RangeAllocation snapshot, Consumer<? super Builder> options) {
        Objects.requireNonNull(options, "options");
        Builder builder = builder(rangeOf(snapshot));
        options.accept(builder);
        NodePortAllocator allocator = builder.build();
        allocator.restore(snapshot);
        return allocator;
    }

    /**
     * Returns an allocator for the range of a {@linkplain #compactSnapshot() compact snapshot},
     * holding its allocations, with the default options.
     *
     * @param data a compact snapshot of a port range
     * @return a new allocator holding the snapshot's state
     * @throws IllegalArgumentException if {@code data} is not a valid compact snapshot of a port
     *     range (the message starts {@code "invalid compact snapshot: "} and says what is wrong)
     * @throws NullPointerException if {@code data} is null
     */
    public static NodePortAllocator fromCompactSnapshot(byte[] data) {
        return fromCompactSnapshot(data, options -> { });
    }

    /**
     * Returns an allocator for the range of a {@linkplain #compactSnapshot() compact snapshot},
     * holding its allocations, with the options that {@code options} sets on a builder for that
     * range.
     *
     * @param data a compact snapshot of a port range
     * @param options sets options on the builder, which is already for the snapshot's range
     * @return a new allocator holding the snapshot's state
     * @throws IllegalArgumentException if {@code data} is not a valid compact snapshot of a port
     *     range (the message starts {@code "invalid compact snapshot: "} and says what is wrong)
     * @throws NullPointerException if an argument is null
     */
    public static NodePortAllocator fromCompactSnapshot(byte[] data, Consumer<? super Builder> options) {
        Objects.requireNonNull(options, "options");
        CompactSnapshot.DecodedPorts decoded = CompactSnapshot.decodePorts(data);
        Builder builder = builder(decoded.range());
        options.accept(builder);
        NodePortAllocator allocator = builder.build();
        allocator.restore(decoded);
        return allocator;
    }

    /**
     * Returns the range this allocator allocates from.
     *
     * @return the port range
     */
    public PortRange range() {
        return range;
    }

    /**
     * Returns whose rules this allocator follows where clusterip and Kubernetes differ.
     *
     * @return the compatibility profile
     */
    public CompatibilityProfile profile() {
        return profile;
    }

    /**
     * Returns the strategy that picks ports inside a band.
     *
     * @return the scan strategy
     */
    public ScanStrategy scanStrategy() {
        return strategy;
    }

    /**
     * Allocates a free port: from the dynamic band if it has one, otherwise from the static band.
     *
     * @return the allocated port
     * @throws RangeFullException if every port of the range is allocated ({@code "range is full"})
     * @throws IllegalStateException if a random source given to the builder returns a value
     *     outside the bound it was asked for; nothing is allocated
     */
    public int allocateNext() {
        if (measured) {
            return allocateNextMeasured();
        }
        long index = engine.allocateNext();
        if (index == -1) {
            throw new RangeFullException(range);
        }
        return range.base() + (int) index;
    }

    /** {@link #allocateNext()} with a listener: kube-apiserver's dynamic-scope metrics. */
    private int allocateNextMeasured() {
        long index;
        try {
            index = engine.allocateNext();
        } catch (IllegalStateException e) {
            metrics.portAllocationFailed(range, AllocationMetrics.Scope.DYNAMIC);
            throw e;
        }
        if (index == -1) {
            metrics.portAllocationFailed(range, AllocationMetrics.Scope.DYNAMIC);
            throw new RangeFullException(range);
        }
        reportAllocated(AllocationMetrics.Scope.DYNAMIC);
        return range.base() + (int) index;
    }

    /** Tells the listener of an allocation, with the counts read just after it. */
    private void reportAllocated(AllocationMetrics.Scope scope) {
        long used = engine.estimatedUsed();
        metrics.portAllocated(range, scope, used, range.size() - used);
    }

    /**
     * Allocates the given port, which may lie in either band.
     *
     * @param port a port of this range
     * @throws PortNotInRangeException if {@code port} is not in this range
     * @throws PortAlreadyAllocatedException if {@code port} is already allocated
     */
    public void allocate(int port) {
        if (!tryAllocate(port)) {
            throw new PortAlreadyAllocatedException(port, range);
        }
    }

    /**
     * Allocates the given port if it is free, and tells whether it did: the same as
     * {@link #allocate(int)}, but a port that is already allocated is reported by the result
     * rather than by an exception.
     *
     * @param port a port of this range
     * @return true if the port was free and is now allocated, false if it was already allocated
     * @throws PortNotInRangeException if {@code port} is not in this range
     */
    public boolean tryAllocate(int port) {
        if (!range.contains(port)) {
            if (measured) {
                metrics.portAllocationFailed(range, AllocationMetrics.Scope.STATIC);
            }
            throw new PortNotInRangeException(port, range);
        }
        boolean allocated = engine.allocate(port - range.base());
        if (measured) {
            if (allocated) {
                reportAllocated(AllocationMetrics.Scope.STATIC);
            } else {
                metrics.portAllocationFailed(range, AllocationMetrics.Scope.STATIC);
            }
        }
        return allocated;
    }

    /**
     * Releases a port. Releasing a port that is free, or outside this range, changes nothing and
     * returns false, as Kubernetes does.
     *
     * @param port the port to release
     * @return true if the port was allocated and is now free
     */
    public boolean release(int port) {
        if (!range.contains(port) || !engine.release(port - range.base())) {
            return false;
        }
        if (measured) {
            long used = engine.estimatedUsed();
            metrics.portReleased(range, used, range.size() - used);
        }
        return true;
    }

    /**
     * Tells whether a port is allocated. Never waits for other calls.
     *
     * @param port the port to look up
     * @return true if {@code port} is in this range and allocated
     */
    public boolean isAllocated(int port) {
        return range.contains(port) && engine.isAllocated(port - range.base());
    }

    /**
     * Returns the number of allocated ports. Exact: it holds off changes for a moment to count.
     *
     * @return the count of allocated ports in both bands
     */
    public int used() {
        return (int) engine.used();
    }

    /**
     * Returns the number of allocated ports without holding off other threads' changes: for
     * metrics and logs that poll. Exact when no allocation or release runs during the call.
     *
     * @return the count of allocated ports, exact when nothing changes during the call
     */
    public int estimatedUsed() {
        return (int) engine.estimatedUsed();
    }

    /**
     * Returns the number of free ports. With a Kubernetes {@linkplain Builder#profile profile},
     * after a restore that kept bits beyond the range, it can go below zero, as kube-apiserver's
     * {@code Free()} does.
     *
     * @return the count of ports not allocated, in both bands
     */
    public int free() {
        return range.size() - used(); // below zero only when a restore kept bits beyond the range
    }

    /**
     * Returns the number of allocated ports in one band.
     *
     * @param band the band to count
     * @return the count of allocated ports in {@code band}
     * @throws NullPointerException if {@code band} is null
     */
    public int used(Band band) {
        Objects.requireNonNull(band, "band");
        return (int) (band == Band.STATIC ? engine.usedStatic() : engine.usedDynamic());
    }

    /**
     * Returns the number of free ports in one band.
     *
     * @param band the band to count
     * @return the count of ports of {@code band} that are not allocated
     * @throws NullPointerException if {@code band} is null
     */
    public int free(Band band) {
        int size = band == Band.STATIC ? range.bandOffset() : range.size() - range.bandOffset();
        return size - used(band);
    }

    /**
     * Returns the allocated ports in ascending order, as they were at one moment during the call.
     *
     * @return an ordered stream of the allocated ports
     */
    public IntStream allocatedPorts() {
        long[] pairs = engine.setWords();
        IntStream.Builder ports = IntStream.builder();
        for (int p = 0; p < pairs.length; p += 2) {
            long word = pairs[p + 1];
            int base = range.base() + (int) (pairs[p] << 6);
            while (word != 0) {
                ports.add(base + Long.numberOfTrailingZeros(word));
                word &= word - 1;
            }
        }
        return ports.build();
    }

    /**
     * Returns the state in kube-apiserver's {@link RangeAllocation} form: the range as
     * {@code base-last} and the bitmap as Go's {@code big.Int.Bytes()} writes it, bit k for port
     * {@code base + k}.
     *
     * @return a snapshot of the allocations at one moment during the call
     */
    public RangeAllocation snapshot() {
        return new RangeAllocation(range.toString(), engine.rangeAllocationData());
    }

    /**
     * Replaces the whole state with that of a snapshot, as kube-apiserver restores a
     * {@link RangeAllocation}. The options stay as they are. The snapshot is checked in full
     * before anything changes: on any error the allocator keeps its state.
     *
     * @param snapshot the state to restore
     * @throws IllegalArgumentException if the snapshot's range is not this allocator's
     *     ({@code "the provided port range does not match the current port range"}), or its data
     *     has a bit set beyond the range (with {@link CompatibilityProfile#CLUSTERIP}; a Kubernetes
     *     profile keeps and counts such bits as kube-apiserver does)
     * @throws NullPointerException if {@code snapshot} is null
     */
    public void restore(RangeAllocation snapshot) {
        requireSameRange(rangeOf(snapshot));
        boolean keep = profile != CompatibilityProfile.CLUSTERIP;
        if (keep && snapshot.data().length > ClusterIpAllocator.DEFAULT_MAX_RESTORE_BYTES) {
            // Kept bits are kept in memory, and counted in an int: bound them.
            throw new IllegalArgumentException("cannot restore a RangeAllocation of " + range + " with "
                    + snapshot.data().length + " bytes of data: a port range takes at most 8192, and bits beyond"
                    + " it are kept for at most " + ClusterIpAllocator.DEFAULT_MAX_RESTORE_BYTES + " bytes");
        }
        engine.restoreRangeAllocation(snapshot.data(), range.toString(), "ports", keep);
    }

    /**
     * Returns the state in clusterip's compact snapshot format (version 2, whose header holds the
     * port range; see the project's {@code docs/snapshot-format.md}).
     *
     * @return the snapshot bytes, a new array
     */
    public byte[] compactSnapshot() {
        return CompactSnapshot.encodeWords(range, engine.setWordsForCompactSnapshot(range.toString()));
    }

    /**
     * Replaces the whole state with that of a {@linkplain #compactSnapshot() compact snapshot} of
     * this allocator's range. The data is checked in full before anything changes.
     *
     * @param data a compact snapshot of a port range
     * @throws IllegalArgumentException if {@code data} is not a valid compact snapshot of a port
     *     range (the message starts {@code "invalid compact snapshot: "} and says what is wrong), or
     *     is of another range
     * @throws NullPointerException if {@code data} is null
     */
    public void restoreCompact(byte[] data) {
        CompactSnapshot.DecodedPorts decoded = CompactSnapshot.decodePorts(data);
        requireSameRange(decoded.range());
        restore(decoded);
    }

    private void restore(CompactSnapshot.DecodedPorts decoded) {
        // A dense bitmap of at most 65,536 bits: about 8 KiB, under any restore limit.
        engine.restore(decoded.runs(), decoded.runs().count(), engine.restoreCost(decoded.runs()));
    }

    private void requireSameRange(PortRange other) {
        if (!other.equals(range)) {
            throw new IllegalArgumentException("the provided port range does not match the current port range: "
                    + "the snapshot is of " + other + ", this allocator of " + range);
        }
    }

    private static PortRange rangeOf(RangeAllocation snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        try {
            return PortRange.parse(snapshot.range());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid RangeAllocation of ports " + Messages.quote(snapshot.range())
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns a short description with the range and the counts, for logs. It never holds off
     * other threads' changes.
     *
     * @return for example {@code "NodePortAllocator[30000-32767, used=3, free=2765]"}
     */
    @Override
    public String toString() {
        int used = estimatedUsed();
        return "NodePortAllocator[" + range + ", used=" + used + ", free=" + (range.size() - used) + "]";
    }

    /**
     * Chooses the options of a {@link NodePortAllocator}.
     *
     * <p>Builders are not thread-safe; the allocators they build are.
     */
    public static final class Builder {
        private final PortRange range;
        private ScanStrategy strategy = ScanStrategy.RANDOM;
        private final RandomChoice random = new RandomChoice();
        private CompatibilityProfile profile = CompatibilityProfile.CLUSTERIP;
        private AllocationMetrics metrics = AllocationMetrics.NONE;

        private Builder(PortRange range) {
            this.range = Objects.requireNonNull(range, "range");
        }

        /**
         * Sets how a port is picked inside a band; {@link ScanStrategy#RANDOM} by default.
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
         * Sets the source of random starts for {@link ScanStrategy#RANDOM}, with the rules of
         * {@link ClusterIpAllocator.Builder#random(RandomGenerator)}; {@link ThreadLocalRandom}
         * by default.
         *
         * @param random the random source
         * @return this builder
         * @throws IllegalStateException if a {@linkplain #seed(long) seed} was set
         * @throws NullPointerException if {@code random} is null
         */
        public Builder random(RandomGenerator random) {
            this.random.random(random);
            return this;
        }

        /**
         * Makes the random starts repeatable: the same seed and the same calls give the same
         * ports. Each allocator built gets a random source of its own seeded with it.
         *
         * @param seed the seed
         * @return this builder
         * @throws IllegalStateException if a {@linkplain #random(RandomGenerator) random source}
         *     was set
         */
        public Builder seed(long seed) {
            random.seed(seed);
            return this;
        }

        /**
         * Sets whose rules the allocator follows where clusterip and kube-apiserver's port
         * allocator differ: {@link CompatibilityProfile#CLUSTERIP} by default. kube-apiserver
         * has one port allocator, a bitmap, whichever address allocator it runs, so both
         * Kubernetes profiles select its one difference: a {@link NodePortAllocator#restore
         * restore} keeps and counts bits beyond the range instead of refusing them.
         *
         * @param profile the profile
         * @return this builder
         * @throws NullPointerException if {@code profile} is null
         */
        public Builder profile(CompatibilityProfile profile) {
            this.profile = Objects.requireNonNull(profile, "profile");
            return this;
        }

        /**
         * Sets the listener that hears of each allocation, failed allocation and release, with
         * the labels and values of kube-apiserver's {@code kube_apiserver_nodeport_allocator_*}
         * metrics; {@link AllocationMetrics#NONE} by default, which costs one test of a final
         * field per call. {@link AllocationMetrics} says which call sends which event, and when.
         *
         * @param metrics the listener
         * @return this builder
         * @throws NullPointerException if {@code metrics} is null
         */
        public Builder metrics(AllocationMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /**
         * Builds an empty allocator with these options. A builder may build several allocators.
         *
         * @return a new allocator
         */
        public NodePortAllocator build() {
            return new NodePortAllocator(this);
        }
    }
}
