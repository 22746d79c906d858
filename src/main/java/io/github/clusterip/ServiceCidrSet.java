package io.github.clusterip;

import io.github.clusterip.AllocationMetrics.Scope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;

/**
 * Allocates Service addresses from several CIDRs of either family that can be added and removed
 * while allocating, as kube-apiserver does with ServiceCIDR objects (KEP-1880, the
 * {@code MultiCIDRServiceAllocator}), and records the {@link Owner} of every address.
 *
 * <ul>
 *   <li>{@link #allocateNext(IpFamily, Owner)} picks one ready CIDR of the family by the rule of
 *       the set's {@link CompatibilityProfile} (see {@link Builder#profile}); inside it, as in a
 *       {@link ClusterIpAllocator}, the dynamic band first, then the static band. When that CIDR
 *       is full it tries the next; when every ready CIDR of the family is full, or there is none,
 *       it throws {@link RangeFullException}.</li>
 *   <li>{@link #allocate(IpAddress, Owner)} takes a given address if any ready CIDR contains it
 *       as a usable address (overlapping CIDRs included: the network address of a small CIDR may
 *       be usable in a larger one that contains it); else {@link IpNotInAnyCidrException}; a
 *       taken address, {@link IpAlreadyAllocatedException}.</li>
 *   <li>An address is allocated once in the set, whichever of several overlapping CIDRs contains
 *       it, and counts as allocated in each CIDR, ready or terminating, that has it as a usable
 *       address.</li>
 *   <li>{@link #remove(ServiceCidr)} stops new allocations in the CIDR at once. If no allocated
 *       address lies in it alone (in no other ready CIDR), it leaves the set at once; otherwise it
 *       stays, not ready, reason {@code Terminating} (see {@link ServiceCidrStatus}), until the
 *       last such address is released, or until another CIDR added to the set covers them all.
 *       Meanwhile the caller sees it in {@link #cidrs()}, can release its addresses, and cannot
 *       allocate in it; adding it again makes it ready again.</li>
 * </ul>
 *
 * <p>For example:
 *
 * <pre>{@code
 * ServiceCidrSet set = ServiceCidrSet.create(ServiceCidr.parse("10.96.0.0/24"));
 * Owner web = new Owner("default", "web");
 * set.allocate(IpAddress.parse("10.96.0.10"), web);
 * set.add(ServiceCidr.parse("10.97.0.0/24"));                      // a second CIDR, ready at once
 * IpAddress next = set.allocateNext(IpFamily.IPV4, web);          // from 10.97.0.0/24, the emptier
 * set.remove(ServiceCidr.parse("10.96.0.0/24"));                   // stays: 10.96.0.10 lives in it
 * assert !set.status(ServiceCidr.parse("10.96.0.0/24")).orElseThrow().ready();
 * set.release(IpAddress.parse("10.96.0.10"));                     // now it leaves the set
 * assert set.cidrs().size() == 1 && set.addressesOf(web).equals(List.of(next));
 * }</pre>
 *
 * <p>An address <em>lies in</em> a CIDR, for the removal rule, as Kubernetes' ServiceCIDR
 * controller counts it ({@code servicecidr.PrefixContainsIP}): inside the block, and neither its
 * network address nor, in IPv4, its broadcast address.
 *
 * <p>Where kube-apiserver and its ServiceCIDR controller behave otherwise, and why:
 * <ul>
 *   <li>kube-apiserver tries the ready CIDRs of a family in the order of a Go map, that is at
 *       random; the default rule here is deterministic and fair (a TODO in kube-apiserver's
 *       {@code MetaAllocator} asks for one weighted by size); the
 *       {@link CompatibilityProfile#KUBE_APISERVER_IPADDRESS} profile keeps the random order.</li>
 *   <li>The controller lets a ServiceCIDR go when another ServiceCIDR, even one being deleted
 *       too, holds each of its addresses; two overlapping ServiceCIDRs deleted together can so
 *       both go and leave an address in none. Here only a ready CIDR counts, so no allocated
 *       address is ever left outside every CIDR of the set.</li>
 *   <li>The controller waits 10 seconds after the deletion before it lets a ServiceCIDR go, so
 *       that every kube-apiserver has seen it stop allocating; one set has nothing to wait for.</li>
 *   <li>kube-apiserver's dry run names the network address of some allocator without checking
 *       that it has room; {@link #checkAllocateNext(IpFamily)} names the CIDR the allocation
 *       would come from and fails as the allocation would.</li>
 * </ul>
 *
 * <p>The {@link AllocationMetrics} listener of {@link Builder#metrics} hears, as kube-apiserver's
 * per-CIDR allocators report them: {@code addressAllocated} for the CIDR an address was taken
 * from (scope {@code static} for {@code allocate}, {@code dynamic} for {@code allocateNext});
 * {@code addressAllocationFailed} for each CIDR that refused (each full CIDR that
 * {@code allocateNext} tried, the CIDR that holds an address already taken; none when no ready
 * CIDR holds the address); and {@code addressReleased} for every CIDR whose count a release
 * lowered. The dry runs report nothing.
 *
 * <p>A failed call throws and leaves the set exactly as it was.
 *
 * <p>This class is thread-safe and every method is atomic (linearizable). Every change, and
 * every read of more than one address or of a count, runs under one lock of the set;
 * {@link #isAllocated(IpAddress)} and {@link #owner(IpAddress)} take no lock: they read one
 * entry of a concurrent map that each change writes in one step, after all of the change's
 * checks have passed, so they see a change wholly or not at all. The dry runs take the lock and
 * change nothing, not even for a moment. The {@link AllocationMetrics} listener is called after
 * the change, outside the lock.
 */
public final class ServiceCidrSet {

    /*
     * How it works. Each CIDR has a ClusterIpAllocator of its own (built with the set's profile,
     * scan strategy and random source) that marks every allocated address usable in that CIDR,
     * whichever CIDR the address was allocated from, so that its free count and its own
     * allocateNext see the addresses of overlapping CIDRs. The set keeps every allocated address
     * in a sorted concurrent map (address -> owner), so that adding a CIDR marks what it contains
     * with one range query, and an index owner -> addresses.
     *
     * A terminating CIDR keeps a count of its "sole dependents": allocated addresses that lie in
     * it (Entry.holds) and in no ready CIDR. A release decrements the counts of the terminating
     * CIDRs that hold the address (a loop over the CIDRs, not over the addresses); the counts are
     * recomputed with range queries when the set of ready CIDRs changes (add, remove) or a
     * restore adds addresses. A terminating CIDR whose count reaches zero leaves the set.
     */

    /** kube-apiserver's bitmap allocator caps an IPv6 block at this many addresses, as ClusterIpAllocator does. */
    private static final long BITMAP_BLOCK_CAP = 1L << 16;

    private final CompatibilityProfile profile;
    private final ScanStrategy strategy;
    /** A generator given to the builder (shared by all CIDRs' allocators), or null. */
    private final RandomGenerator givenRandom;
    /** The builder's seed, or null. */
    private final Long seed;
    /** The source of the CIDR order of the KUBE_APISERVER_IPADDRESS profile, or null for ThreadLocalRandom. */
    private final RandomGenerator orderRandom;
    private final AllocationMetrics metrics;

    /** Guards every change and every read but the lock-free ones on {@link #allocations}. */
    private final ReentrantLock lock = new ReentrantLock();
    /** The CIDRs, ready and terminating, in the order they were first added. Under the lock. */
    private final LinkedHashMap<ServiceCidr, Entry> entries = new LinkedHashMap<>();
    /** Every allocated address and its owner (empty when not known). Written under the lock. */
    private final ConcurrentSkipListMap<IpAddress, Optional<Owner>> allocations = new ConcurrentSkipListMap<>();
    /** The addresses of each owner. Under the lock. */
    private final HashMap<Owner, TreeSet<IpAddress>> byOwner = new HashMap<>();
    /** Allocated addresses per family. Under the lock. */
    private long usedIpv4;
    private long usedIpv6;

    /** One CIDR of the set. Its fields change under the set's lock only. */
    private static final class Entry {
        final ServiceCidr cidr;
        final ClusterIpAllocator allocator;
        /** The number of addresses the allocator allocates, unsigned (2^64 - 1 for a /64 reads as -1). */
        final long size;
        /** Whether the profile allocates fewer addresses than the CIDR has usable. */
        final boolean capped;
        /** The last address of the block, for range queries. */
        final IpAddress last;
        /** Allocated addresses marked in the allocator, unsigned. */
        long allocated;
        boolean ready = true;
        /** When terminating: allocated addresses that lie in this CIDR and in no ready CIDR. */
        long soleDependents;

        Entry(ServiceCidr cidr, ClusterIpAllocator allocator, CompatibilityProfile profile) {
            this.cidr = cidr;
            this.allocator = allocator;
            this.capped = profile == CompatibilityProfile.KUBE_APISERVER_BITMAP && cidr.family() == IpFamily.IPV6
                    && cidr.hostBits() > 16;
            this.size = capped ? BITMAP_BLOCK_CAP - 1 : cidr.usableIndexes();
            int hostBits = cidr.hostBits();
            this.last = cidr.network().plus(hostBits >= 64 ? -1L : (1L << hostBits) - 1);
        }

        /** Whether the address is one this CIDR's allocator allocates (the address normalized). */
        boolean usable(IpAddress address) {
            long index = cidr.indexOf(address);
            return index != -1 && !(capped && Long.compareUnsigned(index, size) >= 0);
        }

        /**
         * Whether the address lies in this CIDR as Kubernetes' ServiceCIDR controller counts it
         * (servicecidr.PrefixContainsIP): inside the block, neither its network address nor, in
         * IPv4, its broadcast address. Unlike {@link #usable}, the bitmap profile's cap plays no
         * part.
         */
        boolean holds(IpAddress address) {
            return cidr.indexOf(address) != -1;
        }

        boolean full() {
            return allocated == size;
        }

        ServiceCidrStatus status() {
            return new ServiceCidrStatus(cidr, ready, ready ? "" : ServiceCidrStatus.TERMINATING,
                    ready ? "" : ServiceCidrStatus.TERMINATING_MESSAGE, allocator.used(), Math.max(0, allocator.free()));
        }
    }

    private ServiceCidrSet(Builder builder) {
        this.profile = builder.profile;
        this.strategy = builder.strategy;
        this.givenRandom = builder.givenRandom;
        this.seed = builder.seed;
        this.orderRandom = givenRandom != null ? givenRandom : seed != null ? new SplittableRandom(seed) : null;
        this.metrics = builder.metrics;
        for (ServiceCidr cidr : builder.cidrs) {
            if (entries.containsKey(cidr)) {
                throw new IllegalArgumentException("cannot build the set: " + cidr + " is given twice");
            }
            requireProfileAllows(cidr);
            entries.put(cidr, newEntry(cidr));
        }
    }

    /**
     * Returns a set of the given CIDRs, in that order, with the default profile
     * ({@link CompatibilityProfile#CLUSTERIP}).
     *
     * @param cidrs the CIDRs, none twice
     * @return a new set
     * @throws IllegalArgumentException if a CIDR is given twice, or is an IPv6 CIDR shorter than
     *         /64
     * @throws NullPointerException if a CIDR is null
     */
    public static ServiceCidrSet create(ServiceCidr... cidrs) {
        Builder builder = builder();
        for (ServiceCidr cidr : cidrs) {
            builder.add(cidr);
        }
        return builder.build();
    }

    /**
     * Returns a builder of a set.
     *
     * @return a new builder, with no CIDR and the default profile
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the profile whose rules the set follows.
     *
     * @return the profile
     */
    public CompatibilityProfile profile() {
        return profile;
    }

    private Entry newEntry(ServiceCidr cidr) {
        ClusterIpAllocator.Builder b = ClusterIpAllocator.builder(cidr).profile(profile).scanStrategy(strategy);
        if (givenRandom != null) {
            b.random(givenRandom);
        } else if (seed != null) {
            b.seed(seed);
        }
        return new Entry(cidr, b.build(), profile);
    }

    private void requireProfileAllows(ServiceCidr cidr) {
        if (profile != CompatibilityProfile.KUBE_APISERVER_BITMAP) {
            return;
        }
        for (Entry e : entries.values()) {
            if (e.cidr.family() == cidr.family() && !e.cidr.equals(cidr)) {
                throw new IllegalArgumentException("cannot add " + cidr + ": the set already has " + e.cidr
                        + ", and the " + profile + " profile allows one CIDR per family, as kube-apiserver"
                        + " without ServiceCIDRs has one range per family");
            }
        }
    }

    /** The address as the profile reads it: the Kubernetes profiles take ::ffff:a.b.c.d as IPv4. */
    private IpAddress normalize(IpAddress address) {
        Objects.requireNonNull(address, "address");
        if (profile != CompatibilityProfile.CLUSTERIP && address.family() == IpFamily.IPV6 && address.high() == 0
                && (address.low() >>> 32) == 0xFFFFL) {
            return IpAddress.ipv4(address.low() & 0xFFFF_FFFFL);
        }
        return address;
    }

    /**
     * Adds a CIDR, ready at once. The addresses already allocated that it contains count in it.
     * Adding a CIDR that is terminating makes it ready again.
     *
     * @param cidr the CIDR
     * @throws IllegalArgumentException if the CIDR is in the set and ready, is an IPv6 CIDR
     *         shorter than /64, or the profile allows no further CIDR of its family
     * @throws NullPointerException if {@code cidr} is null
     */
    public void add(ServiceCidr cidr) {
        Objects.requireNonNull(cidr, "cidr");
        lock.lock();
        try {
            Entry existing = entries.get(cidr);
            if (existing != null) {
                if (existing.ready) {
                    throw new IllegalArgumentException("cannot add " + cidr + ": it is in the set already, and ready");
                }
                existing.ready = true;
                existing.soleDependents = 0;
            } else {
                requireProfileAllows(cidr);
                Entry entry = newEntry(cidr);
                for (IpAddress address : allocations.subMap(cidr.network(), true, entry.last, true).keySet()) {
                    if (entry.usable(address)) {
                        entry.allocator.tryAllocate(address);
                        entry.allocated++;
                    }
                }
                entries.put(cidr, entry);
            }
            recountTerminating();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes a CIDR: it takes no new allocation from now on, and leaves the set at once if no
     * allocated address lies in it alone (in no ready CIDR of the set), else when the last of
     * those is released.
     *
     * @param cidr the CIDR
     * @return true if the CIDR left the set at once, false if it stays as terminating
     * @throws IllegalArgumentException if the CIDR is not in the set or is already terminating
     * @throws NullPointerException if {@code cidr} is null
     */
    public boolean remove(ServiceCidr cidr) {
        Objects.requireNonNull(cidr, "cidr");
        lock.lock();
        try {
            Entry entry = entries.get(cidr);
            if (entry == null) {
                throw new IllegalArgumentException("cannot remove " + cidr + ": it is not in the set");
            }
            if (!entry.ready) {
                throw new IllegalArgumentException("cannot remove " + cidr + ": it is terminating already");
            }
            entry.ready = false;
            recountTerminating();
            return !entries.containsKey(cidr);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Recounts the sole dependents of every terminating CIDR, and drops those that have none.
     * Called when the ready CIDRs change or a restore adds addresses.
     */
    private void recountTerminating() {
        Iterator<Entry> it = entries.values().iterator();
        while (it.hasNext()) {
            Entry entry = it.next();
            if (entry.ready) {
                continue;
            }
            long count = 0;
            for (IpAddress address : allocations.subMap(entry.cidr.network(), true, entry.last, true).keySet()) {
                if (entry.holds(address) && !inReadyCidr(address)) {
                    count++;
                }
            }
            entry.soleDependents = count;
            if (count == 0) {
                it.remove();
            }
        }
    }

    private boolean inReadyCidr(IpAddress address) {
        for (Entry e : entries.values()) {
            if (e.ready && e.holds(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns the status of every CIDR of the set, ready or terminating, in the order they were
     * added (a CIDR added again while terminating keeps its place).
     *
     * @return an immutable list
     */
    public List<ServiceCidrStatus> cidrs() {
        lock.lock();
        try {
            List<ServiceCidrStatus> list = new ArrayList<>(entries.size());
            for (Entry e : entries.values()) {
                list.add(e.status());
            }
            return List.copyOf(list);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the status of one CIDR.
     *
     * @param cidr the CIDR
     * @return its status, or empty if it is not in the set
     * @throws NullPointerException if {@code cidr} is null
     */
    public Optional<ServiceCidrStatus> status(ServiceCidr cidr) {
        Objects.requireNonNull(cidr, "cidr");
        lock.lock();
        try {
            Entry e = entries.get(cidr);
            return e == null ? Optional.empty() : Optional.of(e.status());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the families that have a ready CIDR, ordered by the first ready CIDR of each in the
     * order the CIDRs were added: the first is the set's primary family.
     *
     * @return an immutable list of zero, one or two families
     */
    public List<IpFamily> families() {
        lock.lock();
        try {
            IpFamily first = null;
            for (Entry e : entries.values()) {
                if (!e.ready) {
                    continue;
                }
                if (first == null) {
                    first = e.cidr.family();
                } else if (e.cidr.family() != first) {
                    return List.of(first, e.cidr.family());
                }
            }
            return first == null ? List.of() : List.of(first);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Allocates a free address of the family for the owner.
     *
     * @param family the family
     * @param owner the Service the address is for
     * @return the address
     * @throws RangeFullException if every ready CIDR of the family is full, or there is none; its
     *         {@link RangeFullException#range()} lists the ready CIDRs of the family,
     *         comma-separated
     * @throws NullPointerException if an argument is null
     */
    public IpAddress allocateNext(IpFamily family, Owner owner) {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(owner, "owner");
        boolean measure = metrics != AllocationMetrics.NONE;
        long start = measure ? System.nanoTime() : 0;
        List<ServiceCidr> refused = null;
        Entry from = null;
        IpAddress address = null;
        long allocated = 0;
        long available = 0;
        String full = null;
        lock.lock();
        try {
            List<Entry> order = order(family, true);
            for (Entry entry : order) {
                if (!entry.full()) { // the counts are exact: no exception to learn what they say
                    address = entry.allocator.allocateNext();
                    from = entry;
                    break;
                }
                if (refused == null) {
                    refused = new ArrayList<>(order.size());
                }
                refused.add(entry.cidr);
            }
            if (from != null) {
                mark(from, address, Optional.of(owner));
                if (measure) {
                    allocated = from.allocator.used();
                    available = Math.max(0, from.allocator.free());
                }
            } else {
                full = readyCidrsLocked(family);
            }
        } finally {
            lock.unlock();
        }
        if (refused != null) {
            for (ServiceCidr cidr : refused) {
                metrics.addressAllocationFailed(cidr, Scope.DYNAMIC);
            }
        }
        if (from == null) {
            throw new RangeFullException(full);
        }
        if (measure) {
            metrics.addressAllocated(from.cidr, Scope.DYNAMIC, allocated, available, System.nanoTime() - start);
        }
        return address;
    }

    /**
     * Records a new allocation, already marked in {@code from}'s allocator: marks it in every
     * other CIDR that has it as a usable address, and in the maps.
     */
    private void mark(Entry from, IpAddress address, Optional<Owner> owner) {
        from.allocated++;
        for (Entry e : entries.values()) {
            if (e != from && e.usable(address)) {
                e.allocator.tryAllocate(address);
                e.allocated++;
            }
        }
        record(address, owner);
    }

    private void record(IpAddress address, Optional<Owner> owner) {
        allocations.put(address, owner);
        owner.ifPresent(o -> byOwner.computeIfAbsent(o, k -> new TreeSet<>()).add(address));
        if (address.family() == IpFamily.IPV4) {
            usedIpv4++;
        } else {
            usedIpv6++;
        }
    }

    /**
     * The ready CIDRs of a family in the order the profile tries them. With {@code draw} false,
     * the KUBE_APISERVER_IPADDRESS profile keeps the order of addition, drawing nothing.
     */
    private List<Entry> order(IpFamily family, boolean draw) {
        List<Entry> list = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
            if (e.ready && e.cidr.family() == family) {
                list.add(e);
            }
        }
        if (list.size() < 2) {
            return list;
        }
        if (profile == CompatibilityProfile.KUBE_APISERVER_IPADDRESS) {
            if (draw) {
                RandomGenerator random = orderRandom != null ? orderRandom : ThreadLocalRandom.current();
                for (int i = list.size() - 1; i > 0; i--) {
                    Collections.swap(list, i, random.nextInt(i + 1));
                }
            }
            return list;
        }
        list.sort(ServiceCidrSet::compareFill); // stable: ties keep the order of addition
        return list;
    }

    /**
     * Orders two CIDRs by the share of their usable addresses allocated, exactly: a/b against
     * c/d as the unsigned 128-bit products a*d and c*b. A CIDR with no usable address is full.
     */
    static int compareFill(Entry x, Entry y) {
        return compareFractions(x.allocated, x.size, y.allocated, y.size);
    }

    /** Compares a/b with c/d, all unsigned 64-bit, exactly; a fraction with b == 0 counts as 1. */
    static int compareFractions(long a, long b, long c, long d) {
        if (b == 0) {
            a = 1;
            b = 1;
        }
        if (d == 0) {
            c = 1;
            d = 1;
        }
        long leftHigh = unsignedMultiplyHigh(a, d);
        long rightHigh = unsignedMultiplyHigh(c, b);
        int byHigh = Long.compareUnsigned(leftHigh, rightHigh);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(a * d, c * b);
    }

    /** The high 64 bits of the unsigned 128-bit product (Math.unsignedMultiplyHigh is Java 18). */
    private static long unsignedMultiplyHigh(long x, long y) {
        return Math.multiplyHigh(x, y) + ((x >> 63) & y) + ((y >> 63) & x);
    }

    /** The ready CIDRs of the family, comma-separated. */
    private String readyCidrsLocked(IpFamily family) {
        StringJoiner joiner = new StringJoiner(",");
        for (Entry e : entries.values()) {
            if (e.ready && e.cidr.family() == family) {
                joiner.add(e.cidr.toString());
            }
        }
        return joiner.toString();
    }

    /**
     * Allocates the given address for the owner.
     *
     * @param address the address
     * @param owner the Service the address is for
     * @throws IpNotInAnyCidrException if no ready CIDR of the set contains it as a usable address
     * @throws IpAlreadyAllocatedException if it is allocated already (its {@code cidr()} is the
     *         first ready CIDR, in the order of addition, that has it as a usable address)
     * @throws NullPointerException if an argument is null
     */
    public void allocate(IpAddress address, Owner owner) {
        Objects.requireNonNull(owner, "owner");
        IpAddress a = normalize(address);
        boolean measure = metrics != AllocationMetrics.NONE;
        long start = measure ? System.nanoTime() : 0;
        ServiceCidr from;
        boolean taken = false;
        long allocated = 0;
        long available = 0;
        lock.lock();
        try {
            Entry entry = readyContaining(a);
            if (entry == null) {
                throw new IpNotInAnyCidrException(a, readyCidrsLocked(a.family()));
            }
            from = entry.cidr;
            if (allocations.containsKey(a)) {
                taken = true;
            } else {
                entry.allocator.tryAllocate(a);
                mark(entry, a, Optional.of(owner));
                if (measure) {
                    allocated = entry.allocator.used();
                    available = Math.max(0, entry.allocator.free());
                }
            }
        } finally {
            lock.unlock();
        }
        if (taken) {
            metrics.addressAllocationFailed(from, Scope.STATIC);
            throw new IpAlreadyAllocatedException(a, from);
        }
        if (measure) {
            metrics.addressAllocated(from, Scope.STATIC, allocated, available, System.nanoTime() - start);
        }
    }

    /** The first ready CIDR, in the order of addition, that has the address as a usable one. */
    private Entry readyContaining(IpAddress address) {
        for (Entry e : entries.values()) {
            if (e.ready && e.usable(address)) {
                return e;
            }
        }
        return null;
    }

    /**
     * Checks what {@link #allocateNext(IpFamily, Owner)} would do, changing nothing: a dry run.
     * Like kube-apiserver's dry run, it does not pick the address; it returns the network address
     * of the CIDR it would allocate from. With {@link CompatibilityProfile#KUBE_APISERVER_IPADDRESS},
     * whose order is random, it draws nothing from the set's random source (so that a seeded
     * set's allocations do not depend on its dry runs) and names the first CIDR, in the order of
     * addition, that is not full.
     *
     * @param family the family
     * @return the network address of the CIDR the allocation would come from
     * @throws RangeFullException if the allocation would fail
     * @throws NullPointerException if {@code family} is null
     */
    public IpAddress checkAllocateNext(IpFamily family) {
        Objects.requireNonNull(family, "family");
        lock.lock();
        try {
            for (Entry e : order(family, false)) {
                if (!e.full()) {
                    return e.cidr.network();
                }
            }
            throw new RangeFullException(readyCidrsLocked(family));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks what {@link #allocate(IpAddress, Owner)} would do, changing nothing: a dry run.
     *
     * @param address the address
     * @throws IpNotInAnyCidrException as {@code allocate} would
     * @throws IpAlreadyAllocatedException as {@code allocate} would
     * @throws NullPointerException if {@code address} is null
     */
    public void checkAllocate(IpAddress address) {
        IpAddress a = normalize(address);
        lock.lock();
        try {
            Entry from = readyContaining(a);
            if (from == null) {
                throw new IpNotInAnyCidrException(a, readyCidrsLocked(a.family()));
            }
            if (allocations.containsKey(a)) {
                throw new IpAlreadyAllocatedException(a, from.cidr);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Releases an address, whatever its owner, in ready and terminating CIDRs alike. A
     * terminating CIDR that no allocated address depends on any more leaves the set.
     *
     * @param address the address
     * @return true if it was allocated, false if it was free or in no CIDR of the set
     * @throws NullPointerException if {@code address} is null
     */
    public boolean release(IpAddress address) {
        IpAddress a = normalize(address);
        List<ServiceCidrStatus> released = null;
        lock.lock();
        try {
            Optional<Owner> owner = allocations.remove(a);
            if (owner == null) {
                return false;
            }
            owner.ifPresent(o -> unindex(o, a));
            if (a.family() == IpFamily.IPV4) {
                usedIpv4--;
            } else {
                usedIpv6--;
            }
            boolean inReady = inReadyCidr(a);
            Iterator<Entry> it = entries.values().iterator();
            while (it.hasNext()) {
                Entry e = it.next();
                if (e.usable(a)) {
                    e.allocator.release(a);
                    e.allocated--;
                    if (metrics != AllocationMetrics.NONE) {
                        if (released == null) {
                            released = new ArrayList<>(2);
                        }
                        released.add(e.status());
                    }
                }
                if (!e.ready && !inReady && e.holds(a) && --e.soleDependents == 0) {
                    it.remove();
                }
            }
        } finally {
            lock.unlock();
        }
        if (released != null) {
            for (ServiceCidrStatus s : released) {
                metrics.addressReleased(s.cidr(), s.allocated(), s.available());
            }
        }
        return true;
    }

    private void unindex(Owner owner, IpAddress address) {
        TreeSet<IpAddress> set = byOwner.get(owner);
        if (set != null && set.remove(address) && set.isEmpty()) {
            byOwner.remove(owner);
        }
    }

    /**
     * Tells whether an address is allocated. Takes no lock.
     *
     * @param address the address
     * @return true if allocated
     * @throws NullPointerException if {@code address} is null
     */
    public boolean isAllocated(IpAddress address) {
        return allocations.containsKey(normalize(address));
    }

    /**
     * Returns the owner of an allocated address. Takes no lock.
     *
     * @param address the address
     * @return its owner, or empty if it is free or was restored from a snapshot, which records no
     *         owner
     * @throws NullPointerException if {@code address} is null
     */
    public Optional<Owner> owner(IpAddress address) {
        Optional<Owner> owner = allocations.get(normalize(address));
        return owner == null ? Optional.empty() : owner;
    }

    /**
     * Changes the owner of an allocated address (for repair).
     *
     * @param address the address
     * @param owner its new owner
     * @return true if the address is allocated and now has that owner, false if it is free
     * @throws NullPointerException if an argument is null
     */
    public boolean setOwner(IpAddress address, Owner owner) {
        Objects.requireNonNull(owner, "owner");
        IpAddress a = normalize(address);
        lock.lock();
        try {
            Optional<Owner> old = allocations.get(a);
            if (old == null) {
                return false;
            }
            if (old.isPresent() && old.get().equals(owner)) {
                return true;
            }
            old.ifPresent(o -> unindex(o, a));
            allocations.put(a, Optional.of(owner));
            byOwner.computeIfAbsent(owner, k -> new TreeSet<>()).add(a);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the addresses an owner holds, in address order (IPv4 before IPv6).
     *
     * @param owner the owner
     * @return an immutable list, empty if it holds none
     * @throws NullPointerException if {@code owner} is null
     */
    public List<IpAddress> addressesOf(Owner owner) {
        Objects.requireNonNull(owner, "owner");
        lock.lock();
        try {
            TreeSet<IpAddress> set = byOwner.get(owner);
            return set == null ? List.of() : List.copyOf(set);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns every allocated address in address order, with its owner where one is known.
     *
     * @return an immutable sorted map; an address without a known owner maps to empty
     */
    public Map<IpAddress, Optional<Owner>> allocations() {
        lock.lock();
        try {
            SortedMap<IpAddress, Optional<Owner>> copy = new TreeMap<>(allocations);
            return Collections.unmodifiableSortedMap(copy);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns how many addresses are allocated, each once however many CIDRs contain it.
     *
     * @return the count
     */
    public long used() {
        lock.lock();
        try {
            return usedIpv4 + usedIpv6;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns how many addresses of a family are allocated.
     *
     * @param family the family
     * @return the count
     * @throws NullPointerException if {@code family} is null
     */
    public long used(IpFamily family) {
        Objects.requireNonNull(family, "family");
        lock.lock();
        try {
            return family == IpFamily.IPV4 ? usedIpv4 : usedIpv6;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the state of one CIDR of the set in kube-apiserver's {@link RangeAllocation} form
     * (owners are not part of it): the bits of every allocated address usable in the CIDR,
     * whichever CIDR it was allocated from.
     *
     * @param cidr a CIDR of the set
     * @return the snapshot
     * @throws IllegalArgumentException if the CIDR is not in the set
     * @throws UnsupportedOperationException if the CIDR has more than 2<sup>24</sup> addresses,
     *         as {@link ClusterIpAllocator#snapshot()}
     * @throws NullPointerException if {@code cidr} is null
     */
    public RangeAllocation snapshot(ServiceCidr cidr) {
        Objects.requireNonNull(cidr, "cidr");
        lock.lock();
        try {
            return requireEntry(cidr, "snapshot").allocator.snapshot();
        } finally {
            lock.unlock();
        }
    }

    private Entry requireEntry(ServiceCidr cidr, String what) {
        Entry entry = entries.get(cidr);
        if (entry == null) {
            throw new IllegalArgumentException("cannot " + what + " " + cidr + ": it is not a CIDR of the set");
        }
        return entry;
    }

    /**
     * Marks as allocated, with no known owner, every address a {@link RangeAllocation} of one CIDR
     * of the set holds; addresses allocated already keep their owner. For tools that read a
     * cluster's stored bitmaps, which record no owners. The snapshot is read as
     * {@link ClusterIpAllocator#restore(RangeAllocation)} reads it, with the same checks and the
     * same bound on the memory it may take, before anything changes.
     *
     * @param snapshot the snapshot; its range must be a CIDR of the set, ready or terminating
     * @throws IllegalArgumentException if the snapshot is malformed or its CIDR is not in the set
     * @throws UnsupportedOperationException if the CIDR has more than 2<sup>24</sup> addresses,
     *         as {@link ClusterIpAllocator#restore(RangeAllocation)}
     * @throws NullPointerException if {@code snapshot} is null
     */
    public void restore(RangeAllocation snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        ServiceCidr cidr;
        try {
            cidr = ServiceCidr.parse(snapshot.range());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid RangeAllocation: " + e.getMessage(), e);
        }
        lock.lock();
        try {
            Entry entry = requireEntry(cidr, "restore a RangeAllocation of");
            ClusterIpAllocator fresh = ClusterIpAllocator.builder(cidr).profile(profile).build();
            fresh.restore(snapshot);
            boolean added = false;
            for (Iterator<IpAddress> it = fresh.allocatedAddresses().iterator(); it.hasNext();) {
                IpAddress address = it.next();
                if (!entry.usable(address) || allocations.containsKey(address)) {
                    continue;
                }
                entry.allocator.tryAllocate(address);
                mark(entry, address, Optional.empty());
                added = true;
            }
            if (added && !entry.ready) {
                recountTerminating();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Builds a {@link ServiceCidrSet}. Not thread-safe; each {@link #build()} returns a new set.
     */
    public static final class Builder {

        private final List<ServiceCidr> cidrs = new ArrayList<>();
        private CompatibilityProfile profile = CompatibilityProfile.CLUSTERIP;
        private ScanStrategy strategy = ScanStrategy.RANDOM;
        /** Checks that a random source and a seed are not both set. */
        private final RandomChoice choice = new RandomChoice();
        private RandomGenerator givenRandom;
        private Long seed;
        private AllocationMetrics metrics = AllocationMetrics.NONE;

        private Builder() {
        }

        /**
         * Adds a CIDR; the set starts with the CIDRs in the order added here.
         *
         * @param cidr the CIDR
         * @return this builder
         * @throws NullPointerException if {@code cidr} is null
         */
        public Builder add(ServiceCidr cidr) {
            cidrs.add(Objects.requireNonNull(cidr, "cidr"));
            return this;
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
         * @throws NullPointerException if {@code profile} is null
         */
        public Builder profile(CompatibilityProfile profile) {
            this.profile = Objects.requireNonNull(profile, "profile");
            return this;
        }

        /**
         * Sets the scan strategy of every CIDR's allocator.
         *
         * @param strategy the strategy
         * @return this builder
         * @throws NullPointerException if {@code strategy} is null
         */
        public Builder scanStrategy(ScanStrategy strategy) {
            this.strategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /**
         * Sets the random source (of the scans and of the kube-apiserver profile's CIDR order).
         * The set calls it under its lock only, so it need not be thread-safe, but it must not be
         * shared with other code or other sets, nor call back into the set.
         *
         * @param random the source, not shared with other code
         * @return this builder
         * @throws IllegalStateException if a {@linkplain #seed(long) seed} was set
         * @throws NullPointerException if {@code random} is null
         */
        public Builder random(RandomGenerator random) {
            choice.random(random);
            this.givenRandom = random;
            return this;
        }

        /**
         * Seeds a random source of the builder's own, for reproducible allocations: the same
         * seed and the same calls give the same addresses.
         *
         * @param seed the seed
         * @return this builder
         * @throws IllegalStateException if a {@linkplain #random(RandomGenerator) random source}
         *         was set
         */
        public Builder seed(long seed) {
            choice.seed(seed);
            this.seed = seed;
            return this;
        }

        /**
         * Sets the listener of the allocation metrics.
         *
         * @param metrics the listener; {@link AllocationMetrics#NONE} by default
         * @return this builder
         * @throws NullPointerException if {@code metrics} is null
         */
        public Builder metrics(AllocationMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /**
         * Builds the set.
         *
         * @return a new set
         * @throws IllegalArgumentException if a CIDR was added twice, is an IPv6 CIDR shorter than
         *         /64, or the profile refuses one
         */
        public ServiceCidrSet build() {
            return new ServiceCidrSet(this);
        }
    }
}
