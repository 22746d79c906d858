package io.github.clusterip.service;

import io.github.clusterip.IpAddress;
import io.github.clusterip.Owner;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One problem a {@link Repair} pass found on one ClusterIP or NodePort, with kube-apiserver's
 * event reason and message for it, and what the pass did.
 *
 * <p>Immutable.
 */
public final class RepairFinding {

    /** What a finding is about. */
    public enum Kind {
        /** A ClusterIP, in a {@link io.github.clusterip.ServiceCidrSet}. */
        CLUSTER_IP,
        /** A NodePort, in a {@link io.github.clusterip.NodePortAllocator}. */
        NODE_PORT
    }

    private final Kind kind;
    private final IpAddress address;
    private final int port;
    private final RepairErrorType type;
    private final RepairAction action;
    private final Owner service;
    private final Owner other;
    private final String reason;
    private final String message;
    private final int passes;

    private RepairFinding(Kind kind, IpAddress address, int port, RepairErrorType type, RepairAction action,
            Owner service, Owner other, String reason, String message, int passes) {
        this.kind = kind;
        this.address = address;
        this.port = port;
        this.type = Objects.requireNonNull(type, "type");
        this.action = Objects.requireNonNull(action, "action");
        this.service = service;
        this.other = other;
        this.reason = Objects.requireNonNull(reason, "reason");
        this.message = Objects.requireNonNull(message, "message");
        this.passes = passes;
    }

    static RepairFinding address(IpAddress address, RepairErrorType type, RepairAction action, Owner service,
            Owner other, String reason, String message, int passes) {
        return new RepairFinding(Kind.CLUSTER_IP, Objects.requireNonNull(address, "address"), 0, type, action,
                service, other, reason, message, passes);
    }

    static RepairFinding port(int port, RepairErrorType type, RepairAction action, Owner service, Owner other,
            String reason, String message, int passes) {
        return new RepairFinding(Kind.NODE_PORT, null, port, type, action, service, other, reason, message, passes);
    }

    /**
     * Tells whether the finding is about a ClusterIP or a NodePort.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Returns the ClusterIP the finding is about.
     *
     * @return the address, or empty for a NodePort finding
     */
    public Optional<IpAddress> address() {
        return Optional.ofNullable(address);
    }

    /**
     * Returns the NodePort the finding is about.
     *
     * @return the port, or empty for a ClusterIP finding
     */
    public OptionalInt port() {
        return kind == Kind.NODE_PORT ? OptionalInt.of(port) : OptionalInt.empty();
    }

    /**
     * Returns the type of the problem, kube-apiserver's metric label.
     *
     * @return the type
     */
    public RepairErrorType type() {
        return type;
    }

    /**
     * Returns what the pass did.
     *
     * @return the action
     */
    public RepairAction action() {
        return action;
    }

    /**
     * Returns the Service the finding concerns: the Service that uses the address or port, or for
     * a leak the owner the address was allocated to, where one is known.
     *
     * @return the Service, or empty for a leak of no known owner
     */
    public Optional<Owner> service() {
        return Optional.ofNullable(service);
    }

    /**
     * Returns the other Service involved: for a duplicate, the Service that keeps the address or
     * port; for an owner that was set, the owner the address had before.
     *
     * @return the other Service, or empty
     */
    public Optional<Owner> otherService() {
        return Optional.ofNullable(other);
    }

    /**
     * Returns the reason of the event kube-apiserver records for this problem, such as
     * {@code ClusterIPNotAllocated} or {@code PortOutOfRange}.
     *
     * @return the reason, or the empty string where kube-apiserver only logs the problem (a leak
     *         of an address with no known owner, or of a port)
     */
    public String reason() {
        return reason;
    }

    /**
     * Returns kube-apiserver's text for this problem: the event's message, or where it records no
     * event, its log line.
     *
     * @return the message
     */
    public String message() {
        return message;
    }

    /**
     * Returns, for a leak, in how many consecutive passes it has been seen leaked, this one
     * included.
     *
     * @return from 1 to {@value Repair#LEAK_PASSES} for a leak, 0 otherwise
     */
    public int passes() {
        return passes;
    }

    /**
     * Compares all the parts.
     *
     * @param obj the object to compare with
     * @return true if {@code obj} is a finding with equal parts
     */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof RepairFinding f && kind == f.kind && Objects.equals(address, f.address)
                && port == f.port && type == f.type && action == f.action && Objects.equals(service, f.service)
                && Objects.equals(other, f.other) && reason.equals(f.reason) && message.equals(f.message)
                && passes == f.passes;
    }

    /**
     * Returns a hash of all the parts.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(kind, address, port, type, action, service, other, reason, message, passes);
    }

    /**
     * Returns one line: the type, the address or port, the Service, what was done, the reason and
     * the message, such as
     * {@code repair 10.96.0.10 default/web: allocated (ClusterIPNotAllocated: Cluster IP [IPv4]: 10.96.0.10 is not allocated; repairing)}.
     *
     * @return the finding as text
     */
    @Override
    public String toString() {
        StringBuilder line = new StringBuilder(type.label()).append(' ')
                .append(kind == Kind.CLUSTER_IP ? address.toString() : "port " + port);
        if (service != null) {
            line.append(' ').append(service);
        }
        line.append(": ").append(switch (action) {
            case ALLOCATED -> "allocated";
            case OWNER_SET -> "owner set (was " + other + ")";
            case FLAGGED -> "flagged, seen leaked in " + passes + " of " + Repair.LEAK_PASSES + " passes";
            case RELEASED -> "released after " + passes + " passes";
            case NONE -> other != null && type == RepairErrorType.DUPLICATE ? "left to " + other : "left";
        });
        line.append(" (");
        if (!reason.isEmpty()) {
            line.append(reason).append(": ");
        }
        return line.append(message).append(')').toString();
    }
}
