package io.github.clusterip.service;

import io.github.clusterip.Owner;
import java.util.Objects;

/**
 * The parent of the errors a {@link ServiceAllocator} reports for a refused call, each with
 * kube-apiserver's text for the same request. A refused call leaves the allocator, its
 * {@link io.github.clusterip.ServiceCidrSet} and its {@link io.github.clusterip.NodePortAllocator}
 * exactly as they were.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public abstract sealed class ServiceException extends RuntimeException
        permits ServiceInvalidException, ServiceInternalException, ServiceNotFoundException,
                ServiceAlreadyExistsException {

    private static final long serialVersionUID = 1L;

    /** The Service as text, so that the exception stays serializable. */
    private final String owner;

    ServiceException(Owner owner, String message) {
        super(message);
        this.owner = Objects.requireNonNull(owner, "owner").toString();
    }

    /**
     * Returns the Service the refused call was about.
     *
     * @return its namespace and name
     */
    public Owner owner() {
        return Owner.parse(owner);
    }
}
