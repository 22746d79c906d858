package io.github.clusterip.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.Client;
import io.github.clusterip.etcd.testing.EtcdCluster;
import io.github.clusterip.store.StoreEvent;
import io.github.clusterip.store.StoreUnavailableException;
import io.github.clusterip.store.StoreWatch;
import io.github.clusterip.store.StoreWrite;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What is particular to etcd: compaction, the response size limit, the builder's checks. */
class EtcdKeyValueStoreTest {

    private static EtcdCluster etcd;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.startSingle();
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static EtcdKeyValueStore.Builder builder() {
        return EtcdKeyValueStore.builder().endpoints(etcd.endpoints().toArray(String[]::new));
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void watchFromACompactedRevisionReportsResetAndGoesOnFromTheOldestRevisionKept() throws Exception {
        try (EtcdKeyValueStore store = builder().build();
                Client raw = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            long r1 = store.commit(List.of(), List.of(StoreWrite.put("compact/a", b("1")))).orElseThrow();
            long r2 = store.commit(List.of(), List.of(StoreWrite.put("compact/b", b("2")))).orElseThrow();
            long r3 = store.commit(List.of(), List.of(StoreWrite.put("compact/c", b("3")))).orElseThrow();
            raw.getKVClient().compact(r2).get();
            StoreContractTest.Recorder rec = new StoreContractTest.Recorder();
            StoreWatch watch = store.watch("compact/", r1, rec);
            try {
                rec.await(2);
                assertThat(rec.resets).hasSize(1);
                assertThat(rec.resets.get(0)).contains("compacted").contains("compact/");
                assertThat(rec.events).containsExactly(new StoreEvent("compact/b", b("2"), r2),
                        new StoreEvent("compact/c", b("3"), r3));
            } finally {
                watch.close();
            }
        }
    }

    @Test
    void responseLargerThanTheLimitFailsWithAClearError() {
        try (EtcdKeyValueStore store = builder().maxResponseBytes(1024).build()) {
            store.commit(List.of(), List.of(StoreWrite.put("big/k", new byte[4096]))).orElseThrow();
            assertThatThrownBy(() -> store.get("big/k"))
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("get of key big/k")
                    .hasMessageContaining("larger than the limit of 1024 bytes");
            store.commit(List.of(), List.of(StoreWrite.put("big/small", b("x")))).orElseThrow();
            assertThat(store.get("big/small")).isPresent();
        }
    }

    @Test
    void keysAreUtf8() {
        try (EtcdKeyValueStore store = builder().build()) {
            String k = "utf8/é/日本/\uD83D\uDE00";
            store.commit(List.of(), List.of(StoreWrite.put(k, b("v")))).orElseThrow();
            assertThat(store.list("utf8/é/").entries()).singleElement().satisfies(e -> assertThat(e.key()).isEqualTo(k));
        }
    }

    @Test
    void emptyPrefixListsAndWatchesEveryKey() throws Exception {
        try (EtcdKeyValueStore store = builder().build()) {
            long r = store.commit(List.of(), List.of(StoreWrite.put("\u0001first", b("1")), StoreWrite.put("zz", b("2"))))
                    .orElseThrow();
            assertThat(store.list("").entries()).extracting(e -> e.key()).contains("\u0001first", "zz");
            StoreContractTest.Recorder rec = new StoreContractTest.Recorder();
            StoreWatch watch = store.watch("", r, rec);
            try {
                rec.await(2);
                assertThat(rec.events).extracting(StoreEvent::key).containsExactly("\u0001first", "zz");
            } finally {
                watch.close();
            }
        }
    }

    @Test
    void callsAfterCloseFail() {
        EtcdKeyValueStore store = builder().build();
        store.close();
        store.close();
        assertThatThrownBy(() -> store.get("k")).isInstanceOf(IllegalStateException.class).hasMessage("the store is closed");
    }

    @Test
    void builderRejectsBadInputQuotingIt() {
        assertThatThrownBy(() -> EtcdKeyValueStore.builder().endpoints("localhost:2379"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("localhost:2379");
        assertThatThrownBy(() -> EtcdKeyValueStore.builder().endpoints("https://127.0.0.1:2379"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https://127.0.0.1:2379");
        assertThatThrownBy(() -> EtcdKeyValueStore.builder().endpoints("http://127.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http://127.0.0.1");
        assertThatThrownBy(() -> EtcdKeyValueStore.builder().endpoints(List.<URI>of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EtcdKeyValueStore.builder().timeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0S");
        assertThatThrownBy(() -> EtcdKeyValueStore.builder().maxResponseBytes(10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10");
        assertThatThrownBy(() -> EtcdKeyValueStore.builder().build())
                .isInstanceOf(IllegalStateException.class);
        try (EtcdKeyValueStore unused = EtcdKeyValueStore.builder().endpoints("http://127.0.0.1:2379").build()) {
            assertThat(unused.timeout()).isEqualTo(EtcdKeyValueStore.DEFAULT_TIMEOUT);
        }
    }
}
