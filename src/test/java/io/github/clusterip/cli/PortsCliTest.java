package io.github.clusterip.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.PortRange;
import io.github.clusterip.RangeAllocation;
import io.github.clusterip.internal.Messages;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The commands over NodePort ranges: bands, allocate, and inspect and convert of port snapshots. */
class PortsCliTest {

    private static final String NL = System.lineSeparator();

    @Test
    void bandsPrintsThePortExamplesOfKubernetes() {
        Console c = Console.run("bands", "30000-32767", "30000-30015", "1-65535", "8080");
        assertThat(c.err).isEmpty();
        assertThat(c.code).isZero();
        assertThat(c.out().lines()).containsExactly(
                // The default range: 2768 ports, offset 2768 / 32 = 86.
                "30000-32767",
                "  usable:       2768",
                "  band offset:  86",
                "  static band:  30000 - 30085 (86 ports)",
                "  dynamic band: 30086 - 32767 (2682 ports)",
                // 16 ports or fewer: offset 0, no static band.
                "30000-30015",
                "  usable:       16",
                "  band offset:  0",
                "  static band:  none",
                "  dynamic band: 30000 - 30015 (16 ports)",
                // Every port is usable (no network or broadcast to skip); 65535 / 32 is capped at 128.
                "1-65535",
                "  usable:       65535",
                "  band offset:  128",
                "  static band:  1 - 128 (128 ports)",
                "  dynamic band: 129 - 65535 (65407 ports)",
                // A single port, printed in the canonical form kube-apiserver stores.
                "8080-8080",
                "  usable:       1",
                "  band offset:  0",
                "  static band:  none",
                "  dynamic band: 8080 - 8080 (1 port)");
    }

    @Test
    void bandsReadsEveryFormOfTheFlagAndMixesPortsWithCidrs() {
        String plus = Console.run("bands", "30000+2767").out();
        assertThat(plus).isEqualTo(Console.run("bands", "30000-32767").out());
        // kube-apiserver trims white space around the flag's value.
        assertThat(Console.run("bands", " 30000-32767 ").out()).isEqualTo(plus);
        Console mixed = Console.run("bands", "10.96.0.0/24", "30000-32767");
        assertThat(mixed.code).isZero();
        assertThat(mixed.out().lines()).contains("10.96.0.0/24", "  static band:  10.96.0.1 - 10.96.0.16 (16 addresses)",
                "30000-32767", "  static band:  30000 - 30085 (86 ports)");
    }

    @Test
    void theBandOffsetFollowsTheNodePortRuleForEverySize() {
        // KEP-3668: min(max(16, size / 32), 128), and 0 for 16 ports or fewer; computed here, not read from the library.
        for (int size : new int[] {1, 2, 15, 16, 17, 31, 32, 511, 512, 513, 543, 544, 4095, 4096, 4097, 65535}) {
            int expected = size <= 16 ? 0 : Math.min(Math.max(16, size / 32), 128);
            String range = "1+" + (size - 1);
            Console c = Console.run("bands", range);
            assertThat(c.out().lines()).as(range).contains("  band offset:  " + expected, "  usable:       " + size);
            assertThat(c.out().lines()).as(range).contains(expected == 0 ? "  static band:  none"
                    : "  static band:  1 - " + expected + " (" + expected + " ports)");
        }
    }

    /**
     * The ports a seeded allocator hands out, by the rule, with nothing of the library: each
     * allocation draws its start with {@code nextInt(dynamic band size)} from one
     * {@code SplittableRandom(seed)} and takes the first free port at or after it, wrapping round in
     * the band.
     */
    private static List<Integer> expectedDynamic(long seed, int first, int size, List<Integer> taken, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        BitSet used = new BitSet(size);
        taken.forEach(p -> used.set(p - first));
        List<Integer> ports = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            int start = random.nextInt(size);
            int k = used.nextClearBit(start);
            if (k >= size) {
                k = used.nextClearBit(0);
            }
            assertThat(k).as("the model's band is full").isLessThan(size);
            used.set(k);
            ports.add(first + k);
        }
        return ports;
    }

    @Test
    void allocateWithASeedHandsOutThePortsTheRuleGives() {
        for (long seed : new long[] {7, -99, 123456789}) {
            Console c = Console.run("allocate", "30000-32767", "--static", "30000", "--static", "30086", "--dynamic",
                    "20", "--seed", Long.toString(seed));
            assertThat(c.err).isEmpty();
            assertThat(c.code).isZero();
            List<String> lines = c.out().lines().toList();
            assertThat(lines).hasSize(2 + 20 + 2);
            assertThat(lines.subList(0, 2)).containsExactly("reserved  30000  static band",
                    "reserved  30086  dynamic band");
            List<String> expected = expectedDynamic(seed, 30086, 2682, List.of(30086), 20).stream()
                    .map(p -> "allocated " + p + "  dynamic band").toList();
            assertThat(lines.subList(2, 22)).as("seed %d", seed).isEqualTo(expected);
            assertThat(lines.subList(22, 24)).containsExactly("static band:  used 1, free 85",
                    "dynamic band: used 21, free 2661");
        }
    }

    @Test
    void aSeededRunFillsASmallDynamicBandAsTheRuleSaysThroughCollisionsAndWrapping() {
        // 100 ports: offset 16, so a dynamic band of 84 ports that 84 allocations fill exactly.
        Console c = Console.run("allocate", "30000-30099", "--dynamic", "84", "--seed", "42");
        assertThat(c.code).isZero();
        List<String> lines = c.out().lines().toList();
        assertThat(lines.subList(0, 84)).isEqualTo(expectedDynamic(42, 30016, 84, List.of(), 84).stream()
                .map(p -> "allocated " + p + "  dynamic band").toList());
        assertThat(lines.subList(84, 86)).containsExactly("static band:  used 0, free 16",
                "dynamic band: used 84, free 0");
        // One more goes to the static band.
        Console more = Console.run("allocate", "30000-30099", "--dynamic", "85", "--seed", "42");
        assertThat(more.out().lines().toList().get(84)).matches("allocated 300(0[0-9]|1[0-5])  static band");
    }

    @Test
    void sequentialAllocationStartsAtTheDynamicBandThenFallsBackToTheStaticBand() {
        // 32 ports: offset 16 (the minimum), 16 static and 16 dynamic.
        Console c = Console.run("allocate", "30000-30031", "--dynamic", "17", "--sequential");
        assertThat(c.code).isZero();
        List<String> lines = c.out().lines().toList();
        for (int n = 0; n < 16; n++) {
            assertThat(lines.get(n)).isEqualTo("allocated " + (30016 + n) + "  dynamic band");
        }
        assertThat(lines.get(16)).isEqualTo("allocated 30000  static band");
        assertThat(lines.subList(17, 19)).containsExactly("static band:  used 1, free 15",
                "dynamic band: used 16, free 0");
    }

    @Test
    void allocatingUntilFullExitsOneWithRangeIsFull() {
        Console c = Console.run("allocate", "30000-30031", "--dynamic", "33");
        assertThat(c.code).isEqualTo(ExitCode.REFUSED).isEqualTo(1);
        assertThat(c.err).isEqualTo("error: range is full" + NL);
        List<String> lines = c.out().lines().toList();
        assertThat(lines).hasSize(32 + 2);
        assertThat(lines.subList(0, 32).stream().map(l -> l.split(" +")[1]).distinct().count()).isEqualTo(32);
        assertThat(lines.subList(32, 34)).containsExactly("static band:  used 16, free 0",
                "dynamic band: used 16, free 0");
        // A single port: full after one; the summary says the range has no static band.
        Console one = Console.run("allocate", "8080", "--dynamic", "2");
        assertThat(one.code).isEqualTo(1);
        assertThat(one.err).isEqualTo("error: range is full" + NL);
        assertThat(one.out().lines()).containsExactly("allocated 8080  dynamic band", "static band:  none",
                "dynamic band: used 1, free 0");
    }

    @Test
    void aPortTakenTwiceOrOutsideTheRangeIsRefusedInKubernetesWords() {
        Console c = Console.run("allocate", "30000-32767", "--static", "30005", "--static", "30005", "--dynamic", "3");
        assertThat(c.code).isEqualTo(1);
        assertThat(c.err).isEqualTo("error: 30005: provided port is already allocated" + NL);
        // The summary is printed all the same, and nothing after the refusal was allocated.
        assertThat(c.out().lines()).containsExactly("reserved  30005  static band", "static band:  used 1, free 85",
                "dynamic band: used 0, free 2682");
        c = Console.run("allocate", "30000-32767", "--static", "8080");
        assertThat(c.code).isEqualTo(1);
        assertThat(c.err).isEqualTo("error: 8080: provided port is not in the valid range. "
                + "The range of valid ports is 30000-32767" + NL);
        c = Console.run("allocate", "30000+2767", "--static", "32768");
        assertThat(c.err).isEqualTo("error: 32768: provided port is not in the valid range. "
                + "The range of valid ports is 30000-32767" + NL);
        // The address message is as it was.
        c = Console.run("allocate", "10.96.0.0/24", "--static", "10.96.0.10", "--static", "10.96.0.10");
        assertThat(c.err).isEqualTo("error: failed to allocate IP 10.96.0.10: provided IP is already allocated" + NL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"32767-30000", "70000", "abc", "", " ", "30000-", "30000-32767-1", "30000+",
        "30000+40000", "+30000", "30000-32768x", "65536"})
    void badPortRangesAreOneLineWithTheUsageAndExitTwo(String range) {
        for (String[] args : List.of(new String[] {"bands", range}, new String[] {"allocate", range, "--dynamic", "1"},
                new String[] {"bands", "30000-32767", range})) {
            Console c = Console.run(args);
            assertThat(c.code).as("%s", List.of(args)).isEqualTo(ExitCode.BAD_INPUT).isEqualTo(2);
            // Nothing printed before the error, even for the good range before the bad one.
            assertThat(c.stdout).isEmpty();
            List<String> lines = c.err.lines().toList();
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).startsWith("error: invalid ").contains(Messages.quote(range));
            assertThat(lines.get(1)).startsWith("usage: clusterip " + args[0] + " ");
        }
    }

    @Test
    void badPortRangesSayWhatIsWrong() {
        assertThat(Console.run("bands", "32767-30000").err.lines().findFirst()).contains("error: invalid port range "
                + "\"32767-30000\": end port cannot be less than start port: 30000 is less than 32767");
        assertThat(Console.run("bands", "70000").err.lines().findFirst()).contains("error: invalid port range "
                + "\"70000\": the port range cannot be greater than 65535: the port is 70000");
        assertThat(Console.run("bands", "abc").err.lines().findFirst()).contains("error: invalid port range "
                + "\"abc\": the port \"abc\" is not a decimal number");
        // A range that starts with '-' reads as an option unless "--" ends the options first.
        assertThat(Console.run("bands", "-32767").err.lines().findFirst()).contains("error: unknown option \"-32767\"");
        assertThat(Console.run("bands", "--", "-32767").err.lines().findFirst()).contains("error: invalid port range "
                + "\"-32767\": the start port is missing");
        assertThat(Console.run("bands", "").err.lines().findFirst()).contains("error: invalid range \"\": it is empty;"
                + " give a CIDR (such as 10.96.0.0/12) or a port range (such as 30000-32767)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.96.0.0", "10.96.0.10", "fd00:10:96::", "::1", "10.96.0.256", "::ffff:10.96.0.5"})
    void aBareAddressIsACidrWithoutItsPrefixLengthNotABadPortRange(String address) {
        for (String command : List.of("bands", "allocate")) {
            Console c = Console.run(command, address);
            assertThat(c.code).isEqualTo(2);
            assertThat(c.stdout).isEmpty();
            assertThat(c.err.lines()).containsExactly(
                    "error: invalid CIDR \"" + address + "\": has no prefix length (expected address/prefix-length)",
                    command.equals("bands") ? Help.BANDS_USAGE : Help.ALLOCATE_USAGE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.96.0.10", "65536", "-1", "030001", "+30001", "30001.0", "", "3e4", "99999999999999"})
    void staticForAPortRangeTakesAPort(String value) {
        Console c = Console.run("allocate", "30000-32767", "--static", value);
        assertThat(c.code).isEqualTo(2);
        assertThat(c.stdout).isEmpty();
        assertThat(c.err.lines()).containsExactly("error: --static needs a port for the port range 30000-32767 "
                + "(decimal digits, no sign, no leading zero, at most 65535), not " + Messages.quote(value),
                Help.ALLOCATE_USAGE);
    }

    @Test
    void aPortGivenToACidrIsNotAnAddress() {
        Console c = Console.run("allocate", "10.96.0.0/24", "--static", "30000");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.err.lines().findFirst()).hasValueSatisfying(l -> assertThat(l).startsWith("error: ")
                .contains("\"30000\""));
    }

    @Test
    void theSameSeedPrintsTheSamePortsAndTheOptionsAreTheAddressOnes() {
        String first = Console.run("allocate", "30000-32767", "--dynamic", "30", "--seed", "5").out();
        assertThat(Console.run("allocate", "30000-32767", "--dynamic=30", "--seed=5").out()).isEqualTo(first);
        assertThat(Console.run("allocate", "30000-32767", "--dynamic", "30", "--seed", "6").out()).isNotEqualTo(first);
        // Repeated single-value options are refused for ports as for addresses.
        Console c = Console.run("allocate", "30000-32767", "--seed", "1", "--seed", "2");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.err).startsWith("error: --seed is given more than once");
    }

    // ---- inspect and convert of port snapshots

    /** 30000-32767 with 30000 and 30085 (static band) and 30086, 31000 and 32767 (dynamic band). */
    private static NodePortAllocator sample() {
        NodePortAllocator allocator = NodePortAllocator.create(PortRange.parse("30000-32767"));
        for (int port : new int[] {30000, 30085, 30086, 31000, 32767}) {
            allocator.allocate(port);
        }
        return allocator;
    }

    private static final List<String> SAMPLE_SUMMARY = List.of(
            "range:        30000-32767",
            "usable:       2768",
            "band offset:  86",
            "static band:  30000 - 30085 (86 ports), used 2, free 84",
            "dynamic band: 30086 - 32767 (2682 ports), used 3, free 2679",
            "used:         5 of 2768");

    private static byte[] json(RangeAllocation snapshot) {
        return ("{\"kind\":\"RangeAllocation\",\"apiVersion\":\"v1\",\"metadata\":{},\"range\":\"" + snapshot.range()
                + "\",\"data\":\"" + Base64.getEncoder().encodeToString(snapshot.data()) + "\"}\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void inspectReadsPortSnapshotsInEveryForm() {
        NodePortAllocator sample = sample();
        byte[] json = json(sample.snapshot());
        byte[] raw = sample.snapshot().data();
        byte[] compact = sample.compactSnapshot();
        for (Console c : List.of(Console.withInput(json, "inspect"), Console.withInput(raw, "inspect", "--range",
                "30000-32767"), Console.withInput(raw, "inspect", "--range", "30000+2767"),
                Console.withInput(compact, "inspect"))) {
            assertThat(c.err).isEmpty();
            assertThat(c.code).isZero();
            assertThat(c.out().lines().filter(l -> !l.startsWith("form:")).toList()).isEqualTo(SAMPLE_SUMMARY);
        }
        assertThat(Console.withInput(compact, "inspect").out().lines())
                .contains("form:         compact snapshot, " + compact.length + " bytes");
    }

    @Test
    void inspectListsPortsWithPortsAndRefusesTheOtherListing() {
        byte[] compact = sample().compactSnapshot();
        Console c = Console.withInput(compact, "inspect", "--ports");
        assertThat(c.code).isZero();
        assertThat(c.out().lines().skip(7)).containsExactly("ports:", "  30000", "  30085", "  30086", "  31000",
                "  32767");
        c = Console.withInput(compact, "inspect", "--addresses");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.stdout).isEmpty();
        assertThat(c.err.lines()).containsExactly("error: --addresses lists the addresses of a CIDR, but this snapshot"
                + " is of the port range 30000-32767: give --ports", Help.INSPECT_USAGE);
        byte[] addresses = ("{\"range\":\"10.96.0.0/24\",\"data\":\"Ag==\"}").getBytes(StandardCharsets.UTF_8);
        c = Console.withInput(addresses, "inspect", "--ports");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.err.lines()).containsExactly("error: --ports lists the ports of a port range, but this snapshot"
                + " is of the CIDR 10.96.0.0/24: give --addresses", Help.INSPECT_USAGE);
        assertThat(Console.withInput(addresses, "inspect", "--addresses").out().lines()).endsWith("addresses:",
                "  10.96.0.2");
    }

    @Test
    void convertWritesPortSnapshotsByteForByte() {
        NodePortAllocator sample = sample();
        byte[] compact = sample.compactSnapshot();
        Console toJson = Console.withInput(compact, "convert", "--to", "json");
        assertThat(toJson.code).isZero();
        assertThat(toJson.out()).isEqualTo("{\"range\":\"30000-32767\",\"data\":\""
                + Base64.getEncoder().encodeToString(sample.snapshot().data()) + "\"}\n");
        Console toRaw = Console.withInput(toJson.stdout, "convert", "--to", "raw");
        assertThat(toRaw.stdout).isEqualTo(sample.snapshot().data());
        Console back = Console.withInput(toRaw.stdout, "convert", "--range", "30000-32767", "--to", "compact");
        assertThat(back.stdout).isEqualTo(compact);
        NodePortAllocator restored = NodePortAllocator.fromCompactSnapshot(back.stdout);
        assertThat(restored.allocatedPorts().toArray()).containsExactly(30000, 30085, 30086, 31000, 32767);
    }

    @Test
    void badPortSnapshotsAreOneLineExitTwo() {
        // A bit beyond the range of a single port: bit 1 of a range of one.
        Console c = Console.withInput(new byte[] {2}, "inspect", "--range", "8080");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.err.lines()).hasSize(1).allSatisfy(l -> assertThat(l).startsWith("error: ").contains("8080"));
        // A range that is no port range, in the JSON.
        c = Console.withInput("{\"range\":\"32767-30000\",\"data\":null}".getBytes(StandardCharsets.UTF_8), "inspect");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.err.lines()).hasSize(1).allSatisfy(l -> assertThat(l).startsWith("error: ")
                .contains("\"32767-30000\"", "end port cannot be less than start port"));
        // A bad --range for raw data is a bad argument, refused before the input is read, like a bare address.
        c = Console.withInput(new byte[0], "inspect", "--range", "70000");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.err.lines()).containsExactly("error: invalid port range \"70000\": the port range cannot be"
                + " greater than 65535: the port is 70000", Help.INSPECT_USAGE);
        c = Console.withInput(new byte[0], "convert", "--to", "json", "--range", "10.96.0.0");
        assertThat(c.err.lines()).containsExactly("error: invalid CIDR \"10.96.0.0\": has no prefix length"
                + " (expected address/prefix-length)", Help.CONVERT_USAGE);
    }
}
