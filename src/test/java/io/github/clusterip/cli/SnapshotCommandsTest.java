package io.github.clusterip.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.RangeAllocation;
import io.github.clusterip.ServiceCidr;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The commands inspect and convert: the three snapshot forms, files and standard input, hostile input. */
class SnapshotCommandsTest {

    private static final String NL = System.lineSeparator();

    @TempDir
    Path dir;

    /** 10.96.0.0/24 with 10.96.0.1 and 10.96.0.10 (static band) and 10.96.0.17 and 10.96.0.254 (dynamic band). */
    private static ClusterIpAllocator sample() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/24"));
        for (String address : List.of("10.96.0.1", "10.96.0.10", "10.96.0.17", "10.96.0.254")) {
            allocator.allocate(IpAddress.parse(address));
        }
        return allocator;
    }

    private static final List<String> SAMPLE_SUMMARY = List.of(
            "range:        10.96.0.0/24",
            "usable:       254",
            "band offset:  16",
            "static band:  10.96.0.1 - 10.96.0.16 (16 addresses), used 2, free 14",
            "dynamic band: 10.96.0.17 - 10.96.0.254 (238 addresses), used 2, free 236",
            "used:         4 of 254");

    /** kube-apiserver's object as a client reads it, with members the reader must skip. */
    private static byte[] kubernetesJson(RangeAllocation snapshot) {
        return ("{\n  \"kind\": \"RangeAllocation\",\n  \"apiVersion\": \"v1\",\n"
                + "  \"metadata\": {\"name\": \"\", \"resourceVersion\": \"1234\", \"creationTimestamp\": null,"
                + " \"labels\": {\"a\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\": \"\u00e9\u4e2d\ud83d\ude00\\ud83d\\ude00\"},"
                + " \"numbers\": [0, -1, 1.5, 2e10, -3.25E-4, 1E+2], \"flags\": [true, false, null, [], {}]},\n"
                + "  \"range\": \"" + snapshot.range() + "\",\n"
                + "  \"data\": \"" + Base64.getEncoder().encodeToString(snapshot.data()) + "\"\n}\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> summary(Console c) {
        return c.out().lines().filter(l -> !l.startsWith("form:")).limit(6).toList();
    }

    @Test
    void inspectReadsKubernetesJsonFromAFileAndFromStandardInput() throws IOException {
        byte[] json = kubernetesJson(sample().snapshot());
        Path file = Files.write(dir.resolve("ra.json"), json);
        for (Console c : List.of(Console.run("inspect", file.toString()), Console.withInput(json, "inspect"),
                Console.withInput(json, "inspect", "-"), Console.withInput(json, "inspect", "--format", "json"))) {
            assertThat(c.err).isEmpty();
            assertThat(c.code).isZero();
            assertThat(summary(c)).isEqualTo(SAMPLE_SUMMARY);
            assertThat(c.out().lines()).contains("form:         RangeAllocation JSON, " + json.length + " bytes");
        }
    }

    @Test
    void inspectReadsRawDataWithItsRange() throws IOException {
        byte[] raw = sample().snapshot().data();
        Path file = Files.write(dir.resolve("ra.bin"), raw);
        for (Console c : List.of(Console.run("inspect", file.toString(), "--range", "10.96.0.0/24"),
                Console.withInput(raw, "inspect", "--range=10.96.0.0/24", "--format", "raw"))) {
            assertThat(c.err).isEmpty();
            assertThat(summary(c)).isEqualTo(SAMPLE_SUMMARY);
            assertThat(c.out().lines()).contains("form:         raw RangeAllocation data, 32 bytes");
        }
        // Empty raw data is an empty allocator.
        Console empty = Console.withInput(new byte[0], "inspect", "--range", "10.0.0.0/31");
        assertThat(empty.code).isZero();
        assertThat(empty.out().lines()).contains("static band:  none", "dynamic band: none", "used:         0 of 0",
                "form:         raw RangeAllocation data, 0 bytes");
    }

    @Test
    void inspectReadsACompactSnapshot() throws IOException {
        byte[] compact = sample().compactSnapshot();
        Path file = Files.write(dir.resolve("snap.cips"), compact);
        for (Console c : List.of(Console.run("inspect", file.toString()), Console.withInput(compact, "inspect"),
                Console.withInput(compact, "inspect", "--format", "compact"))) {
            assertThat(c.err).isEmpty();
            assertThat(summary(c)).isEqualTo(SAMPLE_SUMMARY);
            assertThat(c.out().lines()).contains("form:         compact snapshot, " + compact.length + " bytes");
        }
    }

    @Test
    void inspectListsTheAllocatedAddressesInOrderOnRequest() {
        Console c = Console.withInput(sample().compactSnapshot(), "inspect", "--addresses");
        assertThat(c.code).isZero();
        List<String> lines = c.out().lines().toList();
        assertThat(lines.subList(lines.indexOf("addresses:") + 1, lines.size()))
                .containsExactly("  10.96.0.1", "  10.96.0.10", "  10.96.0.17", "  10.96.0.254");
        assertThat(Console.withInput(sample().compactSnapshot(), "inspect").out()).doesNotContain("addresses:");
    }

    @Test
    void inspectOfALargeIpv6RangeWorksFromACompactSnapshot() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("fd00::/64"));
        allocator.allocate(IpAddress.parse("fd00::5"));
        allocator.allocate(IpAddress.parse("fd00::ffff:ffff:ffff:ffff"));
        Console c = Console.withInput(allocator.compactSnapshot(), "inspect", "--addresses");
        assertThat(c.code).isZero();
        assertThat(c.out().lines()).contains("usable:       18446744073709551615",
                "static band:  fd00::1 - fd00::100 (256 addresses), used 1, free 255",
                "dynamic band: fd00::101 - fd00::ffff:ffff:ffff:ffff (18446744073709551359 addresses), used 1,"
                        + " free 18446744073709551358",
                "used:         2 of 18446744073709551615", "  fd00::5", "  fd00::ffff:ffff:ffff:ffff");
    }

    @Test
    void convertRoundTripsJsonCompactJsonByteForByte() {
        byte[] json = Console.withInput(kubernetesJson(sample().snapshot()), "convert", "--to", "json").stdout;
        assertThat(new String(json, StandardCharsets.UTF_8)).isEqualTo(
                "{\"range\":\"10.96.0.0/24\",\"data\":\"" + Base64.getEncoder().encodeToString(sample().snapshot().data())
                        + "\"}\n");
        Console compact = Console.withInput(json, "convert", "--to", "compact");
        assertThat(compact.code).isZero();
        assertThat(compact.stdout).isEqualTo(sample().compactSnapshot());
        Console back = Console.withInput(compact.stdout, "convert", "--to", "json");
        assertThat(back.code).isZero();
        assertThat(back.stdout).isEqualTo(json);
    }

    @Test
    void convertToRawAndBack() {
        RangeAllocation snapshot = sample().snapshot();
        Console raw = Console.withInput(sample().compactSnapshot(), "convert", "--to", "raw");
        assertThat(raw.stdout).isEqualTo(snapshot.data());
        Console compact = Console.withInput(raw.stdout, "convert", "--range", "10.96.0.0/24", "--to", "compact");
        assertThat(compact.stdout).isEqualTo(sample().compactSnapshot());
        // Leading zero bytes, which Go accepts, are dropped.
        byte[] padded = new byte[snapshot.data().length + 3];
        System.arraycopy(snapshot.data(), 0, padded, 3, snapshot.data().length);
        assertThat(Console.withInput(padded, "convert", "--range", "10.96.0.0/24", "--to", "raw").stdout)
                .isEqualTo(snapshot.data());
    }

    @Test
    void convertWritesToAFile() throws IOException {
        Path in = Files.write(dir.resolve("in.json"), kubernetesJson(sample().snapshot()));
        Path out = dir.resolve("out.cips");
        Files.write(out, new byte[1000]); // replaced
        Console c = Console.run("convert", in.toString(), "--to", "compact", "--output", out.toString());
        assertThat(c.code).isZero();
        assertThat(c.stdout).isEmpty();
        assertThat(Files.readAllBytes(out)).isEqualTo(sample().compactSnapshot());
        Console missingDir = Console.run("convert", in.toString(), "--to", "compact", "--output",
                dir.resolve("no/such/dir/x").toString());
        assertThat(missingDir.code).isEqualTo(3);
        assertThat(missingDir.err).startsWith("error: cannot write ").endsWith(": no such directory" + NL);
    }

    @Test
    void convertOfARangeTooLargeForTheRangeAllocationFormIsOneLineExitTwo() {
        ClusterIpAllocator allocator = ClusterIpAllocator.create(ServiceCidr.parse("fd00::/64"));
        allocator.allocate(IpAddress.parse("fd00::5"));
        for (String to : List.of("json", "raw")) {
            Console c = Console.withInput(allocator.compactSnapshot(), "convert", "--to", to);
            assertThat(c.code).isEqualTo(2);
            assertThat(c.stdout).isEmpty();
            assertThat(c.err.lines()).hasSize(1);
            assertThat(c.err).startsWith("error: cannot snapshot a RangeAllocation of fd00::/64").contains("2^24");
        }
        assertThat(Console.withInput(allocator.compactSnapshot(), "convert", "--to", "compact").stdout)
                .isEqualTo(allocator.compactSnapshot());
    }

    @Test
    void missingAndUnreadableFilesExitThree() throws IOException {
        Console missing = Console.run("inspect", dir.resolve("nope.json").toString());
        assertThat(missing.code).isEqualTo(3);
        assertThat(missing.err).startsWith("error: cannot read \"").endsWith("nope.json\": no such file" + NL);
        Console directory = Console.run("inspect", dir.toString());
        assertThat(directory.code).isEqualTo(3);
        assertThat(directory.err.lines()).hasSize(1);
        assertThat(directory.err).startsWith("error: cannot read ");
        Console nul = Console.run("convert", "a\0b", "--to", "json");
        assertThat(nul.code).isEqualTo(3);
        assertThat(nul.err).isEqualTo("error: cannot read \"a\\u0000b\": not a valid file name" + NL);
    }

    @Test
    void inputOverTheSizeLimitIsRefusedBeforeItIsAllRead() throws IOException {
        byte[] json = kubernetesJson(sample().snapshot());
        Path file = Files.write(dir.resolve("ra.json"), json);
        String limit = Integer.toString(json.length - 1);
        Console fromFile = Console.run("inspect", file.toString(), "--max-bytes", limit);
        assertThat(fromFile.code).isEqualTo(2);
        assertThat(fromFile.err).isEqualTo("error: \"" + file + "\" holds " + json.length + " bytes, more than the limit"
                + " of " + limit + " bytes; --max-bytes N raises the limit" + NL);
        Console fromStdin = Console.withInput(json, "inspect", "--max-bytes", limit);
        assertThat(fromStdin.code).isEqualTo(2);
        assertThat(fromStdin.err).startsWith("error: standard input holds more than " + limit + " bytes");
        assertThat(Console.withInput(json, "inspect", "--max-bytes", Integer.toString(json.length)).code).isZero();

        // An endless input is read only up to the limit.
        AtomicLong read = new AtomicLong();
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                read.incrementAndGet();
                return ' ';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                Arrays.fill(b, off, off + len, (byte) ' ');
                read.addAndGet(len);
                return len;
            }
        };
        Console c = Console.exec(endless, new java.io.ByteArrayOutputStream(), stage -> { }, "inspect");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.err).startsWith("error: standard input holds more than 67108864 bytes");
        assertThat(read.get()).isBetween(SnapshotInput.DEFAULT_MAX_BYTES + 1, SnapshotInput.DEFAULT_MAX_BYTES + 8192);
    }

    @Test
    void kubernetesNullDataIsAnEmptyBitmap() {
        byte[] json = "{\"range\":\"10.96.0.0/24\",\"data\":null}".getBytes(StandardCharsets.UTF_8);
        Console c = Console.withInput(json, "inspect");
        assertThat(c.code).isZero();
        assertThat(c.out().lines()).contains("used:         0 of 254");
        assertThat(Console.withInput(json, "convert", "--to", "json").out())
                .isEqualTo("{\"range\":\"10.96.0.0/24\",\"data\":\"\"}\n");
    }

    static Stream<Arguments> badSnapshots() {
        String data = "\"data\":\"" + Base64.getEncoder().encodeToString(sample().snapshot().data()) + "\"";
        String range = "\"range\":\"10.96.0.0/24\"";
        String ok = "{" + range + "," + data + "}";
        return Stream.of(
                // form
                Arguments.of("", "the input is empty"),
                Arguments.of("   \n", "cannot tell the form of the input"),
                Arguments.of("\ufeff" + ok, "cannot tell the form of the input"),
                Arguments.of("[" + ok + "]", "cannot tell the form of the input"),
                // structure
                Arguments.of(ok + " x", "at byte " + (ok.length() + 1) + ": expected the end of the input after the object"),
                Arguments.of(ok + ok, "at byte " + ok.length() + ": expected the end of the input"),
                Arguments.of("{" + range + "," + data, "expected ',' or '}' after a member of the object, found the end"),
                Arguments.of("{" + range + "," + data + ",}", "expected a member name in double quotes, found '}'"),
                Arguments.of("{'range':1}", "at byte 1: expected a member name in double quotes, found '''"),
                Arguments.of("{\"range\" \"x\"}", "at byte 9: expected ':' after the member name"),
                Arguments.of("{\"a\":[1,]," + range + "," + data + "}", "at byte 8: expected a value, found ']'"),
                Arguments.of("{\"a\":[1 2]}", "at byte 8: expected ',' or ']' in an array"),
                Arguments.of("{\"a\":tru}", "at byte 5: expected a value"),
                Arguments.of("{\"a\":nul}", "at byte 5: expected a value"),
                Arguments.of("{\"a\":01}", "at byte 5: a number must not start with 0 followed by more digits"),
                Arguments.of("{\"a\":-}", "at byte 5: a number needs a digit after its minus sign"),
                Arguments.of("{\"a\":1.}", "at byte 7: a number needs a digit after its decimal point"),
                Arguments.of("{\"a\":1e}", "at byte 7: a number needs a digit in its exponent"),
                Arguments.of("{\"a\":+1}", "at byte 5: expected a value, found '+'"),
                Arguments.of("{\"a\":NaN}", "at byte 5: expected a value, found 'N'"),
                // strings
                Arguments.of("{\"a\":\"abc}", "at byte 5: the string that starts here is not closed"),
                Arguments.of("{\"a\":\"a\nb\"}", "at byte 7: a control character (0x0a) in a string must be escaped"),
                Arguments.of("{\"a\":\"\\x\"}", "at byte 6: unknown escape sequence \\'x'"),
                Arguments.of("{\"a\":\"\\u12G4\"}", "at byte 6: a \\u escape needs four hexadecimal digits"),
                Arguments.of("{\"a\":\"\\ud800\"}", "at byte 6: \\u escape of a high surrogate not followed"),
                Arguments.of("{\"a\":\"\\udc00\"}", "at byte 6: \\u escape of a low surrogate without a high one"),
                // members
                Arguments.of("{}", "at byte 0: the object has no \"range\" member"),
                Arguments.of("{" + range + "}", "at byte 0: the object has no \"data\" member"),
                Arguments.of("{" + data + "}", "the object has no \"range\" member"),
                Arguments.of("{\"range\":24," + data + "}", "at byte 9: \"range\" must be a string, found '2'"),
                Arguments.of("{\"range\":null," + data + "}", "\"range\" must be a string, found 'n'"),
                Arguments.of("{" + range + ",\"data\":[1]}", "\"data\" must be a base64 string or null, found '['"),
                Arguments.of("{" + range + "," + range + "," + data + "}",
                        "at byte 24: \"range\" is given twice (first at byte 1)"),
                Arguments.of("{" + range + "," + data + "," + data + "}", "\"data\" is given twice"),
                // base64 and the library's checks of the content
                Arguments.of("{" + range + ",\"data\":\"AAA\"}", "\"data\" is not standard base64 with padding: its"
                        + " length, 3, is not a multiple of 4"),
                Arguments.of("{" + range + ",\"data\":\"AA.A\"}", "\"data\" is not standard base64: Illegal base64"),
                Arguments.of("{" + range + ",\"data\":\"AA-_\"}", "\"data\" is not standard base64: Illegal base64"),
                Arguments.of("{\"range\":\"10.96.0.5/24\"," + data + "}", "\"10.96.0.5/24\""),
                Arguments.of("{\"range\":\"10.96.0.0/28\"," + data + "}", "10.96.0.0/28"),
                Arguments.of("{\"range\":\"0.0.0.0/0\",\"data\":\"AQ==\"}", "2^24"),
                Arguments.of("CIPS\u0001\u0004", "invalid compact snapshot: "),
                Arguments.of("CIPS" + "x".repeat(100), "invalid compact snapshot: "));
    }

    @ParameterizedTest
    @MethodSource("badSnapshots")
    void badSnapshotsGetOneLineAndExitTwo(String input, String message) {
        for (String command : List.of("inspect", "convert")) {
            String[] args = command.equals("inspect") ? new String[] {"inspect"} : new String[] {"convert", "--to", "json"};
            Console c = Console.withInput(input.getBytes(StandardCharsets.UTF_8), args);
            assertThat(c.code).as(c.err).isEqualTo(2);
            assertThat(c.stdout).isEmpty();
            assertThat(c.err.lines()).hasSize(1);
            assertThat(c.err).startsWith("error: ").contains(message).doesNotContain("\tat ");
        }
    }

    @Test
    void invalidUtf8IsRefusedAtItsOffset() {
        byte[] prefix = "{\"a\":\"".getBytes(StandardCharsets.US_ASCII);
        for (byte[] bad : List.of(new byte[] {(byte) 0xc0, (byte) 0x80}, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                new byte[] {(byte) 0xff}, new byte[] {(byte) 0xe4, (byte) 0xb8}, new byte[] {(byte) 0xf4, (byte) 0x90,
                        (byte) 0x80, (byte) 0x80})) {
            byte[] input = Arrays.copyOf(prefix, prefix.length + bad.length + 2);
            System.arraycopy(bad, 0, input, prefix.length, bad.length);
            input[input.length - 2] = '"';
            input[input.length - 1] = '}';
            Console c = Console.withInput(input, "inspect");
            assertThat(c.code).isEqualTo(2);
            assertThat(c.err).startsWith("error: invalid RangeAllocation JSON at byte 6: invalid UTF-8");
        }
    }

    @Test
    void deepNestingIsRefusedWithoutOverflowingTheStack() {
        String deep = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        Console c = Console.withInput(deep.getBytes(StandardCharsets.US_ASCII), "inspect");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.err).isEqualTo("error: invalid RangeAllocation JSON at byte " + (5 + RangeAllocationJson.MAX_DEPTH - 1)
                + ": objects and arrays are nested more than " + RangeAllocationJson.MAX_DEPTH + " deep" + NL);
        // Nesting up to the limit is fine.
        int depth = RangeAllocationJson.MAX_DEPTH - 1;
        String ok = "{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + ",\"range\":\"10.96.0.0/24\",\"data\":\"\"}";
        assertThat(Console.withInput(ok.getBytes(StandardCharsets.US_ASCII), "inspect").code).isZero();
    }

    @Test
    void hugeStringsAreSkippedOrQuotedShort() {
        String huge = "x".repeat(20_000_000);
        String skipped = "{\"metadata\":{\"annotations\":{\"" + huge + "\":\"" + huge + "\"}},"
                + "\"range\":\"10.96.0.0/24\",\"data\":\"\"}";
        Console c = Console.withInput(skipped.getBytes(StandardCharsets.US_ASCII), "inspect");
        assertThat(c.code).as(c.err).isZero();
        String badRange = "{\"range\":\"1" + "1".repeat(1_000_000) + "\",\"data\":\"\"}";
        Console bad = Console.withInput(badRange.getBytes(StandardCharsets.US_ASCII), "inspect");
        assertThat(bad.code).isEqualTo(2);
        assertThat(bad.err.lines()).hasSize(1);
        assertThat(bad.err).startsWith("error: invalid RangeAllocation JSON at byte 9: \"range\" is too long for a CIDR or a port range:"
                + " \"111").endsWith("...\" (1000001 characters)" + NL);
    }

    @Test
    void aRangeWithControlCharactersCannotForgeALine() {
        String json = "{\"range\":\"10.96.0.0/24\\nINFO forged\",\"data\":\"\"}";
        Console c = Console.withInput(json.getBytes(StandardCharsets.US_ASCII), "inspect");
        assertThat(c.code).isEqualTo(2);
        assertThat(c.err.lines()).hasSize(1);
        assertThat(c.err).contains("INFO forged");
    }
}
