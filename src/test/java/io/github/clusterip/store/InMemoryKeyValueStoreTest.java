package io.github.clusterip.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The in-memory store keeps etcd's rules: revisions, conditions on mod revisions, prefixes, watches. */
class InMemoryKeyValueStoreTest {

    private final InMemoryKeyValueStore store = new InMemoryKeyValueStore();

    @AfterEach
    void close() {
        store.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void commitsAreConditionedOnModRevisionsAndAnAbsentKeyHasZero() {
        assertThat(store.get("a")).isEmpty();
        OptionalLong first = store.commit(List.of(StoreCondition.absent("a")), List.of(StoreWrite.put("a", b("1"))));
        assertThat(first).hasValue(1);
        assertThat(store.commit(List.of(StoreCondition.absent("a")), List.of(StoreWrite.put("a", b("2"))))).isEmpty();
        StoreEntry a = store.get("a").orElseThrow();
        assertThat(a.modRevision()).isEqualTo(1);
        assertThat(a.value()).isEqualTo(b("1"));
        assertThat(store.commit(List.of(StoreCondition.unchanged(a)), List.of(StoreWrite.put("a", b("2")), StoreWrite.put("b", b("x")))))
                .hasValue(2);
        // the stale condition fails and writes nothing, not even its other keys
        assertThat(store.commit(List.of(StoreCondition.unchanged(a)), List.of(StoreWrite.put("c", b("y"))))).isEmpty();
        assertThat(store.get("c")).isEmpty();
        assertThat(store.revision()).isEqualTo(2);
        assertThat(store.commit(List.of(new StoreCondition("a", 2)), List.of(StoreWrite.delete("a")))).hasValue(3);
        assertThat(store.get("a")).isEmpty();
        assertThat(store.commit(List.of(StoreCondition.absent("a")), List.of())).hasValue(4);
    }

    @Test
    void aPrefixListsItsKeysInOrderAtOneRevisionAndNotItsNeighbours() {
        store.commit(List.of(), List.of(StoreWrite.put("a/10", b("x")), StoreWrite.put("a/1", b("y")), StoreWrite.put("a/2", b("z")),
                StoreWrite.put("b/1", b("w"))));
        StoreSnapshot s = store.list("a/1");
        assertThat(s.entries()).extracting(StoreEntry::key).containsExactly("a/1", "a/10");
        assertThat(store.list("a/").entries()).extracting(StoreEntry::key).containsExactly("a/1", "a/10", "a/2");
        assertThat(store.list("a/").revision()).isEqualTo(1);
        assertThat(store.list("").entries()).hasSize(4);
    }

    @Test
    void badCallsAreRefused() {
        assertThatThrownBy(() -> store.commit(List.of(), List.of(StoreWrite.put("k", b("1")), StoreWrite.delete("k"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("invalid commit: key k is written twice");
        assertThatThrownBy(() -> store.get("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StoreCondition("k", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StoreEntry("k", new byte[0], 0)).isInstanceOf(IllegalArgumentException.class);
        store.close();
        assertThatThrownBy(() -> store.get("k")).isInstanceOf(IllegalStateException.class).hasMessage("the store is closed");
    }

    @Test
    void watchesReportChangesInOrderFromARevisionAndStopWhenClosed() throws Exception {
        store.commit(List.of(), List.of(StoreWrite.put("p/a", b("1"))));
        store.commit(List.of(), List.of(StoreWrite.put("p/b", b("2")), StoreWrite.put("q/x", b("3"))));
        List<StoreEvent> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch four = new CountDownLatch(4);
        StoreWatch w = store.watch("p/", 2, new StoreListener() {
            @Override
            public void onEvents(List<StoreEvent> events) {
                seen.addAll(events);
                events.forEach(e -> four.countDown());
            }

            @Override
            public void onReset(String reason) {
            }
        });
        store.commit(List.of(), List.of(StoreWrite.delete("p/a")));
        store.commit(List.of(), List.of(StoreWrite.put("p/c", b("4"))));
        store.commit(List.of(), List.of(StoreWrite.delete("p/nothing")));
        store.commit(List.of(), List.of(StoreWrite.put("p/d", b("5"))));
        assertThat(four.await(5, TimeUnit.SECONDS)).isTrue();
        w.close();
        store.commit(List.of(), List.of(StoreWrite.put("p/e", b("6"))));
        Thread.sleep(100);
        assertThat(seen).extracting(e -> e.key() + "@" + e.modRevision() + (e.isDelete() ? " deleted" : ""))
                .containsExactly("p/b@2", "p/a@3 deleted", "p/c@4", "p/d@6");
    }
}
