package io.github.clusterip;

/**
 * Receives the measurements behind kube-apiserver's allocator metrics, so that a host can publish
 * them through whatever metrics library it uses (Micrometer, Prometheus' Java client, ...)
 * without this library depending on one. {@link ClusterIpAllocator.Builder#metrics},
 * {@link NodePortAllocator.Builder#metrics} and {@link ServiceCidrSet.Builder#metrics} take one.
 *
 * <p>The events map one to one onto kube-apiserver's metrics (all of stability level ALPHA there):
 * <table>
 *   <caption>Events and the kube-apiserver metrics they feed</caption>
 *   <tr><th>event</th><th>kube-apiserver metric</th><th>type</th></tr>
 *   <tr><td rowspan="4">{@link #addressAllocated}</td>
 *       <td>{@code kube_apiserver_clusterip_allocator_allocation_total{cidr,scope}}: add one</td>
 *       <td>counter</td></tr>
 *   <tr><td>{@code kube_apiserver_clusterip_allocator_allocated_ips{cidr}}: set to {@code allocated}</td>
 *       <td>gauge</td></tr>
 *   <tr><td>{@code kube_apiserver_clusterip_allocator_available_ips{cidr}}: set to {@code available}</td>
 *       <td>gauge</td></tr>
 *   <tr><td>{@code kube_apiserver_clusterip_allocator_allocation_duration_seconds{cidr}}: observe
 *       {@code nanos / 1e9}</td>
 *       <td>histogram, buckets 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 seconds
 *       (Prometheus' default buckets)</td></tr>
 *   <tr><td>{@link #addressAllocationFailed}</td>
 *       <td>{@code kube_apiserver_clusterip_allocator_allocation_errors_total{cidr,scope}}: add one</td>
 *       <td>counter</td></tr>
 *   <tr><td>{@link #addressReleased}</td><td>{@code ..._allocated_ips{cidr}} and
 *       {@code ..._available_ips{cidr}}: set</td><td>gauges</td></tr>
 *   <tr><td rowspan="3">{@link #portAllocated}</td>
 *       <td>{@code kube_apiserver_nodeport_allocator_allocation_total{scope}}: add one</td>
 *       <td>counter</td></tr>
 *   <tr><td>{@code kube_apiserver_nodeport_allocator_allocated_ports}: set to {@code allocated}</td>
 *       <td>gauge, no label</td></tr>
 *   <tr><td>{@code kube_apiserver_nodeport_allocator_available_ports}: set to {@code available}</td>
 *       <td>gauge, no label</td></tr>
 *   <tr><td>{@link #portAllocationFailed}</td>
 *       <td>{@code kube_apiserver_nodeport_allocator_allocation_errors_total{scope}}: add one</td>
 *       <td>counter</td></tr>
 *   <tr><td>{@link #portReleased}</td><td>{@code ..._allocated_ports} and
 *       {@code ..._available_ports}: set</td><td>gauges</td></tr>
 * </table>
 *
 * <p>The {@code cidr} label is the CIDR's canonical text, {@link ServiceCidr#toString()} (Go's
 * {@code net.IPNet.String()}, for example {@code 10.96.0.0/12}); the {@code scope} label is
 * {@link Scope#label()}. kube-apiserver has no duration metric for NodePorts, and its NodePort
 * gauges have no label: a host with several NodePort ranges that wants them apart adds a label of
 * its own from the {@code range} argument.
 *
 * <p>When each event is sent, as kube-apiserver's allocators update their metrics:
 * <ul>
 *   <li>Scope: {@code allocate} and {@code tryAllocate} of a given address or port are
 *       {@link Scope#STATIC}, {@code allocateNext} is {@link Scope#DYNAMIC}, whichever band the
 *       address or port lies in.</li>
 *   <li>Failures: a given address or port that is already allocated, or not in the range (not a
 *       usable address of the CIDR), is a static failure; a full range is a dynamic failure. So is
 *       a broken random source's {@link IllegalStateException} in {@code allocateNext}, as
 *       kube-apiserver counts any error of its bitmap's {@code AllocateNext}. A
 *       {@code tryAllocate} that returns false is a failure too. A null argument sends nothing.</li>
 *   <li>Duration: measured only when a listener is set, and passed only with a successful
 *       allocation (kube-apiserver observes it only on success): for {@code allocateNext} from
 *       the call to the moment the address is taken, the search included; for a given address,
 *       from after the range check to the moment it is taken. kube-apiserver's IPAddress
 *       allocator observes it; its older bitmap allocator never does, so a cluster that runs that
 *       one has the histogram empty.</li>
 *   <li>Releases: an event only when the call released something (it returned true), as
 *       kube-apiserver's IPAddress allocator sets the gauges only when the IPAddress was deleted.
 *       Its bitmap address and port allocators also set the gauges when a free value of the range
 *       is released, to the unchanged counts; clusterip sends nothing then.</li>
 *   <li>Gauge values: {@code allocated} and {@code available} are the counts read just after
 *       the change, as kube-apiserver reads {@code Used()} and {@code Free()} after it;
 *       {@code available} is what the allocator's {@code free()} would give for that
 *       {@code allocated} (so it follows the {@link CompatibilityProfile}). The allocators read
 *       them without holding other threads off: with no change running at the same time they are
 *       exact; when changes race, a count may include or miss a change made at the same moment,
 *       and the event of one change may arrive after that of a later one, so a gauge that keeps
 *       the latest value received (as kube-apiserver's do, and as a binding should) can be off by
 *       the racing changes until the next event. kube-apiserver's gauges race the same way. A
 *       host that needs exact figures at a given moment reads the allocator's {@code used()}.</li>
 *   <li>No event for a restore, a snapshot factory, or the building of an allocator: the gauges
 *       have a value only once the first event has come, as in kube-apiserver, whose
 *       {@code Restore} sets no gauge. A binding that wants values at once sets them from the
 *       allocator's {@code used()} and {@code free()}.</li>
 *   <li>Dry runs send nothing, as in kube-apiserver.</li>
 *   <li>A {@link ServiceCidrSet} reports per CIDR, as kube-apiserver's per-CIDR allocators do
 *       under its {@code MetaAllocator}; its class comment says which CIDR hears of what.</li>
 * </ul>
 *
 * <p>Every method has an empty default, so an implementation overrides only what it publishes.
 * The methods are called on the thread that made the change, after the change, outside the
 * allocator's locks; they must be thread-safe, fast, must not throw and must not call back into
 * the allocator. An exception a listener throws reaches the caller of the allocator, after the
 * change was made (or, for a failure, with the failure's own exception lost).
 */
public interface AllocationMetrics {

    /**
     * A listener that ignores every event; the default of the allocators, which then read no
     * clock and no count for metrics.
     */
    AllocationMetrics NONE = new AllocationMetrics() { };

    /**
     * How an allocation was asked for: kube-apiserver's {@code scope} label.
     */
    enum Scope {
        /** A given address or port was asked for (label value {@code static}). */
        STATIC("static"),
        /** The allocator chose the address or port (label value {@code dynamic}). */
        DYNAMIC("dynamic");

        private final String label;

        Scope(String label) {
            this.label = label;
        }

        /**
         * Returns the value of kube-apiserver's {@code scope} label.
         *
         * @return {@code static} or {@code dynamic}
         */
        public String label() {
            return label;
        }
    }

    /**
     * An address of {@code cidr} was allocated.
     *
     * @param cidr the CIDR the address was allocated in
     * @param scope how it was asked for
     * @param allocated the addresses of the CIDR now allocated
     * @param available the addresses of the CIDR now free
     * @param nanos how long the allocation took, in nanoseconds (kube-apiserver's histogram is in
     *     seconds)
     */
    default void addressAllocated(ServiceCidr cidr, Scope scope, long allocated, long available, long nanos) {
    }

    /**
     * An allocation in {@code cidr} failed: the CIDR was full ({@link Scope#DYNAMIC}), or the
     * given address was already allocated or not a usable address of it ({@link Scope#STATIC}).
     *
     * @param cidr the CIDR that refused the allocation
     * @param scope how it was asked for
     */
    default void addressAllocationFailed(ServiceCidr cidr, Scope scope) {
    }

    /**
     * An address of {@code cidr} was released.
     *
     * @param cidr the CIDR the address was released in
     * @param allocated the addresses of the CIDR now allocated
     * @param available the addresses of the CIDR now free
     */
    default void addressReleased(ServiceCidr cidr, long allocated, long available) {
    }

    /**
     * A port of {@code range} was allocated.
     *
     * @param range the allocator's port range
     * @param scope how it was asked for
     * @param allocated the ports now allocated
     * @param available the ports now free
     */
    default void portAllocated(PortRange range, Scope scope, long allocated, long available) {
    }

    /**
     * A port allocation failed: the range was full ({@link Scope#DYNAMIC}), or the given port was
     * already allocated or not in it ({@link Scope#STATIC}).
     *
     * @param range the allocator's port range
     * @param scope how it was asked for
     */
    default void portAllocationFailed(PortRange range, Scope scope) {
    }

    /**
     * A port of {@code range} was released.
     *
     * @param range the allocator's port range
     * @param allocated the ports now allocated
     * @param available the ports now free
     */
    default void portReleased(PortRange range, long allocated, long available) {
    }
}
