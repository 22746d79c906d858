package io.github.clusterip.service;

/**
 * What a {@link Repair} pass did about one {@link RepairFinding}.
 */
public enum RepairAction {
    /** The address or port, used by a Service but not allocated, was allocated for it. */
    ALLOCATED,
    /** The address was allocated to another owner; its owner is now the Service that uses it. */
    OWNER_SET,
    /**
     * The address or port looks leaked and was left allocated: it is freed only when it is seen
     * leaked in {@value Repair#LEAK_PASSES} consecutive passes.
     */
    FLAGGED,
    /** The address or port was seen leaked in the last consecutive passes and was released. */
    RELEASED,
    /** Nothing was changed: the problem needs a person (recreate the Service), as kube-apiserver says. */
    NONE
}
