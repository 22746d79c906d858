package io.github.clusterip.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.IpAlreadyAllocatedException;
import io.github.clusterip.IpFamily;
import io.github.clusterip.IpNotInAnyCidrException;
import io.github.clusterip.IpNotInRangeException;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortAlreadyAllocatedException;
import io.github.clusterip.PortNotInRangeException;
import io.github.clusterip.PortRange;
import io.github.clusterip.RangeFullException;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Binds the metrics listener to a Micrometer {@link SimpleMeterRegistry} with the binding that
 * docs/metrics.md shows, drives the allocators through allocations, failures and releases, and
 * reads kube-apiserver's metrics back from the registry.
 */
class MicrometerBindingTest {

    private static final String IP = "kube_apiserver_clusterip_allocator_";
    private static final String PORT = "kube_apiserver_nodeport_allocator_";

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MicrometerAllocationMetrics metrics = new MicrometerAllocationMetrics(registry);

    @Test
    void clusterIpAllocatorFeedsTheClusterIpMetricsOfItsCidr() {
        ServiceCidr cidr = ServiceCidr.parse("10.96.0.0/28"); // 14 usable addresses, no static band
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(cidr).seed(1).metrics(metrics).build();

        allocator.allocate(IpAddress.parse("10.96.0.1"));
        assertThat(gauge(IP + "allocated_ips", "10.96.0.0/28")).isEqualTo(1);
        assertThat(gauge(IP + "available_ips", "10.96.0.0/28")).isEqualTo(13);

        assertThatThrownBy(() -> allocator.allocate(IpAddress.parse("10.96.0.1")))
                .isInstanceOf(IpAlreadyAllocatedException.class);
        assertThatThrownBy(() -> allocator.allocate(IpAddress.parse("10.96.0.15"))) // the broadcast address
                .isInstanceOf(IpNotInRangeException.class);
        assertThat(allocator.tryAllocate(IpAddress.parse("10.96.0.1"))).isFalse();
        for (int i = 0; i < 13; i++) {
            allocator.allocateNext();
        }
        assertThatThrownBy(allocator::allocateNext).isInstanceOf(RangeFullException.class);
        assertThat(gauge(IP + "allocated_ips", "10.96.0.0/28")).isEqualTo(14);
        assertThat(gauge(IP + "available_ips", "10.96.0.0/28")).isZero();

        assertThat(allocator.release(IpAddress.parse("10.96.0.1"))).isTrue();
        assertThat(allocator.release(IpAddress.parse("10.96.0.2"))).isTrue();
        assertThat(allocator.release(IpAddress.parse("10.96.0.2"))).isFalse();
        assertThat(allocator.release(IpAddress.parse("192.168.0.1"))).isFalse();

        assertThat(counter(IP + "allocation_total", "cidr", "10.96.0.0/28", "scope", "static")).isEqualTo(1);
        assertThat(counter(IP + "allocation_total", "cidr", "10.96.0.0/28", "scope", "dynamic")).isEqualTo(13);
        assertThat(counter(IP + "allocation_errors_total", "cidr", "10.96.0.0/28", "scope", "static")).isEqualTo(3);
        assertThat(counter(IP + "allocation_errors_total", "cidr", "10.96.0.0/28", "scope", "dynamic")).isEqualTo(1);
        assertThat(gauge(IP + "allocated_ips", "10.96.0.0/28")).isEqualTo(12);
        assertThat(gauge(IP + "available_ips", "10.96.0.0/28")).isEqualTo(2);

        Timer duration = registry.get(IP + "allocation_duration_seconds").tag("cidr", "10.96.0.0/28").timer();
        assertThat(duration.count()).isEqualTo(14);
        assertThat(duration.totalTime(TimeUnit.NANOSECONDS)).isPositive();
        CountAtBucket[] buckets = duration.takeSnapshot().histogramCounts();
        assertThat(Arrays.stream(buckets).mapToDouble(b -> b.bucket(TimeUnit.SECONDS)).toArray())
                .containsExactly(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
        for (int i = 1; i < buckets.length; i++) {
            assertThat(buckets[i].count()).as("cumulative bucket counts").isGreaterThanOrEqualTo(buckets[i - 1].count());
        }
        assertThat(buckets[buckets.length - 1].count()).isLessThanOrEqualTo(14);
    }

    @Test
    void eachCidrHasItsOwnLabelValue() {
        ClusterIpAllocator.Builder builder = ClusterIpAllocator.builder(ServiceCidr.parse("10.96.0.0/24")).metrics(metrics);
        ClusterIpAllocator first = builder.build();
        ClusterIpAllocator second = ClusterIpAllocator.builder(ServiceCidr.parse("fd00:10:96::/112")).metrics(metrics).build();
        ClusterIpAllocator third = builder.build(); // the same CIDR: the same series, as in one registry of kube-apiserver

        first.allocateNext();
        first.allocateNext();
        second.allocate(IpAddress.parse("fd00:10:96::a"));
        third.allocateNext();

        assertThat(counter(IP + "allocation_total", "cidr", "10.96.0.0/24", "scope", "dynamic")).isEqualTo(3);
        assertThat(counter(IP + "allocation_total", "cidr", "fd00:10:96::/112", "scope", "static")).isEqualTo(1);
        assertThat(gauge(IP + "allocated_ips", "fd00:10:96::/112")).isEqualTo(1);
        assertThat(gauge(IP + "available_ips", "fd00:10:96::/112")).isEqualTo(65_534);
        // The gauge of one CIDR keeps the latest value set, here that of `third` after its one allocation.
        assertThat(gauge(IP + "allocated_ips", "10.96.0.0/24")).isEqualTo(1);
        assertThat(gauge(IP + "available_ips", "10.96.0.0/24")).isEqualTo(253);
        assertThat(registry.find(IP + "allocation_duration_seconds").timers()).hasSize(2);
    }

    @Test
    void serviceCidrSetFeedsTheMetricsOfEachCidr() {
        String a = "10.96.0.0/28";
        String b = "10.97.0.0/28"; // 14 usable addresses each
        ServiceCidrSet set = ServiceCidrSet.builder().add(ServiceCidr.parse(a)).add(ServiceCidr.parse(b))
                .seed(11).metrics(metrics).build();
        Owner web = new Owner("default", "web");

        set.allocate(IpAddress.parse("10.96.0.1"), web);
        assertThatThrownBy(() -> set.allocate(IpAddress.parse("10.96.0.1"), web))
                .isInstanceOf(IpAlreadyAllocatedException.class);
        // In no CIDR of the set: no per-CIDR allocator is asked, so no CIDR counts an error.
        assertThatThrownBy(() -> set.allocate(IpAddress.parse("10.98.0.1"), web))
                .isInstanceOf(IpNotInAnyCidrException.class);
        for (int i = 0; i < 27; i++) {
            set.allocateNext(IpFamily.IPV4, web);
        }
        assertThatThrownBy(() -> set.allocateNext(IpFamily.IPV4, web)).isInstanceOf(RangeFullException.class);
        assertThat(set.release(IpAddress.parse("10.97.0.3"))).isTrue();

        assertThat(counter(IP + "allocation_total", "cidr", a, "scope", "static")).isEqualTo(1);
        assertThat(counter(IP + "allocation_total", "cidr", a, "scope", "dynamic")).isEqualTo(13);
        assertThat(counter(IP + "allocation_total", "cidr", b, "scope", "dynamic")).isEqualTo(14);
        assertThat(registry.find(IP + "allocation_total").tags("cidr", b, "scope", "static").counter()).isNull();
        assertThat(counter(IP + "allocation_errors_total", "cidr", a, "scope", "static")).isEqualTo(1);
        assertThat(counter(IP + "allocation_errors_total", "cidr", a, "scope", "dynamic")).isEqualTo(1);
        assertThat(counter(IP + "allocation_errors_total", "cidr", b, "scope", "dynamic")).isEqualTo(1);
        assertThat(registry.find(IP + "allocation_errors_total").counters()).hasSize(3);
        assertThat(gauge(IP + "allocated_ips", a)).isEqualTo(14);
        assertThat(gauge(IP + "available_ips", a)).isZero();
        assertThat(gauge(IP + "allocated_ips", b)).isEqualTo(13);
        assertThat(gauge(IP + "available_ips", b)).isEqualTo(1);
        assertThat(registry.get(IP + "allocation_duration_seconds").tag("cidr", a).timer().count()).isEqualTo(14);
        assertThat(registry.get(IP + "allocation_duration_seconds").tag("cidr", b).timer().count()).isEqualTo(14);
    }

    @Test
    void nodePortAllocatorFeedsTheNodePortMetrics() {
        PortRange range = PortRange.parse("30000-30009"); // 10 ports, no static band
        NodePortAllocator ports = NodePortAllocator.builder(range).seed(7).metrics(metrics).build();

        ports.allocate(30000);
        assertThatThrownBy(() -> ports.allocate(30000)).isInstanceOf(PortAlreadyAllocatedException.class);
        assertThatThrownBy(() -> ports.allocate(29999)).isInstanceOf(PortNotInRangeException.class);
        assertThat(ports.tryAllocate(30000)).isFalse();
        for (int i = 0; i < 9; i++) {
            ports.allocateNext();
        }
        assertThat(gauge(PORT + "allocated_ports")).isEqualTo(10);
        assertThat(gauge(PORT + "available_ports")).isZero();
        assertThatThrownBy(ports::allocateNext).isInstanceOf(RangeFullException.class);
        assertThatThrownBy(ports::allocateNext).isInstanceOf(RangeFullException.class);
        for (int port = 30000; port < 30003; port++) {
            assertThat(ports.release(port)).isTrue();
        }
        assertThat(ports.release(30000)).isFalse();
        assertThat(ports.release(40000)).isFalse();

        assertThat(counter(PORT + "allocation_total", "scope", "static")).isEqualTo(1);
        assertThat(counter(PORT + "allocation_total", "scope", "dynamic")).isEqualTo(9);
        assertThat(counter(PORT + "allocation_errors_total", "scope", "static")).isEqualTo(3);
        assertThat(counter(PORT + "allocation_errors_total", "scope", "dynamic")).isEqualTo(2);
        assertThat(gauge(PORT + "allocated_ports")).isEqualTo(7);
        assertThat(gauge(PORT + "available_ports")).isEqualTo(3);
        // kube-apiserver's NodePort metrics have no duration and no label but scope.
        List<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).distinct().sorted().toList();
        assertThat(names).containsExactly(PORT + "allocated_ports", PORT + "allocation_errors_total",
                PORT + "allocation_total", PORT + "available_ports");
        assertThat(registry.get(PORT + "allocated_ports").meter().getId().getTags()).isEmpty();
    }

    @Test
    void noMeterBeforeTheFirstEvent() {
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(ServiceCidr.parse("10.96.0.0/24")).metrics(metrics).build();
        allocator.restore(ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/24")).snapshot());
        assertThat(allocator.isAllocated(IpAddress.parse("10.96.0.1"))).isFalse();
        assertThat(registry.getMeters()).isEmpty();
        allocator.release(IpAddress.parse("10.96.0.1"));
        assertThat(registry.getMeters()).as("releasing a free address sends nothing").isEmpty();
    }

    private double gauge(String name, String cidr) {
        return registry.get(name).tag("cidr", cidr).gauge().value();
    }

    private double gauge(String name) {
        Meter meter = registry.get(name).meter();
        assertThat(meter.getId().getTags()).isEmpty();
        return registry.get(name).gauge().value();
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }
}
