package io.github.clusterip.service;

import io.github.clusterip.internal.Messages;
import java.util.Objects;

/**
 * One entry of a Service's {@code spec.ports}: what the allocation reads of it.
 *
 * @param name the port's name, empty if the Service has one port
 * @param protocol its protocol
 * @param port the Service port, 1 to 65535
 * @param nodePort the NodePort: 0 for none or "allocate one", else the one asked for or allocated
 */
public record ServicePort(String name, Protocol protocol, int port, int nodePort) {

    /**
     * Checks the values.
     *
     * @param name the port's name, empty if the Service has one port
     * @param protocol its protocol
     * @param port the Service port
     * @param nodePort the NodePort, or 0
     * @throws NullPointerException if {@code name} or {@code protocol} is null
     * @throws IllegalArgumentException if {@code port} is not 1 to 65535 or {@code nodePort} not 0
     *         to 65535
     */
    public ServicePort {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid port " + port + " of port " + Messages.quote(name)
                    + ": must be between 1 and 65535, inclusive");
        }
        if (nodePort < 0 || nodePort > 65535) {
            throw new IllegalArgumentException("invalid nodePort " + nodePort + " of port " + Messages.quote(name)
                    + ": must be 0 (none) or between 1 and 65535, inclusive");
        }
    }

    /**
     * Returns a port with no NodePort asked for.
     *
     * @param name the port's name
     * @param protocol its protocol
     * @param port the Service port
     * @return the port
     */
    public static ServicePort of(String name, Protocol protocol, int port) {
        return new ServicePort(name, protocol, port, 0);
    }

    /**
     * Returns this port with another NodePort.
     *
     * @param nodePort the NodePort, or 0
     * @return the port
     */
    public ServicePort withNodePort(int nodePort) {
        return new ServicePort(name, protocol, port, nodePort);
    }
}
