package io.github.clusterip.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * A write of a {@linkplain KeyValueStore#commit commit}: a put of a value, or a delete.
 *
 * @param key the key
 * @param value the new value, or null to delete the key; a copy is kept and returned
 */
public record StoreWrite(String key, byte[] value) {

    /**
     * Checks and copies.
     *
     * @param key the key
     * @param value the value, or null for a delete
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException if {@code key} is empty
     */
    public StoreWrite {
        checkKey(key);
        value = value == null ? null : value.clone();
    }

    /**
     * A put.
     *
     * @param key the key
     * @param value the value
     * @return the write
     * @throws NullPointerException if an argument is null
     */
    public static StoreWrite put(String key, byte[] value) {
        return new StoreWrite(key, Objects.requireNonNull(value, "value"));
    }

    /**
     * A delete; deleting an absent key is no error.
     *
     * @param key the key
     * @return the write
     */
    public static StoreWrite delete(String key) {
        return new StoreWrite(key, null);
    }

    /**
     * Returns whether this is a delete.
     *
     * @return true for a delete, false for a put
     */
    public boolean isDelete() {
        return value == null;
    }

    /**
     * Returns a copy of the value.
     *
     * @return the value's bytes, or null for a delete
     */
    @Override
    public byte[] value() {
        return value == null ? null : value.clone();
    }

    /**
     * Compares key and value bytes.
     *
     * @param obj the other object
     * @return whether {@code obj} is the same write
     */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof StoreWrite w && w.key.equals(key) && Arrays.equals(w.value, value);
    }

    /**
     * Hashes key and value bytes.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return key.hashCode() * 31 + Arrays.hashCode(value);
    }

    /**
     * Names the key and the value's length (not the bytes).
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return value == null ? "StoreWrite[delete " + key + "]" : "StoreWrite[put " + key + ", " + value.length + " bytes]";
    }

    static void checkKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("invalid key \"\": must not be empty");
        }
    }
}
