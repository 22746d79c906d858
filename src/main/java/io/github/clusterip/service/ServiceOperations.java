package io.github.clusterip.service;

import io.github.clusterip.Owner;

/**
 * Creates, updates and deletes Services, each call one transaction: it takes every address and
 * port it needs, or none. Implemented by {@link ServiceAllocator} and by its
 * {@linkplain ServiceAllocator#dryRun() dry run}, which checks the same and changes nothing.
 */
public interface ServiceOperations {

    /**
     * Creates a Service: defaults its families and policy, allocates its cluster IPs, NodePorts and
     * health-check NodePort as kube-apiserver does.
     *
     * @param spec the Service as asked for
     * @return the Service as stored, with the allocated values filled in
     * @throws ServiceAlreadyExistsException if a Service of that owner exists
     * @throws ServiceInvalidException if a field is refused, with kube-apiserver's field errors
     * @throws ServiceInternalException if a range is full
     * @throws NullPointerException if {@code spec} is null
     */
    ServiceSpec create(ServiceSpec spec);

    /**
     * Updates a Service: keeps, allocates and releases as kube-apiserver does for the change of
     * type, families and ports. Values the spec leaves empty that the stored Service has
     * (cluster IPs, NodePorts by port name, the health-check NodePort) are kept.
     *
     * @param spec the Service as it should be
     * @return the Service as stored
     * @throws ServiceNotFoundException if there is no Service of that owner
     * @throws ServiceInvalidException if a field or the change is refused
     * @throws ServiceInternalException if a range is full
     * @throws NullPointerException if {@code spec} is null
     */
    ServiceSpec update(ServiceSpec spec);

    /**
     * Deletes a Service and releases everything it held.
     *
     * @param owner the Service
     * @return the Service as it was stored
     * @throws ServiceNotFoundException if there is no Service of that owner
     * @throws NullPointerException if {@code owner} is null
     */
    ServiceSpec delete(Owner owner);
}
