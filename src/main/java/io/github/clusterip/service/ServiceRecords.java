package io.github.clusterip.service;

import io.github.clusterip.IpFamily;
import io.github.clusterip.Owner;
import io.github.clusterip.store.StoreValueException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The value a shared store keeps for a Service: UTF-8 lines of {@code field value}, readable with
 * etcd's own tools. Port names are percent-encoded; everything else is an enum constant, a number,
 * an address or an owner.
 *
 * <pre>
 * clusterip-service 1
 * owner default/web
 * type NODE_PORT
 * clusterIPs 10.96.0.10,fd00::a
 * ipFamilyPolicy PREFER_DUAL_STACK
 * ipFamilies IPV4,IPV6
 * port TCP 80 30080 http
 * allocateLoadBalancerNodePorts true
 * externalTrafficPolicy CLUSTER
 * healthCheckNodePort 0
 * selector true
 * </pre>
 */
final class ServiceRecords {

    /** The longest record read: far more than any Service needs, little for a hostile value. */
    static final int MAX_BYTES = 64 * 1024;

    private static final String HEADER = "clusterip-service 1";

    private ServiceRecords() {
    }

    static byte[] encode(ServiceSpec spec) {
        StringBuilder sb = new StringBuilder(256);
        sb.append(HEADER).append('\n');
        sb.append("owner ").append(spec.owner()).append('\n');
        sb.append("type ").append(spec.type().name()).append('\n');
        sb.append("clusterIPs ").append(String.join(",", spec.clusterIPs())).append('\n');
        sb.append("ipFamilyPolicy ").append(spec.ipFamilyPolicy().map(Enum::name).orElse("")).append('\n');
        List<String> families = new ArrayList<>();
        for (IpFamily f : spec.ipFamilies()) {
            families.add(f.name());
        }
        sb.append("ipFamilies ").append(String.join(",", families)).append('\n');
        for (ServicePort p : spec.ports()) {
            sb.append("port ").append(p.protocol().name()).append(' ').append(p.port()).append(' ')
                    .append(p.nodePort()).append(' ').append(escape(p.name())).append('\n');
        }
        sb.append("allocateLoadBalancerNodePorts ").append(spec.allocateLoadBalancerNodePorts()).append('\n');
        sb.append("externalTrafficPolicy ").append(spec.externalTrafficPolicy().name()).append('\n');
        sb.append("healthCheckNodePort ").append(spec.healthCheckNodePort()).append('\n');
        sb.append("selector ").append(spec.hasSelector()).append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a record, checking that it is the Service its key names.
     *
     * @throws StoreValueException naming the key and what is wrong
     */
    static ServiceSpec decode(String key, Owner expected, byte[] value) {
        if (value.length > MAX_BYTES) {
            throw new StoreValueException(key, "a Service record of " + value.length + " bytes is longer than the "
                    + MAX_BYTES + " allowed");
        }
        String text = new String(value, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        if (!lines[0].equals(HEADER)) {
            throw new StoreValueException(key, "not a clusterip Service record (it does not start with \"" + HEADER + "\")");
        }
        try {
            ServiceSpec.Builder b = null;
            List<ServicePort> ports = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                if (line.isEmpty() && i == lines.length - 1) {
                    break;
                }
                int sp = line.indexOf(' ');
                if (sp < 0) {
                    throw new IllegalArgumentException("line " + (i + 1) + " has no value");
                }
                String field = line.substring(0, sp);
                String v = line.substring(sp + 1);
                if (b == null && !field.equals("owner")) {
                    throw new IllegalArgumentException("line " + (i + 1) + ": the owner must come first");
                }
                switch (field) {
                    case "owner" -> {
                        Owner owner = Owner.parse(v);
                        if (!owner.equals(expected)) {
                            throw new IllegalArgumentException("the record is Service " + owner + ", not " + expected);
                        }
                        b = ServiceSpec.builder(owner);
                    }
                    case "type" -> b.type(ServiceType.valueOf(v));
                    case "clusterIPs" -> b.clusterIPs(v.isEmpty() ? List.of() : List.of(v.split(",", -1)));
                    case "ipFamilyPolicy" -> b.ipFamilyPolicy(v.isEmpty() ? null : IpFamilyPolicy.valueOf(v));
                    case "ipFamilies" -> {
                        List<IpFamily> families = new ArrayList<>();
                        if (!v.isEmpty()) {
                            for (String f : v.split(",", -1)) {
                                families.add(IpFamily.valueOf(f));
                            }
                        }
                        b.ipFamilies(families);
                    }
                    case "port" -> {
                        String[] parts = v.split(" ", 4);
                        if (parts.length != 4) {
                            throw new IllegalArgumentException("line " + (i + 1) + ": a port is PROTOCOL PORT NODEPORT NAME");
                        }
                        ports.add(new ServicePort(unescape(parts[3]), Protocol.valueOf(parts[0]),
                                Integer.parseInt(parts[1]), Integer.parseInt(parts[2])));
                    }
                    case "allocateLoadBalancerNodePorts" -> b.allocateLoadBalancerNodePorts(bool(v));
                    case "externalTrafficPolicy" -> b.externalTrafficPolicy(ExternalTrafficPolicy.valueOf(v));
                    case "healthCheckNodePort" -> b.healthCheckNodePort(Integer.parseInt(v));
                    case "selector" -> b.selector(bool(v));
                    default -> throw new IllegalArgumentException("line " + (i + 1) + ": unknown field \"" + field + "\"");
                }
            }
            if (b == null) {
                throw new IllegalArgumentException("the record names no owner");
            }
            return b.ports(ports).build();
        } catch (IllegalArgumentException e) {
            throw new StoreValueException(key, "invalid Service record: " + e.getMessage());
        }
    }

    private static boolean bool(String v) {
        if (v.equals("true")) {
            return true;
        }
        if (v.equals("false")) {
            return false;
        }
        throw new IllegalArgumentException("\"" + v + "\" is not true or false");
    }

    private static String escape(String name) {
        StringBuilder sb = new StringBuilder();
        for (byte c : name.getBytes(StandardCharsets.UTF_8)) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_') {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c & 0xff));
            }
        }
        return sb.toString();
    }

    private static String unescape(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                if (i + 2 >= text.length()) {
                    throw new IllegalArgumentException("port name \"" + text + "\" ends in an incomplete escape");
                }
                out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
