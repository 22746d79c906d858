package io.github.clusterip.bench;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.ServiceCidr;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One writer thread churning (allocateNext + release) while a second thread polls the allocator,
 * as a metrics exporter or a dashboard does: what does the reader cost the writer? Operations per
 * microsecond; JMH reports each thread of a group separately, so read the {@code writer} line
 * of each group.
 *
 * <ul>
 *   <li>{@code alone}: the writer, with the second thread idle (it only spins on a volatile read
 *       of its own), the reference;</li>
 *   <li>{@code used}: the reader calls {@link ClusterIpAllocator#used()}, the exact count, which
 *       holds changes off while it counts (and which {@code toString()} used to call);</li>
 *   <li>{@code estimatedUsed}: the reader calls {@link ClusterIpAllocator#estimatedUsed()}, which
 *       never holds changes off;</li>
 *   <li>{@code toString}: the reader calls {@link ClusterIpAllocator#toString()}.</li>
 * </ul>
 * With {@code readerPause=0} the reader polls in a tight loop, the worst case; with
 * {@code readerPause=10000} it burns {@code Blackhole.consumeCPU(10000)} (some microseconds) before
 * each poll, still far more often than any metrics exporter. Needs two otherwise idle cores to
 * mean anything.
 *
 * <p>Run (4 groups x 2 pauses x 2 forks of about 20 s each, about 6 minutes):
 * <pre>
 * ./mvnw -B -Pjmh test-compile exec:exec -Djmh.args="PollingReaderBenchmark"
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@State(Scope.Group)
public class PollingReaderBenchmark {

    /** The Service CIDR. */
    @Param({"10.96.0.0/16"})
    public String cidr;

    /** Blackhole tokens the reader burns before each poll: 0 polls in a tight loop. */
    @Param({"0", "10000"})
    public int readerPause;

    private ClusterIpAllocator allocator;
    private volatile long sink;

    @Setup(Level.Trial)
    public void setUp() {
        allocator = ClusterIpAllocator.create(ServiceCidr.parse(cidr));
        long half = allocator.free() / 2;
        for (long i = 0; i < half; i++) {
            allocator.allocateNext();
        }
    }

    private long churn() {
        IpAddress address = allocator.allocateNext();
        if (!allocator.release(address)) {
            throw new IllegalStateException("release of " + address + " returned false");
        }
        return address.hashCode();
    }

    /**
     * The writer, alone.
     *
     * @return a value for JMH to consume
     */
    @Benchmark
    @Group("alone")
    @GroupThreads(1)
    public long writerAlone() {
        return churn();
    }

    /**
     * The second thread of {@code alone}: reads a field, touching nothing the writer touches.
     *
     * @return the field
     */
    @Benchmark
    @Group("alone")
    @GroupThreads(1)
    public long idle() {
        Blackhole.consumeCPU(readerPause);
        return sink;
    }

    /**
     * The writer, while {@link #readerUsed()} polls.
     *
     * @return a value for JMH to consume
     */
    @Benchmark
    @Group("used")
    @GroupThreads(1)
    public long writerWithUsed() {
        return churn();
    }

    /**
     * Polls {@link ClusterIpAllocator#used()}.
     *
     * @return the count
     */
    @Benchmark
    @Group("used")
    @GroupThreads(1)
    public long readerUsed() {
        Blackhole.consumeCPU(readerPause);
        return allocator.used();
    }

    /**
     * The writer, while {@link #readerEstimatedUsed()} polls.
     *
     * @return a value for JMH to consume
     */
    @Benchmark
    @Group("estimatedUsed")
    @GroupThreads(1)
    public long writerWithEstimatedUsed() {
        return churn();
    }

    /**
     * Polls {@link ClusterIpAllocator#estimatedUsed()}.
     *
     * @return the count
     */
    @Benchmark
    @Group("estimatedUsed")
    @GroupThreads(1)
    public long readerEstimatedUsed() {
        Blackhole.consumeCPU(readerPause);
        return allocator.estimatedUsed();
    }

    /**
     * The writer, while {@link #readerToString()} polls.
     *
     * @return a value for JMH to consume
     */
    @Benchmark
    @Group("toString")
    @GroupThreads(1)
    public long writerWithToString() {
        return churn();
    }

    /**
     * Polls {@link ClusterIpAllocator#toString()}.
     *
     * @return the text
     */
    @Benchmark
    @Group("toString")
    @GroupThreads(1)
    public String readerToString() {
        Blackhole.consumeCPU(readerPause);
        return allocator.toString();
    }
}
