package io.github.clusterip.store;

/**
 * The store could not be reached, or did not answer within the stated timeout. A commit that
 * failed this way may or may not have been applied: an allocation it made is then held for its
 * owner until a repair pass frees it, and is never handed to anyone else.
 */
public final class StoreUnavailableException extends StoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message what could not be done and why
     * @param cause the underlying error, or null
     */
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
