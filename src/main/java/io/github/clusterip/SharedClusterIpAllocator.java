package io.github.clusterip;

import io.github.clusterip.engine.BigEndianBitmap;
import io.github.clusterip.store.KeyValueStore;
import io.github.clusterip.store.StoreConflictException;
import io.github.clusterip.store.StoreLayout;
import io.github.clusterip.store.StoreUnavailableException;
import io.github.clusterip.store.StoreValueException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A ClusterIP allocator whose state lives in a {@link KeyValueStore}, so that several JVMs (on
 * several machines, through etcd) allocate from one CIDR without ever handing an address to two
 * owners.
 *
 * <p>It follows {@link ClusterIpAllocator}'s rules: the same bands, the dynamic band first and the
 * static band when it is full, the same errors ({@link RangeFullException},
 * {@link IpAlreadyAllocatedException}, {@link IpNotInRangeException}), and a
 * {@link #snapshot()} in Kubernetes' RangeAllocation bytes. The order in which free addresses are
 * picked is random, as in Kubernetes, but cannot be seeded into one sequence across JVMs.
 *
 * <p><b>Consistency.</b> Every allocation and release is one commit conditioned on the revision
 * of the key that holds its bit, together with its owner's key: it happens exactly once in the
 * store or not at all, whatever fails. Each instance keeps a view of the range that a watch keeps
 * current; the view only chooses candidates, so a stale view costs a retry, never a duplicate.
 * Queries ({@link #isAllocated}, {@link #used()}, {@link #snapshot()}) answer from the view, which
 * may lag other JVMs' latest commits by the watch's delay; {@link #refresh()} reads the store
 * now, and {@link #owner} and {@link #allocations()} always read it. After the store reported
 * lost changes, or a call failed to reach it, the view is read again before the next change.
 *
 * <p><b>Failures.</b> A call that cannot reach the store throws
 * {@link StoreUnavailableException} after the store's timeout; if it was an allocation, it may
 * have been committed: the address is then held under its owner until a repair frees it, and is
 * never handed to anyone else. A value in the store that is not this allocator's throws
 * {@link StoreValueException} naming the key, and nothing is written over it. An allocation that
 * loses the race for its key too many times in a row throws {@link StoreConflictException}.
 *
 * <p>This class is thread-safe; threads of one instance commit concurrently.
 */
public final class SharedClusterIpAllocator implements AutoCloseable {

    private final ServiceCidr cidr;
    private final SharedRange range;

    private SharedClusterIpAllocator(ServiceCidr cidr, SharedRange range) {
        this.cidr = cidr;
        this.range = range;
    }

    /**
     * Returns a builder for an allocator of {@code cidr} in {@code store}.
     *
     * @param store the store shared with the other JVMs
     * @param cidr the Service CIDR
     * @return a builder with the defaults: prefix {@code /clusterip/}, layout
     *         {@link StoreLayout#BLOCKS} of 1024 bits
     * @throws NullPointerException if an argument is null
     */
    public static Builder builder(KeyValueStore store, ServiceCidr cidr) {
        return new Builder(Objects.requireNonNull(store, "store"), Objects.requireNonNull(cidr, "cidr"));
    }

    /**
     * Returns the CIDR.
     *
     * @return the CIDR this allocator takes from
     */
    public ServiceCidr cidr() {
        return cidr;
    }

    /**
     * Returns the layout of the range in the store.
     *
     * @return the layout
     */
    public StoreLayout layout() {
        return range.layout();
    }

    /**
     * Allocates a free address, from the dynamic band first, for an owner.
     *
     * @param owner the Service it is for, recorded with it; or null to record none
     * @return the address
     * @throws RangeFullException if both bands are full (checked against a fresh read)
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if a value of the range in the store is not this allocator's
     * @throws StoreConflictException if the call lost the race for its key too many times
     */
    public IpAddress allocateNext(Owner owner) {
        int index = range.allocateNext(owner, () -> new RangeFullException(cidr));
        return addressOf(index);
    }

    /**
     * Checks what {@link #allocateNext} would do, changing nothing: a dry run. Like
     * kube-apiserver's dry run, it does not pick an address; it returns the CIDR's network address.
     *
     * @return the network address of the CIDR
     * @throws RangeFullException if the view has no free address
     */
    public IpAddress checkAllocateNext() {
        if (free() <= 0) {
            throw new RangeFullException(cidr);
        }
        return cidr.network();
    }

    /**
     * Checks what {@link #allocate} would do against the view, changing nothing: a dry run.
     *
     * @param address the address
     * @throws IpNotInRangeException if the address is not a usable address of the CIDR
     * @throws IpAlreadyAllocatedException if the view has it allocated
     */
    public void checkAllocate(IpAddress address) {
        if (range.isAllocated(indexOf(address))) {
            throw new IpAlreadyAllocatedException(address, cidr);
        }
    }

    /**
     * Allocates a given address for an owner.
     *
     * @param address the address
     * @param owner the Service it is for, recorded with it; or null to record none
     * @throws IpNotInRangeException if the address is not a usable address of the CIDR
     * @throws IpAlreadyAllocatedException if it is allocated already (checked against a fresh read)
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if the value of its block is not this allocator's
     * @throws StoreConflictException if the call lost the race for its key too many times
     */
    public void allocate(IpAddress address, Owner owner) {
        if (!range.allocate(indexOf(address), owner)) {
            throw new IpAlreadyAllocatedException(address, cidr);
        }
    }

    /**
     * Releases an address and forgets its owner.
     *
     * @param address the address
     * @return true if it was allocated; false if not, or if it is not in the CIDR
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if the value of its block is not this allocator's
     * @throws StoreConflictException if the call lost the race for its key too many times
     */
    public boolean release(IpAddress address) {
        Objects.requireNonNull(address, "address");
        int index = indexOrMinusOne(address);
        return index >= 0 && range.release(index);
    }

    /**
     * Releases an address only if it is allocated to the given owner, checked in the same commit:
     * what a repair does with an allocation it found leaked, so that it never frees an address
     * that another JVM released and allocated again meanwhile.
     *
     * @param address the address
     * @param owner the owner it must be recorded with, or null for an allocation without owner
     * @return true if it was allocated to that owner and is now released
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if the value of its block or owner is not this allocator's
     * @throws StoreConflictException if the call lost the race for its key too many times
     */
    public boolean releaseIfOwnedBy(IpAddress address, Owner owner) {
        Objects.requireNonNull(address, "address");
        int index = indexOrMinusOne(address);
        return index >= 0 && range.releaseIfOwner(index, owner);
    }

    /**
     * Tells whether an address is allocated, as the view last saw the store.
     *
     * @param address the address
     * @return true if allocated; false if free or not in the CIDR
     */
    public boolean isAllocated(IpAddress address) {
        Objects.requireNonNull(address, "address");
        int index = indexOrMinusOne(address);
        return index >= 0 && range.isAllocated(index);
    }

    /**
     * Returns the owner recorded with an allocated address, read from the store.
     *
     * @param address the address
     * @return the owner, or empty if the address is free, was allocated without one, or is not in
     *         the CIDR
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if the owner's value is not an owner
     */
    public Optional<Owner> owner(IpAddress address) {
        Objects.requireNonNull(address, "address");
        int index = indexOrMinusOne(address);
        return index < 0 ? Optional.empty() : range.owner(index);
    }

    /**
     * Returns every allocated address with its owner, read from the store now.
     *
     * @return the allocations in address order; an address allocated without an owner maps to empty
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if a value of the range is not this allocator's
     */
    public Map<IpAddress, Optional<Owner>> allocations() {
        Map<IpAddress, Optional<Owner>> result = new LinkedHashMap<>();
        range.allocations(name -> indexOf(IpAddress.parse(name))).forEach((i, o) -> result.put(addressOf(i), o));
        return result;
    }

    /**
     * Returns how many addresses are allocated, as the view last saw the store.
     *
     * @return the allocated count
     */
    public long used() {
        return range.used();
    }

    /**
     * Returns how many usable addresses are free, as the view last saw the store.
     *
     * @return the free count
     */
    public long free() {
        return range.size() - range.used();
    }

    /**
     * Returns the allocated addresses as Kubernetes' RangeAllocation, as the view last saw the store.
     *
     * @return the snapshot
     */
    public RangeAllocation snapshot() {
        return new RangeAllocation(cidr.toString(), range.bitmapBytes());
    }

    /**
     * Writes a snapshot into the range, which must be empty in the store: to move the state of
     * a {@link ClusterIpAllocator}, or of kube-apiserver, into the store. The snapshot is checked
     * as {@link ClusterIpAllocator#fromSnapshot(RangeAllocation)} checks it. No owner is recorded.
     * A range larger than 64 blocks is written in several commits.
     *
     * @param snapshot the snapshot, of this allocator's CIDR
     * @throws IllegalArgumentException if the snapshot is not of this CIDR or does not fit it
     * @throws IllegalStateException if the range holds allocations already
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreConflictException if another writer changed the range meanwhile
     */
    public void restore(RangeAllocation snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        if (!snapshot.range().equals(cidr.toString())) {
            throw new IllegalArgumentException("the provided network does not match the current range: snapshot of "
                    + snapshot.range() + ", allocator of " + cidr);
        }
        ClusterIpAllocator.fromSnapshot(snapshot);
        range.restore(BigEndianBitmap.toWords(snapshot.data(), range.size(), snapshot.range(), "usable addresses"));
    }

    /**
     * Reads the range from the store now, replacing the view.
     *
     * @throws StoreUnavailableException if the store cannot be reached
     */
    public void refresh() {
        range.refresh();
    }

    /**
     * Stops the watch. The store itself stays open: it is the caller's.
     */
    @Override
    public void close() {
        range.close();
    }

    private IpAddress addressOf(int index) {
        return cidr.network().plus(1L + index);
    }

    private int indexOf(IpAddress address) {
        int index = indexOrMinusOne(Objects.requireNonNull(address, "address"));
        if (index < 0) {
            throw new IpNotInRangeException(address, cidr);
        }
        return index;
    }

    private int indexOrMinusOne(IpAddress address) {
        if (address.family() != cidr.family() || !cidr.contains(address)) {
            return -1;
        }
        long k = address.low() - cidr.network().low() - 1;
        return k >= 0 && k < range.size() ? (int) k : -1;
    }

    /** Options of a {@link SharedClusterIpAllocator}. */
    public static final class Builder {
        private final SharedOptions options;
        private final ServiceCidr cidr;

        private Builder(KeyValueStore store, ServiceCidr cidr) {
            this.options = new SharedOptions(store);
            this.cidr = cidr;
        }

        /**
         * Sets the prefix of every key of this allocator, so that several clusters can share one
         * store. The default is {@code /clusterip/}.
         *
         * @param prefix the prefix; it should end with {@code /}
         * @return this builder
         * @throws IllegalArgumentException if the prefix is empty
         */
        public Builder prefix(String prefix) {
            options.prefix(prefix);
            return this;
        }

        /**
         * Sets the layout. Every JVM must open a range with the same layout and block size; the
         * first to open it records them, and the others are refused with
         * {@link StoreValueException} if theirs differ.
         *
         * @param layout the layout; the default is {@link StoreLayout#BLOCKS}
         * @return this builder
         */
        public Builder layout(StoreLayout layout) {
            options.layout(layout);
            return this;
        }

        /**
         * Sets the number of bits per block of the {@link StoreLayout#BLOCKS} layout.
         *
         * @param bits a power of two from 64 to 65536; the default is 1024
         * @return this builder
         * @throws IllegalArgumentException if {@code bits} is not such a power of two
         */
        public Builder blockBits(int bits) {
            options.blockBits(bits);
            return this;
        }

        /**
         * Seeds the random choice of free addresses of this instance.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            options.seed(seed);
            return this;
        }

        /**
         * Sets how many lost races for its key one call may have before it gives up with
         * {@link StoreConflictException}.
         *
         * @param attempts at least 1; the default is 64
         * @return this builder
         * @throws IllegalArgumentException if {@code attempts} is less than 1
         */
        public Builder maxAttempts(int attempts) {
            options.maxAttempts(attempts);
            return this;
        }

        /**
         * Opens the allocator: records or checks the layout, reads the range and starts the watch.
         *
         * @return the allocator
         * @throws IllegalArgumentException if the CIDR has more than 2^24 usable addresses
         * @throws StoreUnavailableException if the store cannot be reached
         * @throws StoreValueException if the range is stored with another layout or block size
         */
        public SharedClusterIpAllocator build() {
            BigInteger usable = cidr.usableCount();
            if (usable.compareTo(BigInteger.valueOf(SharedRange.MAX_SIZE)) > 0) {
                throw new IllegalArgumentException("CIDR " + cidr + " has " + usable
                        + " usable addresses; a shared allocator takes at most " + SharedRange.MAX_SIZE
                        + " (IPv4 /8, IPv6 /104)");
            }
            SharedRange range = options.open(cidr.toString(), usable.intValue(), cidr.bandOffset(),
                    k -> cidr.network().plus(1L + k).toString());
            return new SharedClusterIpAllocator(cidr, range);
        }
    }
}
