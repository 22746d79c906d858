package io.github.clusterip;

import io.github.clusterip.engine.BandedAllocator;
import java.math.BigInteger;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
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
 * <p>Where clusterip's rules and those of kube-apiserver's allocators differ (the IPv6 cap of
 * kube-apiserver's bitmap allocator, IPv4-mapped addresses, bits beyond the range in a restored
 * snapshot), a {@link CompatibilityProfile} chosen with {@link Builder#profile} selects whose
 * rules apply; by default they are clusterip's.
 *
 * <p>For example:
 *
 * <pre>{@code
 * ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/24"));
 * allocator.allocate(IpAddress.parse("10.96.0.10"));   // a well-known address, in the static band
 * IpAddress next = allocator.allocateNext();            // from the dynamic band, 10.96.0.17 and up
 * RangeAllocation saved = allocator.snapshot();         // kube-apiserver's bytes
 * allocator.release(next);
 * ClusterIpAllocator copy = ClusterIpAllocator.fromSnapshot(saved);
 * assert copy.isAllocated(next) && copy.used() == 2;
 * }</pre>
 *
 * <p>An {@link AllocationMetrics} listener set with {@link Builder#metrics} hears of each
 * allocation, failed allocation and release, as kube-apiserver's allocator metrics count them.
 *
 * <p>This class is thread-safe, and every method but {@link #estimatedUsed()} and
 * {@link #toString()} is atomic (linearizable): it takes effect at one instant between its call
 * and its return. Threads allocate and release in parallel: each change is a compare-and-set on
 * one word of the bitmap. In ranges of up to 2<sup>24</sup> addresses that takes no lock at all;
 * in larger ones, whose bitmap is a hash table of the words in use, each word is read and
 * written under one of 64 stripe locks, held for one table look-up, so threads wait for each
 * other only when they touch words of the same stripe at the same moment. {@link #used()},
 * {@link #free()}, the band counts, {@link #allocatedAddresses()}, the snapshots and the
 * restores are exact: they hold off changes for the moment it takes to read or replace the
 * state, so a thread that calls them in a loop slows every writer down; code that polls a count
 * (metrics, dashboards, logs) should call {@link #estimatedUsed()}, which never holds writers
 * off. {@link #allocateNext()} also holds changes off when the dynamic band looks full, to check
 * that it is. {@link #isAllocated(IpAddress)} never waits for other calls (beyond a stripe lock
 * in the large ranges).
 *
 * <p>With the default random source each thread draws its random starts from
 * {@link ThreadLocalRandom}; a seeded or given {@link RandomGenerator} is called under a lock of
 * its own, so it need not be thread-safe, but it must not be shared with other code, and it must
 * not call back into the allocator: it is called while the allocator is in the middle of a
 * change, and a call back would wait for that change to end, for ever.
 *
 * <p>The state is a bitmap of one bit per usable address with summary levels of full words
 * above it, so that finding a free address costs a bounded number of word operations at any
 * fill level. Ranges of up to 2<sup>24</sup> addresses keep it in arrays (a {@code /12} takes
 * about 130 KiB); larger ones (IPv4 {@code /7} and wider, IPv6 {@code /103} to {@code /64})
 * keep only the words that have an address allocated, so memory grows with the addresses
 * allocated, not with the range. Any IPv4 CIDR and any IPv6 CIDR of {@code /64} or longer is
 * accepted.
 */
public final class ClusterIpAllocator {

    /**
     * Kubernetes' shortest IPv6 service CIDR prefix: /64, whose 2^64 addresses fill the 64 bits
     * of an index.
     */
    static final int MAX_HOST_BITS = 64;
    /**
     * The default most heap, in bytes, that a restore may build: 64 MiB. See
     * {@link Builder#maxRestoreBytes(long)}.
     */
    public static final long DEFAULT_MAX_RESTORE_BYTES = 64L << 20;

    /** kube-apiserver's bitmap allocator caps an IPv6 block at this many addresses. */
    private static final long BITMAP_BLOCK_CAP = 1L << 16;

    private final ServiceCidr cidr;
    private final ScanStrategy strategy;
    private final CompatibilityProfile profile;
    /** Whether an IPv4-mapped IPv6 address stands for the IPv4 address in an IPv4 range. */
    private final boolean unmap;
    /** Whether the profile allocates fewer addresses than the CIDR has usable (the bitmap cap). */
    private final boolean capped;
    /** The most heap a restore may build, in bytes. */
    private final long maxRestoreBytes;
    /** The engine, over the usable addresses: index k is address network + 1 + k. */
    private final BandedAllocator engine;
    /** The metrics listener; {@link AllocationMetrics#NONE} when none was set. */
    private final AllocationMetrics metrics;
    /** Whether a listener was set: the only test on the hot path when none was. */
    private final boolean measured;

    private ClusterIpAllocator(Builder builder) {
        this.cidr = builder.cidr;
        this.strategy = builder.strategy;
        this.profile = builder.profile;
        this.unmap = profile != CompatibilityProfile.CLUSTERIP && cidr.family() == IpFamily.IPV4;
        this.maxRestoreBytes = builder.maxRestoreBytes;
        long size = builder.cidr.usableIndexes();
        if (profile == CompatibilityProfile.KUBE_APISERVER_BITMAP && cidr.family() == IpFamily.IPV6
                && cidr.hostBits() > 16) {
            size = BITMAP_BLOCK_CAP - 1; // the capped block, less the network address
        }
        this.capped = size != builder.cidr.usableIndexes();
        long offset = builder.cidr.bandOffset();
        long staticSize = Long.compareUnsigned(size, offset) < 0 ? size : offset;
        RandomGenerator random = builder.random.forAllocator();
        this.engine = new BandedAllocator(size, staticSize, builder.strategy, random);
        this.metrics = builder.metrics;
        this.measured = metrics != AllocationMetrics.NONE;
    }

    /**
     * Returns an allocator for {@code cidr} with Kubernetes' random scan strategy and an unseeded
     * random source.
     *
     * @param cidr the range to allocate from: any IPv4 CIDR, or an IPv6 CIDR of /64 or longer
     * @return an empty allocator
     * @throws IllegalArgumentException if {@code cidr} is an IPv6 CIDR shorter than /64
     * @throws NullPointerException if {@code cidr} is null
     */
    public static ClusterIpAllocator create(ServiceCidr cidr) {
        return builder(cidr).build();
    }

    /**
     * Returns a builder for an allocator over {@code cidr}, to choose its options.
     *
     * @param cidr the range to allocate from: any IPv4 CIDR, or an IPv6 CIDR of /64 or longer
     * @return a new builder
     * @throws IllegalArgumentException if {@code cidr} is an IPv6 CIDR shorter than /64
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
     * @throws IllegalArgumentException if the snapshot's range is not a valid CIDR for an
     *     allocator, or its data has bits beyond the range
     * @throws UnsupportedOperationException if the range has more than 2<sup>24</sup> addresses
     *     (see {@link #snapshot()})
     * @throws NullPointerException if {@code snapshot} is null
     */
    public static ClusterIpAllocator fromSnapshot(RangeAllocation snapshot) {
        return fromSnapshot(snapshot, options -> { });
    }

    /**
     * Returns an allocator for the range of a snapshot, holding the snapshot's allocations, with
     * the options that {@code options} sets on a builder for that range: for example
     * {@code fromSnapshot(snapshot, b -> b.seed(42))}.
     *
     * @param snapshot a snapshot, for example one read from kube-apiserver's storage
     * @param options sets options on the builder, which is already for the snapshot's range
     * @return a new allocator holding the snapshot's state
     * @throws IllegalArgumentException if the snapshot's range is not a valid CIDR for an
     *     allocator, its data has bits beyond the range, or the options are invalid
     * @throws UnsupportedOperationException if the range has more than 2<sup>24</sup> addresses
     *     (see {@link #snapshot()})
     * @throws NullPointerException if an argument is null
     */
    public static ClusterIpAllocator fromSnapshot(RangeAllocation snapshot, Consumer<? super Builder> options) {
        Objects.requireNonNull(options, "options");
        Builder builder = builder(rangeOf(snapshot));
        options.accept(builder);
        ClusterIpAllocator allocator = builder.build();
        allocator.restore(snapshot);
        return allocator;
    }

    /**
     * Returns an allocator for the range of a {@linkplain #compactSnapshot() compact snapshot},
     * holding its allocations, with the default options.
     *
     * @param data a compact snapshot
     * @return a new allocator holding the snapshot's state
     * @throws IllegalArgumentException if {@code data} is not a valid compact snapshot (the
     *     message starts {@code "invalid compact snapshot: "} and says what is wrong), or would
     *     take more memory than the default restore limit (see {@link #restoreCompact(byte[])})
     * @throws NullPointerException if {@code data} is null
     */
    public static ClusterIpAllocator fromCompactSnapshot(byte[] data) {
        return fromCompactSnapshot(data, options -> { });
    }

    /**
     * Returns an allocator for the range of a {@linkplain #compactSnapshot() compact snapshot},
     * holding its allocations, with the options that {@code options} sets on a builder for that
     * range: for example {@code fromCompactSnapshot(data, b -> b.maxRestoreBytes(1L << 30))} to
     * accept a snapshot larger than the default limit.
     *
     * @param data a compact snapshot
     * @param options sets options on the builder, which is already for the snapshot's range
     * @return a new allocator holding the snapshot's state
     * @throws IllegalArgumentException if {@code data} is not a valid compact snapshot (the
     *     message starts {@code "invalid compact snapshot: "} and says what is wrong), or would
     *     take more memory than the restore limit (see {@link #restoreCompact(byte[])})
     * @throws NullPointerException if an argument is null
     */
    public static ClusterIpAllocator fromCompactSnapshot(byte[] data, Consumer<? super Builder> options) {
        Objects.requireNonNull(options, "options");
        CompactSnapshot.Decoded decoded = CompactSnapshot.decode(data);
        Builder builder = builder(decoded.cidr());
        options.accept(builder);
        ClusterIpAllocator allocator = builder.build();
        allocator.restore(decoded);
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
     * Returns whose rules this allocator follows where clusterip and Kubernetes differ.
     *
     * @return the compatibility profile
     */
    public CompatibilityProfile profile() {
        return profile;
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
     * <p>Threads allocate in parallel. When the dynamic band looks full, the call checks again
     * with other changes held off for a moment, so a free address is never missed.
     *
     * @return the allocated address
     * @throws RangeFullException if every usable address is allocated ({@code "range is full"})
     * @throws IllegalStateException if a random source given to the builder returns a value
     *     outside the bound it was asked for; nothing is allocated
     */
    public IpAddress allocateNext() {
        if (measured) {
            return allocateNextMeasured();
        }
        long index = engine.allocateNext();
        if (index == -1) {
            throw new RangeFullException(cidr);
        }
        return cidr.addressAt(index);
    }

    /** {@link #allocateNext()} with a listener: kube-apiserver's dynamic-scope metrics. */
    private IpAddress allocateNextMeasured() {
        long start = System.nanoTime();
        long index;
        try {
            index = engine.allocateNext();
        } catch (IllegalStateException e) {
            metrics.addressAllocationFailed(cidr, AllocationMetrics.Scope.DYNAMIC);
            throw e;
        }
        if (index == -1) {
            metrics.addressAllocationFailed(cidr, AllocationMetrics.Scope.DYNAMIC);
            throw new RangeFullException(cidr);
        }
        long nanos = System.nanoTime() - start;
        reportAllocated(AllocationMetrics.Scope.DYNAMIC, nanos);
        return cidr.addressAt(index);
    }

    /** Tells the listener of an allocation, with the counts read just after it. */
    private void reportAllocated(AllocationMetrics.Scope scope, long nanos) {
        long used = engine.estimatedUsed();
        metrics.addressAllocated(cidr, scope, used, freeOf(used), nanos);
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
        if (!tryAllocate(address)) {
            throw new IpAlreadyAllocatedException(address, cidr);
        }
    }

    /**
     * Allocates the given address if it is free, and tells whether it did: the same as
     * {@link #allocate(IpAddress)}, but an address that is already allocated is reported by the
     * result rather than by an exception.
     *
     * @param address a usable address of this range
     * @return true if the address was free and is now allocated, false if it was already allocated
     * @throws IpNotInRangeException if {@code address} is not a usable address of this range (of
     *     the other family, outside the CIDR, or its network or IPv4 broadcast address)
     * @throws NullPointerException if {@code address} is null
     */
    public boolean tryAllocate(IpAddress address) {
        if (measured) {
            return tryAllocateMeasured(address);
        }
        long index = indexOf(address);
        if (index == -1) {
            throw new IpNotInRangeException(address, cidr);
        }
        return engine.allocate(index);
    }

    /** {@link #tryAllocate(IpAddress)} with a listener: kube-apiserver's static-scope metrics. */
    private boolean tryAllocateMeasured(IpAddress address) {
        long index = indexOf(address);
        if (index == -1) {
            metrics.addressAllocationFailed(cidr, AllocationMetrics.Scope.STATIC);
            throw new IpNotInRangeException(address, cidr);
        }
        long start = System.nanoTime();
        if (!engine.allocate(index)) {
            metrics.addressAllocationFailed(cidr, AllocationMetrics.Scope.STATIC);
            return false;
        }
        long nanos = System.nanoTime() - start;
        reportAllocated(AllocationMetrics.Scope.STATIC, nanos);
        return true;
    }

    /** The index of a usable address of this allocator, or -1; the profile's rules applied. */
    private long indexOf(IpAddress address) {
        if (unmap && address.family() == IpFamily.IPV6 && address.high() == 0 && (address.low() >>> 32) == 0xFFFF) {
            address = IpAddress.ipv4(address.low() & 0xFFFF_FFFFL);
        }
        long index = cidr.indexOf(address);
        return capped && Long.compareUnsigned(index, engine.size()) >= 0 ? -1 : index;
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
        long index = indexOf(address);
        if (index == -1) {
            return false;
        }
        if (!engine.release(index)) {
            return false;
        }
        if (measured) {
            long used = engine.estimatedUsed();
            metrics.addressReleased(cidr, used, freeOf(used));
        }
        return true;
    }

    /**
     * Tells whether an address is allocated. Never waits for other calls of this allocator (in
     * ranges of more than 2<sup>24</sup> addresses it takes a stripe lock for one table look-up).
     *
     * @param address the address to look up
     * @return true if {@code address} is a usable address of this range and allocated
     * @throws NullPointerException if {@code address} is null
     */
    public boolean isAllocated(IpAddress address) {
        long index = indexOf(address);
        return index != -1 && engine.isAllocated(index);
    }

    /**
     * Returns the number of allocated addresses. Exact: it holds off changes for a moment to
     * count. Code that polls the count often, for metrics or logs, should call
     * {@link #estimatedUsed()} instead, which never holds changes off.
     *
     * @return the count of allocated addresses in both bands
     */
    public long used() {
        return engine.used();
    }

    /**
     * Returns the number of allocated addresses without holding off other threads' changes: for
     * metrics, dashboards and logs that poll. Exact when no allocation or release runs during the
     * call; while some do, it may be off by up to the number of them that overlap the call (and
     * is kept between 0 and the usable count). Unlike {@link #used()} it is not atomic, and a
     * thread that calls it in a loop does not slow writers down beyond reading their counters.
     *
     * @return the count of allocated addresses, exact when nothing changes during the call
     */
    public long estimatedUsed() {
        return engine.estimatedUsed();
    }

    /**
     * Returns the number of free usable addresses. The count is exact, but where it is larger
     * than {@link Long#MAX_VALUE} (in IPv6 ranges wider than /65) this returns
     * {@code Long.MAX_VALUE}; {@link ServiceCidr#usableCount()} less {@link #used()} gives the
     * exact figure.
     *
     * <p>The Kubernetes {@linkplain CompatibilityProfile profiles} report it as their allocator's
     * {@code Free()} does: below zero with {@link CompatibilityProfile#KUBE_APISERVER_BITMAP}
     * after a restore that kept bits beyond the range, and {@code Long.MAX_VALUE} less the used
     * count for an IPv6 /64 with {@link CompatibilityProfile#KUBE_APISERVER_IPADDRESS}.
     *
     * @return the count of usable addresses not allocated, in both bands, at most
     *     {@code Long.MAX_VALUE}
     */
    public long free() {
        return freeOf(used());
    }

    /** The free count for {@code used} allocated addresses, as {@link #free()} reports it. */
    private long freeOf(long used) {
        switch (profile) {
            case KUBE_APISERVER_BITMAP:
                return engine.size() - used; // below zero when a restore kept bits beyond the range
            case KUBE_APISERVER_IPADDRESS:
                if (engine.size() < 0) { // more than Long.MAX_VALUE usable: an IPv6 /64
                    return Long.MAX_VALUE - used;
                }
                return saturated(engine.size() - used);
            default:
                return saturated(engine.size() - used);
        }
    }

    private static long saturated(long unsigned) {
        return unsigned < 0 ? Long.MAX_VALUE : unsigned;
    }

    /**
     * Returns the exact number of free usable addresses, however large: unlike {@link #free()} it
     * does not saturate, so it gives 2<sup>64</sup> - 1 for an empty IPv6 /64.
     *
     * @return the count of usable addresses not allocated, in both bands
     */
    public BigInteger exactFree() {
        return unsigned(engine.size()).subtract(unsigned(used()));
    }

    /**
     * Returns the exact number of free addresses in one band, however large.
     *
     * @param band the band to count
     * @return the count of usable addresses of {@code band} that are not allocated
     * @throws NullPointerException if {@code band} is null
     */
    public BigInteger exactFree(Band band) {
        return unsigned(bandSize(band) - used(band));
    }

    private long bandSize(Band band) {
        return band == Band.STATIC ? engine.staticSize() : engine.size() - engine.staticSize();
    }

    private static BigInteger unsigned(long value) {
        return value >= 0 ? BigInteger.valueOf(value) : BigInteger.valueOf(value).add(BigInteger.ONE.shiftLeft(64));
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
        return band == Band.STATIC ? engine.usedStatic() : engine.usedDynamic();
    }

    /**
     * Returns the number of free addresses in one band; like {@link #free()}, at most
     * {@code Long.MAX_VALUE}.
     *
     * @param band the band to count
     * @return the count of usable addresses of {@code band} that are not allocated
     * @throws NullPointerException if {@code band} is null
     */
    public long free(Band band) {
        return saturated(bandSize(band) - used(band));
    }

    /**
     * Returns the allocated addresses in ascending order, as they were at one moment during the
     * call: later changes to the allocator do not show in the stream.
     *
     * @return an ordered, sorted stream of the allocated addresses
     */
    public Stream<IpAddress> allocatedAddresses() {
        long[] words = engine.setWords();
        long count = 0;
        for (int i = 1; i < words.length; i += 2) {
            count += Long.bitCount(words[i]);
        }
        return StreamSupport.stream(new AllocatedSpliterator(words, count), false);
    }

    /**
     * Returns the state in kube-apiserver's {@link RangeAllocation} form: the canonical CIDR text
     * and the bitmap as Go's {@code big.Int.Bytes()} writes it. That form holds one bit per usable
     * address, so it is offered for ranges of up to 2<sup>24</sup> addresses (kube-apiserver
     * itself accepts at most 2<sup>20</sup>); {@link #compactSnapshot()} works for every range.
     *
     * @return a snapshot of the allocations at one moment during the call
     * @throws UnsupportedOperationException if the range has more than 2<sup>24</sup> addresses
     */
    public RangeAllocation snapshot() {
        requireDense("snapshot");
        byte[] data = engine.rangeAllocationData();
        return new RangeAllocation(cidr.toString(), data);
    }

    private void requireDense(String what) {
        if (!engine.isDense()) {
            throw new UnsupportedOperationException("cannot " + what + " a RangeAllocation of " + cidr
                    + ": its bitmap would hold " + cidr.usableCount() + " bits, and the RangeAllocation form"
                    + " is offered for ranges of up to 2^24 addresses; use the compact snapshot instead");
        }
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
     *     ({@code "the provided network does not match the current range"}), its data has a bit
     *     set beyond the usable addresses (unless the profile is
     *     {@link CompatibilityProfile#KUBE_APISERVER_BITMAP}, which keeps and counts such bits as
     *     kube-apiserver does), or the bitmap would take more than the
     *     {@linkplain Builder#maxRestoreBytes(long) restore limit} (only if it was set below the
     *     2.1 MiB that the largest such range takes)
     * @throws UnsupportedOperationException if the range has more than 2<sup>24</sup> addresses
     *     (see {@link #snapshot()})
     * @throws NullPointerException if {@code snapshot} is null
     */
    public void restore(RangeAllocation snapshot) {
        ServiceCidr other = rangeOf(snapshot);
        requireSameRange(other);
        requireDense("restore");
        boolean keep = profile == CompatibilityProfile.KUBE_APISERVER_BITMAP;
        // Bits kept as kube-apiserver keeps them count against the limit too.
        requireWithinLimit("a RangeAllocation", -1, engine.denseBytes() + (keep ? snapshot.data().length : 0), -1);
        engine.restoreRangeAllocation(snapshot.data(), cidr.toString(), "usable addresses", keep);
    }

    /**
     * Returns the state in clusterip's compact snapshot format, which works for ranges of every
     * size: a versioned header with the range, then the allocated addresses as runs of
     * consecutive addresses, then a CRC-32C checksum. Its layout is documented in the project's
     * {@code docs/snapshot-format.md}; a snapshot of n scattered addresses takes a few bytes
     * each, a run of any length a few bytes in all.
     *
     * @return the snapshot bytes, a new array
     */
    public byte[] compactSnapshot() {
        return CompactSnapshot.encodeWords(cidr, engine.setWordsForCompactSnapshot(cidr.toString()));
    }

    /**
     * Replaces the whole state with that of a {@linkplain #compactSnapshot() compact snapshot}
     * of this allocator's range. The options stay as they are. The data is checked in full
     * before anything changes: on any error the allocator keeps its state.
     *
     * <p>The heap the restored bitmap takes is worked out from the snapshot before anything is
     * built, and a snapshot that would take more than the {@linkplain Builder#maxRestoreBytes(long)
     * restore limit} (64 MiB by default) is refused, so that a few bytes of hostile input cannot
     * make the allocator build gigabytes. Ranges of up to 2<sup>24</sup> addresses take a fixed
     * amount (at most 2.1 MiB, for a /8); larger ones about 48 bytes for each 64-bit word that
     * holds an allocated address and for each summary word above full words, so 64 MiB holds
     * about 1.4 million scattered addresses, or a single run of about 88 million.
     *
     * @param data a compact snapshot
     * @throws IllegalArgumentException if {@code data} is not a valid compact snapshot (the
     *     message starts {@code "invalid compact snapshot: "} and says what is wrong), is of
     *     another range ({@code "the provided network does not match the current range"}), or
     *     would take more memory than the restore limit (the message gives both figures)
     * @throws NullPointerException if {@code data} is null
     */
    public void restoreCompact(byte[] data) {
        CompactSnapshot.Decoded decoded = CompactSnapshot.decode(data);
        requireSameRange(decoded.cidr());
        restore(decoded);
    }

    private void restore(CompactSnapshot.Decoded decoded) {
        if (Long.compareUnsigned(engine.size(), cidr.usableIndexes()) < 0) {
            long[] end = {0};
            decoded.forEachRun((start, length) -> end[0] = start + length);
            if (Long.compareUnsigned(end[0], engine.size()) > 0) {
                throw new IllegalArgumentException("cannot restore the compact snapshot of " + cidr + " into an"
                        + " allocator with the " + profile + " profile: it holds addresses past the first "
                        + engine.size() + " usable ones, the most that profile allocates in an IPv6 range");
            }
        }
        BandedAllocator.RestoreCost cost = engine.restoreCost(decoded);
        requireWithinLimit("a compact snapshot", decoded.count(), cost.bytes(), cost.words());
        engine.restore(decoded, decoded.count(), cost);
    }

    /**
     * Refuses a restore whose bitmap would take more than {@link #maxRestoreBytes}; {@code count}
     * and {@code words} are given for the message where known (else -1).
     */
    private void requireWithinLimit(String what, long count, long bytes, long words) {
        if (bytes <= maxRestoreBytes) {
            return;
        }
        throw new IllegalArgumentException("cannot restore " + what + " of " + cidr
                + (count == -1 ? "" : " holding " + Long.toUnsignedString(count) + " addresses")
                + ": its bitmap would take up to " + bytes + " bytes of heap"
                + (words == -1 ? "" : " (" + words + " stored 64-bit words)")
                + ", more than the restore limit of " + maxRestoreBytes + " bytes; if the snapshot is trusted,"
                + " raise the limit with ClusterIpAllocator.Builder.maxRestoreBytes");
    }

    private void requireSameRange(ServiceCidr other) {
        if (!other.equals(cidr)) {
            throw new IllegalArgumentException("the provided network does not match the current range: "
                    + "the snapshot is of " + other + ", this allocator of " + cidr);
        }
    }

    /**
     * Returns a short description with the range and the counts, for logs. It never holds off
     * other threads' changes: the counts are those of {@link #estimatedUsed()}, exact when nothing
     * changes during the call.
     *
     * @return for example {@code "ClusterIpAllocator[10.96.0.0/24, used=3, free=251]"}
     */
    @Override
    public String toString() {
        long used = estimatedUsed();
        return "ClusterIpAllocator[" + cidr + ", used=" + used + ", free=" + unsigned(engine.size()).subtract(unsigned(used)) + "]";
    }

    private static ServiceCidr rangeOf(RangeAllocation snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        try {
            return ServiceCidr.parse(snapshot.range());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid RangeAllocation: " + e.getMessage(), e);
        }
    }

    /** Walks the set bits of a private copy of the non-zero words, given as index/word pairs. */
    private final class AllocatedSpliterator extends Spliterators.AbstractSpliterator<IpAddress> {
        private final long[] pairs;
        private int pair;
        private long bitsLeft;

        AllocatedSpliterator(long[] pairs, long count) {
            super(count, ORDERED | DISTINCT | SORTED | NONNULL | SIZED | IMMUTABLE);
            this.pairs = pairs;
            this.bitsLeft = pairs.length > 0 ? pairs[1] : 0;
        }

        @Override
        public boolean tryAdvance(Consumer<? super IpAddress> action) {
            while (bitsLeft == 0) {
                pair += 2;
                if (pair >= pairs.length) {
                    return false;
                }
                bitsLeft = pairs[pair + 1];
            }
            long index = (pairs[pair] << 6) | Long.numberOfTrailingZeros(bitsLeft);
            bitsLeft &= bitsLeft - 1;
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
        private final RandomChoice random = new RandomChoice();
        private long maxRestoreBytes = DEFAULT_MAX_RESTORE_BYTES;
        private CompatibilityProfile profile = CompatibilityProfile.CLUSTERIP;
        private AllocationMetrics metrics = AllocationMetrics.NONE;

        private Builder(ServiceCidr cidr) {
            this.cidr = Objects.requireNonNull(cidr, "cidr");
            if (cidr.hostBits() > MAX_HOST_BITS) {
                throw new IllegalArgumentException("cannot allocate in " + cidr + ": an IPv6 service CIDR"
                        + " must be /64 or longer (its prefix is /" + cidr.prefixLength()
                        + "), as in Kubernetes, whose shortest allowed prefix length for a service CIDR is 64");
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
         * Sets the source of random starts for {@link ScanStrategy#RANDOM}. The allocator calls it
         * only under a lock of its own, so a generator used by that one allocator alone need not
         * be thread-safe. Every allocator this builder builds uses this same generator: build
         * several only if it is thread-safe. The generator must not call back into the allocator
         * (the call would wait for ever for the change in progress), and must keep to its
         * contract: a value outside the bound it was asked for makes {@code allocateNext()} throw
         * {@link IllegalStateException} and allocate nothing.
         *
         * @param random the random source
         * @return this builder
         * @throws IllegalStateException if a {@linkplain #seed(long) seed} was set: the two are
         *     alternatives, and taking the later one silently would hide a mistake
         * @throws NullPointerException if {@code random} is null
         */
        public Builder random(RandomGenerator random) {
            this.random.random(random);
            return this;
        }

        /**
         * Makes the random starts repeatable: the same seed and the same calls give the same
         * addresses. Each allocator built gets a random source of its own seeded with it.
         *
         * @param seed the seed
         * @return this builder
         * @throws IllegalStateException if a {@linkplain #random(RandomGenerator) random source}
         *     was set: the two are alternatives
         */
        public Builder seed(long seed) {
            random.seed(seed);
            return this;
        }

        /**
         * Sets the most heap, in bytes, that a restore ({@link ClusterIpAllocator#restore},
         * {@link ClusterIpAllocator#restoreCompact}, and the {@code from...Snapshot} factories) may
         * build; {@link ClusterIpAllocator#DEFAULT_MAX_RESTORE_BYTES} (64 MiB) by default. A
         * snapshot that would take more is refused before anything is built. Raise it to restore
         * trusted snapshots of very large IPv6 or IPv4 ranges with many allocated addresses; see
         * {@link ClusterIpAllocator#restoreCompact(byte[])} for what the figure covers.
         *
         * @param bytes the limit, in bytes
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is not positive
         */
        public Builder maxRestoreBytes(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("the restore limit must be a positive number of bytes, not " + bytes);
            }
            this.maxRestoreBytes = bytes;
            return this;
        }

        /**
         * Sets whose rules the allocator follows where clusterip and Kubernetes' allocators
         * differ: {@link CompatibilityProfile#CLUSTERIP} by default, or one exact to one of
         * kube-apiserver's allocators, for a simulator that must hand out only what a real cluster
         * would. The constants list every difference.
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
         * the labels and values of kube-apiserver's {@code kube_apiserver_clusterip_allocator_*}
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
        public ClusterIpAllocator build() {
            return new ClusterIpAllocator(this);
        }
    }
}
