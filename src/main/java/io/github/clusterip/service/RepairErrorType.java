package io.github.clusterip.service;

/**
 * The kinds of problem a {@link Repair} pass finds: the values of the {@code type} label of
 * kube-apiserver's repair metrics {@code apiserver_clusterip_repair_ip_errors_total} and
 * {@code apiserver_nodeport_repair_port_errors_total}, whose help text lists them as "leak,
 * repair, full, outOfRange, duplicate, unknown, invalid".
 */
public enum RepairErrorType {
    /** Allocated, but used by no Service (label {@code leak}). */
    LEAK("leak"),
    /**
     * Used by a Service but not allocated, or allocated to another owner than the Service that
     * uses it (label {@code repair}).
     */
    REPAIR("repair"),
    /**
     * The range is full (label {@code full}). kube-apiserver counts it when re-allocating a used
     * address or port fails for lack of room, which allocating a given address or port never does
     * here: no pass reports it.
     */
    FULL("full"),
    /** Used by a Service but outside every range (label {@code outOfRange}). */
    OUT_OF_RANGE("outOfRange"),
    /** Used by more than one Service (label {@code duplicate}). */
    DUPLICATE("duplicate"),
    /** Could not be repaired for another reason (label {@code unknown}). */
    UNKNOWN("unknown"),
    /**
     * Not a valid address (label {@code invalid}). kube-apiserver counts a Service's ClusterIP
     * text that does not parse; an {@link ExistingService} holds parsed addresses, so no pass
     * reports it.
     */
    INVALID("invalid");

    private final String label;

    RepairErrorType(String label) {
        this.label = label;
    }

    /**
     * Returns the value of kube-apiserver's {@code type} label.
     *
     * @return the label value, such as {@code outOfRange}
     */
    public String label() {
        return label;
    }
}
