package io.github.clusterip.store;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A {@link KeyValueStore} in this JVM's memory: for tests, and for several allocators of one
 * process that want the store's semantics without a server. Nothing survives the process.
 *
 * <p>This class is thread-safe and linearizable: every call holds one lock. Watch listeners are
 * called in revision order from one thread of the store's; {@link #close()} stops it.
 */
public final class InMemoryKeyValueStore implements KeyValueStore {

    private final Object lock = new Object();
    private final TreeMap<String, StoreEntry> entries = new TreeMap<>();
    /** Every change, in revision order, kept for watches that start at an earlier revision. */
    private final List<StoreEvent> history = new ArrayList<>();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "clusterip-store-watch");
        t.setDaemon(true);
        return t;
    });
    private long revision;
    private boolean closed;

    /** Creates an empty store at revision 0. */
    public InMemoryKeyValueStore() {
    }

    /**
     * Returns the store's revision: that of its last commit, 0 before the first.
     *
     * @return the revision
     */
    public long revision() {
        synchronized (lock) {
            return revision;
        }
    }

    @Override
    public Optional<StoreEntry> get(String key) {
        StoreWrite.checkKey(key);
        synchronized (lock) {
            checkOpen();
            return Optional.ofNullable(entries.get(key));
        }
    }

    @Override
    public StoreSnapshot list(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        synchronized (lock) {
            checkOpen();
            List<StoreEntry> found = new ArrayList<>();
            for (Map.Entry<String, StoreEntry> e : entries.tailMap(prefix, true).entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    break;
                }
                found.add(e.getValue());
            }
            return new StoreSnapshot(found, revision);
        }
    }

    @Override
    public OptionalLong commit(List<StoreCondition> conditions, List<StoreWrite> writes) {
        List<StoreCondition> ifs = List.copyOf(conditions);
        List<StoreWrite> thens = List.copyOf(writes);
        Set<String> keys = new HashSet<>();
        for (StoreWrite w : thens) {
            if (!keys.add(w.key())) {
                throw new IllegalArgumentException("invalid commit: key " + w.key() + " is written twice");
            }
        }
        synchronized (lock) {
            checkOpen();
            for (StoreCondition c : ifs) {
                StoreEntry current = entries.get(c.key());
                long actual = current == null ? 0 : current.modRevision();
                if (actual != c.modRevision()) {
                    return OptionalLong.empty();
                }
            }
            long rev = ++revision;
            List<StoreEvent> events = new ArrayList<>(thens.size());
            for (StoreWrite w : thens) {
                if (w.isDelete()) {
                    if (entries.remove(w.key()) != null) {
                        events.add(new StoreEvent(w.key(), null, rev));
                    }
                } else {
                    byte[] value = w.value();
                    entries.put(w.key(), new StoreEntry(w.key(), value, rev));
                    events.add(new StoreEvent(w.key(), value, rev));
                }
            }
            history.addAll(events);
            for (Watch watch : watches) {
                watch.offer(events);
            }
            return OptionalLong.of(rev);
        }
    }

    @Override
    public StoreWatch watch(String prefix, long fromRevision, StoreListener listener) {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            checkOpen();
            Watch watch = new Watch(prefix, fromRevision, listener);
            List<StoreEvent> past = new ArrayList<>();
            for (StoreEvent e : history) {
                if (e.modRevision() >= fromRevision) {
                    past.add(e);
                }
            }
            watch.offer(past);
            watches.add(watch);
            return watch;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            watches.clear();
        }
        delivery.shutdownNow();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the store is closed");
        }
    }

    /** One watch: filters by prefix and revision, and hands its events to the delivery thread. */
    private final class Watch implements StoreWatch {
        private final String prefix;
        private final long fromRevision;
        private final StoreListener listener;
        private volatile boolean open = true;

        Watch(String prefix, long fromRevision, StoreListener listener) {
            this.prefix = prefix;
            this.fromRevision = fromRevision;
            this.listener = listener;
        }

        /** Called under the store's lock, so that batches reach the delivery queue in order. */
        void offer(List<StoreEvent> events) {
            List<StoreEvent> mine = new ArrayList<>();
            for (StoreEvent e : events) {
                if (e.key().startsWith(prefix) && e.modRevision() >= fromRevision) {
                    mine.add(e);
                }
            }
            if (!mine.isEmpty()) {
                List<StoreEvent> batch = List.copyOf(mine);
                delivery.execute(() -> {
                    if (open) {
                        listener.onEvents(batch);
                    }
                });
            }
        }

        @Override
        public void close() {
            open = false;
            watches.remove(this);
        }
    }
}
