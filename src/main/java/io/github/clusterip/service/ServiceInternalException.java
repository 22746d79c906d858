package io.github.clusterip.service;

import io.github.clusterip.Owner;

/**
 * A Service refused because an allocation that needs no particular value failed, as
 * kube-apiserver's {@code InternalError} status (HTTP 500): for example
 * {@code Internal error occurred: failed to allocate a serviceIP: range is full} or
 * {@code Internal error occurred: failed to allocate a nodePort: range is full}. One error has no
 * prefix, because kube-apiserver returns it as a plain error: {@code duplicate nodePort: {TCP 30080}}
 * (an update whose ports name one NodePort twice for one protocol).
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class ServiceInternalException extends ServiceException {

    private static final long serialVersionUID = 1L;

    /** The message after kube-apiserver's prefix. */
    private final String reason;

    ServiceInternalException(Owner owner, String reason) {
        this(owner, reason, true);
    }

    /**
     * For an error kube-apiserver returns as a plain Go error rather than an {@code InternalError}
     * (it then answers HTTP 500 with the error's text alone), {@code prefixed} is false.
     */
    ServiceInternalException(Owner owner, String reason, boolean prefixed) {
        super(owner, prefixed ? "Internal error occurred: " + reason : reason);
        this.reason = reason;
    }

    /**
     * Returns the error without the {@code Internal error occurred: } prefix, such as
     * {@code failed to allocate a serviceIP: range is full}.
     *
     * @return the reason
     */
    public String reason() {
        return reason;
    }
}
