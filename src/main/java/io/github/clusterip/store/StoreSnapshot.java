package io.github.clusterip.store;

import java.util.List;
import java.util.Objects;

/**
 * The keys under a prefix as one revision of a {@link KeyValueStore} held them.
 *
 * @param entries the entries, in key order
 * @param revision the store's revision the entries were read at (0 for a store never written)
 */
public record StoreSnapshot(List<StoreEntry> entries, long revision) {

    /**
     * Checks and copies.
     *
     * @param entries the entries
     * @param revision the revision of the read
     * @throws NullPointerException if {@code entries} is or holds null
     * @throws IllegalArgumentException if {@code revision} is negative
     */
    public StoreSnapshot {
        entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
        if (revision < 0) {
            throw new IllegalArgumentException("invalid revision " + revision + ": must not be negative");
        }
    }
}
