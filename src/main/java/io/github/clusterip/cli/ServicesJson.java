package io.github.clusterip.cli;

import io.github.clusterip.IpAddress;
import io.github.clusterip.Owner;
import io.github.clusterip.cli.Json.JArray;
import io.github.clusterip.cli.Json.JNumber;
import io.github.clusterip.cli.Json.JObject;
import io.github.clusterip.cli.Json.JString;
import io.github.clusterip.cli.Json.Value;
import io.github.clusterip.internal.Messages;
import io.github.clusterip.service.ExistingService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the Services that exist, for {@code repair}, from JSON in one of two forms:
 *
 * <ul>
 *   <li>an array of {@code {"namespace": "...", "name": "...", "clusterIPs": ["..."],
 *       "nodePorts": [...]}}; the last two may be left out, and no other member is allowed;</li>
 *   <li>a Kubernetes List, as {@code kubectl get services -A -o json} prints it: an object whose
 *       {@code "items"} are Services, read from {@code metadata.namespace}, {@code metadata.name},
 *       {@code spec.clusterIPs} (or {@code spec.clusterIP} when there is no {@code clusterIPs}; the
 *       values {@code ""} and {@code None} are no address), {@code spec.ports[].nodePort} and
 *       {@code .protocol} (TCP when left out), and {@code spec.healthCheckNodePort}; other members
 *       are ignored. NodePorts are collected as kube-apiserver's NodePort repair collects them.</li>
 * </ul>
 */
final class ServicesJson {

    private static final String WHAT = "Services JSON";
    private static final Set<String> SIMPLE_MEMBERS = Set.of("namespace", "name", "clusterIPs", "nodePorts");

    private final byte[] in;

    private ServicesJson(byte[] in) {
        this.in = in;
    }

    /**
     * Reads the Services.
     *
     * @throws Failure (bad input) naming the line, column and byte offset and the problem
     */
    static List<ExistingService> read(byte[] bytes) {
        return new ServicesJson(bytes).read(Json.parse(bytes, WHAT));
    }

    private List<ExistingService> read(Value top) {
        List<ExistingService> services = new ArrayList<>();
        Map<Owner, Integer> seen = new HashMap<>();
        List<Value> entries;
        boolean kubernetes;
        if (top instanceof JArray array) {
            entries = array.elements();
            kubernetes = false;
        } else if (top instanceof JObject object && object.members().get("items") instanceof JArray items) {
            entries = items.elements();
            kubernetes = true;
        } else {
            throw error(top, "expected an array of Services or a Kubernetes List with \"items\", found "
                    + (top instanceof JObject ? "an object without an \"items\" array" : top.kind()));
        }
        for (Value entry : entries) {
            ExistingService service = kubernetes ? kubernetesService(entry) : simpleService(entry);
            Integer before = seen.putIfAbsent(service.owner(), entry.at());
            if (before != null) {
                throw error(entry, "the Service " + service.owner() + " is given twice (first at "
                        + Json.place(in, before) + ")");
            }
            services.add(service);
        }
        return services;
    }

    private ExistingService simpleService(Value entry) {
        JObject object = object(entry, "a Service");
        for (Map.Entry<String, Value> member : object.members().entrySet()) {
            if (!SIMPLE_MEMBERS.contains(member.getKey())) {
                throw error(member.getValue(), "unknown member " + Messages.quote(member.getKey())
                        + " of a Service: the members are namespace, name, clusterIPs and nodePorts");
            }
        }
        Owner owner = owner(object, object.members().get("namespace"), object.members().get("name"), "");
        List<IpAddress> addresses = new ArrayList<>();
        Value ips = object.members().get("clusterIPs");
        if (ips != null) {
            for (Value ip : array(ips, "\"clusterIPs\"").elements()) {
                addresses.add(address(ip, false));
            }
        }
        List<Integer> ports = new ArrayList<>();
        Value nodePorts = object.members().get("nodePorts");
        if (nodePorts != null) {
            for (Value port : array(nodePorts, "\"nodePorts\"").elements()) {
                ports.add(port(port, "a NodePort", false));
            }
        }
        return new ExistingService(owner, addresses, ports);
    }

    private ExistingService kubernetesService(Value entry) {
        JObject item = object(entry, "an item");
        Value metadataValue = item.members().get("metadata");
        if (metadataValue == null) {
            throw error(item, "the item has no \"metadata\"");
        }
        JObject metadata = object(metadataValue, "\"metadata\"");
        Owner owner = owner(metadata, metadata.members().get("namespace"), metadata.members().get("name"),
                "metadata.");
        Value specValue = item.members().get("spec");
        if (specValue == null) {
            return ExistingService.of(owner, List.of());
        }
        JObject spec = object(specValue, "\"spec\"");
        List<IpAddress> addresses = new ArrayList<>();
        Value ips = spec.members().get("clusterIPs");
        if (ips != null && !(ips instanceof Json.JNull)) {
            for (Value ip : array(ips, "\"spec.clusterIPs\"").elements()) {
                IpAddress a = address(ip, true);
                if (a != null) {
                    addresses.add(a);
                }
            }
        } else if (spec.members().get("clusterIP") != null && !(spec.members().get("clusterIP") instanceof Json.JNull)) {
            IpAddress a = address(spec.members().get("clusterIP"), true);
            if (a != null) {
                addresses.add(a);
            }
        }
        List<ExistingService.Port> ports = new ArrayList<>();
        Value portsValue = spec.members().get("ports");
        if (portsValue != null && !(portsValue instanceof Json.JNull)) {
            for (Value p : array(portsValue, "\"spec.ports\"").elements()) {
                JObject port = object(p, "a port");
                Value nodePort = port.members().get("nodePort");
                Value protocol = port.members().get("protocol");
                String proto = "TCP";
                if (protocol != null) {
                    proto = string(protocol, "\"protocol\"");
                }
                ports.add(new ExistingService.Port(nodePort == null ? 0 : port(nodePort, "a nodePort", true), proto));
            }
        }
        Value health = spec.members().get("healthCheckNodePort");
        int healthPort = health == null ? 0 : port(health, "healthCheckNodePort", true);
        return ExistingService.of(owner, addresses, ports, healthPort);
    }

    private Owner owner(JObject holder, Value namespace, Value name, String prefix) {
        if (namespace == null) {
            throw error(holder, "the Service has no \"" + prefix + "namespace\"");
        }
        if (name == null) {
            throw error(holder, "the Service has no \"" + prefix + "name\"");
        }
        String ns = string(namespace, "\"" + prefix + "namespace\"");
        String n = string(name, "\"" + prefix + "name\"");
        try {
            return new Owner(ns, n);
        } catch (IllegalArgumentException e) {
            throw error(holder, e.getMessage());
        }
    }

    /** An address, or null for Kubernetes' "no address" values when {@code kubernetes} is set. */
    private IpAddress address(Value value, boolean kubernetes) {
        String text = string(value, "a ClusterIP");
        if (kubernetes && (text.isEmpty() || text.equals("None"))) {
            return null;
        }
        try {
            return IpAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw error(value, "invalid ClusterIP: " + e.getMessage());
        }
    }

    /** A port number: from 1 to 65535, or 0 too when {@code zeroAllowed}. */
    private int port(Value value, String what, boolean zeroAllowed) {
        int min = zeroAllowed ? 0 : 1;
        if (value instanceof JNumber number && Options.isCanonicalDecimal(number.text(), false)
                && number.text().length() <= 5) {
            int port = Integer.parseInt(number.text());
            if (port >= min && port <= 65535) {
                return port;
            }
        }
        throw error(value, what + " must be a whole number from " + min + " to 65535, found "
                + (value instanceof JNumber number ? Messages.quote(number.text()) : value.kind()));
    }

    private JObject object(Value value, String what) {
        if (value instanceof JObject object) {
            return object;
        }
        throw error(value, what + " must be an object, found " + value.kind());
    }

    private JArray array(Value value, String what) {
        if (value instanceof JArray array) {
            return array;
        }
        throw error(value, what + " must be an array, found " + value.kind());
    }

    private String string(Value value, String what) {
        if (value instanceof JString string) {
            return string.text();
        }
        throw error(value, what + " must be a string, found " + value.kind());
    }

    private Failure error(Value at, String problem) {
        return Failure.badInput("invalid Services list at " + Json.place(in, at.at()) + ": " + problem);
    }
}
