package io.github.clusterip.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.clusterip.IpAddress;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.SharedClusterIpAllocator;
import io.github.clusterip.SharedNodePortAllocator;
import io.github.clusterip.etcd.testing.EtcdCluster;
import io.github.clusterip.service.Protocol;
import io.github.clusterip.service.ServicePort;
import io.github.clusterip.service.ServiceSpec;
import io.github.clusterip.service.SharedServiceAllocator;
import io.github.clusterip.store.StoreEntry;
import io.github.clusterip.store.StoreException;
import io.github.clusterip.store.StoreLayout;
import io.github.clusterip.store.StoreUnavailableException;
import io.github.clusterip.store.StoreValueException;
import io.github.clusterip.store.StoreWrite;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The shared allocators on etcd when etcd fails or holds values that are not theirs. */
class SharedAllocatorFaultTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final long MARGIN_MILLIS = 1500;

    private static EtcdKeyValueStore connect(EtcdCluster etcd) {
        return EtcdKeyValueStore.builder().endpoints(etcd.endpoints().toArray(String[]::new)).timeout(TIMEOUT).build();
    }

    private static SharedClusterIpAllocator open(EtcdKeyValueStore store, String cidr, StoreLayout layout) {
        return SharedClusterIpAllocator.builder(store, ServiceCidr.parse(cidr)).layout(layout).blockBits(64).build();
    }

    /**
     * What the allocations of a run came to: each success with its owner, and the owners of the
     * calls whose outcome is unknown (a commit that timed out may have been applied).
     */
    private static final class Ledger {
        final Map<IpAddress, Owner> won = new ConcurrentHashMap<>();
        final List<String> duplicates = Collections.synchronizedList(new ArrayList<>());
        final Set<Owner> unknown = ConcurrentHashMap.newKeySet();

        void success(IpAddress ip, Owner owner) {
            Owner before = won.putIfAbsent(ip, owner);
            if (before != null) {
                duplicates.add(ip + " to " + before + " and " + owner);
            }
        }

        /** The store holds every success with its owner, and nothing else but unknown outcomes. */
        void check(SharedClusterIpAllocator fresh) {
            assertThat(duplicates).as("addresses handed out twice").isEmpty();
            Map<IpAddress, Optional<Owner>> stored = fresh.allocations();
            for (Map.Entry<IpAddress, Owner> w : won.entrySet()) {
                assertThat(stored.get(w.getKey())).as("stored owner of " + w.getKey()).isEqualTo(Optional.of(w.getValue()));
            }
            for (Map.Entry<IpAddress, Optional<Owner>> s : stored.entrySet()) {
                if (!won.containsKey(s.getKey())) {
                    assertThat(s.getValue()).as("extra " + s.getKey()).isPresent();
                    assertThat(unknown).as("owner of the extra " + s.getKey()).contains(s.getValue().get());
                    // a repair frees it: the owner it names is one that was never told it succeeded
                    assertThat(fresh.releaseIfOwnedBy(s.getKey(), s.getValue().get())).isTrue();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(StoreLayout.class)
    void aStoppedEtcdFailsAllocationsWithinTheTimeoutAndARestartedOneResumesWithoutDuplicates(StoreLayout layout)
            throws Exception {
        String cidr = "10.20.0.0/24";
        Ledger ledger = new Ledger();
        AtomicInteger seq = new AtomicInteger();
        try (EtcdCluster etcd = EtcdCluster.startSingle(); EtcdKeyValueStore store = connect(etcd);
                SharedClusterIpAllocator a = open(store, cidr, layout)) {
            for (int i = 0; i < 20; i++) {
                Owner o = new Owner("run", "a" + seq.incrementAndGet());
                ledger.success(a.allocateNext(o), o);
            }
            etcd.member(0).stop();
            for (int i = 0; i < 3; i++) {
                Owner o = new Owner("run", "a" + seq.incrementAndGet());
                long start = System.nanoTime();
                assertThatThrownBy(() -> ledger.success(a.allocateNext(o), o)).isInstanceOf(StoreUnavailableException.class);
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(millis).as("attempt " + i + " took ms").isLessThanOrEqualTo(TIMEOUT.toMillis() + MARGIN_MILLIS);
                ledger.unknown.add(o);
            }
            etcd.member(0).restart(Duration.ofSeconds(20));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            int after = 0;
            while (after < 20) {
                Owner o = new Owner("run", "a" + seq.incrementAndGet());
                try {
                    ledger.success(a.allocateNext(o), o);
                    after++;
                } catch (StoreUnavailableException e) {
                    ledger.unknown.add(o);
                    assertThat(System.nanoTime()).as("allocation resumed in time").isLessThan(deadline);
                }
            }
            assertThat(ledger.won).hasSize(40);
            try (SharedClusterIpAllocator fresh = open(store, cidr, layout)) {
                ledger.check(fresh);
                assertThat(fresh.used()).isEqualTo(40);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(StoreLayout.class)
    void killingTheLeaderOfThreeLosesNoAllocationHandsNoneOutTwiceAndProgressResumes(StoreLayout layout)
            throws Exception {
        String cidr = "10.30.0.0/20";
        Ledger ledger = new Ledger();
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        try (EtcdCluster etcd = EtcdCluster.start(3); EtcdKeyValueStore s1 = connect(etcd); EtcdKeyValueStore s2 = connect(etcd);
                SharedClusterIpAllocator a1 = open(s1, cidr, layout); SharedClusterIpAllocator a2 = open(s2, cidr, layout)) {
            AtomicLong killedAt = new AtomicLong();
            AtomicLong resumedAt = new AtomicLong();
            AtomicInteger successes = new AtomicInteger();
            long hardStop = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                SharedClusterIpAllocator mine = t % 2 == 0 ? a1 : a2;
                int id = t;
                Thread th = new Thread(() -> {
                    int n = 0;
                    try {
                        while (System.nanoTime() < hardStop) {
                            long resumed = resumedAt.get();
                            if (resumed != 0 && System.nanoTime() - resumed > Duration.ofSeconds(2).toNanos()) {
                                break;
                            }
                            Owner o = new Owner("run", "t" + id + "-" + n++);
                            try {
                                IpAddress ip = mine.allocateNext(o);
                                ledger.success(ip, o);
                                successes.incrementAndGet();
                                if (killedAt.get() != 0) {
                                    resumedAt.compareAndSet(0, System.nanoTime());
                                }
                            } catch (StoreException e) {
                                // unavailable, or a conflict after retries: the outcome is unknown
                                ledger.unknown.add(o);
                            }
                            Thread.sleep(5);
                        }
                    } catch (InterruptedException | RuntimeException e) {
                        errors.add(e);
                    }
                });
                th.start();
                threads.add(th);
            }
            long warm = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (successes.get() < 100 && System.nanoTime() < warm) {
                Thread.sleep(20);
            }
            assertThat(successes.get()).as("successes before the kill").isGreaterThanOrEqualTo(100);
            EtcdCluster.Member leader = etcd.leader(Duration.ofSeconds(5));
            int before = successes.get();
            killedAt.set(System.nanoTime());
            leader.kill();
            for (Thread th : threads) {
                th.join(Duration.ofSeconds(30).toMillis());
                assertThat(th.isAlive()).as("a worker thread still runs").isFalse();
            }
            assertThat(errors).isEmpty();
            assertThat(resumedAt.get()).as("no allocation succeeded after the kill").isNotZero();
            long resumeMillis = (resumedAt.get() - killedAt.get()) / 1_000_000;
            assertThat(resumeMillis).as("ms from the kill to the first success").isLessThanOrEqualTo(10_000);
            assertThat(successes.get()).isGreaterThan(before);
            try (SharedClusterIpAllocator fresh = open(s1, cidr, layout)) {
                ledger.check(fresh);
            }
        }
    }

    private static final byte[] GARBAGE = "{\"kind\":\"ConfigMap\"}".getBytes(UTF_8);

    private static void assertUnchanged(EtcdKeyValueStore store, String key, byte[] value) {
        assertThat(store.get(key).map(StoreEntry::value)).as(key).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
    }

    @ParameterizedTest
    @EnumSource(StoreLayout.class)
    void aForeignValueUnderTheRangeKeyIsNamedAndLeftAlone(StoreLayout layout) {
        try (EtcdCluster etcd = EtcdCluster.startSingle(); EtcdKeyValueStore store = connect(etcd)) {
            String cidr = "10.40.0.0/28";
            String key = layout == StoreLayout.BLOCKS ? "/clusterip/blocks/10.40.0.0_28/00000000" : "/clusterip/ranges/10.40.0.0_28";
            Owner web = new Owner("default", "web");
            try (SharedClusterIpAllocator a = open(store, cidr, layout)) {
                IpAddress ip = a.allocateNext(web);
                store.commit(List.of(), List.of(StoreWrite.put(key, GARBAGE)));
                a.refresh();
                assertThatThrownBy(() -> a.allocateNext(web)).isInstanceOf(StoreValueException.class)
                        .hasMessageContaining("invalid value under key " + key)
                        .satisfies(e -> assertThat(((StoreValueException) e).key()).isEqualTo(key));
                assertThatThrownBy(() -> a.release(ip)).isInstanceOf(StoreValueException.class).hasMessageContaining(key);
                assertThatThrownBy(() -> a.allocate(IpAddress.parse("10.40.0.9"), web))
                        .isInstanceOf(StoreValueException.class).hasMessageContaining(key);
                assertThatThrownBy(a::allocations).isInstanceOf(StoreValueException.class).hasMessageContaining(key);
                assertUnchanged(store, key, GARBAGE);
            }
            // another instance, opened on the bad value, refuses too and leaves it
            try (SharedClusterIpAllocator b = open(store, cidr, layout)) {
                assertThatThrownBy(() -> b.allocateNext(web)).isInstanceOf(StoreValueException.class).hasMessageContaining(key);
            }
            assertUnchanged(store, key, GARBAGE);
        }
    }

    @Test
    void aMetaKeyOfAnotherLayoutAForeignOwnerAndAForeignServiceRecordAreNamedAndLeftAlone() {
        try (EtcdCluster etcd = EtcdCluster.startSingle(); EtcdKeyValueStore store = connect(etcd)) {
            // a meta key written by an instance with the other layout
            try (SharedClusterIpAllocator a = open(store, "10.50.0.0/28", StoreLayout.RANGE_OBJECT)) {
                a.allocateNext(new Owner("default", "a"));
            }
            String meta = "/clusterip/meta/10.50.0.0_28";
            byte[] metaValue = store.get(meta).orElseThrow().value();
            assertThatThrownBy(() -> open(store, "10.50.0.0/28", StoreLayout.BLOCKS)).isInstanceOf(StoreValueException.class)
                    .hasMessageContaining("invalid value under key " + meta).hasMessageContaining("layout=RANGE_OBJECT");
            assertUnchanged(store, meta, metaValue);
            // a meta key with a foreign value
            String meta2 = "/clusterip/meta/10.51.0.0_28";
            store.commit(List.of(), List.of(StoreWrite.put(meta2, GARBAGE)));
            assertThatThrownBy(() -> open(store, "10.51.0.0/28", StoreLayout.BLOCKS)).isInstanceOf(StoreValueException.class)
                    .hasMessageContaining("invalid value under key " + meta2);
            assertUnchanged(store, meta2, GARBAGE);

            // an owner key that does not name a Service
            try (SharedNodePortAllocator p = SharedNodePortAllocator.builder(store, PortRange.parse("30000-30009")).build()) {
                Owner web = new Owner("default", "web");
                p.allocate(30003, web);
                String ownerKey = "/clusterip/owners/30000-30009/30003";
                assertUnchanged(store, ownerKey, "default/web".getBytes(UTF_8));
                byte[] foreign = "not-an-owner".getBytes(UTF_8);
                store.commit(List.of(), List.of(StoreWrite.put(ownerKey, foreign)));
                assertThatThrownBy(() -> p.owner(30003)).isInstanceOf(StoreValueException.class)
                        .hasMessageContaining("invalid value under key " + ownerKey);
                assertThatThrownBy(p::allocations).isInstanceOf(StoreValueException.class).hasMessageContaining(ownerKey);
                assertThatThrownBy(() -> p.releaseIfOwnedBy(30003, web)).isInstanceOf(StoreValueException.class)
                        .hasMessageContaining(ownerKey);
                assertUnchanged(store, ownerKey, foreign);
                assertThat(p.used()).isEqualTo(1);
            }

            // a Service record that is not one
            try (SharedServiceAllocator s = SharedServiceAllocator.builder(store).cidr(ServiceCidr.parse("10.52.0.0/28"))
                    .nodePorts(PortRange.parse("30100-30109")).build()) {
                Owner web = new Owner("default", "web");
                s.create(ServiceSpec.builder(web).ports(ServicePort.of("http", Protocol.TCP, 80)).build());
                String key = "/clusterip/services/default/web";
                assertThat(store.get(key)).isPresent();
                store.commit(List.of(), List.of(StoreWrite.put(key, GARBAGE)));
                assertThatThrownBy(() -> s.get(web)).isInstanceOf(StoreValueException.class)
                        .hasMessageContaining("invalid value under key " + key);
                assertThatThrownBy(s::services).isInstanceOf(StoreValueException.class).hasMessageContaining(key);
                assertThatThrownBy(() -> s.delete(web)).isInstanceOf(StoreValueException.class).hasMessageContaining(key);
                assertThatThrownBy(s::repair).isInstanceOf(StoreValueException.class).hasMessageContaining(key);
                assertUnchanged(store, key, GARBAGE);
                Map<IpAddress, Optional<Owner>> held = new HashMap<>(s.addresses(ServiceCidr.parse("10.52.0.0/28").family())
                        .orElseThrow().allocations());
                assertThat(held).hasSize(1).containsValue(Optional.of(web));
            }
        }
    }
}
