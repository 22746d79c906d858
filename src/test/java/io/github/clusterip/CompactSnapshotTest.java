package io.github.clusterip;

import io.github.clusterip.engine.CompactFrame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The compact snapshot format. Expected values come from outside the code under test: the format
 * document worked by hand into the golden files, a bit-by-bit CRC-32C written here, a small
 * {@link BigInteger}-based reader written here from the format document, and address arithmetic
 * on the JDK's literal parser rather than {@link ServiceCidr}.
 */
class CompactSnapshotTest {

    private static final long BASE_SEED = Long.getLong("clusterip.seed", 0xC0_4DAC_7L);
    private static final String ERROR = "invalid compact snapshot: ";
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    /** 2^64 - 2 as an unsigned long: the last index of a /64. */
    private static final long LAST_OF_64 = -2L;

    // ---- independent helpers ------------------------------------------------------------------------

    /** CRC-32C bit by bit: reflected polynomial 0x82F63B78, init and final XOR all ones. */
    private static long referenceCrc32c(byte[] data, int length) {
        int crc = 0xFFFF_FFFF;
        for (int i = 0; i < length; i++) {
            crc ^= data[i] & 0xFF;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F6_3B78 : crc >>> 1;
            }
        }
        return ~crc & 0xFFFF_FFFFL;
    }

    private static byte[] literal(String address) {
        try {
            return InetAddress.getByName(address).getAddress(); // a numeric literal: no lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(address, e);
        }
    }

    private static BigInteger unsigned(long value) {
        return new BigInteger(Long.toUnsignedString(value));
    }

    /** A run as exact integers: [start, start + length). */
    private record Run(BigInteger start, BigInteger length) {
        static Run of(long start, long length) {
            return new Run(unsigned(start), unsigned(length));
        }
    }

    /** The runs a decoded snapshot hands to whoever builds a bitmap from it. */
    private static List<Run> runsOf(CompactSnapshot.Decoded decoded) {
        List<Run> runs = new ArrayList<>();
        decoded.forEachRun((start, length) -> runs.add(Run.of(start, length)));
        return runs;
    }

    private static List<Run> runsOf(long[] starts, long[] lengths, int runCount) {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < runCount; i++) {
            runs.add(Run.of(starts[i], lengths[i]));
        }
        return runs;
    }

    /** Usable count from the definition: 2^h - 2 for IPv4, 2^h - 1 for IPv6, never negative. */
    private static BigInteger usableByDefinition(boolean v6, int prefix) {
        int hostBits = (v6 ? 128 : 32) - prefix;
        return BigInteger.ONE.shiftLeft(hostBits).subtract(BigInteger.valueOf(v6 ? 1 : 2)).max(BigInteger.ZERO);
    }

    /** What a reader written only from the format document sees in a snapshot. */
    private record Parsed(int version, int family, int prefix, byte[] network, BigInteger count, List<Run> runs,
            long storedCrc, int crcOffset) {
    }

    /** A deliberately simple reader of well-formed snapshots, written from docs/snapshot-format.md. */
    private static Parsed referenceParse(byte[] data) {
        assertThat(Arrays.copyOfRange(data, 0, 4)).as("magic").containsExactly('C', 'I', 'P', 'S');
        int family = data[5];
        int addressLength = family == 4 ? 4 : 16;
        int[] pos = {7 + addressLength};
        BigInteger count = referenceVarint(data, pos);
        BigInteger runCount = referenceVarint(data, pos);
        List<Run> runs = new ArrayList<>();
        BigInteger end = BigInteger.ZERO;
        for (BigInteger i = BigInteger.ZERO; i.compareTo(runCount) < 0; i = i.add(BigInteger.ONE)) {
            BigInteger start = end.add(referenceVarint(data, pos));
            BigInteger length = referenceVarint(data, pos).add(BigInteger.ONE);
            runs.add(new Run(start, length));
            end = start.add(length);
        }
        int crcOffset = pos[0];
        assertThat(data.length).as("exactly 4 CRC bytes after the runs").isEqualTo(crcOffset + 4);
        long stored = new BigInteger(1, Arrays.copyOfRange(data, crcOffset, crcOffset + 4)).longValueExact();
        return new Parsed(data[4], family, data[6] & 0xFF, Arrays.copyOfRange(data, 7, 7 + addressLength), count,
                runs, stored, crcOffset);
    }

    private static BigInteger referenceVarint(byte[] data, int[] pos) {
        BigInteger value = BigInteger.ZERO;
        for (int shift = 0; ; shift += 7) {
            int b = data[pos[0]++] & 0xFF;
            value = value.or(BigInteger.valueOf(b & 0x7F).shiftLeft(shift));
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }

    /** Checks encode's bytes with the reference reader and CRC, then decode against the same runs. */
    private static void assertRoundTrip(ServiceCidr cidr, long[] starts, long[] lengths, int runCount, String why) {
        List<Run> expected = runsOf(starts, lengths, runCount);
        BigInteger expectedCount = expected.stream().map(Run::length).reduce(BigInteger.ZERO, BigInteger::add);
        byte[] data = CompactSnapshot.encode(cidr, starts, lengths, runCount);

        Parsed parsed = referenceParse(data);
        assertThat(parsed.version()).as(why).isEqualTo(1);
        assertThat(parsed.family()).as(why).isEqualTo(cidr.family() == IpFamily.IPV4 ? 4 : 6);
        assertThat(parsed.prefix()).as(why).isEqualTo(cidr.prefixLength());
        assertThat(parsed.network()).as(why).containsExactly(literal(cidr.network().toString()));
        assertThat(parsed.count()).as(why).isEqualTo(expectedCount);
        assertThat(parsed.runs()).as(why).containsExactlyElementsOf(expected);
        assertThat(parsed.storedCrc()).as(why).isEqualTo(referenceCrc32c(data, parsed.crcOffset()));

        CompactSnapshot.Decoded decoded = CompactSnapshot.decode(data);
        assertThat(decoded.cidr()).as(why).isEqualTo(cidr);
        assertThat(decoded.runs().runCount()).as(why).isEqualTo(runCount);
        assertThat(runsOf(decoded)).as(why).containsExactlyElementsOf(expected);
        assertThat(unsigned(decoded.count())).as(why).isEqualTo(expectedCount);
    }

    private static Stream<String> allSupportedCidrs() {
        Stream<String> v4 = IntStream.rangeClosed(0, 32).mapToObj(p -> (p < 8 ? "0.0.0.0" : "10.0.0.0") + "/" + p);
        Stream<String> v6 = IntStream.rangeClosed(64, 128).mapToObj(p -> "fd00:1:2:3::/" + p);
        return Stream.concat(v4, v6);
    }

    private static boolean isV6(String cidr) {
        return cidr.indexOf(':') >= 0;
    }

    private static int prefixOf(String cidr) {
        return Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
    }

    // ---- the CRC helper itself --------------------------------------------------------------------

    @Test
    void referenceCrcMatchesTheStandardCheckValueAndTheJdk() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(referenceCrc32c(check, check.length)).isEqualTo(0xE306_9283L);
        CRC32C jdk = new CRC32C();
        jdk.update(check);
        assertThat(jdk.getValue()).isEqualTo(0xE306_9283L);
    }

    // ---- round trips --------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("allSupportedCidrs")
    void emptyStateRoundTripsForEveryPrefix(String text) {
        ServiceCidr cidr = ServiceCidr.parse(text);
        assertRoundTrip(cidr, new long[0], new long[0], 0, text);
        // magic, version, family, prefix, network, count 0, run count 0, CRC
        int expectedLength = 4 + 1 + 1 + 1 + (isV6(text) ? 16 : 4) + 1 + 1 + 4;
        assertThat(CompactSnapshot.encode(cidr, new long[0], new long[0], 0)).hasSize(expectedLength);
    }

    @ParameterizedTest
    @MethodSource("allSupportedCidrs")
    void wholeUsableRangeAsOneRunRoundTripsAndOneMoreIsRejected(String text) {
        ServiceCidr cidr = ServiceCidr.parse(text);
        BigInteger usable = usableByDefinition(isV6(text), prefixOf(text));
        assertThat(usable).isEqualTo(cidr.usableCount());
        if (usable.signum() == 0) {
            assertThatThrownBy(() -> CompactSnapshot.encode(cidr, new long[] {0}, new long[] {1}, 1))
                    .as(text).isInstanceOf(IllegalArgumentException.class);
            return;
        }
        long all = usable.longValue(); // unsigned: 2^64 - 1 is -1L
        assertRoundTrip(cidr, new long[] {0}, new long[] {all}, 1, text);
        assertRoundTrip(cidr, new long[] {all - 1}, new long[] {1}, 1, text + " last index only");
        assertThatThrownBy(() -> CompactSnapshot.encode(cidr, new long[] {1}, new long[] {all}, 1))
                .as(text).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CompactSnapshot.encode(cidr, new long[] {all}, new long[] {1}, 1))
                .as(text).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void runsNearTheTopOfASlash64() {
        ServiceCidr cidr = ServiceCidr.parse("fd00::/64");
        assertRoundTrip(cidr, new long[] {LAST_OF_64}, new long[] {1}, 1, "only 2^64 - 2");
        assertRoundTrip(cidr, new long[] {0, LAST_OF_64}, new long[] {1, 1}, 2, "first and last");
        assertRoundTrip(cidr, new long[] {0, -4L}, new long[] {-5L, 2}, 2, "all but 2^64 - 5 and 2^64 - 2");
        assertRoundTrip(cidr, new long[] {Long.MAX_VALUE, Long.MIN_VALUE + 1, -3L},
                new long[] {1, 1, 2}, 3, "across 2^63");
        // A count of 2^63 and more is fine (unsigned).
        assertRoundTrip(cidr, new long[] {5}, new long[] {Long.MIN_VALUE}, 1, "count 2^63");

        byte[] data = CompactSnapshot.encode(cidr, new long[] {LAST_OF_64}, new long[] {1}, 1);
        CompactSnapshot.Decoded decoded = CompactSnapshot.decode(data);
        assertThat(decoded.cidr().addressAt(runsOf(decoded).get(0).start().longValue()))
                .isEqualTo(IpAddress.parse("fd00::ffff:ffff:ffff:ffff"));
    }

    @Test
    void varintBoundariesRoundTrip() {
        ServiceCidr cidr = ServiceCidr.parse("fd00::/64");
        for (int bits = 0; bits < 64; bits++) {
            for (long start : new long[] {(1L << bits) - 1, 1L << bits}) {
                String why = "start " + Long.toUnsignedString(start);
                assertRoundTrip(cidr, new long[] {start}, new long[] {1}, 1, why);
                // The single run's gap is its start: its varint has ceil(bits / 7) bytes, at least 1.
                int significant = unsigned(start).bitLength();
                int expectedVarint = Math.max(1, (significant + 6) / 7);
                int header = 4 + 1 + 1 + 1 + 16 + 1 + 1;
                assertThat(CompactSnapshot.encode(cidr, new long[] {start}, new long[] {1}, 1))
                        .as(why).hasSize(header + expectedVarint + 1 + 4);
            }
        }
    }

    /** A random number in [0, max], unsigned, where max may be up to 2^64 - 1 (-1L). */
    private static long upTo(SplittableRandom random, long max) {
        if (max < 0) { // 2^63 or more: draw 64 bits until one is in range (at least half are)
            long value;
            do {
                value = random.nextLong();
            } while (Long.compareUnsigned(value, max) > 0);
            return value;
        }
        if (max == Long.MAX_VALUE) {
            return random.nextLong() >>> 1;
        }
        return random.nextLong(max + 1);
    }

    /**
     * Random valid runs: 2k distinct boundaries b0 < b1 < ... in [0, usable], paired as
     * [b0, b1), [b2, b3), ...; distinct boundaries make runs non-empty and non-adjacent. The
     * boundaries are drawn uniformly, near 0, near the top, or clustered, to get short and long gaps.
     */
    private static long[][] randomRuns(SplittableRandom random, long usable) {
        long slots = Long.compareUnsigned(usable, 1000) > 0 ? 1000 : usable + 1; // boundary values, capped
        int maxRuns = (int) Math.min(40, slots / 2);
        int runs = maxRuns == 0 ? 0 : random.nextInt(maxRuns + 1);
        TreeSet<Long> boundaries = new TreeSet<>(Long::compareUnsigned);
        long center = upTo(random, usable);
        while (boundaries.size() < 2 * runs) {
            long value;
            switch (random.nextInt(4)) {
                case 0 -> value = upTo(random, usable);
                case 1 -> value = upTo(random, Long.compareUnsigned(usable, 100) < 0 ? usable : 100);
                case 2 -> value = usable - upTo(random, Long.compareUnsigned(usable, 100) < 0 ? usable : 100);
                default -> {
                    long offset = upTo(random, Long.compareUnsigned(usable, 1000) < 0 ? usable : 1000);
                    long candidate = center + offset;
                    value = Long.compareUnsigned(candidate, center) >= 0 && Long.compareUnsigned(candidate, usable) <= 0
                            ? candidate : center;
                }
            }
            boundaries.add(value);
        }
        Long[] sorted = boundaries.toArray(new Long[0]);
        long[] starts = new long[runs];
        long[] lengths = new long[runs];
        for (int i = 0; i < runs; i++) {
            starts[i] = sorted[2 * i];
            lengths[i] = sorted[2 * i + 1] - sorted[2 * i];
        }
        return new long[][] {starts, lengths};
    }

    @ParameterizedTest
    @MethodSource("allSupportedCidrs")
    void randomRunsRoundTrip(String text) {
        ServiceCidr cidr = ServiceCidr.parse(text);
        long usable = usableByDefinition(isV6(text), prefixOf(text)).longValue();
        long seed = BASE_SEED + text.hashCode();
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 40; trial++) {
            long[][] runs = randomRuns(random, usable);
            // Spare capacity in the arrays must be ignored.
            long[] starts = Arrays.copyOf(runs[0], runs[0].length + 2);
            long[] lengths = Arrays.copyOf(runs[1], runs[1].length + 2);
            starts[runs[0].length] = 7;
            assertRoundTrip(cidr, starts, lengths, runs[0].length,
                    text + " seed " + seed + " (clusterip.seed " + BASE_SEED + ") trial " + trial);
        }
    }

    @Test
    void aMillionScatteredAddressesInASlash64() {
        ServiceCidr cidr = ServiceCidr.parse("2001:db8:0:1::/64");
        SplittableRandom random = new SplittableRandom(BASE_SEED);
        String why = "seed " + BASE_SEED;
        long[] indexes = new long[1_000_000];
        for (int i = 0; i < indexes.length; i++) {
            indexes[i] = upTo(random, LAST_OF_64) ^ Long.MIN_VALUE; // sort unsigned via the sign flip
        }
        // A few neighbours too, so that some runs are longer than 1.
        for (int i = 0; i < 1000; i++) {
            long neighbour = (indexes[i + 1000] ^ Long.MIN_VALUE) + 1;
            if (neighbour != -1L) { // 2^64 - 1 is not a usable index
                indexes[i] = neighbour ^ Long.MIN_VALUE;
            }
        }
        Arrays.sort(indexes);
        long[] starts = new long[indexes.length];
        long[] lengths = new long[indexes.length];
        int runCount = 0;
        long distinct = 0;
        for (int i = 0; i < indexes.length; i++) {
            long index = indexes[i] ^ Long.MIN_VALUE;
            if (i > 0 && indexes[i] == indexes[i - 1]) {
                continue;
            }
            distinct++;
            if (runCount > 0 && starts[runCount - 1] + lengths[runCount - 1] == index) {
                lengths[runCount - 1]++;
            } else {
                starts[runCount] = index;
                lengths[runCount] = 1;
                runCount++;
            }
        }
        assertThat(runCount).as(why).isLessThan((int) distinct);

        byte[] data = CompactSnapshot.encode(cidr, starts, lengths, runCount);
        // About 2^44 between neighbours: a 7-byte gap (49 bits) and a 1-byte length at most per run.
        assertThat((long) data.length).as(why).isLessThanOrEqualTo(4 + 1 + 1 + 1 + 16 + 10 + 10 + 8L * runCount + 4)
                .isGreaterThan(2L * runCount);
        CompactSnapshot.Decoded decoded = CompactSnapshot.decode(data);
        assertThat(decoded.cidr()).isEqualTo(cidr);
        assertThat(decoded.runs().runCount()).as(why).isEqualTo(runCount);
        assertThat(decoded.count()).as(why).isEqualTo(distinct);
        // List.equals, linear: containsExactly's diff is quadratic on a million runs.
        assertThat(runsOf(decoded).equals(runsOf(starts, lengths, runCount))).as(why).isTrue();
    }

    // ---- golden files -------------------------------------------------------------------------------

    private static GoldenFile readGolden(String name) throws IOException {
        return GoldenFile.read(name);
    }

    /** The golden file's runs, from the JDK's address bytes: index = address - network - 1. */
    private static List<Run> goldenRuns(GoldenFile golden) {
        BigInteger network = new BigInteger(1, literal(golden.range().substring(0, golden.range().indexOf('/'))));
        List<Run> runs = new ArrayList<>();
        for (String item : golden.allocated()) {
            String[] ends = item.split("-");
            BigInteger first = new BigInteger(1, literal(ends[0])).subtract(network).subtract(BigInteger.ONE);
            BigInteger last = new BigInteger(1, literal(ends[ends.length - 1])).subtract(network).subtract(BigInteger.ONE);
            runs.add(new Run(first, last.subtract(first).add(BigInteger.ONE)));
        }
        return runs;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "compact-10.96.0.0_24-sample.hex",
        "compact-fd00_64-scattered.hex",
        "compact-10.96.0.0_28-empty.hex",
        "compact-fd00_64-full.hex",
    })
    void goldenFiles(String name) throws IOException {
        GoldenFile golden = readGolden(name);
        byte[] data = golden.data();
        List<Run> runs = goldenRuns(golden);
        String networkText = golden.range().substring(0, golden.range().indexOf('/'));
        byte[] network = literal(networkText);

        // The bytes against the document, field by field, without the code under test.
        assertThat(Arrays.copyOfRange(data, 0, 4)).containsExactly(0x43, 0x49, 0x50, 0x53);
        assertThat(data[4]).isEqualTo((byte) 1);
        assertThat(data[5]).isEqualTo((byte) (network.length == 4 ? 4 : 6));
        assertThat(data[6] & 0xFF).isEqualTo(prefixOf(golden.range()));
        assertThat(Arrays.copyOfRange(data, 7, 7 + network.length)).containsExactly(network);
        Parsed parsed = referenceParse(data);
        assertThat(parsed.runs()).containsExactlyElementsOf(runs);
        assertThat(parsed.count()).isEqualTo(runs.stream().map(Run::length).reduce(BigInteger.ZERO, BigInteger::add));
        assertThat(parsed.storedCrc()).isEqualTo(referenceCrc32c(data, data.length - 4));
        for (int i = 1; i < runs.size(); i++) {
            assertThat(runs.get(i).start()).as("maximal runs").isGreaterThan(runs.get(i - 1).start()
                    .add(runs.get(i - 1).length()));
        }

        // encode writes exactly these bytes, decode reads them back.
        ServiceCidr cidr = ServiceCidr.parse(golden.range());
        long[] starts = runs.stream().mapToLong(r -> r.start().longValue()).toArray();
        long[] lengths = runs.stream().mapToLong(r -> r.length().longValue()).toArray();
        byte[] encoded = CompactSnapshot.encode(cidr, starts, lengths, runs.size());
        assertThat(HexFormat.of().formatHex(encoded)).isEqualTo(HexFormat.of().formatHex(data));
        CompactSnapshot.Decoded decoded = CompactSnapshot.decode(data);
        assertThat(decoded.cidr()).isEqualTo(cidr);
        assertThat(runsOf(decoded)).containsExactlyElementsOf(runs);
        assertThat(unsigned(decoded.count())).isEqualTo(parsed.count());
    }

    @Test
    void goldenSampleIsAlsoTheDocumentExample() {
        // docs/snapshot-format.md: 10.96.0.1-3 and 10.96.0.254 in 10.96.0.0/24.
        byte[] expected = HexFormat.of().parseHex(("43495053 01 04 18 0a600000 04 02 0002 fa0100 d0575feb")
                .replace(" ", ""));
        assertThat(CompactSnapshot.encode(ServiceCidr.parse("10.96.0.0/24"), new long[] {0, 253}, new long[] {3, 1}, 2))
                .containsExactly(expected);
    }

    @Test
    void thePortExampleOfTheDocumentIsWhatAPortAllocatorWrites() {
        // docs/snapshot-format.md: ports 30000 and 30086 of 30000-32767, version 2, kind 'P'.
        byte[] expected = HexFormat.of().parseHex("43495053 02 50 7530 7fff 02 02 0000 5500 7fe6cda5".replace(" ", ""));
        NodePortAllocator ports = NodePortAllocator.create(PortRange.DEFAULT);
        ports.allocate(30000);
        ports.allocate(30086);
        assertThat(ports.compactSnapshot()).containsExactly(expected);
        assertThat(CompactSnapshot.decodePorts(expected).range()).isEqualTo(PortRange.DEFAULT);
        assertThatThrownBy(() -> CompactSnapshot.decode(expected)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid compact snapshot: it holds the port range 30000-32767, not a CIDR; restore it"
                        + " with NodePortAllocator");
        // The same bytes labelled version 1 (with the CRC made right) are refused by their version.
        byte[] v1 = expected.clone();
        v1[4] = 1;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(v1, 0, v1.length - 4);
        int c = (int) crc.getValue();
        v1[v1.length - 4] = (byte) (c >>> 24);
        v1[v1.length - 3] = (byte) (c >>> 16);
        v1[v1.length - 2] = (byte) (c >>> 8);
        v1[v1.length - 1] = (byte) c;
        assertThatThrownBy(() -> CompactSnapshot.decodePorts(v1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid compact snapshot: kind 80 ('P', ports) at byte offset 5 needs version 2, but the"
                        + " snapshot says version 1");
    }

    // ---- adversarial: corruption of valid snapshots ---------------------------------------------

    private static Stream<byte[]> validSnapshots() throws IOException {
        List<byte[]> all = new ArrayList<>();
        for (String name : List.of("compact-10.96.0.0_24-sample.hex", "compact-fd00_64-scattered.hex",
                "compact-10.96.0.0_28-empty.hex", "compact-fd00_64-full.hex")) {
            all.add(readGolden(name).data());
        }
        SplittableRandom random = new SplittableRandom(BASE_SEED);
        long[][] runs = randomRuns(random, -1L);
        all.add(CompactSnapshot.encode(ServiceCidr.parse("fd00::/64"), runs[0], runs[1], runs[0].length));
        return all.stream();
    }

    private static void assertRejected(byte[] data, String why) {
        Throwable thrown = catchThrowable(() -> CompactSnapshot.decode(data));
        assertThat(thrown).as(why).isInstanceOf(IllegalArgumentException.class);
        assertThat(thrown.getMessage()).as(why).startsWith(ERROR);
    }

    @ParameterizedTest
    @MethodSource("validSnapshots")
    void everyTruncationIsRejected(byte[] valid) {
        CompactSnapshot.decode(valid); // the whole is fine
        for (int length = 0; length < valid.length; length++) {
            assertRejected(Arrays.copyOf(valid, length), "first " + length + " of " + valid.length + " bytes");
        }
    }

    @ParameterizedTest
    @MethodSource("validSnapshots")
    void everySingleBitFlipIsRejected(byte[] valid) {
        for (int bit = 0; bit < valid.length * 8; bit++) {
            byte[] flipped = valid.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertRejected(flipped, "bit " + (bit % 8) + " of byte " + (bit / 8) + " flipped");
        }
    }

    @ParameterizedTest
    @MethodSource("validSnapshots")
    void trailingBytesAreRejected(byte[] valid) {
        for (byte[] extra : List.of(new byte[] {0}, new byte[] {1, 2, 3}, valid)) {
            byte[] longer = Arrays.copyOf(valid, valid.length + extra.length);
            System.arraycopy(extra, 0, longer, valid.length, extra.length);
            assertThatThrownBy(() -> CompactSnapshot.decode(longer))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(ERROR)
                    .hasMessageContaining(extra.length + " trailing byte")
                    .hasMessageContaining("at byte offset " + valid.length);
        }
    }

    @ParameterizedTest
    @MethodSource("validSnapshots")
    void corruptedCrcIsAMismatch(byte[] valid) {
        for (int i = valid.length - 4; i < valid.length; i++) {
            byte[] bad = valid.clone();
            bad[i] ^= (byte) 0x40;
            assertThatThrownBy(() -> CompactSnapshot.decode(bad))
                    .hasMessageStartingWith(ERROR + "CRC-32C mismatch")
                    .hasMessageContaining("at byte offset " + (valid.length - 4));
        }
    }

    @Test
    void nullAndEmptyAndForeignInput() {
        assertThatThrownBy(() -> CompactSnapshot.decode(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> CompactSnapshot.decode(new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(ERROR + "input is empty");
        assertThatThrownBy(() -> CompactSnapshot.decode("CIP".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageStartingWith(ERROR + "truncated").hasMessageContaining("magic");
        assertThatThrownBy(() -> CompactSnapshot.decode("CIPX0123456789abcdef".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageStartingWith(ERROR + "wrong magic at byte offset 0")
                .hasMessageContaining("43 49 50 58");
        // A kube-apiserver bitmap is not a compact snapshot.
        assertThatThrownBy(() -> CompactSnapshot.decode(new byte[] {0x3f, (byte) 0xff}))
                .hasMessageStartingWith(ERROR + "wrong magic");
    }

    // ---- adversarial: hand-built snapshots with a valid CRC -------------------------------------

    /** Builds snapshot bytes field by field; {@link #withCrc()} appends a correct CRC-32C. */
    private static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        static Builder header(int version, int family, int prefix, String network) {
            Builder b = new Builder().raw('C', 'I', 'P', 'S', version, family, prefix);
            byte[] address = literal(network);
            b.out.write(address, 0, address.length);
            return b;
        }

        static Builder v4(String network, int prefix) {
            return header(1, 4, prefix, network);
        }

        static Builder v6(String network, int prefix) {
            return header(1, 6, prefix, network);
        }

        Builder raw(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        /** Unsigned LEB128, written here from the format document. */
        Builder varint(long value) {
            while (Long.compareUnsigned(value, 0x80) >= 0) {
                out.write((int) (value & 0x7F) | 0x80);
                value >>>= 7;
            }
            out.write((int) value);
            return this;
        }

        byte[] withoutCrc() {
            return out.toByteArray();
        }

        byte[] withCrc() {
            byte[] body = out.toByteArray();
            long crc = referenceCrc32c(body, body.length);
            byte[] all = Arrays.copyOf(body, body.length + 4);
            for (int i = 0; i < 4; i++) {
                all[body.length + i] = (byte) (crc >>> (24 - 8 * i));
            }
            return all;
        }
    }

    @Test
    void theBuilderMakesValidSnapshots() {
        // Guards the rejections below: a correct hand-built snapshot is accepted, and equals encode's.
        byte[] built = Builder.v4("10.96.0.0", 24).varint(4).varint(2).varint(0).varint(2).varint(250).varint(0)
                .withCrc();
        CompactSnapshot.Decoded decoded = CompactSnapshot.decode(built);
        assertThat(runsOf(decoded))
                .containsExactly(Run.of(0, 3), Run.of(253, 1));
        assertThat(built).containsExactly(CompactSnapshot.encode(ServiceCidr.parse("10.96.0.0/24"),
                new long[] {0, 253}, new long[] {3, 1}, 2));
        byte[] v6 = Builder.v6("fd00::", 64).varint(1).varint(1).varint(LAST_OF_64).varint(0).withCrc();
        assertThat(runsOf(CompactSnapshot.decode(v6))).containsExactly(Run.of(LAST_OF_64, 1));
    }

    private static Arguments bad(String what, byte[] data, String fragment) {
        return Arguments.of(what, data, fragment);
    }

    static Stream<Arguments> badButWellChecksummed() {
        // 10.96.0.0/24: the header is 11 bytes, so a 1-byte count is at offset 11, the run count
        // at 12 and the first run at 13.
        return Stream.of(
            bad("version 3", Builder.header(3, 4, 24, "10.96.0.0").varint(0).varint(0).withCrc(),
                    "unsupported version 3 at byte offset 4 (supported versions: 1 and 2)"),
            bad("version 0", Builder.header(0, 4, 24, "10.96.0.0").varint(0).varint(0).withCrc(),
                    "unsupported version 0"),
            bad("family 5", Builder.header(1, 5, 24, "10.96.0.0").varint(0).varint(0).withCrc(),
                    "bad kind 5 at byte offset 5 (expected 4 for IPv4, 6 for IPv6 or 80, 'P', for ports)"),
            bad("family 0", Builder.header(1, 0, 24, "10.96.0.0").varint(0).varint(0).withCrc(),
                    "bad kind 0"),
            bad("IPv4 prefix 33", Builder.v4("10.96.0.0", 33).varint(0).varint(0).withCrc(),
                    "prefix length 33 at byte offset 6 is out of range 0..32 for IPv4"),
            bad("IPv4 prefix 255", Builder.v4("10.96.0.0", 255).varint(0).varint(0).withCrc(),
                    "prefix length 255 at byte offset 6"),
            bad("IPv6 prefix 129", Builder.v6("fd00::", 129).varint(0).varint(0).withCrc(),
                    "prefix length 129 at byte offset 6 is out of range 64..128 for IPv6"),
            bad("IPv6 prefix 63", Builder.v6("fd00::", 63).varint(0).varint(0).withCrc(),
                    "prefix length 63 at byte offset 6 is out of range 64..128 for IPv6"),
            bad("IPv4 host bits", Builder.v4("10.96.0.1", 24).varint(0).varint(0).withCrc(),
                    "network 10.96.0.1 at byte offset 7 has host bits set for prefix length 24; "
                            + "the canonical CIDR is 10.96.0.0/24"),
            bad("IPv4 /0 host bits", Builder.v4("128.0.0.0", 0).varint(0).varint(0).withCrc(),
                    "the canonical CIDR is 0.0.0.0/0"),
            bad("IPv6 host bits", Builder.v6("fd00::8000:0:0:0", 64).varint(0).varint(0).withCrc(),
                    "network fd00::8000:0:0:0 at byte offset 7 has host bits set for prefix length 64; "
                            + "the canonical CIDR is fd00::/64"),
            bad("overlapping runs", Builder.v4("10.96.0.0", 24).varint(9).varint(2)
                    .varint(10).varint(4) // [10, 15)
                    .varint(-2L) // 15 + 2^64 - 2 wraps to 13
                    .varint(3).withCrc(),
                    "run 1 at byte offset 15: its start wraps past 2^64 (gap 18446744073709551614 after the "
                            + "previous run's end 15), so the runs overlap or are out of order"),
            bad("runs out of order", Builder.v4("10.96.0.0", 24).varint(2).varint(2)
                    .varint(100).varint(0) // [100, 101)
                    .varint(50 - 101L) // back to 50
                    .varint(0).withCrc(),
                    "run 1 at byte offset 15: its start wraps past 2^64"),
            bad("start wraps in a /64", Builder.v6("fd00::", 64).varint(2).varint(2)
                    .varint(-3L).varint(0) // [2^64 - 3, 2^64 - 2)
                    .varint(2) // 2^64 - 2 + 2 wraps to 0
                    .varint(0).withCrc(),
                    "run 1 at byte offset 36: its start wraps past 2^64"),
            bad("adjacent runs", Builder.v4("10.96.0.0", 24).varint(3).varint(2)
                    .varint(10).varint(1) // [10, 12)
                    .varint(0).varint(0).withCrc(), // [12, 13)
                    "run 1 at byte offset 15 touches the previous run (gap 0 at index 12)"),
            bad("run starts beyond the range", Builder.v4("10.96.0.0", 24).varint(1).varint(1)
                    .varint(254).varint(0).withCrc(),
                    "run 0 at byte offset 13 starts at index 254, beyond the usable range [0, 254) of 10.96.0.0/24"),
            bad("second run starts beyond the range", Builder.v4("10.96.0.0", 24).varint(2).varint(2)
                    .varint(0).varint(0).varint(300).varint(0).withCrc(),
                    "run 1 at byte offset 15 starts at index 301, beyond the usable range"),
            bad("run extends beyond the range", Builder.v4("10.96.0.0", 24).varint(5).varint(1)
                    .varint(250).varint(4).withCrc(),
                    "run 0 at byte offset 13 (start 250, length 5) extends beyond the usable range [0, 254)"),
            bad("run in a range with no usable address", Builder.v4("10.0.0.0", 32).varint(0).varint(1)
                    .varint(0).varint(0).withCrc(),
                    "starts at index 0, beyond the usable range [0, 0) of 10.0.0.0/32"),
            bad("length of 2^64 wraps", Builder.v6("fd00::", 64).varint(0).varint(1)
                    .varint(5).varint(-1L).withCrc(),
                    "run 0 at byte offset 25 (start 5, length 18446744073709551616) extends beyond the usable range "
                            + "[0, 18446744073709551615)"),
            bad("count above the runs' sum", Builder.v4("10.96.0.0", 24).varint(3).varint(1)
                    .varint(7).varint(1).withCrc(),
                    "allocated count 3 at byte offset 11 does not equal the sum of the run lengths, 2"),
            bad("count below the runs' sum", Builder.v4("10.96.0.0", 24).varint(1).varint(2)
                    .varint(7).varint(0).varint(1).varint(0).withCrc(),
                    "allocated count 1 at byte offset 11 does not equal the sum of the run lengths, 2"),
            bad("count of an empty state", Builder.v4("10.96.0.0", 24).varint(1).varint(0).withCrc(),
                    "allocated count 1 at byte offset 11 does not equal the sum of the run lengths, 0"),
            bad("count above the usable addresses", Builder.v4("10.96.0.0", 24).varint(255).varint(0).withCrc(),
                    "allocated count 255 at byte offset 11 exceeds the 254 usable addresses of 10.96.0.0/24"),
            bad("huge run count in a tiny input", Builder.v4("10.96.0.0", 24).varint(1).varint(1L << 62)
                    .varint(0).varint(0).withCrc(),
                    "run count 4611686018427387904 at byte offset 12 cannot fit in the 2 bytes left"),
            bad("run count of 2^64 - 1", Builder.v6("fd00::", 64).varint(0).varint(-1L).withCrc(),
                    "run count 18446744073709551615 at byte offset 24 cannot fit in the 0 bytes left"),
            bad("run count one too many", Builder.v4("10.96.0.0", 24).varint(2).varint(2)
                    .varint(1).varint(0).varint(1).withCrc(),
                    "run count 2 at byte offset 12 cannot fit in the 3 bytes left"),
            bad("overlong count varint", Builder.v4("10.96.0.0", 24).raw(0x80, 0x00).varint(0).withCrc(),
                    "allocated count varint at byte offset 11 is overlong"),
            bad("overlong 10-byte varint", Builder.v4("10.96.0.0", 24).varint(0).varint(1)
                    .raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00).varint(0).withCrc(),
                    "gap of run 0 varint at byte offset 13 is overlong"),
            bad("overlong length varint", Builder.v4("10.96.0.0", 24).varint(1).varint(1)
                    .varint(0).raw(0x80, 0x80, 0x00).withCrc(),
                    "length - 1 of run 0 varint at byte offset 14 is overlong"),
            bad("11-byte varint", Builder.v4("10.96.0.0", 24)
                    .raw(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01).varint(0).withCrc(),
                    "allocated count varint at byte offset 11 is longer than 10 bytes"),
            bad("varint over 64 bits", Builder.v4("10.96.0.0", 24).varint(0)
                    .raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02).withCrc(),
                    "run count varint at byte offset 12 exceeds 64 bits"),
            bad("varint cut off by the end", Builder.v4("10.96.0.0", 24).varint(0).raw(0x80).withoutCrc(),
                    "truncated: the run count varint at byte offset 12 runs past the end of the input"),
            bad("missing run", Builder.v4("10.96.0.0", 24).varint(1).varint(1).varint(0).withCrc(),
                    "cannot fit in the 1 byte left"),
            bad("IPv6 network cut short", Arrays.copyOf(Builder.v6("fd00::", 64).withCrc(), 20),
                    "truncated: the 16-byte network address at byte offset 7 needs 16 bytes, only 13 present"),
            bad("no version", "CIPS".getBytes(StandardCharsets.US_ASCII),
                    "truncated: the version byte at byte offset 4 needs 1 byte, only 0 present"),
            bad("CRC cut short", Arrays.copyOf(Builder.v4("10.96.0.0", 24).varint(0).varint(0).withCrc(), 15),
                    "truncated: the 4-byte CRC-32C at byte offset 13 needs 4 bytes, only 2 present"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badButWellChecksummed")
    void handBuiltBadSnapshotIsRejected(String what, byte[] data, String fragment) {
        assertThatThrownBy(() -> CompactSnapshot.decode(data)).as(what)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(ERROR)
                .hasMessageContaining(fragment);
    }

    @Test
    void theCrcIsCheckedBeforeTheMeaning() {
        byte[] overlapping = Builder.v4("10.96.0.0", 24).varint(9).varint(2).varint(10).varint(4).varint(-2L)
                .varint(3).withCrc();
        assertThatThrownBy(() -> CompactSnapshot.decode(overlapping)).hasMessageContaining("overlap");
        overlapping[overlapping.length - 1] ^= 1;
        assertThatThrownBy(() -> CompactSnapshot.decode(overlapping)).hasMessageStartingWith(ERROR + "CRC-32C mismatch");
        byte[] prefix33 = Builder.v4("10.96.0.0", 33).varint(0).varint(0).withCrc();
        prefix33[prefix33.length - 2] ^= 1;
        assertThatThrownBy(() -> CompactSnapshot.decode(prefix33)).hasMessageStartingWith(ERROR + "CRC-32C mismatch");
    }

    @Test
    void aHugeRunCountIsRejectedWithoutSizingAnythingFromIt() {
        // Run counts up to the maximum array size in a 30-byte input: rejected by the length check,
        // so decode never tries to allocate arrays of that size (which would throw OutOfMemoryError).
        for (long runCount : new long[] {Integer.MAX_VALUE - 8, Integer.MAX_VALUE, 1L << 40}) {
            byte[] data = Builder.v4("10.96.0.0", 8).varint(runCount).varint(runCount)
                    .raw(0, 0, 0, 0, 0, 0).withCrc();
            assertThatThrownBy(() -> CompactSnapshot.decode(data)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("run count " + runCount).hasMessageContaining("cannot fit");
        }
    }

    // ---- encode's own checks ----------------------------------------------------------------------

    static Stream<Arguments> invalidRuns() {
        return Stream.of(
            Arguments.of("zero length", new long[] {5}, new long[] {0}, 1),
            Arguments.of("overlap", new long[] {5, 7}, new long[] {3, 1}, 2),
            Arguments.of("adjacent", new long[] {5, 8}, new long[] {3, 1}, 2),
            Arguments.of("out of order", new long[] {50, 8}, new long[] {3, 1}, 2),
            Arguments.of("duplicate", new long[] {5, 5}, new long[] {1, 1}, 2),
            Arguments.of("beyond usable", new long[] {254}, new long[] {1}, 1),
            Arguments.of("ends beyond usable", new long[] {250}, new long[] {5}, 1),
            Arguments.of("negative (huge unsigned) start", new long[] {-1L}, new long[] {1}, 1),
            Arguments.of("length wraps", new long[] {10}, new long[] {-5L}, 1),
            Arguments.of("negative run count", new long[] {5}, new long[] {1}, -1),
            Arguments.of("run count beyond the arrays", new long[] {5}, new long[] {1}, 2),
            Arguments.of("run count beyond the lengths", new long[] {5, 9}, new long[] {1}, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRuns")
    void encodeRejectsInvalidRuns(String what, long[] starts, long[] lengths, int runCount) {
        ServiceCidr cidr = ServiceCidr.parse("10.96.0.0/24");
        assertThatThrownBy(() -> CompactSnapshot.encode(cidr, starts, lengths, runCount)).as(what)
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encodeRejectsIpv6PrefixesShorterThan64AndNulls() {
        assertThatThrownBy(() -> CompactSnapshot.encode(ServiceCidr.parse("fd00::/63"), new long[0], new long[0], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fd00::/63");
        long[] none = new long[0];
        assertThatThrownBy(() -> CompactSnapshot.encode((ServiceCidr) null, none, none, 0)).isInstanceOf(NullPointerException.class);
        ServiceCidr cidr = ServiceCidr.parse("10.96.0.0/24");
        assertThatThrownBy(() -> CompactSnapshot.encode(cidr, null, none, 0)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> CompactSnapshot.encode(cidr, none, null, 0)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aCidrSnapshotIsWrittenAsVersion1AndAPortSnapshotAsVersion2() {
        assertThat(CompactFrame.LATEST_VERSION).isEqualTo(2);
        byte[] cidr = CompactSnapshot.encode(ServiceCidr.parse("10.96.0.0/24"), new long[0], new long[0], 0);
        assertThat(cidr[4]).isEqualTo((byte) 1);
        byte[] ports = CompactSnapshot.encode(PortRange.DEFAULT, new long[0], new long[0], 0);
        assertThat(ports[4]).isEqualTo((byte) 2);
        assertThat(ports[5]).isEqualTo((byte) 'P');
    }
}
