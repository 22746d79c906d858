package io.github.clusterip.bench;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import io.github.clusterip.service.IpFamilyPolicy;
import io.github.clusterip.service.Protocol;
import io.github.clusterip.service.ServiceAllocator;
import io.github.clusterip.service.ServicePort;
import io.github.clusterip.service.ServiceSpec;
import io.github.clusterip.service.ServiceType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whole Services: one {@link ServiceAllocator#create} followed by the {@link ServiceAllocator#delete}
 * of the same Service, at a constant fill level (average time, ns/op, single thread), and the same
 * work broken down into its parts.
 *
 * <ul>
 *   <li>{@code shape=clusterIp}: a single-stack IPv4 ClusterIP Service with one port (one
 *       address, no NodePort);</li>
 *   <li>{@code shape=dualNodePort}: a RequireDualStack NodePort Service with three ports of
 *       different numbers (two addresses, three NodePorts).</li>
 * </ul>
 * The set has {@code cidrs} CIDRs of each family (IPv4 {@code /20}s, IPv6 {@code /116}s, 4094
 * and 4095 usable addresses each), every one filled to {@code fill}, and the NodePort range
 * 30000-32767 is filled to {@code fill} too; each filling address has a Service of its own.
 *
 * <p>The parts: {@link #addresses} is the set's {@code allocateNext} and {@code release} of the
 * shape's addresses, {@link #nodePorts} the port allocator's for its NodePorts; what
 * {@link #createDelete} costs beyond their sum is the Service layer (validation, defaulting, the
 * transaction, the stored Service).
 *
 * <p>Every operation restores the state it started from; the tear-down checks the counts.
 *
 * <p>Run: {@code ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.args="ServiceBenchmark"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class ServiceBenchmark {

    /** The Service of the churn. */
    static final Owner OWNER = new Owner("default", "bench");

    /** The cluster: its CIDRs, its NodePorts and its Services, filled. */
    @State(Scope.Benchmark)
    public static class Cluster {

        /** Which Service is created and deleted. */
        @Param({"clusterIp", "dualNodePort"})
        public String shape;

        /** How many CIDRs of each family the set has. */
        @Param({"1", "4"})
        public int cidrs;

        /** The fraction of every CIDR and of the port range allocated before measuring. */
        @Param({"0.5", "0.99"})
        public String fill;

        ServiceCidrSet set;
        NodePortAllocator ports;
        ServiceAllocator services;
        ServiceSpec spec;
        List<IpFamily> families;
        int nodePortCount;
        private long usedIps;
        private int usedPorts;

        @Setup(Level.Trial)
        public void setUp() {
            ServiceCidrSet.Builder builder = ServiceCidrSet.builder().seed(1);
            for (int i = 0; i < cidrs; i++) {
                builder.add(ServiceCidr.parse("10.96." + (16 * i) + ".0/20"));
                builder.add(ServiceCidr.parse("fd00:0:0:" + i + "::/116"));
            }
            set = builder.build();
            ports = NodePortAllocator.builder(PortRange.DEFAULT).seed(2).build();
            services = ServiceAllocator.create(set, ports, List.of(IpFamily.IPV4, IpFamily.IPV6));
            double f = Double.parseDouble(fill);
            int filler = 0;
            for (IpFamily family : List.of(IpFamily.IPV4, IpFamily.IPV6)) {
                long count = Math.round(f * (family == IpFamily.IPV4 ? 4094 : 4095)) * cidrs;
                for (long i = 0; i < count; i++) {
                    set.allocateNext(family, new Owner("fill", "svc-" + filler++));
                }
            }
            long portCount = Math.round(f * PortRange.DEFAULT.size());
            for (long i = 0; i < portCount; i++) {
                ports.allocateNext();
            }
            if (shape.equals("clusterIp")) {
                spec = ServiceSpec.builder(OWNER).ports(ServicePort.of("http", Protocol.TCP, 80)).build();
                families = List.of(IpFamily.IPV4);
                nodePortCount = 0;
            } else if (shape.equals("dualNodePort")) {
                spec = ServiceSpec.builder(OWNER).type(ServiceType.NODE_PORT)
                        .ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK)
                        .ports(ServicePort.of("http", Protocol.TCP, 80), ServicePort.of("https", Protocol.TCP, 443),
                                ServicePort.of("dns", Protocol.UDP, 53))
                        .build();
                families = List.of(IpFamily.IPV4, IpFamily.IPV6);
                nodePortCount = 3;
            } else {
                throw new IllegalArgumentException("unknown shape " + shape);
            }
            usedIps = set.used();
            usedPorts = ports.used();
            ServiceSpec created = services.create(spec);
            check(created.clusterIPs().size() == families.size() && created.nodePorts().size() == nodePortCount,
                    "unexpected Service " + created);
            services.delete(OWNER);
            checkUnchanged();
        }

        @TearDown(Level.Trial)
        public void checkUnchanged() {
            check(set.used() == usedIps, "set.used() is " + set.used() + ", expected " + usedIps);
            check(ports.used() == usedPorts, "ports.used() is " + ports.used() + ", expected " + usedPorts);
            check(services.services().isEmpty(), "a Service is left");
        }
    }

    /**
     * Creates the Service and deletes it.
     *
     * @param c the filled cluster
     * @return the created Service, so that the work is not optimized away
     */
    @Benchmark
    public ServiceSpec createDelete(Cluster c) {
        ServiceSpec created = c.services.create(c.spec);
        c.services.delete(OWNER);
        return created;
    }

    /**
     * The address part: one {@code allocateNext} and {@code release} per family of the shape.
     *
     * @param c the filled cluster
     * @return the last address, so that the work is not optimized away
     */
    @Benchmark
    public IpAddress addresses(Cluster c) {
        IpAddress last = null;
        for (IpFamily family : c.families) {
            last = c.set.allocateNext(family, OWNER);
            c.set.release(last);
        }
        return last;
    }

    /**
     * The NodePort part: one {@code allocateNext} and {@code release} per NodePort of the shape.
     *
     * @param c the filled cluster
     * @return the sum of the ports, so that the work is not optimized away
     */
    @Benchmark
    public int nodePorts(Cluster c) {
        int sum = 0;
        for (int i = 0; i < c.nodePortCount; i++) {
            int port = c.ports.allocateNext();
            c.ports.release(port);
            sum += port;
        }
        return sum;
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("ServiceBenchmark self-check failed: " + message);
        }
    }
}
