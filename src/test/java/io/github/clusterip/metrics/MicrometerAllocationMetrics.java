package io.github.clusterip.metrics;

import io.github.clusterip.AllocationMetrics;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Publishes the allocators' events as kube-apiserver's allocator metrics in a Micrometer registry. */
public final class MicrometerAllocationMetrics implements AllocationMetrics {

    private static final String IP = "kube_apiserver_clusterip_allocator_";
    private static final String PORT = "kube_apiserver_nodeport_allocator_";
    /** kube-apiserver's histogram buckets (Prometheus' default ones), in seconds. */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    /** The gauges' values, by name and tags; a gauge keeps the latest value set. */
    private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

    /** Publishes into {@code registry}. */
    public MicrometerAllocationMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void addressAllocated(ServiceCidr cidr, Scope scope, long allocated, long available, long nanos) {
        Tags tags = Tags.of("cidr", cidr.toString());
        registry.counter(IP + "allocation_total", tags.and("scope", scope.label())).increment();
        Timer.builder(IP + "allocation_duration_seconds").tags(tags).serviceLevelObjectives(BUCKETS)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
        addressReleased(cidr, allocated, available);
    }

    @Override
    public void addressAllocationFailed(ServiceCidr cidr, Scope scope) {
        registry.counter(IP + "allocation_errors_total", "cidr", cidr.toString(), "scope", scope.label()).increment();
    }

    @Override
    public void addressReleased(ServiceCidr cidr, long allocated, long available) {
        Tags tags = Tags.of("cidr", cidr.toString());
        gauge(IP + "allocated_ips", tags, allocated);
        gauge(IP + "available_ips", tags, available);
    }

    @Override
    public void portAllocated(PortRange range, Scope scope, long allocated, long available) {
        registry.counter(PORT + "allocation_total", "scope", scope.label()).increment();
        portReleased(range, allocated, available);
    }

    @Override
    public void portAllocationFailed(PortRange range, Scope scope) {
        registry.counter(PORT + "allocation_errors_total", "scope", scope.label()).increment();
    }

    @Override
    public void portReleased(PortRange range, long allocated, long available) {
        gauge(PORT + "allocated_ports", Tags.empty(), allocated);
        gauge(PORT + "available_ports", Tags.empty(), available);
    }

    private void gauge(String name, Tags tags, long value) {
        gauges.computeIfAbsent(name + tags, key -> {
            AtomicLong holder = new AtomicLong();
            Gauge.builder(name, holder, AtomicLong::get).tags(tags).register(registry);
            return holder;
        }).set(value);
    }
}
