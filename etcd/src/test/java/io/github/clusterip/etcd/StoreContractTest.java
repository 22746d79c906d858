package io.github.clusterip.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.clusterip.etcd.testing.EtcdCluster;
import io.github.clusterip.store.InMemoryKeyValueStore;
import io.github.clusterip.store.KeyValueStore;
import io.github.clusterip.store.StoreCondition;
import io.github.clusterip.store.StoreEntry;
import io.github.clusterip.store.StoreEvent;
import io.github.clusterip.store.StoreListener;
import io.github.clusterip.store.StoreSnapshot;
import io.github.clusterip.store.StoreWatch;
import io.github.clusterip.store.StoreWrite;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The store contract, checked the same way on the in-memory store and on a real etcd. */
class StoreContractTest {

    private static EtcdCluster etcd;

    static Stream<Arguments> stores() {
        Supplier<KeyValueStore> memory = InMemoryKeyValueStore::new;
        Supplier<KeyValueStore> onEtcd = () -> {
            synchronized (StoreContractTest.class) {
                if (etcd == null) {
                    etcd = EtcdCluster.startSingle();
                }
            }
            return EtcdKeyValueStore.builder().endpoints(etcd.endpoints().toArray(String[]::new))
                    .timeout(Duration.ofSeconds(5)).build();
        };
        return Stream.of(Arguments.of("memory", memory), Arguments.of("etcd", onEtcd));
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
            etcd = null;
        }
    }

    /** A fresh key space per test, since the etcd member is shared by the tests of this class. */
    private static String ns() {
        return "t-" + UUID.randomUUID() + "/";
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static long put(KeyValueStore store, String key, String value) {
        return store.commit(List.of(), List.of(StoreWrite.put(key, b(value)))).orElseThrow();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void absentKeyReadsEmpty(String name, Supplier<KeyValueStore> factory) {
        try (KeyValueStore store = factory.get()) {
            assertThat(store.get(ns() + "nothing")).isEmpty();
            assertThat(store.list(ns()).entries()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void putThenGetReturnsValueAndCommitRevision(String name, Supplier<KeyValueStore> factory) {
        try (KeyValueStore store = factory.get()) {
            String k = ns() + "k";
            long rev = put(store, k, "v1");
            assertThat(rev).isPositive();
            assertThat(store.get(k)).contains(new StoreEntry(k, b("v1"), rev));
            long rev2 = put(store, k, "v2");
            assertThat(rev2).isGreaterThan(rev);
            assertThat(store.get(k)).contains(new StoreEntry(k, b("v2"), rev2));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void listReturnsKeysUnderPrefixInKeyOrderOnly(String name, Supplier<KeyValueStore> factory) {
        try (KeyValueStore store = factory.get()) {
            String ns = ns();
            put(store, ns + "a/2/x", "2");
            put(store, ns + "a/10/x", "10");
            put(store, ns + "a/1/x", "1");
            long last = put(store, ns + "b/1/x", "b");
            StoreSnapshot all = store.list(ns + "a/");
            assertThat(all.entries()).extracting(StoreEntry::key)
                    .containsExactly(ns + "a/1/x", ns + "a/10/x", ns + "a/2/x");
            assertThat(all.revision()).isGreaterThanOrEqualTo(last);
            assertThat(store.list(ns + "a/1/").entries()).extracting(StoreEntry::key).containsExactly(ns + "a/1/x");
            assertThat(store.list(ns + "a/10/").entries()).extracting(StoreEntry::key).containsExactly(ns + "a/10/x");
            assertThat(store.list(ns).entries()).hasSize(4);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void staleConditionChangesNothing(String name, Supplier<KeyValueStore> factory) {
        try (KeyValueStore store = factory.get()) {
            String k = ns() + "k";
            String other = k + "-other";
            long r1 = put(store, k, "v1");
            long r2 = put(store, k, "v2");
            OptionalLong stale = store.commit(List.of(new StoreCondition(k, r1)),
                    List.of(StoreWrite.put(k, b("v3")), StoreWrite.put(other, b("x"))));
            assertThat(stale).isEmpty();
            assertThat(store.get(k)).contains(new StoreEntry(k, b("v2"), r2));
            assertThat(store.get(other)).isEmpty();
            OptionalLong fresh = store.commit(List.of(new StoreCondition(k, r2)), List.of(StoreWrite.put(k, b("v3"))));
            assertThat(fresh).isPresent();
            assertThat(store.get(k).orElseThrow().modRevision()).isEqualTo(fresh.getAsLong());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void absentConditionCreatesOnlyIfAbsent(String name, Supplier<KeyValueStore> factory) {
        try (KeyValueStore store = factory.get()) {
            String k = ns() + "k";
            OptionalLong created = store.commit(List.of(StoreCondition.absent(k)), List.of(StoreWrite.put(k, b("first"))));
            assertThat(created).isPresent();
            OptionalLong again = store.commit(List.of(StoreCondition.absent(k)), List.of(StoreWrite.put(k, b("second"))));
            assertThat(again).isEmpty();
            assertThat(store.get(k).orElseThrow().value()).isEqualTo(b("first"));
            // After a delete the key is absent again: mod revision 0 holds once more.
            store.commit(List.of(), List.of(StoreWrite.delete(k))).orElseThrow();
            assertThat(store.commit(List.of(StoreCondition.absent(k)), List.of(StoreWrite.put(k, b("third")))))
                    .isPresent();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void deleteRemovesTheKey(String name, Supplier<KeyValueStore> factory) {
        try (KeyValueStore store = factory.get()) {
            String k = ns() + "k";
            long r = put(store, k, "v");
            OptionalLong del = store.commit(List.of(new StoreCondition(k, r)), List.of(StoreWrite.delete(k)));
            assertThat(del).isPresent();
            assertThat(store.get(k)).isEmpty();
            // Deleting an absent key is no error.
            assertThat(store.commit(List.of(), List.of(StoreWrite.delete(k)))).isPresent();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void twoWritesOfOneKeyAreRefused(String name, Supplier<KeyValueStore> factory) {
        try (KeyValueStore store = factory.get()) {
            String k = ns() + "k";
            assertThatThrownBy(() -> store.commit(List.of(), List.of(StoreWrite.put(k, b("a")), StoreWrite.delete(k))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(k);
            assertThat(store.get(k)).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void watchReportsChangesInRevisionOrderFromARevisionAndNothingAfterClose(String name,
            Supplier<KeyValueStore> factory) throws InterruptedException {
        try (KeyValueStore store = factory.get()) {
            String ns = ns();
            put(store, ns + "before", "x");
            long from = put(store, ns + "a", "1");
            long r2 = put(store, ns + "b", "2");
            long r3 = store.commit(List.of(), List.of(StoreWrite.delete(ns + "a"), StoreWrite.put(ns + "c", b("3"))))
                    .orElseThrow();
            put(store, "elsewhere-" + ns, "not watched");
            Recorder rec = new Recorder();
            StoreWatch watch = store.watch(ns, from, rec);
            long r4 = put(store, ns + "b", "4");
            List<StoreEvent> expected = List.of(
                    new StoreEvent(ns + "a", b("1"), from),
                    new StoreEvent(ns + "b", b("2"), r2),
                    new StoreEvent(ns + "a", null, r3),
                    new StoreEvent(ns + "c", b("3"), r3),
                    new StoreEvent(ns + "b", b("4"), r4));
            rec.await(expected.size());
            assertThat(rec.events).containsExactlyElementsOf(expected);
            watch.close();
            watch.close();
            put(store, ns + "after", "x");
            Thread.sleep(300);
            assertThat(rec.events).hasSize(expected.size());
            assertThat(rec.resets).isEmpty();
        }
    }

    /** Collects what a watch reports. */
    static final class Recorder implements StoreListener {
        final List<StoreEvent> events = new CopyOnWriteArrayList<>();
        final List<String> resets = new CopyOnWriteArrayList<>();

        @Override
        public void onEvents(List<StoreEvent> batch) {
            events.addAll(batch);
        }

        @Override
        public void onReset(String reason) {
            resets.add(reason);
        }

        void await(int count) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (events.size() < count && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(events).as("events so far").hasSizeGreaterThanOrEqualTo(count);
        }

        Optional<StoreEvent> last() {
            return events.isEmpty() ? Optional.empty() : Optional.of(events.get(events.size() - 1));
        }
    }
}
