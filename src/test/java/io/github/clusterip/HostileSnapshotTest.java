package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Short compact snapshots that claim huge allocations, restored under a small heap: each must be
 * refused within a second, by an {@link IllegalArgumentException} that names the restore limit,
 * before anything is built, leaving the allocator as it was. Before the limit existed, the first
 * of these (27 bytes) made a restore allocate about 4 GB.
 *
 * <p>Tagged {@code small-heap}: the build runs this class in a JVM of its own with a 64 MiB heap.
 */
@Tag("small-heap")
class HostileSnapshotTest {

    private static final long TWO_TO_64_MINUS_1 = -1L;

    @Test
    void thisClassRunsUnderASmallHeap() {
        // Without it, the tests below would prove nothing about memory.
        assertThat(Runtime.getRuntime().maxMemory()).isLessThanOrEqualTo(80L << 20);
    }

    static Stream<Arguments> hostile() {
        return Stream.of(
                Arguments.of("0.0.0.0/0, one run of 2^31", snapshot("0.0.0.0/0", 0, 1L << 31)),
                Arguments.of("0.0.0.0/0, every address", snapshot("0.0.0.0/0", 0, (1L << 32) - 2)),
                Arguments.of("128.0.0.0/1, every address", snapshot("128.0.0.0/1", 0, (1L << 31) - 2)),
                Arguments.of("fd00::/64, one run of 2^31", snapshot("fd00::/64", 5, 1L << 31)),
                Arguments.of("fd00::/64, one run of 2^38", snapshot("fd00::/64", 0, 1L << 38)),
                Arguments.of("fd00::/64, one run of 2^63", snapshot("fd00::/64", 1, Long.MIN_VALUE)),
                Arguments.of("fd00::/64, every address", snapshot("fd00::/64", 0, TWO_TO_64_MINUS_1)),
                Arguments.of("fd00::/64, 2,000,000 scattered addresses", scattered("fd00::/64", 2_000_000, 1 << 20)),
                Arguments.of("0.0.0.0/0, 1,500,000 scattered addresses", scattered("0.0.0.0/0", 1_500_000, 128)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void aHostileSnapshotIsRefusedQuicklyWithoutBuildingAnything(String what, byte[] data) {
        ServiceCidr cidr = CompactSnapshot.decode(data).cidr();
        ClusterIpAllocator allocator = ClusterIpAllocator.create(cidr);
        IpAddress kept = allocator.allocateNext();

        long startNanos = System.nanoTime();
        Throwable thrown = catchThrowable(() -> allocator.restoreCompact(data));
        long restoreMillis = (System.nanoTime() - startNanos) / 1_000_000;
        startNanos = System.nanoTime();
        Throwable fromFactory = catchThrowable(() -> ClusterIpAllocator.fromCompactSnapshot(data));
        long factoryMillis = (System.nanoTime() - startNanos) / 1_000_000;

        assertThat(thrown).as(what).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot restore a compact snapshot of " + cidr)
                .hasMessageContaining("more than the restore limit of 67108864 bytes");
        assertThat(fromFactory).as(what).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("restore limit");
        assertThat(restoreMillis).as("%s: ms to refuse", what).isLessThan(1000);
        assertThat(factoryMillis).as("%s: ms to refuse", what).isLessThan(1000);
        assertThat(allocator.allocatedAddresses()).as(what).containsExactly(kept);
        assertThat(allocator.used()).isEqualTo(1);
    }

    @Test
    void aLargeRangeFullWithinTheLimitRestoresUnderTheSmallHeap() {
        // 0.0.0.0/7 is the smallest sparse IPv4 range: every address set is about 532,000 words.
        byte[] data = snapshot("0.0.0.0/7", 0, (1L << 25) - 2);
        ClusterIpAllocator full = ClusterIpAllocator.fromCompactSnapshot(data);
        assertThat(full.used()).isEqualTo((1L << 25) - 2);
        assertThat(full.isAllocated(IpAddress.parse("1.255.255.254"))).isTrue();
        assertThat(full.compactSnapshot()).isEqualTo(data);
    }

    @Test
    void aRaisedLimitStillRefusesWhatItDoesNotCover() {
        byte[] data = snapshot("fd00::/64", 0, 1L << 38);
        // 2^38 addresses need about 2^32 words: 1 GiB of limit is not enough, and nothing is built.
        Throwable thrown = catchThrowable(() -> ClusterIpAllocator.fromCompactSnapshot(data,
                b -> b.maxRestoreBytes(1L << 30)));
        assertThat(thrown).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("restore limit of 1073741824 bytes");
    }

    /** A snapshot of one run, written by the library's own encoder. */
    private static byte[] snapshot(String cidr, long start, long length) {
        return CompactSnapshot.encode(ServiceCidr.parse(cidr), new long[] {start}, new long[] {length}, 1);
    }

    /**
     * A snapshot of {@code count} single addresses {@code spacing} apart, each in a word of its
     * own, written straight from the format (no arrays of runs, which would not fit the heap).
     */
    private static byte[] scattered(String cidrText, int count, long spacing) {
        ServiceCidr cidr = ServiceCidr.parse(cidrText);
        ByteArrayOutputStream out = new ByteArrayOutputStream(count * 4 + 64);
        out.writeBytes(new byte[] {'C', 'I', 'P', 'S', 1, (byte) (cidr.family() == IpFamily.IPV4 ? 4 : 6),
                (byte) cidr.prefixLength()});
        out.writeBytes(cidr.network().toBytes());
        Consumer<Long> varint = value -> {
            long v = value;
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        };
        varint.accept((long) count);
        varint.accept((long) count);
        for (int i = 0; i < count; i++) {
            varint.accept(i == 0 ? 0 : spacing - 1); // gap after the previous single address
            varint.accept(0L); // length - 1
        }
        CRC32C crc = new CRC32C();
        byte[] body = out.toByteArray();
        crc.update(body);
        int value = (int) crc.getValue();
        out.writeBytes(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
        return out.toByteArray();
    }
}
