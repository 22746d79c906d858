package io.github.clusterip.service;

import io.github.clusterip.AllocationException;
import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.SharedClusterIpAllocator;
import io.github.clusterip.SharedNodePortAllocator;
import io.github.clusterip.store.KeyValueStore;
import io.github.clusterip.store.StoreConflictException;
import io.github.clusterip.store.StoreException;
import io.github.clusterip.store.StoreLayout;
import io.github.clusterip.store.StoreUnavailableException;
import io.github.clusterip.store.StoreValueException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiPredicate;

/**
 * Whole Services, as {@link ServiceAllocator} allocates them, with their state in a
 * {@link KeyValueStore} shared by several JVMs: a cluster configured, as kube-apiserver's
 * {@code --service-cluster-ip-range}, with one CIDR per family (one, or two for dual-stack,
 * primary first), and one NodePort range.
 *
 * <p>The rules, the defaults and the errors are {@link ServiceAllocator}'s. What the store adds:
 * each cluster IP and NodePort is taken by its own commit (a {@link SharedClusterIpAllocator},
 * a {@link SharedNodePortAllocator}), recorded under the Service's name, and the Service itself
 * is stored last, by a commit that succeeds only if its record is still as read (absent, for a
 * create). Kube-apiserver does the same with its range objects and its Service object. A call
 * that fails releases what it took; a JVM that dies between its allocations and its record
 * leaves them under the Service's name, where a {@link #repair()} pass finds them with no Service
 * and frees them. Nothing is ever handed to two Services: every allocation is a conditioned
 * commit in the store.
 *
 * <p>An update or a delete that finds the Service changed by another JVM between its read and
 * its commit runs again on the new record, up to 16 times, then throws
 * {@link StoreConflictException}. A create of a Service that another JVM created meanwhile
 * throws {@link ServiceAlreadyExistsException}.
 *
 * <p>This class is thread-safe. Calls on one instance run one at a time (each holds the
 * instance's lock through its round trips to the store); open one instance per thread that
 * should create Services concurrently. {@link #get} and {@link #services()} read the store.
 */
public final class SharedServiceAllocator implements ServiceOperations, AutoCloseable {

    private final ServiceAllocator services;
    private final SharedBackend backend;
    private final Map<IpFamily, SharedClusterIpAllocator> ips;
    private final SharedNodePortAllocator ports;
    private final List<IpFamily> families;
    private final int leakPasses;
    private final Object repairLock = new Object();
    private Map<IpAddress, Integer> ipLeaks = new HashMap<>();
    private Map<Integer, Integer> portLeaks = new HashMap<>();
    private long pass;

    private SharedServiceAllocator(Builder b, Map<IpFamily, SharedClusterIpAllocator> ips, SharedNodePortAllocator ports) {
        this.ips = ips;
        this.ports = ports;
        this.families = List.copyOf(ips.keySet());
        this.backend = new SharedBackend(b.store, ips, ports, b.prefix);
        this.services = ServiceAllocator.over(backend, families);
        this.leakPasses = b.leakPasses;
    }

    /**
     * Returns a builder of an allocator on {@code store}.
     *
     * @param store the store shared with the other JVMs
     * @return a builder; add one CIDR, or two of different families
     * @throws NullPointerException if {@code store} is null
     */
    public static Builder builder(KeyValueStore store) {
        return new Builder(Objects.requireNonNull(store, "store"));
    }

    /**
     * Returns the cluster's families, primary first: those of the CIDRs, in the order added.
     *
     * @return an immutable list of one or two families
     */
    public List<IpFamily> families() {
        return families;
    }

    /**
     * Returns the allocator of a family's cluster IPs.
     *
     * @param family the family
     * @return its shared allocator, or empty if the cluster has no CIDR of that family
     */
    public Optional<SharedClusterIpAllocator> addresses(IpFamily family) {
        return Optional.ofNullable(ips.get(Objects.requireNonNull(family, "family")));
    }

    /**
     * Returns the allocator of NodePorts.
     *
     * @return the shared NodePort allocator
     */
    public SharedNodePortAllocator nodePorts() {
        return ports;
    }

    /**
     * Returns the dry-run view, as {@link ServiceAllocator#dryRun()} does; it checks against the
     * views of the shared allocators and writes nothing.
     *
     * @return the dry-run view
     */
    public ServiceOperations dryRun() {
        return services.dryRun();
    }

    /**
     * Reads a Service from the store.
     *
     * @param owner the Service
     * @return its spec as stored, or empty
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if its record is not a Service record of this name
     */
    public Optional<ServiceSpec> get(Owner owner) {
        return services.get(owner);
    }

    /**
     * Reads every Service from the store.
     *
     * @return an immutable list, ordered by owner
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if a record is not a Service record
     */
    public List<ServiceSpec> services() {
        return services.services();
    }

    /**
     * {@inheritDoc}
     *
     * @throws StoreException if the store cannot be reached, holds a value that is not ours, or
     *         the call lost too many races
     */
    @Override
    public ServiceSpec create(ServiceSpec spec) {
        return services.create(spec);
    }

    /**
     * {@inheritDoc}
     *
     * @throws StoreException if the store cannot be reached, holds a value that is not ours, or
     *         the Service kept changing under the update
     */
    @Override
    public ServiceSpec update(ServiceSpec spec) {
        return services.update(spec);
    }

    /**
     * {@inheritDoc}
     *
     * @throws StoreException if the store cannot be reached, holds a value that is not ours, or
     *         the Service kept changing under the delete
     */
    @Override
    public ServiceSpec delete(Owner owner) {
        return services.delete(owner);
    }

    /**
     * Runs one repair pass over the store: every allocated cluster IP and NodePort that no stored
     * Service holds is a leak (a JVM died between its allocations and its Service's record, or
     * between a delete and its releases), flagged, and released in the {@code leakPasses}-th
     * consecutive pass that sees it leaked; the release is conditioned on the owner the pass
     * read, so that an address allocated again meanwhile is never freed. An address or port
     * that a stored Service holds but that is not allocated is allocated again for it.
     *
     * <p>Passes run one at a time per instance; the leak counts are this instance's. Run them
     * from one JVM, minutes apart, as kube-apiserver's repair loop does: a pass counts an
     * allocation of a create still in flight as leaked, and only the counter keeps it from
     * being freed.
     *
     * @return what the pass found and did
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreValueException if a value is not ours
     */
    public RepairReport repair() {
        synchronized (repairLock) {
            pass++;
            List<RepairFinding> findings = new ArrayList<>();
            Map<RepairErrorType, Integer> ipErrors = new EnumMap<>(RepairErrorType.class);
            Map<RepairErrorType, Integer> portErrors = new EnumMap<>(RepairErrorType.class);
            Map<IpAddress, Owner> ipUsers = new LinkedHashMap<>();
            Map<Integer, Owner> portUsers = new LinkedHashMap<>();
            for (ServiceSpec s : backend.all()) {
                if (s.type().needsClusterIp() && !s.isHeadless()) {
                    for (IpAddress ip : s.clusterIpAddresses()) {
                        ipUsers.put(ip, s.owner());
                    }
                }
                for (int p : s.nodePorts()) {
                    portUsers.put(p, s.owner());
                }
                if (s.healthCheckNodePort() > 0) {
                    portUsers.put(s.healthCheckNodePort(), s.owner());
                }
            }
            Map<IpAddress, Integer> leaks = new HashMap<>();
            for (SharedClusterIpAllocator a : ips.values()) {
                Map<IpAddress, Optional<Owner>> allocated = a.allocations();
                countLeaks(allocated, ipUsers, ipLeaks, leaks, a::releaseIfOwnedBy, "the cluster IP ",
                        (ip, action, owner, message, seen) -> RepairFinding.address(ip, RepairErrorType.LEAK, action, owner,
                                null, "IPAddressNotAllocated", message, seen), findings, ipErrors);
                for (Map.Entry<IpAddress, Owner> u : ipUsers.entrySet()) {
                    if (cidrOf(a, u.getKey()) && !allocated.containsKey(u.getKey())) {
                        reallocateIp(a, u.getKey(), u.getValue(), findings, ipErrors);
                    }
                }
            }
            ipLeaks = leaks;
            Map<Integer, Integer> pleaks = new HashMap<>();
            Map<Integer, Optional<Owner>> allocatedPorts = ports.allocations();
            countLeaks(allocatedPorts, portUsers, portLeaks, pleaks, ports::releaseIfOwnedBy, "the node port ",
                    (port, action, owner, message, seen) -> RepairFinding.port(port, RepairErrorType.LEAK, action, owner, null,
                            "PortNotAllocated", message, seen), findings, portErrors);
            portLeaks = pleaks;
            for (Map.Entry<Integer, Owner> u : portUsers.entrySet()) {
                if (ports.portRange().contains(u.getKey()) && !allocatedPorts.containsKey(u.getKey())
                        && backend.find(u.getValue()).isPresent()) {
                    try {
                        ports.allocate(u.getKey(), u.getValue());
                        Repair.add(findings, portErrors, RepairFinding.port(u.getKey(), RepairErrorType.REPAIR, RepairAction.ALLOCATED,
                                u.getValue(), null, "PortNotAllocated", "Port " + u.getKey() + " is not allocated; repairing", 0));
                    } catch (AllocationException e) {
                        Repair.add(findings, portErrors, RepairFinding.port(u.getKey(), RepairErrorType.UNKNOWN, RepairAction.NONE,
                                u.getValue(), null, "UnknownError", "Unable to allocate port " + u.getKey()
                                + " due to an unknown error: " + e.getMessage(), 0));
                    }
                }
            }
            return new RepairReport(pass, findings, ipErrors, portErrors);
        }
    }

    /** Makes the leak finding of one address or port. */
    private interface LeakFinding<K> {
        RepairFinding of(K key, RepairAction action, Owner owner, String message, int passes);
    }

    /**
     * Flags every allocation that no stored Service holds under its recorded owner, counting the
     * consecutive passes in {@code now}, and releases, conditioned on the owner read, those seen
     * in {@code leakPasses} passes.
     */
    private <K> void countLeaks(Map<K, Optional<Owner>> allocated, Map<K, Owner> users, Map<K, Integer> before,
            Map<K, Integer> now, BiPredicate<K, Owner> release, String what, LeakFinding<K> finding,
            List<RepairFinding> findings, Map<RepairErrorType, Integer> errors) {
        for (Map.Entry<K, Optional<Owner>> e : allocated.entrySet()) {
            K key = e.getKey();
            Owner owner = e.getValue().orElse(null);
            if (owner != null && owner.equals(users.get(key))) {
                continue;
            }
            int seen = before.getOrDefault(key, 0) + 1;
            if (seen < leakPasses) {
                now.put(key, seen);
                Repair.add(findings, errors, finding.of(key, RepairAction.FLAGGED, owner,
                        what + key + " may have leaked: flagging for later clean up", seen));
            } else if (release.test(key, owner)) {
                Repair.add(findings, errors, finding.of(key, RepairAction.RELEASED, owner,
                        what + key + " appears to have leaked: cleaning up", seen));
            }
        }
    }

    private static boolean cidrOf(SharedClusterIpAllocator a, IpAddress ip) {
        return a.cidr().contains(ip);
    }

    private void reallocateIp(SharedClusterIpAllocator a, IpAddress ip, Owner owner, List<RepairFinding> findings,
            Map<RepairErrorType, Integer> errors) {
        // the Service may have been deleted after the pass read it, its address released since
        if (backend.find(owner).isEmpty()) {
            return;
        }
        try {
            a.allocate(ip, owner);
            Repair.add(findings, errors, RepairFinding.address(ip, RepairErrorType.REPAIR, RepairAction.ALLOCATED, owner, null,
                    "ClusterIPNotAllocated", "Cluster IP " + ip + " is not allocated; repairing", 0));
        } catch (AllocationException e) {
            Repair.add(findings, errors, RepairFinding.address(ip, RepairErrorType.UNKNOWN, RepairAction.NONE, owner, null,
                    "UnknownError", "Unable to allocate ClusterIP " + ip + " due to an unknown error: " + e.getMessage(), 0));
        }
    }

    /**
     * Stops the shared allocators' watches. The store stays open: it is the caller's.
     */
    @Override
    public void close() {
        for (SharedClusterIpAllocator a : ips.values()) {
            a.close();
        }
        ports.close();
    }

    /** Options of a {@link SharedServiceAllocator}. Not thread-safe. */
    public static final class Builder {
        private final KeyValueStore store;
        private final List<ServiceCidr> cidrs = new ArrayList<>();
        private PortRange nodePorts = PortRange.DEFAULT;
        private String prefix = "/clusterip/";
        private StoreLayout layout = StoreLayout.BLOCKS;
        private int blockBits = 1024;
        private Long seed;
        private int leakPasses = Repair.LEAK_PASSES;

        private Builder(KeyValueStore store) {
            this.store = store;
        }

        /**
         * Adds the CIDR of a family; the first added is the primary family's.
         *
         * @param cidr the CIDR
         * @return this builder
         * @throws IllegalArgumentException if a CIDR of the same family was added
         */
        public Builder cidr(ServiceCidr cidr) {
            Objects.requireNonNull(cidr, "cidr");
            for (ServiceCidr c : cidrs) {
                if (c.family() == cidr.family()) {
                    throw new IllegalArgumentException("invalid CIDR " + cidr + ": the cluster has " + c
                            + " for that family already; a shared cluster has one CIDR per family");
                }
            }
            cidrs.add(cidr);
            return this;
        }

        /**
         * Sets the NodePort range.
         *
         * @param range the range; the default is {@link PortRange#DEFAULT}
         * @return this builder
         */
        public Builder nodePorts(PortRange range) {
            this.nodePorts = Objects.requireNonNull(range, "range");
            return this;
        }

        /**
         * Sets the prefix of every key, so that several clusters can share one store.
         *
         * @param prefix the prefix; the default is {@code /clusterip/}
         * @return this builder
         * @throws IllegalArgumentException if it is empty
         */
        public Builder prefix(String prefix) {
            Objects.requireNonNull(prefix, "prefix");
            if (prefix.isEmpty()) {
                throw new IllegalArgumentException("invalid key prefix \"\": must not be empty");
            }
            this.prefix = prefix;
            return this;
        }

        /**
         * Sets the layout of the ranges; see {@link SharedClusterIpAllocator.Builder#layout}.
         *
         * @param layout the layout; the default is {@link StoreLayout#BLOCKS}
         * @return this builder
         */
        public Builder layout(StoreLayout layout) {
            this.layout = Objects.requireNonNull(layout, "layout");
            return this;
        }

        /**
         * Sets the block size of the {@link StoreLayout#BLOCKS} layout.
         *
         * @param bits a power of two from 64 to 65536; the default is 1024
         * @return this builder
         * @throws IllegalArgumentException if it is not
         */
        public Builder blockBits(int bits) {
            if (bits < 64 || bits > 65536 || Integer.bitCount(bits) != 1) {
                throw new IllegalArgumentException("invalid block size " + bits + ": must be a power of two from 64 to 65536");
            }
            this.blockBits = bits;
            return this;
        }

        /**
         * Seeds the random choices of this instance's allocators.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets in how many consecutive {@link SharedServiceAllocator#repair()} passes an
         * allocation must be seen leaked before it is released.
         *
         * @param passes at least 1; the default is {@link Repair#LEAK_PASSES}, as in kube-apiserver
         * @return this builder
         * @throws IllegalArgumentException if {@code passes} is less than 1
         */
        public Builder leakPasses(int passes) {
            if (passes < 1) {
                throw new IllegalArgumentException("invalid leak passes " + passes + ": must be at least 1");
            }
            this.leakPasses = passes;
            return this;
        }

        /**
         * Opens the allocator and its shared allocators.
         *
         * @return the allocator
         * @throws IllegalStateException if no CIDR was added
         * @throws StoreUnavailableException if the store cannot be reached
         * @throws StoreValueException if a range is stored with another layout or block size
         */
        public SharedServiceAllocator build() {
            if (cidrs.isEmpty()) {
                throw new IllegalStateException("no CIDR: add one with cidr(...), or two of different families");
            }
            Map<IpFamily, SharedClusterIpAllocator> ips = new LinkedHashMap<>();
            SharedNodePortAllocator ports = null;
            boolean ok = false;
            try {
                long s = seed == null ? System.nanoTime() : seed;
                for (ServiceCidr c : cidrs) {
                    ips.put(c.family(), SharedClusterIpAllocator.builder(store, c).prefix(prefix).layout(layout)
                            .blockBits(blockBits).seed(s++).build());
                }
                ports = SharedNodePortAllocator.builder(store, nodePorts).prefix(prefix).layout(layout)
                        .blockBits(blockBits).seed(s).build();
                SharedServiceAllocator result = new SharedServiceAllocator(this, ips, ports);
                ok = true;
                return result;
            } finally {
                if (!ok) {
                    ips.values().forEach(SharedClusterIpAllocator::close);
                    if (ports != null) {
                        ports.close();
                    }
                }
            }
        }
    }
}
