package io.github.clusterip.service;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.SharedClusterIpAllocator;
import io.github.clusterip.SharedNodePortAllocator;
import io.github.clusterip.store.KeyValueStore;
import io.github.clusterip.store.StoreCondition;
import io.github.clusterip.store.StoreEntry;
import io.github.clusterip.store.StoreValueException;
import io.github.clusterip.store.StoreWrite;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The backend of a {@link SharedServiceAllocator}: one shared allocator per family, one for
 * NodePorts, and a record per Service under {@code PREFIX services/NAMESPACE/NAME}, stored by a
 * commit conditioned on the record's revision as read.
 */
final class SharedBackend implements ServiceBackend {

    private final KeyValueStore store;
    private final Map<IpFamily, SharedClusterIpAllocator> ips;
    private final SharedNodePortAllocator ports;
    private final String servicePrefix;

    SharedBackend(KeyValueStore store, Map<IpFamily, SharedClusterIpAllocator> ips, SharedNodePortAllocator ports,
            String prefix) {
        this.store = store;
        this.ips = Map.copyOf(ips);
        this.ports = ports;
        this.servicePrefix = prefix + "services/";
    }

    SharedClusterIpAllocator of(IpFamily family) {
        SharedClusterIpAllocator a = ips.get(family);
        if (a == null) {
            // the Service layer checks families against the configured ones before it asks
            throw new IllegalStateException("no CIDR of family " + family + " is configured");
        }
        return a;
    }

    String key(Owner owner) {
        return servicePrefix + owner.namespace() + "/" + owner.name();
    }

    @Override
    public IpAddress checkAllocateNext(IpFamily family) {
        return of(family).checkAllocateNext();
    }

    @Override
    public IpAddress allocateNext(IpFamily family, Owner owner) {
        return of(family).allocateNext(owner);
    }

    @Override
    public void checkAllocate(IpAddress address) {
        of(address.family()).checkAllocate(address);
    }

    @Override
    public void allocate(IpAddress address, Owner owner) {
        of(address.family()).allocate(address, owner);
    }

    @Override
    public void release(IpAddress address) {
        of(address.family()).release(address);
    }

    @Override
    public PortRange portRange() {
        return ports.portRange();
    }

    @Override
    public long freePorts() {
        return ports.free();
    }

    @Override
    public boolean isPortAllocated(int port) {
        return ports.isAllocated(port);
    }

    @Override
    public int allocateNextPort(Owner owner) {
        return ports.allocateNext(owner);
    }

    @Override
    public void allocatePort(int port, Owner owner) {
        ports.allocate(port, owner);
    }

    @Override
    public void releasePort(int port) {
        ports.release(port);
    }

    @Override
    public Optional<Stored> find(Owner owner) {
        String key = key(owner);
        return store.get(key).map(e -> new Stored(ServiceRecords.decode(key, owner, e.value()), e.modRevision()));
    }

    @Override
    public List<ServiceSpec> all() {
        List<ServiceSpec> result = new ArrayList<>();
        for (StoreEntry e : store.list(servicePrefix).entries()) {
            String name = e.key().substring(servicePrefix.length());
            Owner owner;
            try {
                owner = Owner.parse(name);
            } catch (IllegalArgumentException bad) {
                throw new StoreValueException(e.key(), "the key does not name a Service: " + bad.getMessage());
            }
            result.add(ServiceRecords.decode(e.key(), owner, e.value()));
        }
        return result;
    }

    @Override
    public boolean put(ServiceSpec spec, Stored previous) {
        String key = key(spec.owner());
        return store.commit(List.of(new StoreCondition(key, previous == null ? 0 : previous.revision())),
                List.of(StoreWrite.put(key, ServiceRecords.encode(spec)))).isPresent();
    }

    @Override
    public boolean remove(Stored stored) {
        String key = key(stored.spec().owner());
        return store.commit(List.of(new StoreCondition(key, stored.revision())), List.of(StoreWrite.delete(key)))
                .isPresent();
    }
}
