package io.github.clusterip.service;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidrSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The backend of a {@link ServiceAllocator} of this JVM: a {@link ServiceCidrSet}, a
 * {@link NodePortAllocator} and a map. Guarded by the allocator's lock.
 */
final class MemoryBackend implements ServiceBackend {

    private final ServiceCidrSet cidrs;
    private final NodePortAllocator nodePorts;
    private final Map<Owner, ServiceSpec> services = new TreeMap<>();

    MemoryBackend(ServiceCidrSet cidrs, NodePortAllocator nodePorts) {
        this.cidrs = cidrs;
        this.nodePorts = nodePorts;
    }

    @Override
    public IpAddress checkAllocateNext(IpFamily family) {
        return cidrs.checkAllocateNext(family);
    }

    @Override
    public IpAddress allocateNext(IpFamily family, Owner owner) {
        return cidrs.allocateNext(family, owner);
    }

    @Override
    public void checkAllocate(IpAddress address) {
        cidrs.checkAllocate(address);
    }

    @Override
    public void allocate(IpAddress address, Owner owner) {
        cidrs.allocate(address, owner);
    }

    @Override
    public void release(IpAddress address) {
        cidrs.release(address);
    }

    @Override
    public PortRange portRange() {
        return nodePorts.range();
    }

    @Override
    public long freePorts() {
        return nodePorts.free();
    }

    @Override
    public boolean isPortAllocated(int port) {
        return nodePorts.isAllocated(port);
    }

    @Override
    public int allocateNextPort(Owner owner) {
        return nodePorts.allocateNext();
    }

    @Override
    public void allocatePort(int port, Owner owner) {
        nodePorts.allocate(port);
    }

    @Override
    public void releasePort(int port) {
        nodePorts.release(port);
    }

    @Override
    public Optional<Stored> find(Owner owner) {
        ServiceSpec spec = services.get(owner);
        return spec == null ? Optional.empty() : Optional.of(new Stored(spec, 0));
    }

    @Override
    public List<ServiceSpec> all() {
        return List.copyOf(services.values());
    }

    @Override
    public boolean put(ServiceSpec spec, Stored previous) {
        services.put(spec.owner(), spec);
        return true;
    }

    @Override
    public boolean remove(Stored stored) {
        services.remove(stored.spec().owner());
        return true;
    }
}
