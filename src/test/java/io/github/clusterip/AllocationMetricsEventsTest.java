package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Which call of the allocators sends which {@link AllocationMetrics} event, with which scope and
 * counts: kube-apiserver's rules (bitmap.go, ipallocator.go, portallocator/allocator.go).
 */
class AllocationMetricsEventsTest {

    /** Records every event as one line; nanos are checked and left out of the line. */
    static final class Recorder implements AllocationMetrics {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void addressAllocated(ServiceCidr cidr, Scope scope, long allocated, long available, long nanos) {
            assertThat(nanos).isNotNegative();
            events.add("allocated " + cidr + " " + scope.label() + " " + allocated + " " + available);
        }

        @Override
        public void addressAllocationFailed(ServiceCidr cidr, Scope scope) {
            events.add("failed " + cidr + " " + scope.label());
        }

        @Override
        public void addressReleased(ServiceCidr cidr, long allocated, long available) {
            events.add("released " + cidr + " " + allocated + " " + available);
        }

        @Override
        public void portAllocated(PortRange range, Scope scope, long allocated, long available) {
            events.add("allocated " + range + " " + scope.label() + " " + allocated + " " + available);
        }

        @Override
        public void portAllocationFailed(PortRange range, Scope scope) {
            events.add("failed " + range + " " + scope.label());
        }

        @Override
        public void portReleased(PortRange range, long allocated, long available) {
            events.add("released " + range + " " + allocated + " " + available);
        }

        List<String> take() {
            List<String> copy = List.copyOf(events);
            events.clear();
            return copy;
        }
    }

    private final Recorder recorder = new Recorder();

    @Test
    void addressEventsFollowKubeApiserversAllocator() {
        ServiceCidr cidr = ServiceCidr.parse("10.96.0.0/24"); // 254 usable, static band .1-.16
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(cidr).seed(3).metrics(recorder).build();

        allocator.allocate(IpAddress.parse("10.96.0.10"));
        assertThat(recorder.take()).containsExactly("allocated 10.96.0.0/24 static 1 253");

        // Already allocated, not in the CIDR, the network address, the broadcast address: static errors.
        assertThatThrownBy(() -> allocator.allocate(IpAddress.parse("10.96.0.10")))
                .isInstanceOf(IpAlreadyAllocatedException.class);
        assertThat(allocator.tryAllocate(IpAddress.parse("10.96.0.10"))).isFalse();
        assertThatThrownBy(() -> allocator.allocate(IpAddress.parse("10.96.1.1"))).isInstanceOf(IpNotInRangeException.class);
        assertThatThrownBy(() -> allocator.tryAllocate(IpAddress.parse("10.96.0.0"))).isInstanceOf(IpNotInRangeException.class);
        assertThatThrownBy(() -> allocator.allocate(IpAddress.parse("10.96.0.255"))).isInstanceOf(IpNotInRangeException.class);
        assertThat(recorder.take()).containsExactly("failed 10.96.0.0/24 static", "failed 10.96.0.0/24 static",
                "failed 10.96.0.0/24 static", "failed 10.96.0.0/24 static", "failed 10.96.0.0/24 static");

        // A given address of the dynamic band is still static; allocateNext is dynamic.
        allocator.allocate(IpAddress.parse("10.96.0.200"));
        IpAddress next = allocator.allocateNext();
        assertThat(recorder.take()).containsExactly("allocated 10.96.0.0/24 static 2 252",
                "allocated 10.96.0.0/24 dynamic 3 251");

        // Only a release that frees something is reported.
        assertThat(allocator.release(IpAddress.parse("10.96.0.11"))).isFalse();
        assertThat(allocator.release(IpAddress.parse("10.97.0.1"))).isFalse();
        assertThat(allocator.release(IpAddress.parse("fd00::1"))).isFalse();
        assertThat(recorder.take()).isEmpty();
        assertThat(allocator.release(next)).isTrue();
        assertThat(recorder.take()).containsExactly("released 10.96.0.0/24 2 252");

        // A null argument is a programming error, not an allocation error.
        assertThatThrownBy(() -> allocator.allocate(null)).isInstanceOf(NullPointerException.class);
        assertThat(recorder.take()).isEmpty();

        // Restores and snapshots send nothing.
        allocator.restore(allocator.snapshot());
        ClusterIpAllocator.fromSnapshot(allocator.snapshot(), b -> b.metrics(recorder));
        assertThat(recorder.take()).isEmpty();
    }

    @Test
    void aFullRangeIsOneDynamicErrorPerCall() {
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(ServiceCidr.parse("10.0.0.0/30")).metrics(recorder).build();
        allocator.allocateNext();
        allocator.allocateNext();
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(RangeFullException.class);
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(RangeFullException.class);
        assertThat(recorder.take()).containsExactly("allocated 10.0.0.0/30 dynamic 1 1",
                "allocated 10.0.0.0/30 dynamic 2 0", "failed 10.0.0.0/30 dynamic", "failed 10.0.0.0/30 dynamic");
    }

    @Test
    void aBrokenRandomSourceIsADynamicError() {
        RandomGenerator broken = new RandomGenerator() {
            @Override
            public long nextLong() {
                return -1;
            }

            @Override
            public int nextInt(int bound) {
                return bound;
            }

            @Override
            public long nextLong(long bound) {
                return bound;
            }
        };
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(ServiceCidr.parse("10.96.0.0/24"))
                .random(broken).metrics(recorder).build();
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(IllegalStateException.class);
        NodePortAllocator ports = NodePortAllocator.builder(PortRange.parse("30000-32767"))
                .random(broken).metrics(recorder).build();
        assertThatThrownBy(ports::allocateNext).isInstanceOf(IllegalStateException.class);
        assertThat(recorder.take()).containsExactly("failed 10.96.0.0/24 dynamic", "failed 30000-32767 dynamic");
    }

    @Test
    void availableIsWhatFreeGivesUnderTheProfile() {
        ServiceCidr wide = ServiceCidr.parse("fd00::/64"); // 2^64 - 1 usable addresses
        ClusterIpAllocator clusterip = ClusterIpAllocator.builder(wide).metrics(recorder).build();
        ClusterIpAllocator ipaddress = ClusterIpAllocator.builder(wide)
                .profile(CompatibilityProfile.KUBE_APISERVER_IPADDRESS).metrics(recorder).build();
        ClusterIpAllocator bitmap = ClusterIpAllocator.builder(wide)
                .profile(CompatibilityProfile.KUBE_APISERVER_BITMAP).metrics(recorder).build();
        clusterip.allocateNext();
        ipaddress.allocateNext();
        bitmap.allocateNext();
        assertThat(recorder.take()).containsExactly(
                "allocated fd00::/64 dynamic 1 " + Long.MAX_VALUE,
                "allocated fd00::/64 dynamic 1 " + (Long.MAX_VALUE - 1),
                "allocated fd00::/64 dynamic 1 65534");
        assertThat(clusterip.free()).isEqualTo(Long.MAX_VALUE);
        assertThat(ipaddress.free()).isEqualTo(Long.MAX_VALUE - 1);
        assertThat(bitmap.free()).isEqualTo(65_534);
    }

    @Test
    void portEventsFollowKubeApiserversPortAllocator() {
        PortRange range = PortRange.parse("30000-32767"); // static band 30000-30085
        NodePortAllocator ports = NodePortAllocator.builder(range).seed(5).metrics(recorder).build();

        ports.allocate(30080);
        ports.allocate(31000);
        int next = ports.allocateNext();
        assertThat(recorder.take()).containsExactly("allocated 30000-32767 static 1 2767",
                "allocated 30000-32767 static 2 2766", "allocated 30000-32767 dynamic 3 2765");

        assertThatThrownBy(() -> ports.allocate(30080)).isInstanceOf(PortAlreadyAllocatedException.class);
        assertThat(ports.tryAllocate(31000)).isFalse();
        assertThatThrownBy(() -> ports.allocate(29999)).isInstanceOf(PortNotInRangeException.class);
        assertThatThrownBy(() -> ports.tryAllocate(32768)).isInstanceOf(PortNotInRangeException.class);
        assertThat(recorder.take()).containsExactly("failed 30000-32767 static", "failed 30000-32767 static",
                "failed 30000-32767 static", "failed 30000-32767 static");

        assertThat(ports.release(30081)).isFalse();
        assertThat(ports.release(80)).isFalse();
        assertThat(recorder.take()).isEmpty();
        assertThat(ports.release(next)).isTrue();
        assertThat(recorder.take()).containsExactly("released 30000-32767 2 2766");

        NodePortAllocator tiny = NodePortAllocator.builder(PortRange.parse("30000-30000")).metrics(recorder).build();
        tiny.allocateNext();
        assertThatThrownBy(tiny::allocateNext).isInstanceOf(RangeFullException.class);
        assertThat(recorder.take()).containsExactly("allocated 30000-30000 dynamic 1 0", "failed 30000-30000 dynamic");
    }

    @Test
    void underConcurrencyEveryChangeIsReportedOnce() throws InterruptedException {
        LongAdder allocatedEvents = new LongAdder();
        LongAdder releasedEvents = new LongAdder();
        LongAdder failedEvents = new LongAdder();
        AllocationMetrics counting = new AllocationMetrics() {
            @Override
            public void addressAllocated(ServiceCidr cidr, Scope scope, long allocated, long available, long nanos) {
                assertThat(allocated + available).isEqualTo(254);
                allocatedEvents.increment();
            }

            @Override
            public void addressAllocationFailed(ServiceCidr cidr, Scope scope) {
                failedEvents.increment();
            }

            @Override
            public void addressReleased(ServiceCidr cidr, long allocated, long available) {
                releasedEvents.increment();
            }
        };
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(ServiceCidr.parse("10.96.0.0/24")).metrics(counting).build();
        LongAdder allocations = new LongAdder();
        LongAdder releases = new LongAdder();
        LongAdder failures = new LongAdder();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            threads.add(new Thread(() -> {
                try {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < 20_000; i++) {
                        IpAddress address = IpAddress.parse("10.96.0." + (1 + random.nextInt(254)));
                        switch (random.nextInt(3)) {
                            case 0 -> {
                                try {
                                    allocator.allocateNext();
                                    allocations.increment();
                                } catch (RangeFullException e) {
                                    failures.increment();
                                }
                            }
                            case 1 -> {
                                if (allocator.tryAllocate(address)) {
                                    allocations.increment();
                                } else {
                                    failures.increment();
                                }
                            }
                            default -> {
                                if (allocator.release(address)) {
                                    releases.increment();
                                }
                            }
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(errors).isEmpty();
        assertThat(allocatedEvents.sum()).isEqualTo(allocations.sum());
        assertThat(releasedEvents.sum()).isEqualTo(releases.sum());
        assertThat(failedEvents.sum()).isEqualTo(failures.sum()).isPositive();
        assertThat(allocations.sum() - releases.sum()).isEqualTo(allocator.used());
    }
}
