package io.github.clusterip.store;

import java.util.Objects;

/**
 * A condition of a {@linkplain KeyValueStore#commit commit}: the key's mod revision must be the
 * one given, 0 meaning that the key must be absent.
 *
 * @param key the key
 * @param modRevision the mod revision the key must have, or 0 for an absent key
 */
public record StoreCondition(String key, long modRevision) {

    /**
     * Checks.
     *
     * @param key the key
     * @param modRevision the expected mod revision
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException if {@code key} is empty or {@code modRevision} negative
     */
    public StoreCondition {
        StoreWrite.checkKey(key);
        if (modRevision < 0) {
            throw new IllegalArgumentException("invalid mod revision " + modRevision + " of key " + key + ": must not be negative");
        }
    }

    /**
     * The condition that a key is absent.
     *
     * @param key the key
     * @return the condition
     */
    public static StoreCondition absent(String key) {
        return new StoreCondition(key, 0);
    }

    /**
     * The condition that a key is unchanged since it was read.
     *
     * @param entry the key as read
     * @return the condition on its key and mod revision
     */
    public static StoreCondition unchanged(StoreEntry entry) {
        Objects.requireNonNull(entry, "entry");
        return new StoreCondition(entry.key(), entry.modRevision());
    }
}
