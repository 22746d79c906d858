package io.github.clusterip;

/**
 * Receives the measurements behind kube-apiserver's allocator metrics, so that a host can publish
 * them through whatever metrics library it uses (Micrometer, Prometheus' Java client, ...)
 * without this library depending on one.
 *
 * <p>The events and their arguments map one to one onto kube-apiserver's metrics:
 * <table>
 *   <caption>Events and the kube-apiserver metrics they feed</caption>
 *   <tr><th>event</th><th>kube-apiserver metric</th></tr>
 *   <tr><td>{@link #addressAllocated}</td><td>{@code kube_apiserver_clusterip_allocator_allocation_total{cidr,scope}},
 *       {@code ..._allocation_duration_seconds{cidr}}, and the gauges
 *       {@code ..._allocated_ips{cidr}}, {@code ..._available_ips{cidr}}</td></tr>
 *   <tr><td>{@link #addressAllocationFailed}</td><td>{@code kube_apiserver_clusterip_allocator_allocation_errors_total{cidr,scope}}</td></tr>
 *   <tr><td>{@link #addressReleased}</td><td>the two gauges</td></tr>
 *   <tr><td>{@link #portAllocated}</td><td>{@code kube_apiserver_nodeport_allocator_allocation_total{scope}}, and the gauges
 *       {@code ..._allocated_ports}, {@code ..._available_ports}</td></tr>
 *   <tr><td>{@link #portAllocationFailed}</td><td>{@code kube_apiserver_nodeport_allocator_allocation_errors_total{scope}}</td></tr>
 *   <tr><td>{@link #portReleased}</td><td>the two gauges</td></tr>
 * </table>
 *
 * <p>Every method has an empty default, so an implementation overrides only what it publishes.
 * The methods are called on the thread that made the change, after the change, outside the
 * allocator's locks; they must be thread-safe, fast, must not throw and must not call back into
 * the allocator. A gauge value passed with an event is exact at the moment of that event; when
 * threads race, the events of two changes may arrive in either order, so a binding that keeps
 * gauges should keep the value of the latest call it received, as kube-apiserver's gauges do.
 */
public interface AllocationMetrics {

    /** A listener that ignores every event; the default of the allocators. */
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
     * @param nanos how long the allocation took, in nanoseconds
     */
    default void addressAllocated(ServiceCidr cidr, Scope scope, long allocated, long available, long nanos) {
    }

    /**
     * An allocation in {@code cidr} failed: the CIDR was full, or the given address was taken or
     * not in it.
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
     * A port allocation failed: the range was full, or the given port was taken or not in it.
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
