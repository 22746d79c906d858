package io.github.clusterip;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Allocates Service addresses from several CIDRs of either family that can be added and removed
 * while allocating, as kube-apiserver does with ServiceCIDR objects (KEP-1880, the
 * {@code MultiCIDRServiceAllocator}), and records the {@link Owner} of every address.
 *
 * <p>SKELETON: the contract below is fixed; the bodies are being written.
 *
 * <ul>
 *   <li>{@link #allocateNext(IpFamily, Owner)} picks one ready CIDR of the family by the rule of
 *       the set's {@link CompatibilityProfile} (see {@link Builder#profile}); inside it, as in a
 *       {@link ClusterIpAllocator}, the dynamic band first, then the static band. When that CIDR
 *       is full it tries the next; when every ready CIDR of the family is full, or there is none,
 *       it throws {@link RangeFullException}.</li>
 *   <li>{@link #allocate(IpAddress, Owner)} takes a given address if any ready CIDR contains it
 *       (overlapping CIDRs included); else {@link IpNotInAnyCidrException}; a taken address,
 *       {@link IpAlreadyAllocatedException}.</li>
 *   <li>An address is allocated once in the set, whichever of several overlapping CIDRs contains
 *       it, and counts as allocated in each CIDR that contains it.</li>
 *   <li>{@link #remove(ServiceCidr)} stops new allocations in the CIDR at once. If no allocated
 *       address lies in it alone (in no other ready CIDR), it leaves the set at once; otherwise it
 *       stays, not ready, reason {@code Terminating} (see {@link ServiceCidrStatus}), until the
 *       last such address is released.</li>
 * </ul>
 *
 * <p>A failed call throws and leaves the set exactly as it was.
 *
 * <p>This class is thread-safe and every method is atomic.
 */
public final class ServiceCidrSet {

    private ServiceCidrSet() {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns a set of the given CIDRs, in that order, with the default profile
     * ({@link CompatibilityProfile#CLUSTERIP}).
     *
     * @param cidrs the CIDRs, none twice
     * @return a new set
     * @throws IllegalArgumentException if a CIDR is given twice
     */
    public static ServiceCidrSet create(ServiceCidr... cidrs) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns a builder of a set.
     *
     * @return a new builder, with no CIDR and the default profile
     */
    public static Builder builder() {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns the profile whose rules the set follows.
     *
     * @return the profile
     */
    public CompatibilityProfile profile() {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Adds a CIDR, ready at once. The addresses already allocated that it contains count in it.
     * Adding a CIDR that is terminating makes it ready again.
     *
     * @param cidr the CIDR
     * @throws IllegalArgumentException if the CIDR is in the set and ready, or the profile allows
     *         no further CIDR of its family
     */
    public void add(ServiceCidr cidr) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Removes a CIDR: it takes no new allocation from now on, and leaves the set at once if no
     * allocated address lies in it alone, else when the last of those is released.
     *
     * @param cidr the CIDR
     * @return true if the CIDR left the set at once, false if it stays as terminating
     * @throws IllegalArgumentException if the CIDR is not in the set or is already terminating
     */
    public boolean remove(ServiceCidr cidr) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns the status of every CIDR of the set, ready or terminating, in the order they were
     * added.
     *
     * @return an immutable list
     */
    public List<ServiceCidrStatus> cidrs() {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns the status of one CIDR.
     *
     * @param cidr the CIDR
     * @return its status, or empty if it is not in the set
     */
    public Optional<ServiceCidrStatus> status(ServiceCidr cidr) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns the families that have a ready CIDR, ordered by the first ready CIDR of each in the
     * order the CIDRs were added: the first is the set's primary family.
     *
     * @return an immutable list of zero, one or two families
     */
    public List<IpFamily> families() {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Allocates a free address of the family for the owner.
     *
     * @param family the family
     * @param owner the Service the address is for
     * @return the address
     * @throws RangeFullException if every ready CIDR of the family is full, or there is none
     */
    public IpAddress allocateNext(IpFamily family, Owner owner) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Allocates the given address for the owner.
     *
     * @param address the address
     * @param owner the Service the address is for
     * @throws IpNotInAnyCidrException if no ready CIDR of the set contains it as a usable address
     * @throws IpAlreadyAllocatedException if it is allocated already (its {@code cidr()} is one
     *         CIDR of the set that contains the address)
     */
    public void allocate(IpAddress address, Owner owner) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Checks what {@link #allocateNext(IpFamily, Owner)} would do, changing nothing: a dry run.
     * Like kube-apiserver's dry run, it does not pick the address; it returns the network address
     * of the CIDR it would allocate from.
     *
     * @param family the family
     * @return the network address of the CIDR the allocation would come from
     * @throws RangeFullException if the allocation would fail
     */
    public IpAddress checkAllocateNext(IpFamily family) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Checks what {@link #allocate(IpAddress, Owner)} would do, changing nothing: a dry run.
     *
     * @param address the address
     * @throws IpNotInAnyCidrException as {@code allocate} would
     * @throws IpAlreadyAllocatedException as {@code allocate} would
     */
    public void checkAllocate(IpAddress address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Releases an address, whatever its owner, in ready and terminating CIDRs alike. A
     * terminating CIDR that no allocated address depends on any more leaves the set.
     *
     * @param address the address
     * @return true if it was allocated, false if it was free or in no CIDR of the set
     */
    public boolean release(IpAddress address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Tells whether an address is allocated.
     *
     * @param address the address
     * @return true if allocated
     */
    public boolean isAllocated(IpAddress address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns the owner of an allocated address.
     *
     * @param address the address
     * @return its owner, or empty if it is free or was restored from a snapshot, which records no
     *         owner
     */
    public Optional<Owner> owner(IpAddress address) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Changes the owner of an allocated address (for repair).
     *
     * @param address the address
     * @param owner its new owner
     * @return true if the address is allocated and now has that owner, false if it is free
     */
    public boolean setOwner(IpAddress address, Owner owner) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns the addresses an owner holds, in address order (IPv4 before IPv6).
     *
     * @param owner the owner
     * @return an immutable list, empty if it holds none
     */
    public List<IpAddress> addressesOf(Owner owner) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns every allocated address in address order, with its owner where one is known.
     *
     * @return an immutable sorted map; an address without a known owner maps to empty
     */
    public Map<IpAddress, Optional<Owner>> allocations() {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns how many addresses are allocated, each once however many CIDRs contain it.
     *
     * @return the count
     */
    public long used() {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns how many addresses of a family are allocated.
     *
     * @param family the family
     * @return the count
     */
    public long used(IpFamily family) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Returns the state of one CIDR of the set in kube-apiserver's {@link RangeAllocation} form
     * (owners are not part of it).
     *
     * @param cidr a CIDR of the set
     * @return the snapshot
     * @throws IllegalArgumentException if the CIDR is not in the set
     */
    public RangeAllocation snapshot(ServiceCidr cidr) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Marks as allocated, with no known owner, every address a {@link RangeAllocation} of one CIDR
     * of the set holds; addresses allocated already keep their owner. For tools that read a
     * cluster's stored bitmaps, which record no owners.
     *
     * @param snapshot the snapshot; its range must be a CIDR of the set
     * @throws IllegalArgumentException if the snapshot is malformed or its CIDR is not in the set
     */
    public void restore(RangeAllocation snapshot) {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Builds a {@link ServiceCidrSet}. Not thread-safe; each {@link #build()} returns a new set.
     */
    public static final class Builder {

        private Builder() {
        }

        /**
         * Adds a CIDR; the set starts with the CIDRs in the order added here.
         *
         * @param cidr the CIDR
         * @return this builder
         */
        public Builder add(ServiceCidr cidr) {
            throw new UnsupportedOperationException("skeleton");
        }

        /**
         * Sets the rules: {@link CompatibilityProfile#CLUSTERIP} (default) picks, among the ready
         * CIDRs of the family, the one with the smallest share of its usable addresses allocated
         * (ties: the one added first); {@link CompatibilityProfile#KUBE_APISERVER_IPADDRESS} picks
         * them in a random order, as kube-apiserver's iteration over a Go map does;
         * {@link CompatibilityProfile#KUBE_APISERVER_BITMAP} allows one CIDR per family, as
         * kube-apiserver without ServiceCIDRs does. Each CIDR's addresses follow the profile as a
         * {@link ClusterIpAllocator} does.
         *
         * @param profile the profile
         * @return this builder
         */
        public Builder profile(CompatibilityProfile profile) {
            throw new UnsupportedOperationException("skeleton");
        }

        /**
         * Sets the scan strategy of every CIDR's allocator.
         *
         * @param strategy the strategy
         * @return this builder
         */
        public Builder scanStrategy(ScanStrategy strategy) {
            throw new UnsupportedOperationException("skeleton");
        }

        /**
         * Sets the random source (of the scans and of the kube-apiserver profile's CIDR order).
         *
         * @param random the source, not shared with other code
         * @return this builder
         */
        public Builder random(RandomGenerator random) {
            throw new UnsupportedOperationException("skeleton");
        }

        /**
         * Seeds a random source of the builder's own, for reproducible allocations.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            throw new UnsupportedOperationException("skeleton");
        }

        /**
         * Sets the listener of the allocation metrics.
         *
         * @param metrics the listener; {@link AllocationMetrics#NONE} by default
         * @return this builder
         */
        public Builder metrics(AllocationMetrics metrics) {
            throw new UnsupportedOperationException("skeleton");
        }

        /**
         * Builds the set.
         *
         * @return a new set
         * @throws IllegalArgumentException if a CIDR was added twice or the profile refuses one
         */
        public ServiceCidrSet build() {
            throw new UnsupportedOperationException("skeleton");
        }
    }
}
