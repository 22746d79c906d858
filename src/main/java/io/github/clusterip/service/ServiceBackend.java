package io.github.clusterip.service;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import java.util.List;
import java.util.Optional;

/**
 * Where a {@link ServiceAllocator} takes cluster IPs and NodePorts and keeps its Services: this
 * JVM's memory ({@link MemoryBackend}) or a shared store ({@link SharedServiceAllocator}).
 * Every method throws what the allocators throw ({@code AllocationException}s for the refusals
 * the Service layer reports as field errors).
 */
interface ServiceBackend {

    /** A Service as stored, with the revision to condition its next change on (0 in memory). */
    record Stored(ServiceSpec spec, long revision) {
    }

    /** Checks that an address of the family could be allocated; returns the dry-run placeholder. */
    IpAddress checkAllocateNext(IpFamily family);

    /** Allocates a free address of the family. */
    IpAddress allocateNext(IpFamily family, Owner owner);

    /** Checks that a given address could be allocated. */
    void checkAllocate(IpAddress address);

    /** Allocates a given address. */
    void allocate(IpAddress address, Owner owner);

    /** Releases an address. */
    void release(IpAddress address);

    /** The NodePort range. */
    PortRange portRange();

    /** How many NodePorts are free. */
    long freePorts();

    /** Whether a NodePort is allocated. */
    boolean isPortAllocated(int port);

    /** Allocates a free NodePort; throws {@code RangeFullException} when none is. */
    int allocateNextPort(Owner owner);

    /** Allocates a given NodePort. */
    void allocatePort(int port, Owner owner);

    /** Releases a NodePort. */
    void releasePort(int port);

    /** The Service of an owner, as stored. */
    Optional<Stored> find(Owner owner);

    /** Every Service, ordered by owner. */
    List<ServiceSpec> all();

    /**
     * Stores a created or updated Service if its record is still as read.
     *
     * @param spec the Service to store
     * @param previous the record as read before the change, or null for a create
     * @return false if the record changed meanwhile (or, for a create, exists), and nothing was stored
     */
    boolean put(ServiceSpec spec, Stored previous);

    /**
     * Removes a Service if its record is still as read.
     *
     * @return false if the record changed meanwhile, and nothing was removed
     */
    boolean remove(Stored stored);
}
