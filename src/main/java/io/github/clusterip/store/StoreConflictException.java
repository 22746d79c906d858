package io.github.clusterip.store;

/**
 * A change lost the race for the same key to other writers more times in a row than the
 * allocator allows: the range is too contended for this call. Nothing was changed by it; the
 * call may be tried again.
 */
public final class StoreConflictException extends StoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message what could not be done, and after how many attempts
     */
    public StoreConflictException(String message) {
        super(message, null);
    }
}
