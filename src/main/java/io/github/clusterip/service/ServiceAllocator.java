package io.github.clusterip.service;

import io.github.clusterip.AllocationException;
import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.RangeFullException;
import io.github.clusterip.ServiceCidrSet;
import io.github.clusterip.store.StoreConflictException;
import io.github.clusterip.store.StoreException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Creates, updates and deletes whole Services as kube-apiserver's Service storage does
 * ({@code pkg/registry/core/service/storage/alloc.go} and {@code storage.go}), taking their
 * cluster IPs from a {@link ServiceCidrSet} and their NodePorts from a {@link NodePortAllocator},
 * and holds the Services it created.
 *
 * <p>Each call is one transaction. Kube-apiserver allocates at once and defers releases to the
 * commit (its {@code portallocator/operation.go}); so does this class, and a refused call releases
 * everything it took, so that the set and the port allocator are exactly as before. This is
 * stricter than kube-apiserver in one place: when the second family of a dual-stack Service fails,
 * kube-apiserver's {@code allocIPs} returns without its transaction and the first family's address
 * stays allocated until repair (kubernetes issue 136475); here it is released. Where kube-apiserver
 * allocates the families in Go map order, this class takes them in {@code ipFamilies} order, so
 * that the error reported when both would fail is always the primary family's.
 *
 * <p>Of Service validation, only what allocation depends on is reproduced, after the allocation
 * as kube-apiserver runs it: {@code ValidateServiceClusterIPsRelatedFields} (which
 * {@code alloc.go} calls itself), the change of a cluster IP on update ({@code may not change once
 * set}), the change of a health-check NodePort ({@code field is immutable}), NodePorts on a
 * ClusterIP Service and the family fields of an ExternalName Service ({@code Forbidden}), and a
 * headless NodePort or LoadBalancer Service ({@code may not be set to 'None'}) and a health-check
 * NodePort on a Service that needs none ({@code may only be set when}). Every other
 * field check (names, port numbers being unique, selectors, and so on) is the caller's.
 *
 * <p>The set's and the port allocator's own methods stay usable, for instance to restore a
 * snapshot or to add a CIDR; addresses and ports taken there directly are simply not free for
 * Services.
 *
 * <p>This class is thread-safe: every call holds the allocator's lock for its whole transaction,
 * and the set and the port allocator are thread-safe themselves.
 */
public final class ServiceAllocator implements ServiceOperations {

    /** The port allocator's text for a full range (portallocator.ErrFull). */
    private static final String RANGE_FULL = "range is full";

    /** How many times an update or a delete re-reads a Service that changed under it. */
    static final int MAX_ATTEMPTS = 16;

    private final ServiceBackend backend;
    private final List<IpFamily> families;
    private final Object lock = new Object();
    private final ServiceOperations dryRun = new DryRun();

    private ServiceAllocator(ServiceBackend backend, List<IpFamily> families) {
        this.backend = backend;
        this.families = families;
    }

    /** An allocator over another backend (a shared store), for a cluster of the given families. */
    static ServiceAllocator over(ServiceBackend backend, List<IpFamily> families) {
        return new ServiceAllocator(backend, checkFamilies(families));
    }

    /**
     * Returns an allocator whose cluster has the families for which the set has a ready CIDR now,
     * in the set's order ({@link ServiceCidrSet#families()}): the first is the primary family.
     *
     * @param cidrs the Service CIDRs
     * @param nodePorts the NodePort allocator
     * @return a new allocator holding no Service
     * @throws IllegalArgumentException if the set has no ready CIDR
     * @throws NullPointerException if an argument is null
     */
    public static ServiceAllocator create(ServiceCidrSet cidrs, NodePortAllocator nodePorts) {
        Objects.requireNonNull(cidrs, "cidrs");
        return create(cidrs, nodePorts, cidrs.families());
    }

    /**
     * Returns an allocator for a cluster configured with the given families, primary first, as
     * kube-apiserver's {@code --service-cluster-ip-range} configures them. A family that has no
     * ready CIDR in the set when a Service needs it gives {@code range is full}.
     *
     * @param cidrs the Service CIDRs
     * @param nodePorts the NodePort allocator
     * @param families one family, or two different ones, primary first
     * @return a new allocator holding no Service
     * @throws IllegalArgumentException if {@code families} is empty, has more than two entries or
     *         names one twice
     * @throws NullPointerException if an argument is null
     */
    public static ServiceAllocator create(ServiceCidrSet cidrs, NodePortAllocator nodePorts, List<IpFamily> families) {
        Objects.requireNonNull(cidrs, "cidrs");
        Objects.requireNonNull(nodePorts, "nodePorts");
        return new ServiceAllocator(new MemoryBackend(cidrs, nodePorts), checkFamilies(families));
    }

    private static List<IpFamily> checkFamilies(List<IpFamily> families) {
        List<IpFamily> copy = List.copyOf(families);
        if (copy.isEmpty() || copy.size() > 2 || (copy.size() == 2 && copy.get(0) == copy.get(1))) {
            throw new IllegalArgumentException("invalid cluster families " + copy
                    + ": expected one family, or two different ones, primary first");
        }
        return copy;
    }

    /**
     * Returns the families the cluster is configured with, primary first.
     *
     * @return an immutable list of one or two families
     */
    public List<IpFamily> families() {
        return families;
    }

    /**
     * Returns a view that checks every call as this allocator would and returns the same result
     * or throws the same error, changing nothing. Where a value would be picked, it returns
     * kube-apiserver's dry-run placeholders: the network address of the CIDR the address would
     * come from ({@link ServiceCidrSet#checkAllocateNext}), and for NodePorts 32769, then one more
     * than the highest port the call has used so far ({@code portallocator/operation.go}). It is
     * stricter than kube-apiserver's dry run, which never reports a full NodePort range nor a
     * requested NodePort outside the range: this one does, as the real call would. A NodePort
     * picked at random by the real call could, rarely, be one that a later port of the same
     * Service asks for by number; the dry run cannot foresee that and reports success.
     *
     * @return the dry-run view, backed by this allocator
     */
    public ServiceOperations dryRun() {
        return dryRun;
    }

    /**
     * Returns a Service this allocator holds.
     *
     * @param owner the Service
     * @return its spec as stored, or empty
     */
    public Optional<ServiceSpec> get(Owner owner) {
        Objects.requireNonNull(owner, "owner");
        synchronized (lock) {
            return backend.find(owner).map(ServiceBackend.Stored::spec);
        }
    }

    /**
     * Returns every Service this allocator holds.
     *
     * @return an immutable list, ordered by owner
     */
    public List<ServiceSpec> services() {
        synchronized (lock) {
            return backend.all();
        }
    }

    @Override
    public ServiceSpec create(ServiceSpec spec) {
        return create(spec, false);
    }

    @Override
    public ServiceSpec update(ServiceSpec spec) {
        return update(spec, false);
    }

    @Override
    public ServiceSpec delete(Owner owner) {
        return delete(owner, false);
    }

    /** The dry-run view. */
    private final class DryRun implements ServiceOperations {
        @Override
        public ServiceSpec create(ServiceSpec spec) {
            return ServiceAllocator.this.create(spec, true);
        }

        @Override
        public ServiceSpec update(ServiceSpec spec) {
            return ServiceAllocator.this.update(spec, true);
        }

        @Override
        public ServiceSpec delete(Owner owner) {
            return ServiceAllocator.this.delete(owner, true);
        }
    }

    // ---------------------------------------------------------------- create, update, delete

    private ServiceSpec create(ServiceSpec spec, boolean dry) {
        Objects.requireNonNull(spec, "spec");
        synchronized (lock) {
            if (backend.find(spec.owner()).isPresent()) {
                throw new ServiceAlreadyExistsException(spec.owner());
            }
            Draft svc = new Draft(spec);
            Txn txn = new Txn(svc.owner, dry);
            boolean ok = false;
            try {
                // storage.go beginCreate -> alloc.go allocateCreate
                initIpFamilyFields(svc, null);
                allocClusterIps(svc, txn);
                if (svc.type.needsNodePort()) {
                    initNodePorts(svc, txn);
                }
                if (needsHealthCheck(svc)) {
                    allocHealthCheckNodePort(svc, txn);
                }
                // the strategy's validation runs after BeginCreate in the generic store
                validate(svc, null);
                ServiceSpec result = svc.build();
                if (!dry) {
                    if (!backend.put(result, null)) {
                        // another writer of the store created it meanwhile
                        throw new ServiceAlreadyExistsException(spec.owner());
                    }
                    txn.commit();
                }
                ok = true;
                return result;
            } finally {
                if (!ok) {
                    txn.rollback();
                }
            }
        }
    }

    private ServiceSpec update(ServiceSpec spec, boolean dry) {
        Objects.requireNonNull(spec, "spec");
        synchronized (lock) {
            for (int attempt = 1; ; attempt++) {
                ServiceBackend.Stored stored = backend.find(spec.owner())
                        .orElseThrow(() -> new ServiceNotFoundException(spec.owner()));
                ServiceSpec result = tryUpdate(spec, stored, dry);
                if (result != null) {
                    return result;
                }
                if (attempt == MAX_ATTEMPTS) {
                    throw new StoreConflictException("could not update Service " + spec.owner()
                            + ": it changed under this update " + MAX_ATTEMPTS + " times in a row");
                }
            }
        }
    }

    /** One attempt of an update; null if the stored Service changed meanwhile (nothing changed then). */
    private ServiceSpec tryUpdate(ServiceSpec spec, ServiceBackend.Stored stored, boolean dry) {
        {
            Draft old = new Draft(stored.spec());
            Draft svc = new Draft(spec);
            Txn txn = new Txn(svc.owner, dry);
            boolean ok = false;
            try {
                // storage.go beginUpdate
                patchAllocatedValues(svc, old);
                // alloc.go allocateUpdate
                initIpFamilyFields(svc, old);
                updateClusterIps(svc, old, txn);
                updateNodePortsAndHealthCheck(svc, old, txn);
                // then the strategy's PrepareForUpdate and validation (rest.BeforeUpdate)
                dropTypeDependentFields(svc, old);
                validate(svc, old);
                ServiceSpec result = svc.build();
                if (!dry) {
                    if (!backend.put(result, stored)) {
                        return null;
                    }
                    txn.commit();
                }
                ok = true;
                return result;
            } finally {
                if (!ok) {
                    txn.rollback();
                }
            }
        }
    }

    private ServiceSpec delete(Owner owner, boolean dry) {
        Objects.requireNonNull(owner, "owner");
        synchronized (lock) {
            for (int attempt = 1; ; attempt++) {
                ServiceBackend.Stored found = backend.find(owner).orElseThrow(() -> new ServiceNotFoundException(owner));
                ServiceSpec stored = found.spec();
                if (dry) {
                    return stored;
                }
                if (backend.remove(found)) {
                    // alloc.go releaseAllocatedResources, after the Service is gone
                    if (stored.type().needsClusterIp() && !stored.isHeadless()) {
                        for (String ip : stored.clusterIPs()) {
                            backend.release(IpAddress.parse(ip));
                        }
                    }
                    for (ServicePort p : stored.ports()) {
                        if (p.nodePort() != 0) {
                            backend.releasePort(p.nodePort());
                        }
                    }
                    if (needsHealthCheck(stored.type(), stored.externalTrafficPolicy()) && stored.healthCheckNodePort() > 0) {
                        backend.releasePort(stored.healthCheckNodePort());
                    }
                    return stored;
                }
                if (attempt == MAX_ATTEMPTS) {
                    throw new StoreConflictException("could not delete Service " + owner
                            + ": it changed under this delete " + MAX_ATTEMPTS + " times in a row");
                }
            }
        }
    }

    // ---------------------------------------------------------------- families (alloc.go initIPFamilyFields)

    private void initIpFamilyFields(Draft svc, Draft old) {
        if (svc.type == ServiceType.EXTERNAL_NAME) {
            return;
        }
        if (isMatchingPreferDualStack(svc, old)) {
            return;
        }
        if (svc.policy == null) {
            if (old != null && old.policy != null) {
                svc.policy = old.policy;
            } else if (svc.isHeadless() && !svc.selector) {
                svc.policy = IpFamilyPolicy.REQUIRE_DUAL_STACK;
            } else {
                svc.policy = IpFamilyPolicy.SINGLE_STACK;
            }
        }
        List<FieldError> el = validateClusterIpsRelatedFields(svc);
        if (!el.isEmpty()) {
            throw svc.invalid(el);
        }
        if (old != null) {
            if (svc.policy == IpFamilyPolicy.SINGLE_STACK) {
                if (svc.clusterIps.equals(old.clusterIps) && svc.clusterIps.size() > 1) {
                    svc.clusterIps.subList(1, svc.clusterIps.size()).clear();
                }
                if (svc.families.equals(old.families) && svc.families.size() > 1) {
                    svc.families.subList(1, svc.families.size()).clear();
                }
            } else {
                if (!svc.clusterIps.isEmpty() && svc.clusterIps.size() < old.clusterIps.size()) {
                    el.add(FieldError.invalid("spec.ipFamilyPolicy", svc.policyValue(),
                            "must be 'SingleStack' to release the secondary cluster IP"));
                }
                if (!svc.families.isEmpty() && svc.families.size() < old.families.size()) {
                    el.add(FieldError.invalid("spec.ipFamilyPolicy", svc.policyValue(),
                            "must be 'SingleStack' to release the secondary IP family"));
                }
            }
        }
        if (svc.policy == IpFamilyPolicy.SINGLE_STACK) {
            if (svc.clusterIps.size() == 2) {
                el.add(FieldError.invalid("spec.ipFamilyPolicy", svc.policyValue(),
                        "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
            }
            if (svc.families.size() == 2) {
                el.add(FieldError.invalid("spec.ipFamilyPolicy", svc.policyValue(),
                        "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
            }
        }
        for (int i = 0; i < svc.clusterIps.size(); i++) {
            String ip = svc.clusterIps.get(i);
            if (ServiceSpec.NONE.equals(ip)) {
                break;
            }
            IpFamily fam = IpAddress.parse(ip).family();
            if (i >= svc.families.size()) {
                if (!families.contains(fam)) {
                    el.add(FieldError.invalid("spec.clusterIPs[" + i + "]", FieldError.strings(svc.clusterIps),
                            familyName(fam) + " is not configured on this cluster"));
                } else {
                    svc.families.add(fam);
                }
            }
        }
        if (!el.isEmpty()) {
            throw svc.invalid(el);
        }
        if (svc.isHeadless() && !svc.selector) {
            if (svc.families.isEmpty()) {
                svc.families.add(families.get(0));
            }
            if (svc.families.size() < 2 && svc.policy != IpFamilyPolicy.SINGLE_STACK) {
                svc.families.add(other(svc.families.get(0)));
            }
            return;
        }
        if (svc.policy == IpFamilyPolicy.REQUIRE_DUAL_STACK && families.size() < 2) {
            el.add(FieldError.invalid("spec.ipFamilyPolicy", svc.policyValue(),
                    "this cluster is not configured for dual-stack services"));
        }
        for (int i = 0; i < svc.families.size(); i++) {
            if (!families.contains(svc.families.get(i))) {
                el.add(FieldError.invalid("spec.ipFamilies[" + i + "]", FieldError.str(familyName(svc.families.get(i))),
                        "not configured on this cluster"));
            }
        }
        if (!el.isEmpty()) {
            throw svc.invalid(el);
        }
        if (svc.families.isEmpty()) {
            svc.families.add(families.get(0));
        }
        if (svc.policy != IpFamilyPolicy.SINGLE_STACK && svc.families.size() == 1 && families.size() == 2) {
            svc.families.add(other(svc.families.get(0)));
        }
    }

    /** validation.go ValidateServiceClusterIPsRelatedFields, which alloc.go calls itself. */
    private static List<FieldError> validateClusterIpsRelatedFields(Draft svc) {
        List<FieldError> errs = new ArrayList<>();
        Set<IpFamily> seen = new HashSet<>();
        for (int i = 0; i < svc.families.size(); i++) {
            if (!seen.add(svc.families.get(i))) {
                errs.add(FieldError.duplicate("spec.ipFamilies[" + i + "]", FieldError.str(familyName(svc.families.get(i)))));
            }
        }
        boolean hasInvalidIps = false;
        List<IpAddress> parsed = new ArrayList<>();
        for (int i = 0; i < svc.clusterIps.size(); i++) {
            String ip = svc.clusterIps.get(i);
            if (i == 0 && ServiceSpec.NONE.equals(ip)) {
                if (svc.clusterIps.size() > 1) {
                    hasInvalidIps = true;
                    errs.add(FieldError.invalid("spec.clusterIPs", FieldError.strings(svc.clusterIps),
                            "'None' must be the first and only value"));
                }
                continue;
            }
            try {
                parsed.add(IpAddress.parse(ip));
            } catch (IllegalArgumentException e) {
                hasInvalidIps = true;
                errs.add(FieldError.invalid("spec.clusterIPs[" + i + "]", FieldError.str(ip),
                        "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
            }
        }
        if (svc.clusterIps.size() > 2) {
            errs.add(FieldError.invalid("spec.clusterIPs", FieldError.strings(svc.clusterIps), "may only hold up to 2 values"));
        }
        if (hasInvalidIps) {
            return errs;
        }
        if (svc.clusterIps.size() > 1) {
            boolean dualStack = parsed.size() == 2 && parsed.get(0).family() != parsed.get(1).family();
            if (!dualStack) {
                errs.add(FieldError.invalid("spec.clusterIPs", FieldError.strings(svc.clusterIps),
                        "may specify no more than one IP for each IP family"));
            }
        }
        if (!svc.isHeadless() && !svc.clusterIps.isEmpty() && !svc.families.isEmpty()) {
            for (int i = 0; i < svc.clusterIps.size() && i < svc.families.size(); i++) {
                IpFamily ipFamily = parsed.get(i).family();
                IpFamily want = svc.families.get(i);
                if (want != ipFamily) {
                    errs.add(FieldError.invalid("spec.clusterIPs[" + i + "]", FieldError.str(svc.clusterIps.get(i)),
                            "expected an " + familyName(want) + " value as indicated by `ipFamilies[" + i + "]`"));
                }
            }
        }
        return errs;
    }

    private static boolean isMatchingPreferDualStack(Draft svc, Draft old) {
        return old != null && svc.policy == IpFamilyPolicy.PREFER_DUAL_STACK && old.type == svc.type
                && svc.type.needsClusterIp()
                && (old.policy == null || old.policy == IpFamilyPolicy.PREFER_DUAL_STACK)
                && svc.clusterIps.equals(old.clusterIps) && svc.families.equals(old.families);
    }

    // ---------------------------------------------------------------- cluster IPs

    /** alloc.go allocClusterIPs. */
    private void allocClusterIps(Draft svc, Txn txn) {
        if (svc.type == ServiceType.EXTERNAL_NAME || svc.isHeadlessByFirst()) {
            return;
        }
        for (int i = 0; i < svc.families.size(); i++) {
            if (i > svc.clusterIps.size() - 1) {
                svc.clusterIps.add("");
            }
        }
        List<String> got = new ArrayList<>();
        for (int i = 0; i < svc.families.size(); i++) {
            got.add(allocIp(svc, svc.families.get(i), svc.clusterIps.get(i), txn));
        }
        for (int i = 0; i < got.size(); i++) {
            svc.clusterIps.set(i, got.get(i));
        }
    }

    /** alloc.go allocIPs, for one family. */
    private String allocIp(Draft svc, IpFamily family, String ip, Txn txn) {
        if (ip.isEmpty()) {
            try {
                return txn.allocateNextIp(family).toString();
            } catch (RangeFullException e) {
                throw new ServiceInternalException(svc.owner, "failed to allocate a serviceIP: " + e.getMessage());
            }
        }
        String problem = txn.allocateIp(IpAddress.parse(ip));
        if (problem != null) {
            throw svc.invalid(List.of(FieldError.invalid("spec.clusterIPs", FieldError.strings(svc.clusterIps),
                    "failed to allocate IP " + ip + ": " + problem)));
        }
        return ip;
    }

    /** alloc.go updateClusterIPs; releases are deferred to the commit. */
    private void updateClusterIps(Draft svc, Draft old, Txn txn) {
        if (isMatchingPreferDualStack(svc, old)) {
            return;
        }
        if (old.type == ServiceType.EXTERNAL_NAME && svc.type != ServiceType.EXTERNAL_NAME) {
            allocClusterIps(svc, txn);
            return;
        }
        if (old.isHeadlessByFirst()) {
            return;
        }
        if (old.type != ServiceType.EXTERNAL_NAME && svc.type == ServiceType.EXTERNAL_NAME) {
            for (int i = 0; i < old.families.size() && i < old.clusterIps.size(); i++) {
                txn.releaseIpLater(old.clusterIps.get(i));
            }
            return;
        }
        boolean upgraded = old.families.size() == 1 && svc.families.size() == 2;
        boolean downgraded = old.families.size() == 2 && svc.families.size() == 1;
        if (upgraded) {
            if (svc.clusterIps.size() < 2) {
                svc.clusterIps.add("");
            }
            svc.clusterIps.set(1, allocIp(svc, svc.families.get(1), svc.clusterIps.get(1), txn));
        } else if (downgraded) {
            txn.releaseIpLater(old.clusterIps.get(1));
        }
    }

    // ---------------------------------------------------------------- NodePorts

    private static boolean shouldAllocateNodePorts(Draft svc) {
        return svc.type == ServiceType.NODE_PORT
                || (svc.type == ServiceType.LOAD_BALANCER && svc.allocateLoadBalancerNodePorts);
    }

    /** alloc.go initNodePorts: one NodePort per Service port number, whatever the protocols. */
    private void initNodePorts(Draft svc, Txn txn) {
        Map<Integer, Integer> byServicePort = new HashMap<>();
        for (int i = 0; i < svc.ports.size(); i++) {
            ServicePort port = svc.ports.get(i);
            if (port.nodePort() == 0 && !shouldAllocateNodePorts(svc)) {
                continue;
            }
            int allocated = byServicePort.getOrDefault(port.port(), 0);
            if (allocated == 0) {
                int np = findRequestedNodePort(port.port(), svc.ports);
                if (np != 0) {
                    String problem = txn.allocatePort(np);
                    if (problem != null) {
                        throw svc.invalid(List.of(FieldError.invalid("spec.ports[" + i + "].nodePort", Integer.toString(np), problem)));
                    }
                    svc.ports.set(i, port.withNodePort(np));
                    byServicePort.put(port.port(), np);
                } else {
                    int next = allocateNextPort(svc, txn, "failed to allocate a nodePort: ");
                    svc.ports.set(i, port.withNodePort(next));
                    byServicePort.put(port.port(), next);
                }
            } else if (port.nodePort() != allocated) {
                if (port.nodePort() == 0) {
                    svc.ports.set(i, port.withNodePort(allocated));
                } else {
                    String problem = txn.allocatePort(port.nodePort());
                    if (problem != null) {
                        throw svc.invalid(List.of(FieldError.invalid("spec.ports[" + i + "].nodePort",
                                Integer.toString(port.nodePort()), problem)));
                    }
                }
            }
        }
    }

    private static int findRequestedNodePort(int port, List<ServicePort> ports) {
        for (ServicePort p : ports) {
            if (p.port() == port && p.nodePort() != 0) {
                return p.nodePort();
            }
        }
        return 0;
    }

    private static int allocateNextPort(Draft svc, Txn txn, String prefix) {
        int port = txn.allocateNextPort();
        if (port < 0) {
            throw new ServiceInternalException(svc.owner, prefix + RANGE_FULL);
        }
        return port;
    }

    /** alloc.go allocHealthCheckNodePort. */
    private void allocHealthCheckNodePort(Draft svc, Txn txn) {
        if (svc.healthCheckNodePort != 0) {
            String problem = txn.allocatePort(svc.healthCheckNodePort);
            if (problem != null) {
                throw new ServiceInternalException(svc.owner, "failed to allocate requested HealthCheck NodePort "
                        + svc.healthCheckNodePort + ": " + problem);
            }
        } else {
            // Go prints the zero value AllocateNext returns with its error
            svc.healthCheckNodePort = allocateNextPort(svc, txn, "failed to allocate a HealthCheck NodePort 0: ");
        }
    }

    /** alloc.go txnUpdateNodePorts. */
    private void updateNodePortsAndHealthCheck(Draft svc, Draft old, Txn txn) {
        if (old.type.needsNodePort() && (svc.type == ServiceType.EXTERNAL_NAME || svc.type == ServiceType.CLUSTER_IP)) {
            for (ServicePort p : old.ports) {
                if (p.nodePort() != 0) {
                    txn.releasePortLater(p.nodePort());
                }
            }
        }
        if (svc.type.needsNodePort()) {
            updateNodePorts(svc, old, txn);
        }
        boolean needed = needsHealthCheck(old);
        boolean needs = needsHealthCheck(svc);
        if (!needed && needs) {
            allocHealthCheckNodePort(svc, txn);
        } else if (needed && !needs) {
            txn.releasePortLater(old.healthCheckNodePort);
        }
    }

    /** alloc.go updateNodePorts: no sharing of a new NodePort between protocols here. */
    private void updateNodePorts(Draft svc, Draft old, Txn txn) {
        List<Integer> oldNumbers = old.nodePortNumbers();
        List<String> seen = new ArrayList<>();
        Set<Integer> portAllocated = new HashSet<>();
        for (int i = 0; i < svc.ports.size(); i++) {
            ServicePort port = svc.ports.get(i);
            if (port.nodePort() == 0 && !shouldAllocateNodePorts(svc)) {
                continue;
            }
            int np = port.nodePort();
            if (np != 0) {
                if (!oldNumbers.contains(np) && !portAllocated.contains(np)) {
                    String problem = txn.allocatePort(np);
                    if (problem != null) {
                        throw svc.invalid(List.of(FieldError.invalid("spec.ports[" + i + "].nodePort", Integer.toString(np), problem)));
                    }
                    portAllocated.add(np);
                }
            } else {
                np = allocateNextPort(svc, txn, "failed to allocate a nodePort: ");
                svc.ports.set(i, port.withNodePort(np));
            }
            String key = "{" + port.protocol() + " " + np + "}";
            if (seen.contains(key)) {
                throw new ServiceInternalException(svc.owner, "duplicate nodePort: " + key, false);
            }
            seen.add(key);
        }
        List<Integer> newNumbers = svc.nodePortNumbers();
        for (int n : oldNumbers) {
            if (!newNumbers.contains(n)) {
                txn.releasePortLater(n);
            }
        }
    }

    private static boolean needsHealthCheck(Draft svc) {
        return needsHealthCheck(svc.type, svc.externalTrafficPolicy);
    }

    /** api/service NeedsHealthCheck: a LoadBalancer with externalTrafficPolicy Local, nothing else. */
    private static boolean needsHealthCheck(ServiceType type, ExternalTrafficPolicy policy) {
        return type == ServiceType.LOAD_BALANCER && policy == ExternalTrafficPolicy.LOCAL;
    }

    // ---------------------------------------------------------------- storage.go and strategy.go

    /** storage.go patchAllocatedValues: keeps what was allocated when the client leaves it out. */
    private static void patchAllocatedValues(Draft svc, Draft old) {
        if (old.type.needsClusterIp() && svc.type.needsClusterIp()) {
            if (svc.clusterIps.isEmpty() && !old.clusterIps.isEmpty()) {
                svc.clusterIps.addAll(old.clusterIps);
            }
        }
        if (patchesNodePorts(old) && patchesNodePorts(svc)) {
            Set<Integer> used = new HashSet<>(old.nodePortNumbers());
            used.retainAll(svc.nodePortNumbers());
            Map<String, Integer> byName = new HashMap<>();
            for (ServicePort p : old.ports) {
                byName.put(p.name(), p.nodePort());
            }
            for (int i = 0; i < svc.ports.size(); i++) {
                ServicePort p = svc.ports.get(i);
                if (p.nodePort() == 0) {
                    int oldValue = byName.getOrDefault(p.name(), 0);
                    if (!used.contains(oldValue)) {
                        svc.ports.set(i, p.withNodePort(oldValue));
                    }
                }
            }
        }
        if (needsHealthCheck(old) && needsHealthCheck(svc) && svc.healthCheckNodePort == 0) {
            svc.healthCheckNodePort = old.healthCheckNodePort;
        }
    }

    /**
     * storage.go needsNodePort as patchAllocatedValues uses it: a LoadBalancer with
     * allocateLoadBalancerNodePorts false does not get its old NodePorts back, so that a client
     * can clear them (kubernetes issue 122381; storage_test.go TestPatchAllocatedValues,
     * "reset_NodePort").
     */
    private static boolean patchesNodePorts(Draft svc) {
        return svc.type == ServiceType.NODE_PORT
                || (svc.type == ServiceType.LOAD_BALANCER && svc.allocateLoadBalancerNodePorts);
    }

    /** strategy.go dropTypeDependentFields: clears what the new type does not use, if unchanged. */
    private static void dropTypeDependentFields(Draft svc, Draft old) {
        if (old.type.needsClusterIp() && !svc.type.needsClusterIp()) {
            if (svc.clusterIps.equals(old.clusterIps)) {
                svc.clusterIps.clear();
            }
            if (svc.families.equals(old.families)) {
                svc.families.clear();
            }
            if (svc.policy == old.policy) {
                svc.policy = null;
            }
        }
        if (old.type.needsNodePort() && !svc.type.needsNodePort()
                && old.nodePortNumbers().containsAll(svc.nodePortNumbers())) {
            for (int i = 0; i < svc.ports.size(); i++) {
                svc.ports.set(i, svc.ports.get(i).withNodePort(0));
            }
        }
        if (needsHealthCheck(old) && !needsHealthCheck(svc) && svc.healthCheckNodePort == old.healthCheckNodePort) {
            svc.healthCheckNodePort = 0;
        }
    }

    /** The part of validation.go's Service validation that allocation depends on. */
    private static void validate(Draft svc, Draft old) {
        List<FieldError> errs = new ArrayList<>();
        if ((svc.type == ServiceType.NODE_PORT || svc.type == ServiceType.LOAD_BALANCER) && svc.isHeadless()) {
            // validation.go ValidateService: a headless Service has no address to forward NodePorts to
            errs.add(FieldError.invalid("spec.clusterIPs[0]", FieldError.str(ServiceSpec.NONE),
                    "may not be set to 'None' for " + svc.type.kubeName() + " services"));
        }
        if (svc.type == ServiceType.EXTERNAL_NAME) {
            if (!svc.clusterIps.isEmpty()) {
                errs.add(FieldError.forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
            }
            if (!svc.families.isEmpty()) {
                errs.add(FieldError.forbidden("spec.ipFamilies", "may not be set for ExternalName services"));
            }
            if (svc.policy != null) {
                errs.add(FieldError.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
            }
        }
        if (!svc.type.needsNodePort()) {
            // kube-apiserver's text for ClusterIP; for ExternalName, which kube-apiserver stores
            // without allocating and later releases on delete, the same check is clusterip's own.
            for (int i = 0; i < svc.ports.size(); i++) {
                if (svc.ports.get(i).nodePort() != 0) {
                    errs.add(FieldError.forbidden("spec.ports[" + i + "].nodePort",
                            "may not be used when `type` is '" + svc.type.kubeName() + "'"));
                }
            }
        }
        if (svc.healthCheckNodePort != 0 && !needsHealthCheck(svc)) {
            // validation.go validateServiceExternalTrafficPolicy: a port no health check uses is never allocated
            errs.add(FieldError.invalid("spec.healthCheckNodePort", Integer.toString(svc.healthCheckNodePort),
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
        }
        if (old != null) {
            if (svc.type != ServiceType.EXTERNAL_NAME && old.type != ServiceType.EXTERNAL_NAME) {
                validateUpgradeDowngradeClusterIps(svc, old, errs);
            }
            if (needsHealthCheck(old) && needsHealthCheck(svc) && old.healthCheckNodePort != svc.healthCheckNodePort) {
                errs.add(FieldError.forbidden("spec.healthCheckNodePort", "field is immutable"));
            }
        }
        if (!errs.isEmpty()) {
            throw svc.invalid(errs);
        }
    }

    /** validation.go validateUpgradeDowngradeClusterIPs. */
    private static void validateUpgradeDowngradeClusterIps(Draft svc, Draft old, List<FieldError> errs) {
        if (old.isHeadless() && svc.isHeadless()) {
            return;
        }
        List<String> oldIps = old.clusterIps;
        List<String> newIps = svc.clusterIps;
        String value = FieldError.strings(newIps);
        if (oldIps.size() == newIps.size()) {
            for (int i = 0; i < oldIps.size(); i++) {
                if (!oldIps.get(i).equals(newIps.get(i))) {
                    errs.add(FieldError.invalid("spec.clusterIPs[" + i + "]", value, "may not change once set"));
                }
            }
        } else if (oldIps.size() > newIps.size()) {
            if (newIps.isEmpty()) {
                errs.add(FieldError.invalid("spec.clusterIPs[0]", value, "primary clusterIP can not be unset"));
            }
            if (!oldIps.isEmpty() && !newIps.isEmpty() && !newIps.get(0).equals(oldIps.get(0))) {
                errs.add(FieldError.invalid("spec.clusterIPs[0]", value, "may not change once set"));
            }
            if (newIps.size() == 1 && svc.policy != IpFamilyPolicy.SINGLE_STACK) {
                errs.add(FieldError.invalid("spec.ipFamilyPolicy", svc.policyValue(),
                        "must be set to 'SingleStack' when releasing the secondary clusterIP"));
            }
        } else if (!oldIps.isEmpty() && !newIps.get(0).equals(oldIps.get(0))) {
            errs.add(FieldError.invalid("spec.clusterIPs[0]", value, "may not change once set"));
        }
    }

    static String familyName(IpFamily family) {
        return family == IpFamily.IPV4 ? "IPv4" : "IPv6";
    }

    private static IpFamily other(IpFamily family) {
        return family == IpFamily.IPV4 ? IpFamily.IPV6 : IpFamily.IPV4;
    }

    // ---------------------------------------------------------------- the transaction

    /**
     * What one call took and what it will release: allocations happen at once and are undone on
     * rollback; releases wait for the commit. In a dry run nothing is taken: the checks read the
     * state, and what the call would take is counted here instead.
     */
    private final class Txn {
        private final Owner owner;
        private final boolean dry;
        private final List<IpAddress> ipsTaken = new ArrayList<>();
        private final List<String> ipsToRelease = new ArrayList<>();
        private final List<Integer> portsTaken = new ArrayList<>();
        private final List<Integer> portsToRelease = new ArrayList<>();
        /** Dry run: every port number the call used, placeholders included (operation.go's list). */
        private final List<Integer> dryPortsUsed = new ArrayList<>();
        /** Dry run: how many ports the call would pick. */
        private int dryPicks;

        Txn(Owner owner, boolean dry) {
            this.owner = owner;
            this.dry = dry;
        }

        IpAddress allocateNextIp(IpFamily family) {
            if (dry) {
                return backend.checkAllocateNext(family);
            }
            IpAddress ip = backend.allocateNext(family, owner);
            ipsTaken.add(ip);
            return ip;
        }

        /** Returns null, or kube-apiserver's reason the address cannot be had. */
        String allocateIp(IpAddress ip) {
            try {
                if (dry) {
                    backend.checkAllocate(ip);
                } else {
                    backend.allocate(ip, owner);
                    ipsTaken.add(ip);
                }
                return null;
            } catch (AllocationException e) {
                return e.getMessage();
            }
        }

        void releaseIpLater(String ip) {
            ipsToRelease.add(ip);
        }

        /** Returns the port, or -1 if the range is full. */
        int allocateNextPort() {
            if (dry) {
                if (backend.freePorts() - portsTaken.size() - dryPicks <= 0) {
                    return -1;
                }
                dryPicks++;
                int placeholder = dryPortsUsed.isEmpty() ? 32769 : dryPortsUsed.stream().max(Integer::compare).get() + 1;
                dryPortsUsed.add(placeholder);
                return placeholder;
            }
            try {
                int port = backend.allocateNextPort(owner);
                portsTaken.add(port);
                return port;
            } catch (RangeFullException e) {
                return -1;
            }
        }

        /** Returns null, or the port allocator's reason the port cannot be had. */
        String allocatePort(int port) {
            if (dry) {
                if (!backend.portRange().contains(port)) {
                    return "provided port is not in the valid range. The range of valid ports is " + backend.portRange();
                }
                if (backend.isPortAllocated(port) || portsTaken.contains(port)) {
                    return "provided port is already allocated";
                }
                portsTaken.add(port);
                dryPortsUsed.add(port);
                return null;
            }
            try {
                backend.allocatePort(port, owner);
                portsTaken.add(port);
                return null;
            } catch (AllocationException e) {
                return e.getMessage();
            }
        }

        void releasePortLater(int port) {
            portsToRelease.add(port);
        }

        void commit() {
            for (String ip : ipsToRelease) {
                backend.release(IpAddress.parse(ip));
            }
            for (int port : portsToRelease) {
                backend.releasePort(port);
            }
        }

        /**
         * Releases what the call took. With a shared store, a release that cannot reach it leaves
         * the allocation under this Service's name for a repair pass; the others go on.
         */
        void rollback() {
            if (dry) {
                return;
            }
            for (IpAddress ip : ipsTaken) {
                try {
                    backend.release(ip);
                } catch (StoreException e) {
                    // held under its owner until a repair pass frees it
                }
            }
            for (int port : portsTaken) {
                try {
                    backend.releasePort(port);
                } catch (StoreException e) {
                    // held under its owner until a repair pass frees it
                }
            }
        }
    }
}
