package io.github.clusterip.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import io.github.clusterip.ServiceCidrStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Long random sequences of Service create, update and delete (each first as a dry run), and of
 * CIDR add and remove, checked after every step against a reference model that is only a map from
 * owner to the Service last returned for it:
 * <ul>
 *   <li>the set holds exactly the addresses of the model's Services, each owned by its Service,
 *       and the port allocator exactly their NodePorts: nothing held twice, nothing leaked after a
 *       delete or an update;</li>
 *   <li>a refused call and every dry run leave the set, the ports and the Services exactly as
 *       they were;</li>
 *   <li>a dry run gives the same error as the real call, or succeeds when it does (but for the
 *       one case it cannot foresee, named below);</li>
 *   <li>a CIDR is terminating exactly while an address of a Service lies in it and in no ready
 *       CIDR, and every address lies in some CIDR of the set.</li>
 * </ul>
 * The CIDRs and the port range are small so that "range is full" and collisions are frequent.
 * Every failure names the seed and the step; replay one seed with {@code -Dclusterip.seed=N}.
 */
class ServiceModelTest {

    private static final long BASE_SEED = 0x5E_2F1C_E5L;
    private static final int SEEDS = 6;
    private static final int STEPS = 1_500;

    private static final List<ServiceCidr> CIDRS = List.of(
            ServiceCidr.parse("10.0.0.0/28"), ServiceCidr.parse("10.0.0.16/28"), ServiceCidr.parse("10.0.0.0/27"),
            ServiceCidr.parse("fd00::/124"), ServiceCidr.parse("fd00::10/124"));
    private static final PortRange PORTS = PortRange.parse("30000-30039");

    static long[] seeds() {
        Long override = Long.getLong("clusterip.seed");
        if (override != null) {
            return new long[] {override};
        }
        return LongStream.range(0, SEEDS).map(i -> BASE_SEED + i * 0x9E37_79B9_7F4A_7C15L).toArray();
    }

    /** What the outside sees of the state: compared before and after a call that must change nothing. */
    private record State(Map<IpAddress, Optional<Owner>> ips, List<Integer> ports, List<ServiceSpec> services,
            List<ServiceCidrStatus> cidrs) {
    }

    private ServiceCidrSet cidrs;
    private NodePortAllocator ports;
    private ServiceAllocator services;
    private final Map<Owner, ServiceSpec> model = new TreeMap<>();
    private SplittableRandom random;
    private long seed;
    private int step;
    private String op;

    private State state() {
        return new State(cidrs.allocations(), ports.allocatedPorts().boxed().toList(), services.services(), cidrs.cidrs());
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomOperationsKeepTheModelsInvariants(long seed) {
        this.seed = seed;
        random = new SplittableRandom(seed);
        cidrs = ServiceCidrSet.builder().add(CIDRS.get(0)).add(CIDRS.get(3)).seed(seed).build();
        ports = NodePortAllocator.builder(PORTS).seed(seed).build();
        services = ServiceAllocator.create(cidrs, ports, List.of(IpFamily.IPV4, IpFamily.IPV6));
        int created = 0;
        int refused = 0;
        for (step = 0; step < STEPS; step++) {
            int pick = random.nextInt(100);
            if (pick < 40) {
                ServiceSpec spec = randomSpec(owner());
                op = "create " + spec;
                created += call(() -> services.dryRun().create(spec), () -> services.create(spec), false) ? 1 : 0;
            } else if (pick < 70) {
                ServiceSpec spec = updateOf(owner());
                op = "update " + spec;
                refused += call(() -> services.dryRun().update(spec), () -> services.update(spec), false) ? 0 : 1;
            } else if (pick < 85) {
                Owner owner = owner();
                op = "delete " + owner;
                call(() -> services.dryRun().delete(owner), () -> services.delete(owner), true);
            } else {
                cidrChange();
            }
            checkInvariants();
        }
        assertThat(created).as("seed %d: some creates succeed", seed).isPositive();
        assertThat(refused).as("seed %d: some updates are refused", seed).isPositive();
    }

    private Owner owner() {
        return new Owner("default", "svc-" + random.nextInt(8));
    }

    /** Runs the dry run, then the real call; checks both against each other and the model. */
    private boolean call(Supplier<ServiceSpec> dry, Supplier<ServiceSpec> real, boolean delete) {
        State before = state();
        ServiceSpec dryResult = null;
        RuntimeException dryError = null;
        try {
            dryResult = dry.get();
        } catch (ServiceException e) {
            dryError = e;
        }
        assertThat(state()).as(where("a dry run changes nothing")).isEqualTo(before);
        ServiceSpec result;
        try {
            result = real.get();
        } catch (ServiceException e) {
            assertThat(state()).as(where("a refused call changes nothing: " + e.getMessage())).isEqualTo(before);
            if (dryError == null) {
                // The one case a dry run cannot foresee: a port picked at random by the real call
                // that a later port of the same Service asks for by number.
                assertThat(e.getMessage()).as(where("dry run succeeded, real call refused"))
                        .contains("provided port is already allocated");
            } else {
                assertThat(outcome(e)).as(where("the dry run's error")).isEqualTo(outcome(dryError));
            }
            return false;
        }
        if (dryError != null) {
            fail(where("dry run refused (" + dryError.getMessage() + ") but the real call succeeded"));
        }
        assertThat(dryResult.ipFamilies()).as(where("dry run's families")).isEqualTo(result.ipFamilies());
        assertThat(dryResult.clusterIPs()).as(where("dry run's cluster IP count")).hasSameSizeAs(result.clusterIPs());
        if (delete) {
            model.remove(result.owner());
        } else {
            model.put(result.owner(), result);
        }
        return true;
    }

    /**
     * An error without the values of the fields: kube-apiserver validates after allocating, so a
     * dry run's error shows its placeholders where the real call's shows the allocated values.
     */
    private static List<String> outcome(RuntimeException e) {
        if (e instanceof ServiceInvalidException invalid) {
            return invalid.errors().stream().map(f -> f.field() + ": " + f.type() + ": " + f.detail()).toList();
        }
        return List.of(e.getClass().getSimpleName(), e.getMessage());
    }

    private void checkInvariants() {
        Map<IpAddress, Owner> expectedIps = new TreeMap<>();
        TreeSet<Integer> expectedPorts = new TreeSet<>();
        for (ServiceSpec s : model.values()) {
            assertThat(services.get(s.owner())).as(where("stored Service")).contains(s);
            for (IpAddress ip : s.clusterIpAddresses()) {
                Owner previous = expectedIps.put(ip, s.owner());
                assertThat(previous).as(where(ip + " held by two Services")).isNull();
            }
            List<Integer> held = new ArrayList<>(s.nodePorts());
            if (s.healthCheckNodePort() != 0 && !held.contains(s.healthCheckNodePort())) {
                held.add(s.healthCheckNodePort());
            }
            for (int port : held) {
                assertThat(expectedPorts.add(port)).as(where("port " + port + " held by two Services")).isTrue();
            }
        }
        assertThat(services.services()).as(where("Services")).hasSize(model.size());
        Map<IpAddress, Optional<Owner>> expected = new TreeMap<>();
        expectedIps.forEach((ip, owner) -> expected.put(ip, Optional.of(owner)));
        assertThat(cidrs.allocations()).as(where("allocated addresses and owners")).isEqualTo(expected);
        assertThat(ports.allocatedPorts().boxed().toList()).as(where("allocated ports")).isEqualTo(List.copyOf(expectedPorts));
        assertThat(ports.used()).as(where("port count")).isEqualTo(expectedPorts.size());
        assertThat(cidrs.used()).as(where("address count")).isEqualTo(expectedIps.size());
        // KEP-1880: terminating exactly while some address depends on the CIDR alone.
        List<ServiceCidrStatus> statuses = cidrs.cidrs();
        for (IpAddress ip : expectedIps.keySet()) {
            assertThat(statuses.stream().anyMatch(s -> s.cidr().contains(ip)))
                    .as(where(ip + " lies in a CIDR of the set")).isTrue();
        }
        for (ServiceCidrStatus status : statuses) {
            boolean dependedOn = expectedIps.keySet().stream().anyMatch(ip -> status.cidr().contains(ip)
                    && statuses.stream().noneMatch(o -> o.ready() && o.cidr().contains(ip)));
            if (!status.ready()) {
                assertThat(dependedOn).as(where(status.cidr() + " is terminating only while depended on")).isTrue();
                assertThat(status.reason()).isEqualTo(ServiceCidrStatus.TERMINATING);
            }
        }
    }

    private void cidrChange() {
        ServiceCidr cidr = CIDRS.get(random.nextInt(CIDRS.size()));
        Optional<ServiceCidrStatus> status = cidrs.status(cidr);
        State before = state();
        if (status.isPresent() && status.get().ready()) {
            op = "remove " + cidr;
            boolean gone = cidrs.remove(cidr);
            assertThat(cidrs.status(cidr).isEmpty()).as(where("gone at once as remove() says")).isEqualTo(gone);
            assertThat(cidrs.allocations()).as(where("removing a CIDR releases nothing")).isEqualTo(before.ips());
        } else {
            op = "add " + cidr;
            cidrs.add(cidr);
            assertThat(cidrs.status(cidr).orElseThrow().ready()).as(where("added CIDR is ready")).isTrue();
            assertThat(cidrs.allocations()).as(where("adding a CIDR allocates nothing")).isEqualTo(before.ips());
        }
    }

    private ServiceSpec randomSpec(Owner owner) {
        ServiceType type = ServiceType.values()[random.nextInt(ServiceType.values().length)];
        ServiceSpec.Builder b = ServiceSpec.builder(owner).type(type);
        if (type == ServiceType.EXTERNAL_NAME) {
            return b.ports(ServicePort.of("http", Protocol.TCP, 80)).build();
        }
        int policy = random.nextInt(4);
        if (policy > 0) {
            b.ipFamilyPolicy(IpFamilyPolicy.values()[policy - 1]);
        }
        int families = random.nextInt(5);
        if (families == 1) {
            b.ipFamilies(IpFamily.IPV4);
        } else if (families == 2) {
            b.ipFamilies(IpFamily.IPV6);
        } else if (families == 3) {
            b.ipFamilies(IpFamily.IPV4, IpFamily.IPV6);
        }
        int ips = random.nextInt(6);
        if (ips == 1) {
            b.clusterIP(ServiceSpec.NONE);
        } else if (ips == 2) {
            b.clusterIP("10.0.0." + random.nextInt(40));
        } else if (ips == 3) {
            b.clusterIPs(List.of("10.0.0." + random.nextInt(40), "fd00::" + Integer.toHexString(random.nextInt(40))));
        }
        b.ports(randomPorts(type));
        if (type == ServiceType.LOAD_BALANCER) {
            b.allocateLoadBalancerNodePorts(random.nextInt(4) != 0);
            if (random.nextBoolean()) {
                b.externalTrafficPolicy(ExternalTrafficPolicy.LOCAL);
                if (random.nextInt(3) == 0) {
                    b.healthCheckNodePort(requestedPort());
                }
            }
        }
        return b.build();
    }

    private List<ServicePort> randomPorts(ServiceType type) {
        int count = 1 + random.nextInt(3);
        List<ServicePort> list = new ArrayList<>();
        Map<String, Boolean> seen = new HashMap<>();
        for (int i = 0; i < count; i++) {
            int port = new int[] {53, 80, 443}[random.nextInt(3)];
            Protocol protocol = random.nextBoolean() ? Protocol.TCP : Protocol.UDP;
            String name = protocol.name().toLowerCase(java.util.Locale.ROOT) + "-" + port;
            if (seen.put(name, true) != null) {
                continue;
            }
            int nodePort = (type == ServiceType.NODE_PORT || type == ServiceType.LOAD_BALANCER) && random.nextInt(4) == 0
                    ? requestedPort() : 0;
            list.add(new ServicePort(name, protocol, port, nodePort));
        }
        return list;
    }

    /** A requested NodePort: mostly in the range's static band, now and then outside the range. */
    private int requestedPort() {
        return random.nextInt(10) == 0 ? 29999 : PORTS.base() + random.nextInt(8);
    }

    /** An update: the stored Service changed a little, or a fresh random spec for the owner. */
    private ServiceSpec updateOf(Owner owner) {
        ServiceSpec current = model.get(owner);
        if (current == null || random.nextInt(4) == 0) {
            return randomSpec(owner);
        }
        ServiceSpec.Builder b = current.toBuilder();
        switch (random.nextInt(6)) {
            case 0 -> b.type(ServiceType.values()[random.nextInt(ServiceType.values().length)]);
            case 1 -> b.ports(randomPorts(current.type()));
            case 2 -> b.ipFamilyPolicy(IpFamilyPolicy.values()[random.nextInt(IpFamilyPolicy.values().length)]);
            case 3 -> b.clusterIPs(current.clusterIPs().isEmpty() ? List.of() : current.clusterIPs().subList(0, 1));
            case 4 -> b.externalTrafficPolicy(random.nextBoolean() ? ExternalTrafficPolicy.LOCAL : ExternalTrafficPolicy.CLUSTER);
            default -> { }
        }
        return b.build();
    }

    private String where(String what) {
        return "seed " + seed + " step " + step + " (" + op + "): " + what;
    }
}
