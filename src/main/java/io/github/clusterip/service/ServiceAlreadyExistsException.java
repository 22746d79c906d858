package io.github.clusterip.service;

import io.github.clusterip.Owner;
import io.github.clusterip.internal.Messages;

/**
 * A create of a Service the allocator holds already, as kube-apiserver's {@code AlreadyExists}
 * status: {@code services "web" already exists}.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class ServiceAlreadyExistsException extends ServiceException {

    private static final long serialVersionUID = 1L;

    ServiceAlreadyExistsException(Owner owner) {
        super(owner, "services " + Messages.quote(owner.name()) + " already exists");
    }
}
