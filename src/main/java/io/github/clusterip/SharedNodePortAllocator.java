package io.github.clusterip;

import io.github.clusterip.engine.BigEndianBitmap;
import io.github.clusterip.store.KeyValueStore;
import io.github.clusterip.store.StoreConflictException;
import io.github.clusterip.store.StoreLayout;
import io.github.clusterip.store.StoreUnavailableException;
import io.github.clusterip.store.StoreValueException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A NodePort allocator whose state lives in a {@link KeyValueStore}, so that several JVMs allocate
 * from one port range without ever handing a port to two owners.
 *
 * <p>It follows {@link NodePortAllocator}'s rules (the same bands and errors:
 * {@link RangeFullException}, {@link PortAlreadyAllocatedException},
 * {@link PortNotInRangeException}) and keeps its state exactly as
 * {@link SharedClusterIpAllocator} does: see there for consistency, failures and thread-safety,
 * which are the same.
 */
public final class SharedNodePortAllocator implements AutoCloseable {

    private final PortRange ports;
    private final SharedRange range;

    private SharedNodePortAllocator(PortRange ports, SharedRange range) {
        this.ports = ports;
        this.range = range;
    }

    /**
     * Returns a builder for an allocator of {@code ports} in {@code store}.
     *
     * @param store the store shared with the other JVMs
     * @param ports the port range
     * @return a builder with the defaults: prefix {@code /clusterip/}, layout
     *         {@link StoreLayout#BLOCKS} of 1024 bits
     * @throws NullPointerException if an argument is null
     */
    public static Builder builder(KeyValueStore store, PortRange ports) {
        return new Builder(Objects.requireNonNull(store, "store"), Objects.requireNonNull(ports, "ports"));
    }

    /**
     * Returns the port range.
     *
     * @return the range this allocator takes from
     */
    public PortRange portRange() {
        return ports;
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
     * Allocates a free port, from the dynamic band first, for an owner.
     *
     * @param owner the Service it is for, recorded with it; or null to record none
     * @return the port
     * @throws RangeFullException if both bands are full (checked against a fresh read)
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if a value of the range in the store is not this allocator's
     * @throws StoreConflictException if the call lost the race for its key too many times
     */
    public int allocateNext(Owner owner) {
        return ports.base() + range.allocateNext(owner, () -> new RangeFullException(ports));
    }

    /**
     * Allocates a given port for an owner.
     *
     * @param port the port
     * @param owner the Service it is for, recorded with it; or null to record none
     * @throws PortNotInRangeException if the port is not in the range
     * @throws PortAlreadyAllocatedException if it is allocated already (checked against a fresh read)
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if the value of its block is not this allocator's
     * @throws StoreConflictException if the call lost the race for its key too many times
     */
    public void allocate(int port, Owner owner) {
        if (!ports.contains(port)) {
            throw new PortNotInRangeException(port, ports);
        }
        if (!range.allocate(port - ports.base(), owner)) {
            throw new PortAlreadyAllocatedException(port, ports);
        }
    }

    /**
     * Releases a port and forgets its owner. Releasing a port outside the range is a no-op, as in
     * Kubernetes.
     *
     * @param port the port
     * @return true if it was allocated
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if the value of its block is not this allocator's
     * @throws StoreConflictException if the call lost the race for its key too many times
     */
    public boolean release(int port) {
        return ports.contains(port) && range.release(port - ports.base());
    }

    /**
     * Releases a port only if it is allocated to the given owner, checked in the same commit; see
     * {@link SharedClusterIpAllocator#releaseIfOwnedBy}.
     *
     * @param port the port
     * @param owner the owner it must be recorded with, or null for an allocation without owner
     * @return true if it was allocated to that owner and is now released
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if the value of its block or owner is not this allocator's
     * @throws StoreConflictException if the call lost the race for its key too many times
     */
    public boolean releaseIfOwnedBy(int port, Owner owner) {
        return ports.contains(port) && range.releaseIfOwner(port - ports.base(), owner);
    }

    /**
     * Tells whether a port is allocated, as the view last saw the store.
     *
     * @param port the port
     * @return true if allocated; false if free or not in the range
     */
    public boolean isAllocated(int port) {
        return ports.contains(port) && range.isAllocated(port - ports.base());
    }

    /**
     * Returns the owner recorded with an allocated port, read from the store.
     *
     * @param port the port
     * @return the owner, or empty if the port is free, was allocated without one, or is not in
     *         the range
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if the owner's value is not an owner
     */
    public Optional<Owner> owner(int port) {
        return ports.contains(port) ? range.owner(port - ports.base()) : Optional.empty();
    }

    /**
     * Returns every allocated port with its owner, read from the store now.
     *
     * @return the allocations in port order; a port allocated without an owner maps to empty
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if a value of the range is not this allocator's
     */
    public Map<Integer, Optional<Owner>> allocations() {
        Map<Integer, Optional<Owner>> result = new LinkedHashMap<>();
        range.allocations(this::indexOfName).forEach((i, o) -> result.put(ports.base() + i, o));
        return result;
    }

    private int indexOfName(String name) {
        int port;
        try {
            port = Integer.parseInt(name);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + name + "\" is not a port number");
        }
        if (!ports.contains(port) || !Integer.toString(port).equals(name)) {
            throw new IllegalArgumentException("port " + name + " is not in " + ports);
        }
        return port - ports.base();
    }

    /**
     * Returns how many ports are allocated, as the view last saw the store.
     *
     * @return the allocated count
     */
    public long used() {
        return range.used();
    }

    /**
     * Returns how many ports are free, as the view last saw the store.
     *
     * @return the free count
     */
    public long free() {
        return range.size() - range.used();
    }

    /**
     * Returns the allocated ports as Kubernetes' RangeAllocation, as the view last saw the store.
     *
     * @return the snapshot
     */
    public RangeAllocation snapshot() {
        return new RangeAllocation(ports.toString(), range.bitmapBytes());
    }

    /**
     * Writes a snapshot into the range, which must be empty in the store: to move the state of
     * a {@link NodePortAllocator}, or of kube-apiserver, into the store. The snapshot is checked
     * as {@link NodePortAllocator#fromSnapshot(RangeAllocation)} checks it. No owner is recorded.
     *
     * @param snapshot the snapshot, of this allocator's port range
     * @throws IllegalArgumentException if the snapshot is not of this range or does not fit it
     * @throws IllegalStateException if the range holds allocations already
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreConflictException if another writer changed the range meanwhile
     */
    public void restore(RangeAllocation snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        if (!snapshot.range().equals(ports.toString())) {
            throw new IllegalArgumentException("the provided port range does not match the current port range: snapshot of "
                    + snapshot.range() + ", allocator of " + ports);
        }
        NodePortAllocator.fromSnapshot(snapshot);
        range.restore(BigEndianBitmap.toWords(snapshot.data(), range.size(), snapshot.range(), "ports"));
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

    /** Options of a {@link SharedNodePortAllocator}. */
    public static final class Builder {
        private final SharedOptions options;
        private final PortRange ports;

        private Builder(KeyValueStore store, PortRange ports) {
            this.options = new SharedOptions(store);
            this.ports = ports;
        }

        /**
         * Sets the prefix of every key of this allocator. The default is {@code /clusterip/}.
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
         * Sets the layout; see {@link SharedClusterIpAllocator.Builder#layout}.
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
         * Seeds the random choice of free ports of this instance.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            options.seed(seed);
            return this;
        }

        /**
         * Sets how many lost races one call may have before it gives up.
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
         * @throws StoreUnavailableException if the store cannot be reached
         * @throws StoreValueException if the range is stored with another layout or block size
         */
        public SharedNodePortAllocator build() {
            SharedRange range = options.open(ports.toString(), ports.size(), ports.bandOffset(),
                    k -> Integer.toString(ports.base() + k));
            return new SharedNodePortAllocator(ports, range);
        }
    }
}
