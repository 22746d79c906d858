package io.github.clusterip.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.github.clusterip.etcd.testing.EtcdCluster;
import io.github.clusterip.store.StoreCondition;
import io.github.clusterip.store.StoreEntry;
import io.github.clusterip.store.StoreEvent;
import io.github.clusterip.store.StoreSnapshot;
import io.github.clusterip.store.StoreUnavailableException;
import io.github.clusterip.store.StoreWatch;
import io.github.clusterip.store.StoreWrite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The etcd store when etcd fails: a member stopped and restarted, a leader killed. */
class EtcdFaultTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final long MARGIN_MILLIS = 1500;

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void stoppedMemberFailsCallsWithinTheTimeoutAndRestartedMemberServesTheSameData() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.startSingle();
                EtcdKeyValueStore store = EtcdKeyValueStore.builder()
                        .endpoints(etcd.endpoints().toArray(String[]::new)).timeout(TIMEOUT).build()) {
            long r1 = store.commit(List.of(), List.of(StoreWrite.put("data/a", b("1")))).orElseThrow();
            StoreContractTest.Recorder rec = new StoreContractTest.Recorder();
            StoreWatch watch = store.watch("data/", r1, rec);
            try {
                rec.await(1);

                etcd.member(0).stop();
                for (String op : List.of("get", "list", "commit")) {
                    long start = System.nanoTime();
                    assertThatThrownBy(() -> {
                        switch (op) {
                            case "get" -> store.get("data/a");
                            case "list" -> store.list("data/");
                            default -> store.commit(List.of(), List.of(StoreWrite.put("data/b", b("2"))));
                        }
                    }).as(op).isInstanceOf(StoreUnavailableException.class)
                            .hasMessageContaining(etcd.endpoints().get(0))
                            .hasMessageContaining("data/");
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    assertThat(millis).as(op + " took ms").isLessThanOrEqualTo(TIMEOUT.toMillis() + MARGIN_MILLIS);
                }
                // The broken watch says so: whoever caches the keys must read them again.
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (rec.resets.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(rec.resets).as("resets").isNotEmpty();
                assertThat(rec.resets.get(0)).contains("data/");

                etcd.member(0).restart(Duration.ofSeconds(20));
                Optional<StoreEntry> a = awaitAvailable(() -> store.get("data/a"));
                assertThat(a).contains(new StoreEntry("data/a", b("1"), r1));
                // The commit that failed while etcd was down was dropped, not sent when it came back.
                assertThat(store.get("data/b")).isEmpty();
                long r2 = store.commit(List.of(new StoreCondition("data/a", r1)), List.of(StoreWrite.put("data/a", b("2"))))
                        .orElseThrow();
                // The watch started again on its own, from where it stopped, and did not repeat events.
                rec.await(2);
                assertThat(rec.events).containsExactly(new StoreEvent("data/a", b("1"), r1),
                        new StoreEvent("data/a", b("2"), r2));
            } finally {
                watch.close();
            }
        }
    }

    @Test
    void commitsResumeAfterTheLeaderIsKilledAndNoIncrementIsLostOrDoubled() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.start(3);
                EtcdKeyValueStore store = EtcdKeyValueStore.builder()
                        .endpoints(etcd.endpoints().toArray(String[]::new)).timeout(TIMEOUT).build()) {
            String counter = "counter";
            int threads = 4;
            // A watch of the counter through the same store: it must see every increment once, in
            // order, though its connection may be the one that breaks.
            StoreContractTest.Recorder seen = new StoreContractTest.Recorder();
            StoreWatch watch = store.watch(counter, 1, seen);
            // What each thread knows of its own attempts: n -> token of a commit reported applied,
            // and the tokens of commits whose outcome is unknown (the call failed).
            Map<Long, String> applied = new ConcurrentHashMap<>();
            Set<String> unknown = ConcurrentHashMap.newKeySet();
            AtomicLong lastSuccessNanos = new AtomicLong();
            AtomicLong killedAtNanos = new AtomicLong();
            AtomicLong firstSuccessAfterKill = new AtomicLong();
            List<Throwable> errors = new ArrayList<>();
            CountDownLatch warm = new CountDownLatch(threads * 20);
            long runUntil = System.nanoTime() + Duration.ofSeconds(12).toNanos();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread w = new Thread(() -> {
                    int seq = 0;
                    try {
                        while (System.nanoTime() < runUntil) {
                            if (firstSuccessAfterKill.get() != 0
                                    && System.nanoTime() - firstSuccessAfterKill.get() > Duration.ofSeconds(2).toNanos()) {
                                return;
                            }
                            String token = "w" + id + "-" + seq++;
                            Optional<StoreEntry> cur;
                            try {
                                cur = store.get(counter);
                            } catch (StoreUnavailableException e) {
                                continue;
                            }
                            long n = cur.map(e -> Long.parseLong(new String(e.value(), UTF_8))).orElse(0L);
                            StoreCondition cond = cur.map(StoreCondition::unchanged).orElse(StoreCondition.absent(counter));
                            try {
                                OptionalLong r = store.commit(List.of(cond, StoreCondition.absent("log/" + (n + 1))),
                                        List.of(StoreWrite.put(counter, b(Long.toString(n + 1))),
                                                StoreWrite.put("log/" + (n + 1), b(token))));
                                if (r.isPresent()) {
                                    String before = applied.putIfAbsent(n + 1, token);
                                    if (before != null) {
                                        throw new AssertionError("increment to " + (n + 1) + " reported twice: " + before + ", " + token);
                                    }
                                    lastSuccessNanos.set(System.nanoTime());
                                    if (killedAtNanos.get() != 0) {
                                        firstSuccessAfterKill.compareAndSet(0, System.nanoTime());
                                    }
                                    warm.countDown();
                                }
                            } catch (StoreUnavailableException e) {
                                unknown.add(token);
                            }
                        }
                    } catch (Throwable e) {
                        synchronized (errors) {
                            errors.add(e);
                        }
                    }
                }, "increment-" + t);
                workers.add(w);
                w.start();
            }
            assertThat(warm.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("increments before the kill").isTrue();
            EtcdCluster.Member leader = etcd.leader(Duration.ofSeconds(5));
            long killed = System.nanoTime();
            leader.kill();
            killedAtNanos.set(killed);
            for (Thread w : workers) {
                w.join(Duration.ofSeconds(30).toMillis());
            }
            assertThat(errors).isEmpty();
            assertThat(firstSuccessAfterKill.get()).as("a commit succeeded after the leader was killed").isNotZero();
            long resumeMillis = (firstSuccessAfterKill.get() - killed) / 1_000_000;
            assertThat(resumeMillis).as("ms until commits resumed after the kill").isLessThan(10_000);

            long finalValue = Long.parseLong(new String(store.get(counter).orElseThrow().value(), UTF_8));
            StoreSnapshot log = store.list("log/");
            Map<Long, String> logged = new HashMap<>();
            for (StoreEntry e : log.entries()) {
                logged.put(Long.parseLong(e.key().substring("log/".length())), new String(e.value(), UTF_8));
            }
            // Every increment from 1 to the final value happened once, and only those.
            assertThat(logged.keySet()).hasSize((int) finalValue);
            for (long n = 1; n <= finalValue; n++) {
                assertThat(logged).containsKey(n);
            }
            assertThat(new HashSet<>(logged.values())).as("no attempt applied twice").hasSize((int) finalValue);
            // Every reported success is where it said; the rest of the log are attempts whose call failed.
            for (Map.Entry<Long, String> e : applied.entrySet()) {
                assertThat(logged.get(e.getKey())).as("increment " + e.getKey()).isEqualTo(e.getValue());
            }
            long appliedUnknown = logged.values().stream().filter(unknown::contains).count();
            assertThat(applied.size() + appliedUnknown).as("successes + applied failed calls").isEqualTo(finalValue);
            assertThat(finalValue).isGreaterThan(threads * 20L);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (seen.last().map(e -> Long.parseLong(new String(e.value(), UTF_8))).orElse(0L) < finalValue
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            watch.close();
            List<Long> values = new ArrayList<>();
            for (StoreEvent e : seen.events) {
                values.add(Long.parseLong(new String(e.value(), UTF_8)));
            }
            List<Long> expected = new ArrayList<>();
            for (long n = 1; n <= finalValue; n++) {
                expected.add(n);
            }
            assertThat(values).as("counter values the watch saw").isEqualTo(expected);
            System.out.printf("leader %s killed; commits resumed after %d ms; %d increments (%d reported, %d of %d failed"
                    + " calls applied); the watch was reset %d times%n", leader, resumeMillis, finalValue, applied.size(),
                    appliedUnknown, unknown.size(), seen.resets.size());
        }
    }

    private static <T> T awaitAvailable(java.util.function.Supplier<T> call) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try {
                return call.get();
            } catch (StoreUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    fail("etcd still unavailable after restart", e);
                }
                Thread.sleep(100);
            }
        }
    }
}
