package io.github.clusterip.bench;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.Owner;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import io.github.clusterip.ServiceCidrStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
 * {@link ServiceCidrSet} against a lone {@link ClusterIpAllocator}: one {@code allocateNext}
 * followed by the release of the address just allocated, at a constant fill level (average
 * time, ns/op, single thread).
 *
 * <ul>
 *   <li>{@link #setChurn}: a set of {@code cidrs} IPv4 {@code /20}s (4094 usable addresses
 *       each; one against four shows what choosing among CIDRs costs), each filled to
 *       {@code fill} with a seeded uniform choice of addresses, each owned by a Service of its own,
 *       as Services mostly hold one address per family; the operation is
 *       {@code allocateNext(IPV4, owner)} for one more Service, then {@code release}.</li>
 *   <li>{@link #allocatorChurn}: the same on one {@code /20}'s {@link ClusterIpAllocator}, the
 *       cost the set adds to (owner map, owner index, the choice, the marks in every CIDR).</li>
 * </ul>
 *
 * <p>Every operation restores the state it started from, so the fill stays exactly constant. The
 * set-up checks the fill counts; the tear-down checks that they are unchanged. Any failure aborts
 * the benchmark.
 *
 * <p>Run (6 trials of 2 forks of 16 s each: about 4 minutes):
 * <pre>
 * ./mvnw -B -o -Pjmh test-compile exec:exec -Djmh.args="ServiceCidrSetBenchmark"
 * </pre>
 * Short: {@code -Djmh.args="ServiceCidrSetBenchmark -p cidrs=4 -p fill=0.99 -f 1 -wi 1 -i 1 -w 1s -r 1s"}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class ServiceCidrSetBenchmark {

    /** Seed of the choice of pre-allocated addresses. */
    static final long FILL_SEED = 0x5EED_C1D2L;

    /** The Service of the churn. */
    static final Owner OWNER = new Owner("default", "bench");

    /** The i-th /20: 10.96.0.0/20, 10.96.16.0/20, ... */
    static ServiceCidr cidr(int i) {
        return ServiceCidr.parse("10.96." + (16 * i) + ".0/20");
    }

    /** A seeded uniform choice of {@code count} of the usable addresses 1..4094 of a /20. */
    static List<IpAddress> choose(ServiceCidr cidr, int count, SplittableRandom random) {
        int size = 4094;
        int[] offsets = new int[size];
        for (int i = 0; i < size; i++) {
            offsets[i] = i + 1;
        }
        List<IpAddress> chosen = new ArrayList<>(count);
        byte[] network = cidr.network().toBytes();
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(size - i);
            int swap = offsets[i];
            offsets[i] = offsets[j];
            offsets[j] = swap;
            byte[] bytes = network.clone();
            bytes[2] = (byte) ((bytes[2] & 0xFF) + (offsets[i] >>> 8));
            bytes[3] = (byte) offsets[i];
            chosen.add(IpAddress.of(bytes));
        }
        return chosen;
    }

    /** The set's state: {@link #cidrs} CIDRs, each filled to {@link #fill}. */
    @State(Scope.Benchmark)
    public static class SetState {

        /** How many CIDRs the set has. */
        @Param({"1", "4"})
        public int cidrs;

        /** The fraction of each CIDR's usable addresses allocated before measuring. */
        @Param({"0.5", "0.99"})
        public String fill;

        ServiceCidrSet set;
        private long expected;

        @Setup(Level.Trial)
        public void setUp() {
            ServiceCidrSet.Builder builder = ServiceCidrSet.builder();
            for (int i = 0; i < cidrs; i++) {
                builder.add(cidr(i));
            }
            set = builder.build();
            SplittableRandom random = new SplittableRandom(FILL_SEED);
            int count = (int) Math.round(Double.parseDouble(fill) * 4094);
            for (int i = 0; i < cidrs; i++) {
                for (IpAddress a : choose(cidr(i), count, random)) {
                    set.allocate(a, new Owner("default", "svc-" + i + "-" + a.toString().replace('.', '-')));
                }
            }
            expected = (long) count * cidrs;
            checkUnchanged();
        }

        @TearDown(Level.Trial)
        public void checkUnchanged() {
            check(set.used() == expected, "used() is " + set.used() + ", expected " + expected);
            long sum = 0;
            for (ServiceCidrStatus status : set.cidrs()) {
                sum += status.allocated();
            }
            check(sum == expected, "the CIDRs count " + sum + ", expected " + expected);
            check(set.addressesOf(OWNER).isEmpty(), "the churning Service still holds an address");
            check(set.allocations().values().stream().allMatch(o -> o.isPresent() && !o.get().equals(OWNER)),
                    "an address of the fill lost its owner");
        }
    }

    /** The lone allocator's state: one /20 filled to {@link #fill}. */
    @State(Scope.Benchmark)
    public static class AllocatorState {

        /** The fraction of the CIDR's usable addresses allocated before measuring. */
        @Param({"0.5", "0.99"})
        public String fill;

        ClusterIpAllocator allocator;
        private long expected;

        @Setup(Level.Trial)
        public void setUp() {
            allocator = ClusterIpAllocator.create(cidr(0));
            int count = (int) Math.round(Double.parseDouble(fill) * 4094);
            for (IpAddress a : choose(cidr(0), count, new SplittableRandom(FILL_SEED))) {
                allocator.allocate(a);
            }
            expected = count;
            checkUnchanged();
        }

        @TearDown(Level.Trial)
        public void checkUnchanged() {
            check(allocator.used() == expected, "used() is " + allocator.used() + ", expected " + expected);
        }
    }

    /**
     * One {@code allocateNext} on the set and the release of its address.
     *
     * @param state the filled set
     * @return the address, so that the work is not optimized away
     */
    @Benchmark
    public IpAddress setChurn(SetState state) {
        IpAddress a = state.set.allocateNext(IpFamily.IPV4, OWNER);
        state.set.release(a);
        return a;
    }

    /**
     * One {@code allocateNext} on a lone allocator and the release of its address.
     *
     * @param state the filled allocator
     * @return the address, so that the work is not optimized away
     */
    @Benchmark
    public IpAddress allocatorChurn(AllocatorState state) {
        IpAddress a = state.allocator.allocateNext();
        state.allocator.release(a);
        return a;
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("ServiceCidrSetBenchmark self-check failed: " + message);
        }
    }
}
