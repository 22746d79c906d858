package io.github.clusterip.service;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one {@link Repair} pass found and did: every {@link RepairFinding}, in the order the pass
 * made them (Service by Service, then the leaks in address and port order), and the errors it
 * counted by type, as the {@link RepairMetrics} listener heard them.
 *
 * <p>Immutable.
 */
public final class RepairReport {

    private final long pass;
    private final List<RepairFinding> findings;
    private final Map<RepairErrorType, Integer> ipErrors;
    private final Map<RepairErrorType, Integer> portErrors;

    RepairReport(long pass, List<RepairFinding> findings, Map<RepairErrorType, Integer> ipErrors,
            Map<RepairErrorType, Integer> portErrors) {
        this.pass = pass;
        this.findings = List.copyOf(findings);
        this.ipErrors = Collections.unmodifiableMap(new EnumMap<>(ipErrors));
        this.portErrors = Collections.unmodifiableMap(new EnumMap<>(portErrors));
    }

    /**
     * Returns the number of this pass of its {@link Repair}, from 1.
     *
     * @return the pass number
     */
    public long pass() {
        return pass;
    }

    /**
     * Returns every finding of the pass.
     *
     * @return an immutable list, empty if the state was consistent
     */
    public List<RepairFinding> findings() {
        return findings;
    }

    /**
     * Tells whether the pass found nothing at all.
     *
     * @return true if there is no finding
     */
    public boolean isClean() {
        return findings.isEmpty();
    }

    /**
     * Returns the ClusterIP errors the pass counted, by type: what
     * {@code apiserver_clusterip_repair_ip_errors_total{type}} grew by.
     *
     * @return an immutable map holding only the types counted at least once
     */
    public Map<RepairErrorType, Integer> ipErrors() {
        return ipErrors;
    }

    /**
     * Returns the NodePort errors the pass counted, by type: what
     * {@code apiserver_nodeport_repair_port_errors_total{type}} grew by.
     *
     * @return an immutable map holding only the types counted at least once
     */
    public Map<RepairErrorType, Integer> portErrors() {
        return portErrors;
    }

    /**
     * Returns how many findings have the given type and action.
     *
     * @param type the type
     * @param action the action
     * @return the count
     */
    public int count(RepairErrorType type, RepairAction action) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(action, "action");
        int n = 0;
        for (RepairFinding f : findings) {
            if (f.type() == type && f.action() == action) {
                n++;
            }
        }
        return n;
    }

    /**
     * Returns the report as text: a first line with the pass number and the counts, then one line
     * per finding (see {@link RepairFinding#toString()}), each ending with a line feed.
     *
     * @return the report as text
     */
    public String render() {
        StringBuilder text = new StringBuilder("repair pass ").append(pass).append(": ");
        if (findings.isEmpty()) {
            text.append("no problem found");
        } else {
            text.append(findings.size()).append(findings.size() == 1 ? " finding" : " findings");
            text.append("; ClusterIP errors ").append(counts(ipErrors));
            text.append("; NodePort errors ").append(counts(portErrors));
        }
        text.append('\n');
        for (RepairFinding f : findings) {
            text.append("  ").append(f).append('\n');
        }
        return text.toString();
    }

    private static String counts(Map<RepairErrorType, Integer> errors) {
        if (errors.isEmpty()) {
            return "none";
        }
        StringBuilder text = new StringBuilder();
        for (Map.Entry<RepairErrorType, Integer> e : errors.entrySet()) {
            if (text.length() > 0) {
                text.append(", ");
            }
            text.append(e.getKey().label()).append('=').append(e.getValue());
        }
        return text.toString();
    }

    /**
     * Returns {@link #render()}.
     *
     * @return the report as text
     */
    @Override
    public String toString() {
        return render();
    }
}
