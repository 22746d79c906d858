package io.github.clusterip.store;

/**
 * The parent of the errors of a {@link KeyValueStore} and of what allocates through one.
 */
public abstract sealed class StoreException extends RuntimeException
        permits StoreUnavailableException, StoreValueException, StoreConflictException {

    private static final long serialVersionUID = 1L;

    StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
