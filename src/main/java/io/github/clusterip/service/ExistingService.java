package io.github.clusterip.service;

import io.github.clusterip.IpAddress;
import io.github.clusterip.Owner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A Service that exists, as a {@link Repair} pass reads it: its namespace and name, the
 * ClusterIPs its spec holds and the NodePorts it uses.
 *
 * <p>{@code nodePorts} lists the ports as kube-apiserver's NodePort repair collects them
 * ({@code collectServiceNodePorts} in {@code portallocator/controller/repair.go}): each port's
 * {@code nodePort} once, and again for each further port of the same protocol that names it
 * (such a repeat is reported as a duplicate), and the {@code healthCheckNodePort}. A port number
 * shared by TCP and UDP ports is used once. {@link #of(Owner, List, List, int)} applies that rule
 * to a Service's ports.
 *
 * <p>Immutable.
 *
 * @param owner the Service's namespace and name
 * @param clusterIPs the addresses of {@code spec.clusterIPs}, in order; empty for a headless or
 *        ExternalName Service
 * @param nodePorts the NodePorts it uses, each from 1 to 65535
 */
public record ExistingService(Owner owner, List<IpAddress> clusterIPs, List<Integer> nodePorts) {

    /** The largest port number. */
    private static final int MAX_PORT = 65535;

    /**
     * Checks and copies the parts.
     *
     * @param owner the Service's namespace and name
     * @param clusterIPs its ClusterIPs
     * @param nodePorts its NodePorts
     * @throws NullPointerException if an argument or an element is null
     * @throws IllegalArgumentException if a port is not from 1 to 65535
     */
    public ExistingService {
        Objects.requireNonNull(owner, "owner");
        clusterIPs = List.copyOf(clusterIPs);
        nodePorts = List.copyOf(nodePorts);
        for (int port : nodePorts) {
            if (port < 1 || port > MAX_PORT) {
                throw new IllegalArgumentException("invalid NodePort " + port + " of Service " + owner
                        + ": a port is from 1 to " + MAX_PORT);
            }
        }
    }

    /**
     * Returns a Service with no NodePort.
     *
     * @param owner the Service's namespace and name
     * @param clusterIPs its ClusterIPs
     * @return the Service
     * @throws NullPointerException if an argument or an element is null
     */
    public static ExistingService of(Owner owner, List<IpAddress> clusterIPs) {
        return new ExistingService(owner, clusterIPs, List.of());
    }

    /**
     * One port of a Service's {@code spec.ports}: its {@code nodePort} (0 for none) and its
     * {@code protocol}.
     *
     * @param nodePort the NodePort, 0 if the port has none
     * @param protocol the protocol, such as {@code TCP}, {@code UDP} or {@code SCTP}
     */
    public record Port(int nodePort, String protocol) {

        /**
         * Checks the parts.
         *
         * @param nodePort the NodePort, 0 if the port has none
         * @param protocol the protocol
         * @throws NullPointerException if {@code protocol} is null
         * @throws IllegalArgumentException if the port is not from 0 to 65535
         */
        public Port {
            Objects.requireNonNull(protocol, "protocol");
            if (nodePort < 0 || nodePort > MAX_PORT) {
                throw new IllegalArgumentException("invalid nodePort " + nodePort + ": a port is from 0 to " + MAX_PORT);
            }
        }
    }

    /**
     * Returns a Service whose NodePorts are collected from its ports as kube-apiserver's NodePort
     * repair collects them: a port without a NodePort is skipped; a NodePort is listed at its
     * first port, and again at each later port of a protocol that already named it; the
     * health-check NodePort is listed unless a port of another protocol than TCP alone names it.
     *
     * @param owner the Service's namespace and name
     * @param clusterIPs its ClusterIPs
     * @param ports its {@code spec.ports}
     * @param healthCheckNodePort its {@code spec.healthCheckNodePort}, 0 for none
     * @return the Service
     * @throws NullPointerException if an argument or an element is null
     * @throws IllegalArgumentException if {@code healthCheckNodePort} is not from 0 to 65535
     */
    public static ExistingService of(Owner owner, List<IpAddress> clusterIPs, List<Port> ports,
            int healthCheckNodePort) {
        if (healthCheckNodePort < 0 || healthCheckNodePort > MAX_PORT) {
            throw new IllegalArgumentException("invalid healthCheckNodePort " + healthCheckNodePort
                    + ": a port is from 0 to " + MAX_PORT);
        }
        List<Integer> used = new ArrayList<>();
        Map<Integer, Set<String>> seen = new HashMap<>();
        for (Port port : ports) {
            if (port.nodePort() == 0) {
                continue;
            }
            Set<String> protocols = seen.computeIfAbsent(port.nodePort(), p -> new HashSet<>());
            if (protocols.isEmpty() || protocols.contains(port.protocol())) {
                used.add(port.nodePort());
            }
            protocols.add(port.protocol());
        }
        if (healthCheckNodePort != 0) {
            Set<String> protocols = seen.get(healthCheckNodePort);
            if (protocols == null || protocols.contains("TCP")) {
                used.add(healthCheckNodePort);
            }
        }
        return new ExistingService(owner, clusterIPs, used);
    }
}
