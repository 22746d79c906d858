package io.github.clusterip.etcd.bench;

import io.github.clusterip.store.KeyValueStore;
import io.github.clusterip.store.StoreCondition;
import io.github.clusterip.store.StoreEntry;
import io.github.clusterip.store.StoreListener;
import io.github.clusterip.store.StoreSnapshot;
import io.github.clusterip.store.StoreWatch;
import io.github.clusterip.store.StoreWrite;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/** A store that counts its commits and those that lost to another writer. */
final class CountingStore implements KeyValueStore {
    private final KeyValueStore store;
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();

    CountingStore(KeyValueStore store) {
        this.store = store;
    }

    long commits() {
        return commits.get();
    }

    long lost() {
        return lost.get();
    }

    @Override
    public Optional<StoreEntry> get(String key) {
        return store.get(key);
    }

    @Override
    public StoreSnapshot list(String prefix) {
        return store.list(prefix);
    }

    @Override
    public OptionalLong commit(List<StoreCondition> conditions, List<StoreWrite> writes) {
        OptionalLong r = store.commit(conditions, writes);
        commits.incrementAndGet();
        if (r.isEmpty()) {
            lost.incrementAndGet();
        }
        return r;
    }

    @Override
    public StoreWatch watch(String prefix, long fromRevision, StoreListener listener) {
        return store.watch(prefix, fromRevision, listener);
    }

    @Override
    public void close() {
        store.close();
    }
}
