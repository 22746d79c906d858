package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.clusterip.engine.CompactFrame;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The port snapshots against golden files worked out by hand from the formats (the derivation of
 * every byte is in each file's comments): kube-apiserver's RangeAllocation for a port range, and
 * the compact snapshot's version 2 with kind 'P'. The library must write exactly these bytes and
 * read them back; the version-1 CIDR golden files must still restore, byte for byte.
 */
class PortSnapshotGoldenTest {

    private static final HexFormat HEX = HexFormat.of();

    /** The golden file's ports: each entry a port or a range {@code a-b}. */
    private static List<Integer> ports(GoldenFile golden) {
        List<Integer> ports = new ArrayList<>();
        for (String entry : golden.allocated()) {
            int dash = entry.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? entry : entry.substring(0, dash));
            int to = dash < 0 ? from : Integer.parseInt(entry.substring(dash + 1));
            for (int port = from; port <= to; port++) {
                ports.add(port);
            }
        }
        return ports;
    }

    private static BitSet indexes(PortRange range, List<Integer> ports) {
        BitSet bits = new BitSet();
        ports.forEach(port -> bits.set(port - range.base()));
        return bits;
    }

    private static NodePortAllocator allocatorWith(PortRange range, List<Integer> ports) {
        NodePortAllocator allocator = NodePortAllocator.create(range);
        ports.forEach(allocator::allocate);
        return allocator;
    }

    @ParameterizedTest
    @ValueSource(strings = {"rangeallocation-ports-30000-32767-sample.hex", "rangeallocation-ports-30000-30015-full.hex"})
    void rangeAllocationGoldenFiles(String name) throws IOException {
        GoldenFile golden = GoldenFile.read(name);
        PortRange range = PortRange.parse(golden.range());
        assertThat(range).hasToString(golden.range());
        List<Integer> ports = ports(golden);
        assertThat(ports).isSorted().doesNotHaveDuplicates().allMatch(range::contains);
        // The hand-worked bytes against BigInteger, without the code under test.
        assertThat(HEX.formatHex(golden.data()))
                .isEqualTo(HEX.formatHex(NodePortAllocatorTest.goBytesViaBigInteger(indexes(range, ports))));

        // snapshot writes exactly these bytes.
        NodePortAllocator allocator = allocatorWith(range, ports);
        RangeAllocation snapshot = allocator.snapshot();
        assertThat(snapshot.range()).isEqualTo(golden.range());
        assertThat(HEX.formatHex(snapshot.data())).isEqualTo(HEX.formatHex(golden.data()));
        assertThat(snapshot).isEqualTo(new RangeAllocation(golden.range(), golden.data()));

        // restore and fromSnapshot read them back.
        RangeAllocation file = new RangeAllocation(golden.range(), golden.data());
        NodePortAllocator restored = NodePortAllocator.create(range);
        restored.allocate(range.last() == ports.get(ports.size() - 1) ? range.base() + 1 : range.last());
        restored.restore(file);
        assertThat(restored.allocatedPorts().boxed().toList()).containsExactlyElementsOf(ports);
        NodePortAllocator fromSnapshot = NodePortAllocator.fromSnapshot(file);
        assertThat(fromSnapshot.range()).isEqualTo(range);
        assertThat(fromSnapshot.allocatedPorts().boxed().toList()).containsExactlyElementsOf(ports);
        long staticPorts = ports.stream().filter(p -> p < range.base() + range.bandOffset()).count();
        assertThat(fromSnapshot.used(Band.STATIC)).isEqualTo(staticPorts);
        assertThat(fromSnapshot.used(Band.DYNAMIC)).isEqualTo(ports.size() - staticPorts);
        assertThat(fromSnapshot.snapshot()).isEqualTo(file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"compact-ports-30000-32767-sample.hex", "compact-ports-30000-30015-full.hex"})
    void compactGoldenFiles(String name) throws IOException {
        GoldenFile golden = GoldenFile.read(name);
        PortRange range = PortRange.parse(golden.range());
        List<Integer> ports = ports(golden);
        byte[] data = golden.data();

        // The bytes against the format, field by field, without the code under test.
        assertThat(Arrays.copyOfRange(data, 0, 4)).containsExactly('C', 'I', 'P', 'S');
        assertThat(data[4]).as("version").isEqualTo((byte) 2);
        assertThat(data[5]).as("kind").isEqualTo((byte) 'P');
        assertThat(((data[6] & 0xFF) << 8) | (data[7] & 0xFF)).as("first port").isEqualTo(range.base());
        assertThat(((data[8] & 0xFF) << 8) | (data[9] & 0xFF)).as("last port").isEqualTo(range.last());
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 4);
        int stored = ((data[data.length - 4] & 0xFF) << 24) | ((data[data.length - 3] & 0xFF) << 16)
                | ((data[data.length - 2] & 0xFF) << 8) | (data[data.length - 1] & 0xFF);
        assertThat(stored).as("CRC-32C").isEqualTo((int) crc.getValue());
        BitSet bits = indexes(range, ports);
        assertThat(HEX.formatHex(data)).as("the test's own writer")
                .isEqualTo(HEX.formatHex(NodePortAllocatorTest.compactOf(range, bits)));

        // The allocator writes exactly these bytes, and reads them back.
        NodePortAllocator allocator = allocatorWith(range, ports);
        assertThat(HEX.formatHex(allocator.compactSnapshot())).isEqualTo(HEX.formatHex(data));
        NodePortAllocator copy = NodePortAllocator.fromCompactSnapshot(data);
        assertThat(copy.range()).isEqualTo(range);
        assertThat(copy.allocatedPorts().boxed().toList()).containsExactlyElementsOf(ports);
        NodePortAllocator restored = NodePortAllocator.create(range);
        restored.allocate(range.base() + 3);
        restored.restoreCompact(data);
        assertThat(restored.allocatedPorts().boxed().toList()).containsExactlyElementsOf(ports);
        assertThat(restored.used()).isEqualTo(ports.size());

        // The codec on its own, from runs.
        List<long[]> runs = new ArrayList<>();
        for (int k = bits.nextSetBit(0); k >= 0; k = bits.nextSetBit(bits.nextClearBit(k))) {
            runs.add(new long[] {k, bits.nextClearBit(k) - k});
        }
        long[] starts = runs.stream().mapToLong(r -> r[0]).toArray();
        long[] lengths = runs.stream().mapToLong(r -> r[1]).toArray();
        assertThat(HEX.formatHex(CompactSnapshot.encode(range, starts, lengths, runs.size())))
                .isEqualTo(HEX.formatHex(data));
        CompactSnapshot.DecodedPorts decoded = CompactSnapshot.decodePorts(data);
        assertThat(decoded.range()).isEqualTo(range);
        assertThat(decoded.runs().count()).isEqualTo(ports.size());
        assertThat(decoded.runs().runCount()).isEqualTo(runs.size());
    }

    @ParameterizedTest
    @CsvSource({
        "rangeallocation-ports-30000-32767-sample.hex, compact-ports-30000-32767-sample.hex",
        "rangeallocation-ports-30000-30015-full.hex, compact-ports-30000-30015-full.hex",
    })
    void theTwoFormsOfOneStateConvertIntoEachOther(String rangeAllocation, String compact) throws IOException {
        GoldenFile bitmap = GoldenFile.read(rangeAllocation);
        GoldenFile runs = GoldenFile.read(compact);
        assertThat(runs.range()).isEqualTo(bitmap.range());
        assertThat(ports(runs)).isEqualTo(ports(bitmap));
        RangeAllocation file = new RangeAllocation(bitmap.range(), bitmap.data());
        assertThat(NodePortAllocator.fromSnapshot(file).compactSnapshot()).isEqualTo(runs.data());
        assertThat(NodePortAllocator.fromCompactSnapshot(runs.data()).snapshot()).isEqualTo(file);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "compact-10.96.0.0_24-sample.hex",
        "compact-10.96.0.0_28-empty.hex",
        "compact-fd00_64-scattered.hex",
    })
    void versionOneCidrGoldenFilesStillRestoreByteForByte(String name) throws IOException {
        GoldenFile golden = GoldenFile.read(name);
        byte[] data = golden.data();
        assertThat(data[4]).as("version").isEqualTo((byte) 1);
        ClusterIpAllocator allocator = ClusterIpAllocator.fromCompactSnapshot(data);
        assertThat(allocator.cidr()).isEqualTo(ServiceCidr.parse(golden.range()));
        assertThat(HEX.formatHex(allocator.compactSnapshot())).as("written back as version 1, unchanged")
                .isEqualTo(HEX.formatHex(data));
        ClusterIpAllocator restored = ClusterIpAllocator.create(ServiceCidr.parse(golden.range()));
        restored.restoreCompact(data);
        assertThat(HEX.formatHex(restored.compactSnapshot())).isEqualTo(HEX.formatHex(data));
        // And a port allocator refuses it, saying what it is.
        assertThatThrownBy(() -> NodePortAllocator.fromCompactSnapshot(data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid compact snapshot: it holds the CIDR " + golden.range()
                        + ", not a port range; restore it with ClusterIpAllocator");
    }

    @Test
    void theFullSlash64GoldenFileStillDecodesAndIsRefusedOnlyByTheRestoreLimit() throws IOException {
        // Every address of a /64 makes a bitmap far beyond any heap: the allocator refuses it by
        // its restore limit, as before version 2; the codec still reads the version-1 bytes.
        GoldenFile golden = GoldenFile.read("compact-fd00_64-full.hex");
        byte[] data = golden.data();
        assertThat(data[4]).as("version").isEqualTo((byte) 1);
        CompactSnapshot.Decoded decoded = CompactSnapshot.decode(data);
        assertThat(decoded.cidr()).isEqualTo(ServiceCidr.parse("fd00::/64"));
        assertThat(decoded.count()).isEqualTo(-1L); // 2^64 - 1, unsigned
        assertThatThrownBy(() -> ClusterIpAllocator.fromCompactSnapshot(data))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("restore limit");
        assertThatThrownBy(() -> NodePortAllocator.fromCompactSnapshot(data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid compact snapshot: it holds the CIDR fd00::/64, not a port range; restore it with "
                        + "ClusterIpAllocator");
    }

    @ParameterizedTest
    @ValueSource(strings = {"compact-ports-30000-32767-sample.hex", "compact-ports-30000-30015-full.hex"})
    void aPortGoldenFileIsRefusedAsVersion1AndByAnAddressAllocator(String name) throws IOException {
        byte[] data = GoldenFile.read(name).data();
        assertThatThrownBy(() -> ClusterIpAllocator.fromCompactSnapshot(data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid compact snapshot: it holds the port range ");
        // A reader of version 1 knows no kind 'P': with the version byte set to 1 (and the CRC
        // made good again) the snapshot is refused for its version.
        byte[] asVersion1 = data.clone();
        asVersion1[4] = 1;
        CRC32C crc = new CRC32C();
        crc.update(asVersion1, 0, asVersion1.length - 4);
        int value = (int) crc.getValue();
        for (int i = 0; i < 4; i++) {
            asVersion1[asVersion1.length - 4 + i] = (byte) (value >>> (24 - 8 * i));
        }
        assertThatThrownBy(() -> NodePortAllocator.fromCompactSnapshot(asVersion1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs version " + CompactFrame.LATEST_VERSION);
    }
}
