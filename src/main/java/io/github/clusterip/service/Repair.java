package io.github.clusterip.service;

import io.github.clusterip.AllocationException;
import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidrSet;
import io.github.clusterip.ServiceCidrStatus;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reconciles the allocation state, a {@link ServiceCidrSet} and a {@link NodePortAllocator}, with
 * the Services that exist, as kube-apiserver's repair controllers do: one call,
 * {@link #runOnce(Collection)}, is one pass of their loop.
 *
 * <p>For each ClusterIP of each Service, in the order given (kube-apiserver's IPAddress repair,
 * {@code ipallocator/controller/repairip.go}, with the leak counter of its bitmap repair,
 * {@code ipallocator/controller/repair.go}):
 * <ul>
 *   <li>in no CIDR of the set, ready or terminating: {@link RepairErrorType#OUT_OF_RANGE}, event
 *       {@code ClusterIPOutOfRange}, left as it is;</li>
 *   <li>used by several Services: the one the address is allocated to keeps it, or, if it is
 *       allocated to none of them, the first of them in the order given; each other use is a
 *       {@link RepairErrorType#DUPLICATE}, event {@code ClusterIPAlreadyAllocated}, left as it
 *       is;</li>
 *   <li>not allocated: allocated for the Service ({@link RepairErrorType#REPAIR}, event
 *       {@code ClusterIPNotAllocated}); if the set refuses it (its only CIDR is terminating), an
 *       {@link RepairErrorType#UNKNOWN} error, event {@code UnknownError};</li>
 *   <li>allocated to another owner: its owner becomes the Service
 *       ({@link RepairErrorType#REPAIR}, event {@code ClusterIPNotAllocated}, "has a wrong
 *       reference; repairing"), as kube-apiserver recreates the IPAddress object;</li>
 *   <li>allocated with no known owner (restored from a snapshot, which records none): its owner
 *       becomes the Service, with no finding, as the bitmap repair, which knows no owners, finds
 *       nothing wrong.</li>
 * </ul>
 * For each NodePort of each Service (kube-apiserver's {@code portallocator/controller/repair.go}):
 * outside the range, {@link RepairErrorType#OUT_OF_RANGE} ({@code PortOutOfRange}); used already
 * in this pass, {@link RepairErrorType#DUPLICATE} ({@code PortAlreadyAllocated}; the first keeps
 * it); not allocated, allocated ({@link RepairErrorType#REPAIR}, {@code PortNotAllocated}).
 *
 * <p>Then every allocated address or port that no Service uses is a leak. As in kube-apiserver
 * ({@code numRepairsBeforeLeakCleanup = 3}), it is only flagged in the first passes that see it
 * and is released in the {@value #LEAK_PASSES}rd consecutive pass that sees it leaked, so that an
 * address allocated for a Service being created is not taken back before the Service is stored.
 * Stricter than kube-apiserver: a leak counter is forgotten as soon as a pass does not see the
 * address or port leaked (kube-apiserver keeps it until a Service uses the address, so an address
 * released and allocated again in between is freed in the first pass that sees it leaked again).
 *
 * <p>For example, with a set that holds 10.96.0.10 for no Service:
 *
 * <pre>{@code
 * Repair repair = Repair.builder().addresses(set).nodePorts(ports).build();
 * List<ExistingService> services = List.of(ExistingService.of(new Owner("default", "web"),
 *         List.of(IpAddress.parse("10.96.0.20"))));
 * repair.runOnce(services);   // allocates 10.96.0.20 for default/web; flags 10.96.0.10
 * repair.runOnce(services);   // flags 10.96.0.10 again
 * RepairReport third = repair.runOnce(services);   // releases 10.96.0.10
 * }</pre>
 *
 * <p>This class is thread-safe: passes run one at a time, under a lock of the repair. A pass is
 * not atomic with respect to other threads that allocate and release in the same set and
 * allocator meanwhile: as in kube-apiserver, the Services should be listed after the state was
 * last changed for them, and the leak counter keeps an address allocated by a creation still in
 * flight from being released before its Service appears; a leaked address is released only if
 * it still has the owner the pass saw.
 */
public final class Repair {

    /**
     * In how many consecutive passes an address or port must be seen leaked before it is
     * released: kube-apiserver's {@code numRepairsBeforeLeakCleanup}.
     */
    public static final int LEAK_PASSES = 3;

    private final ServiceCidrSet set;
    private final NodePortAllocator ports;
    private final RepairMetrics metrics;
    private final ReentrantLock lock = new ReentrantLock();
    /** Consecutive passes each address has been seen leaked in, up to the last pass. */
    private Map<IpAddress, Integer> ipLeaks = new HashMap<>();
    /** Consecutive passes each port has been seen leaked in, up to the last pass. */
    private Map<Integer, Integer> portLeaks = new HashMap<>();
    private long passes;

    private Repair(Builder builder) {
        this.set = builder.set;
        this.ports = builder.ports;
        this.metrics = builder.metrics;
    }

    /**
     * Returns a builder of a repair; give it the set, the port allocator or both.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the set whose addresses the repair reconciles.
     *
     * @return the set, or empty if the repair checks NodePorts only
     */
    public Optional<ServiceCidrSet> addresses() {
        return Optional.ofNullable(set);
    }

    /**
     * Returns the allocator whose ports the repair reconciles.
     *
     * @return the allocator, or empty if the repair checks ClusterIPs only
     */
    public Optional<NodePortAllocator> nodePorts() {
        return Optional.ofNullable(ports);
    }

    /**
     * Runs one pass: checks the ClusterIPs and NodePorts of the Services against the state,
     * repairs what it can, counts the leaks and releases those seen in {@value #LEAK_PASSES}
     * consecutive passes, and tells the {@link RepairMetrics} listener.
     *
     * @param services every Service that exists; each namespace and name once
     * @return what the pass found and did
     * @throws NullPointerException if {@code services} or an element is null
     * @throws IllegalArgumentException if a Service is given twice; nothing is changed then
     */
    public RepairReport runOnce(Collection<ExistingService> services) {
        List<ExistingService> list = List.copyOf(services);
        Set<Owner> owners = new HashSet<>();
        for (ExistingService s : list) {
            if (!owners.add(s.owner())) {
                throw new IllegalArgumentException("Service " + s.owner() + " is given twice: a repair needs each"
                        + " Service once");
            }
        }
        List<RepairFinding> findings = new ArrayList<>();
        Map<RepairErrorType, Integer> ipErrors = new EnumMap<>(RepairErrorType.class);
        Map<RepairErrorType, Integer> portErrors = new EnumMap<>(RepairErrorType.class);
        RepairReport report;
        lock.lock();
        try {
            long pass = ++passes;
            if (set != null) {
                repairAddresses(list, owners, findings, ipErrors);
            }
            if (ports != null) {
                repairPorts(list, findings, portErrors);
            }
            report = new RepairReport(pass, findings, ipErrors, portErrors);
        } finally {
            lock.unlock();
        }
        report.ipErrors().forEach((type, n) -> {
            for (int i = 0; i < n; i++) {
                metrics.clusterIpRepairError(type);
            }
        });
        report.portErrors().forEach((type, n) -> {
            for (int i = 0; i < n; i++) {
                metrics.nodePortRepairError(type);
            }
        });
        return report;
    }

    // ---- ClusterIPs

    private void repairAddresses(List<ExistingService> services, Set<Owner> existing, List<RepairFinding> findings,
            Map<RepairErrorType, Integer> errors) {
        Map<IpAddress, Optional<Owner>> before = set.allocations();
        List<ServiceCidrStatus> cidrs = set.cidrs();
        // Who uses each address, in the order given; the keeper is the owner on record if it is one
        // of them (the IPAddress object's parentRef wins in kube-apiserver), else the first.
        Map<IpAddress, List<Owner>> users = new LinkedHashMap<>();
        for (ExistingService s : services) {
            for (IpAddress ip : s.clusterIPs()) {
                users.computeIfAbsent(ip, a -> new ArrayList<>()).add(s.owner());
            }
        }
        Map<IpAddress, Owner> keepers = new HashMap<>();
        users.forEach((ip, list) -> {
            Optional<Owner> recorded = before.getOrDefault(ip, Optional.empty());
            keepers.put(ip, recorded.isPresent() && list.contains(recorded.get()) ? recorded.get() : list.get(0));
        });
        Set<IpAddress> kept = new HashSet<>();
        for (ExistingService s : services) {
            Owner owner = s.owner();
            for (IpAddress ip : s.clusterIPs()) {
                String family = familyName(ip);
                if (!inAnyCidr(cidrs, ip)) {
                    add(findings, errors, RepairFinding.address(ip, RepairErrorType.OUT_OF_RANGE, RepairAction.NONE,
                            owner, null, "ClusterIPOutOfRange", "Cluster IP [" + family + "]: " + ip
                            + " is not within any configured Service CIDR; please recreate service", 0));
                    continue;
                }
                Owner keeper = keepers.get(ip);
                if (!keeper.equals(owner) || !kept.add(ip)) {
                    add(findings, errors, RepairFinding.address(ip, RepairErrorType.DUPLICATE, RepairAction.NONE,
                            owner, keeper, "ClusterIPAlreadyAllocated", "Cluster IP [" + family + "]:" + ip
                            + " was assigned to multiple services; please recreate service", 0));
                    continue;
                }
                Optional<Owner> recorded = before.get(ip);
                if (recorded == null) {
                    allocateFor(ip, owner, family, findings, errors);
                } else if (recorded.isPresent() && !recorded.get().equals(owner)) {
                    if (set.setOwner(ip, owner)) {
                        add(findings, errors, RepairFinding.address(ip, RepairErrorType.REPAIR, RepairAction.OWNER_SET,
                                owner, recorded.get(), "ClusterIPNotAllocated", "the ClusterIP [" + family + "]: " + ip
                                + " for Service " + owner + " has a wrong reference; repairing", 0));
                    } else {
                        allocateFor(ip, owner, family, findings, errors); // released meanwhile
                    }
                } else if (recorded.isEmpty()) {
                    if (!set.setOwner(ip, owner)) {
                        allocateFor(ip, owner, family, findings, errors);
                    }
                }
            }
        }
        Map<IpAddress, Integer> leaks = new HashMap<>();
        for (Map.Entry<IpAddress, Optional<Owner>> e : before.entrySet()) {
            IpAddress ip = e.getKey();
            if (users.containsKey(ip)) {
                continue;
            }
            Owner owner = e.getValue().orElse(null);
            int seen = ipLeaks.getOrDefault(ip, 0) + 1;
            String reason = owner == null ? "" : existing.contains(owner) ? "IPAddressWrongReference"
                    : "IPAddressNotAllocated";
            if (seen < LEAK_PASSES) {
                leaks.put(ip, seen);
                add(findings, errors, RepairFinding.address(ip, RepairErrorType.LEAK, RepairAction.FLAGGED, owner, null,
                        reason, "the cluster IP " + ip + " may have leaked: flagging for later clean up", seen));
            } else if (set.owner(ip).equals(e.getValue()) && set.isAllocated(ip) && set.release(ip)) {
                String message = owner == null ? "the cluster IP " + ip + " appears to have leaked: cleaning up"
                        : existing.contains(owner) ? "IPAddress: " + ip + " for Service " + owner
                                + " has a wrong reference; cleaning up"
                        : "IPAddress: " + ip + " for Service " + owner + " appears to have leaked: cleaning up";
                add(findings, errors, RepairFinding.address(ip, RepairErrorType.LEAK, RepairAction.RELEASED, owner, null,
                        reason, message, seen));
            }
        }
        ipLeaks = leaks;
    }

    private void allocateFor(IpAddress ip, Owner owner, String family, List<RepairFinding> findings,
            Map<RepairErrorType, Integer> errors) {
        try {
            set.allocate(ip, owner);
            add(findings, errors, RepairFinding.address(ip, RepairErrorType.REPAIR, RepairAction.ALLOCATED, owner, null,
                    "ClusterIPNotAllocated", "Cluster IP [" + family + "]: " + ip + " is not allocated; repairing", 0));
        } catch (AllocationException e) {
            add(findings, errors, RepairFinding.address(ip, RepairErrorType.UNKNOWN, RepairAction.NONE, owner, null,
                    "UnknownError", "Unable to allocate ClusterIP [" + family + "]: " + ip
                    + " due to an unknown error: " + e.getMessage(), 0));
        }
    }

    private static boolean inAnyCidr(List<ServiceCidrStatus> cidrs, IpAddress ip) {
        for (ServiceCidrStatus status : cidrs) {
            if (status.cidr().usableRange().map(r -> r.contains(ip)).orElse(false)) {
                return true;
            }
        }
        return false;
    }

    /** Kubernetes' name of the family, as its events print it. */
    private static String familyName(IpAddress ip) {
        return ip.family() == IpFamily.IPV4 ? "IPv4" : "IPv6";
    }

    // ---- NodePorts

    private void repairPorts(List<ExistingService> services, List<RepairFinding> findings,
            Map<RepairErrorType, Integer> errors) {
        PortRange range = ports.range();
        BitSet before = new BitSet();
        ports.allocatedPorts().forEach(before::set);
        Map<Integer, Owner> claimed = new HashMap<>();
        for (ExistingService s : services) {
            Owner owner = s.owner();
            for (int port : s.nodePorts()) {
                if (!range.contains(port)) {
                    add(findings, errors, RepairFinding.port(port, RepairErrorType.OUT_OF_RANGE, RepairAction.NONE,
                            owner, null, "PortOutOfRange", "Port " + port + " is not within the port range " + range
                            + "; please recreate service", 0));
                    continue;
                }
                Owner first = claimed.putIfAbsent(port, owner);
                if (first != null) {
                    add(findings, errors, RepairFinding.port(port, RepairErrorType.DUPLICATE, RepairAction.NONE,
                            owner, first, "PortAlreadyAllocated", "Port " + port
                            + " was assigned to multiple services; please recreate service", 0));
                    continue;
                }
                if (!before.get(port) && ports.tryAllocate(port)) {
                    add(findings, errors, RepairFinding.port(port, RepairErrorType.REPAIR, RepairAction.ALLOCATED,
                            owner, null, "PortNotAllocated", "Port " + port + " is not allocated; repairing", 0));
                }
            }
        }
        Map<Integer, Integer> leaks = new HashMap<>();
        for (int port = before.nextSetBit(0); port >= 0; port = before.nextSetBit(port + 1)) {
            if (claimed.containsKey(port)) {
                continue;
            }
            int seen = portLeaks.getOrDefault(port, 0) + 1;
            if (seen < LEAK_PASSES) {
                leaks.put(port, seen);
                add(findings, errors, RepairFinding.port(port, RepairErrorType.LEAK, RepairAction.FLAGGED, null, null,
                        "", "the node port " + port + " may have leaked: flagging for later clean up", seen));
            } else if (ports.release(port)) {
                add(findings, errors, RepairFinding.port(port, RepairErrorType.LEAK, RepairAction.RELEASED, null, null,
                        "", "the node port " + port + " appears to have leaked: cleaning up", seen));
            }
        }
        portLeaks = leaks;
    }

    /** Records a finding and counts it as kube-apiserver counts it: a leak only when released. */
    static void add(List<RepairFinding> findings, Map<RepairErrorType, Integer> errors, RepairFinding f) {
        findings.add(f);
        if (f.type() != RepairErrorType.LEAK || f.action() == RepairAction.RELEASED) {
            errors.merge(f.type(), 1, Integer::sum);
        }
    }

    /**
     * Builds a {@link Repair}. Not thread-safe; each {@link #build()} returns a new repair with
     * no leak counted yet.
     */
    public static final class Builder {

        private ServiceCidrSet set;
        private NodePortAllocator ports;
        private RepairMetrics metrics = RepairMetrics.NONE;

        private Builder() {
        }

        /**
         * Sets the set of addresses to reconcile with the Services' ClusterIPs.
         *
         * @param set the set
         * @return this builder
         * @throws NullPointerException if {@code set} is null
         */
        public Builder addresses(ServiceCidrSet set) {
            this.set = Objects.requireNonNull(set, "set");
            return this;
        }

        /**
         * Sets the allocator of ports to reconcile with the Services' NodePorts.
         *
         * @param ports the allocator
         * @return this builder
         * @throws NullPointerException if {@code ports} is null
         */
        public Builder nodePorts(NodePortAllocator ports) {
            this.ports = Objects.requireNonNull(ports, "ports");
            return this;
        }

        /**
         * Sets the listener of the repair metrics.
         *
         * @param metrics the listener; {@link RepairMetrics#NONE} by default
         * @return this builder
         * @throws NullPointerException if {@code metrics} is null
         */
        public Builder metrics(RepairMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /**
         * Builds the repair.
         *
         * @return a new repair
         * @throws IllegalStateException if neither a set nor a port allocator was given
         */
        public Repair build() {
            if (set == null && ports == null) {
                throw new IllegalStateException("a repair needs a set of addresses, a NodePort allocator or both");
            }
            return new Repair(this);
        }
    }
}
