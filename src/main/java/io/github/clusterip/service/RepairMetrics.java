package io.github.clusterip.service;

/**
 * Receives the errors a {@link Repair} pass counts, as kube-apiserver's repair controllers count
 * them, so that a host can publish them through the metrics library it uses, with no dependency
 * here.
 *
 * <table>
 *   <caption>Events and the kube-apiserver metrics they feed</caption>
 *   <tr><th>event</th><th>kube-apiserver metric</th></tr>
 *   <tr><td>{@link #clusterIpRepairError}</td>
 *       <td>{@code apiserver_clusterip_repair_ip_errors_total{type}}</td></tr>
 *   <tr><td>{@link #nodePortRepairError}</td>
 *       <td>{@code apiserver_nodeport_repair_port_errors_total{type}}</td></tr>
 * </table>
 *
 * <p>The {@code type} label is {@link RepairErrorType#label()}. As in kube-apiserver, a leak is
 * counted once, when it is released, not in the passes that only flag it; each
 * {@link RepairFinding} of another type is counted once per pass that finds it. An owner fixed
 * on an address (which kube-apiserver's IPAddress repair does without counting) is counted as
 * {@code repair}.
 *
 * <p>A binding to Micrometer, for example:
 *
 * <pre>{@code
 * RepairMetrics metrics = new RepairMetrics() {
 *     public void clusterIpRepairError(RepairErrorType type) {
 *         registry.counter("apiserver_clusterip_repair_ip_errors_total", "type", type.label()).increment();
 *     }
 *     public void nodePortRepairError(RepairErrorType type) {
 *         registry.counter("apiserver_nodeport_repair_port_errors_total", "type", type.label()).increment();
 *     }
 * };
 * }</pre>
 *
 * <p>Both methods have an empty default. They are called on the thread that runs the pass, after
 * the pass, once per error; they must not throw and must not call back into the {@link Repair}.
 */
public interface RepairMetrics {

    /** A listener that ignores every event; the default. */
    RepairMetrics NONE = new RepairMetrics() { };

    /**
     * The pass found an error of {@code type} on a ClusterIP.
     *
     * @param type the error's type
     */
    default void clusterIpRepairError(RepairErrorType type) {
    }

    /**
     * The pass found an error of {@code type} on a NodePort.
     *
     * @param type the error's type
     */
    default void nodePortRepairError(RepairErrorType type) {
    }
}
