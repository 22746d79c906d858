package io.github.clusterip.service;

/**
 * The protocol of a Service port.
 *
 * <p>This type is immutable and thread-safe.
 */
public enum Protocol {
    /** TCP, the default. */
    TCP,
    /** UDP. */
    UDP,
    /** SCTP. */
    SCTP
}
