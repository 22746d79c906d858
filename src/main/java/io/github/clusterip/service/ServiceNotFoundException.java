package io.github.clusterip.service;

import io.github.clusterip.Owner;
import io.github.clusterip.internal.Messages;

/**
 * An update or delete of a Service the allocator does not hold, as kube-apiserver's
 * {@code NotFound} status: {@code services "web" not found}.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class ServiceNotFoundException extends ServiceException {

    private static final long serialVersionUID = 1L;

    ServiceNotFoundException(Owner owner) {
        super(owner, "services " + Messages.quote(owner.name()) + " not found");
    }
}
