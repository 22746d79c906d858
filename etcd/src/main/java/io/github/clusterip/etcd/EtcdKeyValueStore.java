package io.github.clusterip.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.github.clusterip.store.KeyValueStore;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.github.clusterip.store.StoreCondition;
import io.github.clusterip.store.StoreEntry;
import io.github.clusterip.store.StoreEvent;
import io.github.clusterip.store.StoreListener;
import io.github.clusterip.store.StoreSnapshot;
import io.github.clusterip.store.StoreUnavailableException;
import io.github.clusterip.store.StoreWatch;
import io.github.clusterip.store.StoreWrite;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link KeyValueStore} on etcd (API v3, etcd 3.4 or later), through the jetcd client.
 *
 * <p>Each key is a UTF-8 string used as the etcd key as it is; each value is stored as its bytes.
 * {@link #get} and {@link #list} are linearizable range requests, {@link #commit} is one etcd
 * transaction whose conditions compare each key's mod revision (etcd gives an absent key mod
 * revision 0, as the store contract does), and {@link #watch} is an etcd watch.
 *
 * <p><b>Thread safety.</b> An instance is safe for concurrent use by any number of threads; it
 * holds one etcd client (one gRPC connection at a time, to one of the endpoints) and one thread
 * of its own that calls the watch listeners and restarts broken watches.
 *
 * <p><b>Timeouts.</b> Every call waits at most the builder's {@linkplain Builder#timeout timeout}
 * (5 seconds by default), then throws {@link StoreUnavailableException} whose message names the
 * operation, the key or prefix and the endpoints. A commit that timed out or failed that way
 * may or may not have been applied; each request carries the timeout as its gRPC deadline, so that
 * one still waiting for a connection when the timeout passes is dropped, never sent later. No response larger than the builder's
 * {@linkplain Builder#maxResponseBytes limit} (16 MiB by default) is read: a larger one fails the
 * call with {@link StoreUnavailableException} that says so.
 *
 * <p><b>Watches.</b> A watch reports each change once, in revision order. When its connection
 * breaks (the member stopped, lost its leader, or the network failed) the listener is told
 * {@link StoreListener#onReset onReset} once, and the watch starts again on its own, every half
 * second, from the revision after the last one it reported, so that it misses nothing that etcd
 * still holds. If etcd has compacted revisions the watch still needed, the listener is told
 * {@code onReset} and the watch goes on from the oldest revision etcd holds.
 */
public final class EtcdKeyValueStore implements KeyValueStore {

    /** The timeout of a call unless the builder sets another: 5 seconds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    /** The size limit of one response unless the builder sets another: 16 MiB. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 16 << 20;

    private static final System.Logger LOG = System.getLogger(EtcdKeyValueStore.class.getName());
    private static final long RESTART_DELAY_MILLIS = 500;
    /** The smallest key, and the range end that means "every key after it" in etcd. */
    private static final ByteSequence ZERO_BYTE = ByteSequence.from(new byte[] {0});

    private final List<URI> endpoints;
    private final Duration timeout;
    private final int maxResponseBytes;
    private final Client client;
    private final KV kv;
    private final Watch watchClient;
    private final ScheduledExecutorService watchThread;
    private final List<EtcdWatch> watches = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private EtcdKeyValueStore(Builder b) {
        this.endpoints = List.copyOf(b.endpoints);
        this.timeout = b.timeout;
        this.maxResponseBytes = b.maxResponseBytes;
        this.client = Client.builder()
                .endpoints(endpoints)
                .maxInboundMessageSize(maxResponseBytes)
                .connectTimeout(timeout)
                .interceptors(List.of(new UnaryDeadline(timeout)))
                .build();
        this.kv = client.getKVClient();
        this.watchClient = client.getWatchClient();
        this.watchThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "clusterip-etcd-watch");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts a builder.
     *
     * @return a builder with the default timeout and size limit and no endpoints yet
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the endpoints this store connects to.
     *
     * @return the endpoints, as given to the builder
     */
    public List<URI> endpoints() {
        return endpoints;
    }

    /**
     * Returns how long each call waits at most.
     *
     * @return the timeout
     */
    public Duration timeout() {
        return timeout;
    }

    @Override
    public Optional<StoreEntry> get(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("invalid key \"\": must not be empty");
        }
        checkOpen();
        String what = "get of key " + key;
        GetResponse response = await(what, kv.get(bytes(key)));
        List<KeyValue> kvs = response.getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(entry(kvs.get(0)));
    }

    @Override
    public StoreSnapshot list(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        checkOpen();
        GetOption.Builder option = GetOption.builder()
                .withSortField(GetOption.SortTarget.KEY)
                .withSortOrder(GetOption.SortOrder.ASCEND);
        ByteSequence from;
        if (prefix.isEmpty()) {
            from = ZERO_BYTE;
            option.withRange(ZERO_BYTE);
        } else {
            from = bytes(prefix);
            option.isPrefix(true);
        }
        GetResponse response = await("list of prefix " + prefix, kv.get(from, option.build()));
        List<StoreEntry> found = new ArrayList<>(response.getKvs().size());
        for (KeyValue kv : response.getKvs()) {
            found.add(entry(kv));
        }
        return new StoreSnapshot(found, response.getHeader().getRevision());
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
        checkOpen();
        Cmp[] cmps = new Cmp[ifs.size()];
        for (int i = 0; i < cmps.length; i++) {
            StoreCondition c = ifs.get(i);
            cmps[i] = new Cmp(bytes(c.key()), Cmp.Op.EQUAL, CmpTarget.modRevision(c.modRevision()));
        }
        Op[] ops = new Op[thens.size()];
        for (int i = 0; i < ops.length; i++) {
            StoreWrite w = thens.get(i);
            ops[i] = w.isDelete()
                    ? Op.delete(bytes(w.key()), DeleteOption.DEFAULT)
                    : Op.put(bytes(w.key()), ByteSequence.from(w.value()), PutOption.DEFAULT);
        }
        String what = "commit of " + describe(ifs, thens);
        // TxnOption.DEFAULT: jetcd does not send a transaction again after a failure that left
        // it unknown whether etcd applied it, so an empty result always means "not applied".
        TxnResponse response = await(what, kv.txn().If(cmps).Then(ops).commit());
        return response.isSucceeded() ? OptionalLong.of(response.getHeader().getRevision()) : OptionalLong.empty();
    }

    @Override
    public StoreWatch watch(String prefix, long fromRevision, StoreListener listener) {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(listener, "listener");
        checkOpen();
        EtcdWatch watch = new EtcdWatch(prefix, fromRevision, listener);
        watches.add(watch);
        watch.start();
        try {
            await("watch of prefix " + prefix, watch.firstCreated);
        } catch (RuntimeException e) {
            watch.close();
            throw e;
        }
        return watch;
    }

    /**
     * Ends every watch, closes the etcd client and stops the store's thread. Closing twice is no
     * error; other calls after this throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (EtcdWatch w : watches) {
            w.close();
        }
        client.close();
        watchThread.shutdownNow();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the store is closed");
        }
    }

    private <T> T await(String what, CompletableFuture<T> future) {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new StoreUnavailableException("etcd " + what + " did not complete within " + timeout
                    + " (endpoints " + endpoints + ")", e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("etcd " + what + " was interrupted (endpoints " + endpoints + ")", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            String message = String.valueOf(cause.getMessage());
            if (message.contains("exceeds maximum")) {
                throw new StoreUnavailableException("etcd " + what + " failed: the response is larger than the limit of "
                        + maxResponseBytes + " bytes (endpoints " + endpoints + "): " + message, cause);
            }
            throw new StoreUnavailableException("etcd " + what + " failed (endpoints " + endpoints + "): " + message, cause);
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static StoreEntry entry(KeyValue kv) {
        return new StoreEntry(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().getBytes(), kv.getModRevision());
    }

    private static String describe(List<StoreCondition> ifs, List<StoreWrite> thens) {
        List<String> parts = new ArrayList<>();
        for (StoreCondition c : ifs) {
            parts.add("if " + c.key() + "@" + c.modRevision());
        }
        for (StoreWrite w : thens) {
            parts.add((w.isDelete() ? "delete " : "put ") + w.key());
        }
        String all = String.join(", ", parts);
        return all.length() > 300 ? all.substring(0, 300) + "..." : all;
    }

    /**
     * One watch: an etcd watch, started again from the next revision whenever it breaks.
     * Deliveries and restarts run on the store's thread, in the order they were queued.
     */
    private final class EtcdWatch implements StoreWatch {
        private final String prefix;
        private final StoreListener listener;
        private final ByteSequence from;
        private final ByteSequence rangeEnd;
        final CompletableFuture<Void> firstCreated = new CompletableFuture<>();
        /** Guards the fields below; never held while calling into jetcd or the listener. */
        private final Object lock = new Object();
        /** Held while the listener runs, so that close() can wait for a running call. */
        private final Object deliveryLock = new Object();
        private volatile boolean open = true;
        private long nextRevision;
        private int generation;
        private Watch.Watcher current;
        private boolean resetSinceCreated;

        EtcdWatch(String prefix, long fromRevision, StoreListener listener) {
            this.prefix = prefix;
            this.listener = listener;
            // etcd's revisions start at 1; 0 would mean "from now" to etcd, not "from the start".
            this.nextRevision = Math.max(1, fromRevision);
            if (prefix.isEmpty()) {
                this.from = ZERO_BYTE;
                this.rangeEnd = ZERO_BYTE;
            } else {
                byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
                this.from = ByteSequence.from(p);
                this.rangeEnd = prefixEnd(p);
            }
        }

        void start() {
            int g;
            WatchOption option;
            synchronized (lock) {
                if (!open || closed) {
                    return;
                }
                g = ++generation;
                option = WatchOption.builder()
                        .withRange(rangeEnd)
                        .withRevision(nextRevision)
                        .withCreateNotify(true)
                        .withRequireLeader(true)
                        .build();
            }
            Watch.Watcher w;
            try {
                w = watchClient.watch(from, option, Watch.listener(r -> onNext(g, r), t -> onError(g, t), () -> { }));
            } catch (RuntimeException e) {
                onError(g, e);
                return;
            }
            boolean stale;
            synchronized (lock) {
                stale = g != generation || !open;
                if (!stale) {
                    current = w;
                }
            }
            if (stale) {
                w.close();
            }
        }

        private void onNext(int g, WatchResponse response) {
            synchronized (lock) {
                if (g != generation || !open) {
                    return;
                }
                if (response.isCreatedNotify()) {
                    resetSinceCreated = false;
                    firstCreated.complete(null);
                }
                List<StoreEvent> batch = new ArrayList<>();
                for (WatchEvent e : response.getEvents()) {
                    KeyValue kv = e.getKeyValue();
                    long rev = kv.getModRevision();
                    if (rev < nextRevision) {
                        continue;
                    }
                    String key = kv.getKey().toString(StandardCharsets.UTF_8);
                    switch (e.getEventType()) {
                        case PUT -> batch.add(new StoreEvent(key, kv.getValue().getBytes(), rev));
                        case DELETE -> batch.add(new StoreEvent(key, null, rev));
                        default -> {
                            continue;
                        }
                    }
                }
                if (!batch.isEmpty()) {
                    nextRevision = batch.get(batch.size() - 1).modRevision() + 1;
                    List<StoreEvent> events = List.copyOf(batch);
                    deliver(() -> listener.onEvents(events));
                }
            }
        }

        private void onError(int g, Throwable t) {
            Watch.Watcher broken;
            long delay;
            synchronized (lock) {
                if (g != generation || !open || closed) {
                    return;
                }
                generation++;
                broken = current;
                current = null;
                String reason;
                if (t instanceof CompactedException c) {
                    long oldest = c.getCompactedRevision();
                    reason = "etcd compacted the revisions before " + oldest + " that the watch of prefix " + prefix
                            + " still needed (from " + nextRevision + "); it goes on from " + oldest;
                    nextRevision = Math.max(nextRevision, oldest);
                    delay = 0;
                    resetSinceCreated = true;
                    deliver(() -> listener.onReset(reason));
                } else {
                    reason = "the watch of prefix " + prefix + " on etcd (endpoints " + endpoints + ") broke: "
                            + t.getMessage() + "; it starts again from revision " + nextRevision;
                    delay = RESTART_DELAY_MILLIS;
                    if (!resetSinceCreated) {
                        resetSinceCreated = true;
                        deliver(() -> listener.onReset(reason));
                    }
                }
            }
            if (broken != null) {
                broken.close();
            }
            try {
                watchThread.schedule(this::start, delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // The store is closing.
            }
        }

        /** Queues a call of the listener; called under {@code lock}, so calls keep their order. */
        private void deliver(Runnable call) {
            try {
                watchThread.execute(() -> {
                    synchronized (deliveryLock) {
                        if (!open) {
                            return;
                        }
                        try {
                            call.run();
                        } catch (RuntimeException e) {
                            LOG.log(System.Logger.Level.WARNING, "a watch listener of prefix " + prefix + " failed", e);
                        }
                    }
                });
            } catch (RejectedExecutionException e) {
                // The store is closing.
            }
        }

        @Override
        public void close() {
            Watch.Watcher w;
            synchronized (lock) {
                if (!open) {
                    return;
                }
                open = false;
                generation++;
                w = current;
                current = null;
            }
            watches.remove(this);
            firstCreated.cancel(false);
            if (w != null) {
                w.close();
            }
            // Wait for a listener call in progress (unless this is that call).
            synchronized (deliveryLock) {
                open = false;
            }
        }
    }

    /**
     * Gives every request (not the watch streams) a gRPC deadline of the store's timeout. jetcd
     * waits for a connection before it sends a request ("wait for ready"); without a deadline a
     * commit that this store already reported as failed would stay queued and could be applied
     * whenever etcd came back, long after its caller moved on. With one, gRPC drops it.
     */
    private static final class UnaryDeadline implements ClientInterceptor {
        private final long nanos;

        UnaryDeadline(Duration timeout) {
            this.nanos = timeout.toNanos();
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            if (method.getType() == MethodDescriptor.MethodType.UNARY) {
                return next.newCall(method, options.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS));
            }
            return next.newCall(method, options);
        }
    }

    /** The smallest byte string greater than every string that starts with {@code prefix}. */
    private static ByteSequence prefixEnd(byte[] prefix) {
        byte[] end = Arrays.copyOf(prefix, prefix.length);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return ByteSequence.from(Arrays.copyOf(end, i + 1));
            }
        }
        return ZERO_BYTE;
    }

    /**
     * Builds an {@link EtcdKeyValueStore}. Not thread-safe; {@link #build()} may be called more
     * than once.
     */
    public static final class Builder {
        private List<URI> endpoints = List.of();
        private Duration timeout = DEFAULT_TIMEOUT;
        private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;

        private Builder() {
        }

        /**
         * Sets the etcd endpoints, such as {@code http://127.0.0.1:2379}.
         *
         * @param endpoints the client URLs of one or more members of one cluster
         * @return this builder
         * @throws IllegalArgumentException if an endpoint is not an {@code http} URL with a host and
         *         a port, or none is given
         */
        public Builder endpoints(String... endpoints) {
            List<URI> uris = new ArrayList<>();
            for (String e : endpoints) {
                Objects.requireNonNull(e, "endpoint");
                try {
                    uris.add(new URI(e));
                } catch (URISyntaxException x) {
                    throw new IllegalArgumentException("invalid etcd endpoint " + e + ": " + x.getMessage(), x);
                }
            }
            return endpoints(uris);
        }

        /**
         * Sets the etcd endpoints, such as {@code http://127.0.0.1:2379}.
         *
         * @param endpoints the client URLs of one or more members of one cluster
         * @return this builder
         * @throws IllegalArgumentException if an endpoint is not an {@code http} URL with a host and
         *         a port, or none is given
         */
        public Builder endpoints(List<URI> endpoints) {
            List<URI> copy = List.copyOf(endpoints);
            if (copy.isEmpty()) {
                throw new IllegalArgumentException("invalid etcd endpoints []: at least one is needed");
            }
            for (URI u : copy) {
                if (!"http".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 0
                        || !(u.getPath() == null || u.getPath().isEmpty() || u.getPath().equals("/"))) {
                    throw new IllegalArgumentException("invalid etcd endpoint " + u
                            + ": must be http://host:port (TLS is not supported yet)");
                }
            }
            this.endpoints = copy;
            return this;
        }

        /**
         * Sets how long each call waits at most before it throws
         * {@link StoreUnavailableException}; also the connect timeout.
         *
         * @param timeout a positive duration; 5 seconds by default
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is not positive
         */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("invalid timeout " + timeout + ": must be positive");
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * Sets the size limit of one response from etcd (the largest gRPC message read). A call
         * whose response is larger fails with {@link StoreUnavailableException}.
         *
         * @param maxResponseBytes the limit in bytes, at least 1024; 16 MiB by default
         * @return this builder
         * @throws IllegalArgumentException if {@code maxResponseBytes} is below 1024
         */
        public Builder maxResponseBytes(int maxResponseBytes) {
            if (maxResponseBytes < 1024) {
                throw new IllegalArgumentException("invalid maxResponseBytes " + maxResponseBytes + ": must be at least 1024");
            }
            this.maxResponseBytes = maxResponseBytes;
            return this;
        }

        /**
         * Creates the store. It connects lazily: building succeeds even if etcd is down, and the
         * first call then fails after the timeout.
         *
         * @return a new store
         * @throws IllegalStateException if no endpoints were set
         */
        public EtcdKeyValueStore build() {
            if (endpoints.isEmpty()) {
                throw new IllegalStateException("no etcd endpoints: call endpoints(...) first");
            }
            return new EtcdKeyValueStore(this);
        }
    }
}
