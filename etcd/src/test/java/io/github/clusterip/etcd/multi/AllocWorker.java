package io.github.clusterip.etcd.multi;

import io.github.clusterip.IpAddress;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.RangeFullException;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.SharedClusterIpAllocator;
import io.github.clusterip.etcd.EtcdKeyValueStore;
import io.github.clusterip.service.Protocol;
import io.github.clusterip.service.ServicePort;
import io.github.clusterip.service.ServiceSpec;
import io.github.clusterip.service.ServiceType;
import io.github.clusterip.service.SharedServiceAllocator;
import io.github.clusterip.store.StoreLayout;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * One JVM of {@link MultiJvmTest}, allocating through etcd. Its first argument is the mode, the
 * rest options as pairs ({@code --endpoints}, {@code --cidr}, {@code --layout}, {@code --id},
 * {@code --ports}); it prints one line per result on its standard output:
 * <ul>
 * <li>{@code fill}: prints {@code READY}, waits for {@code GO} on its standard input, then allocates
 *     until the range is full: {@code IP a} per address, then {@code FULL};
 * <li>{@code race}: prints {@code READY}, then for each line {@code GO} on its standard input
 *     allocates one address: {@code WON a} or {@code FULL message}; stops at end of input;
 * <li>{@code services}: creates NodePort Services until killed: {@code SVC name ip port};
 * <li>{@code leak}: allocates an address for a Service it never creates, prints {@code LEAKED a}
 *     and hangs until killed.
 * </ul>
 */
public final class AllocWorker {

    private AllocWorker() {
    }

    /**
     * Runs one worker.
     *
     * @param args the mode, then options as pairs
     * @throws Exception on any failure, reported by a non-zero exit
     */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        ServiceCidr cidr = ServiceCidr.parse(o.get("--cidr"));
        StoreLayout layout = StoreLayout.valueOf(o.getOrDefault("--layout", "BLOCKS"));
        String id = o.getOrDefault("--id", "0");
        Owner owner = new Owner("jvm", "w" + id);
        try (EtcdKeyValueStore store = EtcdKeyValueStore.builder().endpoints(o.get("--endpoints").split(","))
                .timeout(Duration.ofSeconds(10)).build()) {
            switch (mode) {
                case "fill" -> {
                    try (SharedClusterIpAllocator a = SharedClusterIpAllocator.builder(store, cidr).layout(layout)
                            .blockBits(64).build()) {
                        say("READY");
                        awaitGo();
                        while (true) {
                            try {
                                say("IP " + a.allocateNext(owner));
                            } catch (RangeFullException full) {
                                say("FULL");
                                break;
                            }
                        }
                    }
                }
                case "race" -> {
                    try (SharedClusterIpAllocator a = SharedClusterIpAllocator.builder(store, cidr).layout(layout)
                            .blockBits(64).build()) {
                        say("READY");
                        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                        for (String line = in.readLine(); line != null; line = in.readLine()) {
                            if (!line.equals("GO")) {
                                throw new IllegalStateException("expected GO, got " + line);
                            }
                            try {
                                IpAddress ip = a.allocateNext(owner);
                                say("WON " + ip);
                            } catch (RangeFullException full) {
                                say("FULL " + full.getMessage());
                            }
                        }
                    }
                }
                case "services" -> {
                    try (SharedServiceAllocator s = SharedServiceAllocator.builder(store).cidr(cidr)
                            .nodePorts(PortRange.parse(o.get("--ports"))).layout(layout).blockBits(64).build()) {
                        for (int n = 0; ; n++) {
                            ServiceSpec created = s.create(ServiceSpec.builder(new Owner("jvm", "w" + id + "-" + n))
                                    .type(ServiceType.NODE_PORT).ports(ServicePort.of("http", Protocol.TCP, 80)).build());
                            say("SVC " + created.owner().name() + " " + created.clusterIpAddresses().get(0) + " "
                                    + created.ports().get(0).nodePort());
                        }
                    }
                }
                case "leak" -> {
                    try (SharedServiceAllocator s = SharedServiceAllocator.builder(store).cidr(cidr)
                            .nodePorts(PortRange.parse(o.get("--ports"))).layout(layout).blockBits(64).build()) {
                        IpAddress ip = s.addresses(cidr.family()).orElseThrow().allocateNext(new Owner("jvm", "ghost"));
                        say("LEAKED " + ip);
                        Thread.sleep(Long.MAX_VALUE);
                    }
                }
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
        }
    }

    private static void awaitGo() throws java.io.IOException {
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (!"GO".equals(line)) {
            throw new IllegalStateException("expected GO, got " + line);
        }
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
