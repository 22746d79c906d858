package io.github.clusterip.service;

import io.github.clusterip.Owner;
import io.github.clusterip.internal.Messages;
import java.util.List;

/**
 * A Service refused for its fields, as kube-apiserver's {@code Invalid} status (HTTP 422). The
 * message is kube-apiserver's: {@code Service "web" is invalid: } followed by the one field error,
 * or by all of them in brackets, comma-separated.
 *
 * <p>Instances are immutable once thrown and may be shared between threads.
 */
public final class ServiceInvalidException extends ServiceException {

    private static final long serialVersionUID = 1L;

    /** The field errors; {@code List.copyOf} gives a serializable list. */
    private final List<FieldError> errors;

    ServiceInvalidException(Owner owner, List<FieldError> errors) {
        super(owner, message(owner, errors));
        this.errors = List.copyOf(errors);
    }

    private static String message(Owner owner, List<FieldError> errors) {
        String body;
        if (errors.size() == 1) {
            body = errors.get(0).toString();
        } else {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < errors.size(); i++) {
                b.append(i == 0 ? "" : ", ").append(errors.get(i));
            }
            body = b.append(']').toString();
        }
        return "Service " + Messages.quote(owner.name()) + " is invalid: " + body;
    }

    /**
     * Returns the field errors, in the order kube-apiserver lists them.
     *
     * @return an immutable, non-empty list
     */
    public List<FieldError> errors() {
        return errors;
    }
}
