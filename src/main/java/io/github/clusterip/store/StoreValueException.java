package io.github.clusterip.store;

import java.util.Objects;

/**
 * A value in the store is not what an allocator wrote there: corrupted, truncated, or another
 * program's. Nothing is overwritten: the key stays as it was until someone repairs or removes it.
 */
public final class StoreValueException extends StoreException {

    private static final long serialVersionUID = 1L;

    /** The key whose value is wrong. */
    private final String key;
    /** What is wrong with the value. */
    private final String problem;

    /**
     * Creates the error.
     *
     * @param key the key whose value is wrong
     * @param problem what is wrong with it
     */
    public StoreValueException(String key, String problem) {
        super("invalid value under key " + Objects.requireNonNull(key, "key") + ": " + problem, null);
        this.key = key;
        this.problem = Objects.requireNonNull(problem, "problem");
    }

    /**
     * Returns the key whose value is wrong.
     *
     * @return the key
     */
    public String key() {
        return key;
    }

    /**
     * Returns what is wrong with the value, without the key.
     *
     * @return the problem
     */
    public String problem() {
        return problem;
    }
}
