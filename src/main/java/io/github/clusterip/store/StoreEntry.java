package io.github.clusterip.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * A key of a {@link KeyValueStore}, its value and the revision of its last change.
 *
 * @param key the key
 * @param value the value; a copy is kept and returned
 * @param modRevision the revision of the key's last change, positive
 */
public record StoreEntry(String key, byte[] value, long modRevision) {

    /**
     * Checks and copies.
     *
     * @param key the key
     * @param value the value
     * @param modRevision the revision of the key's last change
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws IllegalArgumentException if {@code modRevision} is not positive
     */
    public StoreEntry {
        Objects.requireNonNull(key, "key");
        value = Objects.requireNonNull(value, "value").clone();
        if (modRevision <= 0) {
            throw new IllegalArgumentException("invalid mod revision " + modRevision + " of key " + key + ": must be positive");
        }
    }

    /**
     * Returns a copy of the value.
     *
     * @return the value's bytes
     */
    @Override
    public byte[] value() {
        return value.clone();
    }

    /**
     * Compares key, value bytes and revision.
     *
     * @param obj the other object
     * @return whether {@code obj} is an entry with the same key, bytes and revision
     */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof StoreEntry e && e.key.equals(key) && e.modRevision == modRevision
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
     * Names the key, the value's length and the revision (not the bytes).
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return "StoreEntry[key=" + key + ", " + value.length + " bytes, modRevision=" + modRevision + "]";
    }
}
