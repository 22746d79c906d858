package io.github.clusterip.store;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A versioned key-value store: the little that allocators need to share state between JVMs.
 *
 * <p>The model is etcd's. Every committed change gets the next revision of the store, a positive
 * number that only grows; each key remembers the revision of its last change (its
 * <em>mod revision</em>), and an absent key has mod revision 0. A {@linkplain #commit commit}
 * applies its writes only if each of its conditions (a key's mod revision) still holds, all at
 * once or not at all, which is what lets two JVMs take from the same range without either
 * handing out what the other took. Keys are non-empty text; values are bytes.
 *
 * <p>Implementations must be linearizable: a read returns every commit that completed before it
 * began, and a commit's conditions are checked against the latest state. They must be safe for
 * concurrent use by many threads. A call that cannot reach the store within the
 * implementation's stated timeout throws {@link StoreUnavailableException}; a commit that failed
 * that way may or may not have been applied.
 *
 * @see InMemoryKeyValueStore
 */
public interface KeyValueStore extends AutoCloseable {

    /**
     * Reads one key.
     *
     * @param key the key
     * @return its value and mod revision, or empty if the key is absent
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws IllegalArgumentException if the key is empty
     */
    Optional<StoreEntry> get(String key);

    /**
     * Reads every key that starts with a prefix, all at one revision.
     *
     * @param prefix the prefix; every key starts with the empty prefix
     * @return the entries in key order, and the revision they were read at
     * @throws StoreUnavailableException if the store cannot be reached
     */
    StoreSnapshot list(String prefix);

    /**
     * Applies writes atomically if every condition holds.
     *
     * @param conditions the mod revision each named key must have (0: the key must be absent)
     * @param writes the puts and deletes to apply, at most one per key
     * @return the revision of the commit, or empty if a condition did not hold (nothing was
     *         written then)
     * @throws StoreUnavailableException if the store cannot be reached; the writes may or may
     *         not have been applied
     * @throws IllegalArgumentException if two writes name the same key
     */
    OptionalLong commit(List<StoreCondition> conditions, List<StoreWrite> writes);

    /**
     * Reports the changes to keys that start with a prefix, from a revision on, in revision
     * order. The listener is called from a thread of the store's, never concurrently for one
     * watch; it must not block for long.
     *
     * @param prefix the prefix of the keys to watch
     * @param fromRevision the first revision to report; changes at earlier revisions are not
     *        reported
     * @param listener what to tell
     * @return the watch, to close when it is no longer wanted
     * @throws StoreUnavailableException if the store cannot be reached
     */
    StoreWatch watch(String prefix, long fromRevision, StoreListener listener);

    /**
     * Releases what the store holds (connections, threads) and ends its watches. Calls after
     * this fail.
     */
    @Override
    void close();
}
