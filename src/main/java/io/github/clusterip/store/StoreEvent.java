package io.github.clusterip.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * A change that a {@linkplain KeyValueStore#watch watch} reports: a key put or deleted.
 *
 * @param key the key
 * @param value the new value, or null if the key was deleted; a copy is kept and returned
 * @param modRevision the revision of the change
 */
public record StoreEvent(String key, byte[] value, long modRevision) {

    /**
     * Checks and copies.
     *
     * @param key the key
     * @param value the new value, or null for a delete
     * @param modRevision the revision of the change
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException if {@code modRevision} is not positive
     */
    public StoreEvent {
        Objects.requireNonNull(key, "key");
        value = value == null ? null : value.clone();
        if (modRevision <= 0) {
            throw new IllegalArgumentException("invalid mod revision " + modRevision + " of key " + key + ": must be positive");
        }
    }

    /**
     * Returns whether the key was deleted.
     *
     * @return true for a delete
     */
    public boolean isDelete() {
        return value == null;
    }

    /**
     * Returns a copy of the new value.
     *
     * @return the value's bytes, or null for a delete
     */
    @Override
    public byte[] value() {
        return value == null ? null : value.clone();
    }

    /**
     * Compares key, value bytes and revision.
     *
     * @param obj the other object
     * @return whether {@code obj} is the same event
     */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof StoreEvent e && e.key.equals(key) && e.modRevision == modRevision
                && Arrays.equals(e.value, value);
    }

    /**
     * Hashes key, value bytes and revision.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(key, modRevision) * 31 + Arrays.hashCode(value);
    }

    /**
     * Names the key, the kind of change and the revision.
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return "StoreEvent[" + (value == null ? "delete " : "put ") + key + " at " + modRevision + "]";
    }
}
