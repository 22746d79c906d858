package io.github.clusterip.cli;

import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.internal.Messages;

/**
 * Tells a Service CIDR from a NodePort range, in an argument or in a snapshot, and parses it.
 *
 * <p>Text with a '/' is a CIDR. Text without one is a port range ({@code 30000-32767},
 * {@code 30000+2767} or {@code 8080}, as kube-apiserver's {@code --service-node-port-range}),
 * unless it holds a '.' or a ':', which no port range has: then it is an address that lacks its
 * prefix length, and it is read, and refused, as a CIDR, so that {@code 10.96.0.0} is reported as
 * a CIDR without a prefix length rather than as a port range that is not a number.
 */
final class RangeArgument {

    private RangeArgument() {
    }

    /** Tells whether {@code text} is to be read as a port range. */
    static boolean isPortRange(String text) {
        return text.indexOf('/') < 0 && text.indexOf('.') < 0 && text.indexOf(':') < 0;
    }

    /** Parses a CIDR; a usage failure with the parser's message if it is not one. */
    static ServiceCidr cidr(String text, String usage) {
        try {
            return ServiceCidr.parse(text);
        } catch (IllegalArgumentException e) {
            throw Failure.usage(e.getMessage(), usage);
        }
    }

    /** Parses a port range; a usage failure with the parser's message if it is not one. */
    static PortRange ports(String text, String usage) {
        if (text.isBlank()) {
            // Not PortRange's message, which says what kube-apiserver makes of an empty flag.
            throw Failure.usage("invalid range " + Messages.quote(text) + ": it is "
                    + (text.isEmpty() ? "empty" : "only white space")
                    + "; give a CIDR (such as 10.96.0.0/12) or a port range (such as 30000-32767)", usage);
        }
        try {
            return PortRange.parse(text);
        } catch (IllegalArgumentException e) {
            throw Failure.usage(e.getMessage(), usage);
        }
    }
}
