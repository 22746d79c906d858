package io.github.clusterip.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.KubernetesStorageEncoder;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.PortRange;
import io.github.clusterip.RangeAllocation;
import io.github.clusterip.ServiceCidr;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** inspect and convert on kube-apiserver's stored RangeAllocation: files, and the --etcd options without etcd. */
class KubernetesStorageCliTest {

    private static final String NL = System.lineSeparator();

    /** 10.96.0.0/24 with 10.96.0.1 allocated, as kube-apiserver stores it in protobuf (layout in KubernetesStorageTest). */
    private static final byte[] GOLDEN = HexFormat.of().parseHex("6b387300"
            + "0a150a027631120f52616e6765416c6c6f636174696f6e"
            + "12150a020a00120c31302e39362e302e302f32341a0101"
            + "1a002200");

    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) throws IOException {
        Path path = dir.resolve(name);
        Files.write(path, bytes);
        return path;
    }

    @Test
    void inspectsTheProtobufStorageForm() throws IOException {
        Console run = Console.run("inspect", file("serviceips", GOLDEN).toString(), "--addresses");
        assertThat(run.err).isEmpty();
        assertThat(run.code).isZero();
        assertThat(run.out()).isEqualTo(String.join(NL,
                "range:        10.96.0.0/24",
                "form:         kube-apiserver's stored RangeAllocation protobuf, 54 bytes",
                "usable:       254",
                "band offset:  16",
                "static band:  10.96.0.1 - 10.96.0.16 (16 addresses), used 1, free 15",
                "dynamic band: 10.96.0.17 - 10.96.0.254 (238 addresses), used 0, free 238",
                "used:         1 of 254",
                "addresses:",
                "  10.96.0.1", ""));
        Console stdin = Console.withInput(GOLDEN, "inspect", "--format", "protobuf");
        assertThat(stdin.code).isZero();
        assertThat(stdin.out()).isEqualTo(run.out().substring(0, run.out().indexOf("addresses:")));
    }

    @Test
    void inspectsALargeProtobufValueOfPorts() throws IOException {
        NodePortAllocator ports = NodePortAllocator.create(PortRange.parse("30000-32767"));
        ports.allocate(30080);
        ports.allocate(32767);
        Path path = file("servicenodeports", KubernetesStorageEncoder.encode(ports.snapshot()));
        Console run = Console.run("inspect", path.toString(), "--ports");
        assertThat(run.code).as(run.err).isZero();
        assertThat(run.out()).contains("range:        30000-32767" + NL, "used:         2 of 2768" + NL,
                "ports:" + NL + "  30080" + NL + "  32767" + NL);

        ClusterIpAllocator ips = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/12"));
        ips.allocate(IpAddress.parse("10.111.255.254"));
        Console big = Console.run("inspect", file("big", KubernetesStorageEncoder.encode(ips.snapshot())).toString());
        assertThat(big.code).as(big.err).isZero();
        assertThat(big.out()).contains("used:         1 of 1048574" + NL);
    }

    @Test
    void inspectsTheJsonStorageForm() throws IOException {
        String json = "{\"kind\":\"RangeAllocation\",\"apiVersion\":\"v1\",\"metadata\":{\"creationTimestamp\":null},"
                + "\"range\":\"10.96.0.0/24\",\"data\":\"AQ==\"}\n";
        Console run = Console.run("inspect", file("json", json.getBytes(StandardCharsets.UTF_8)).toString());
        assertThat(run.code).as(run.err).isZero();
        assertThat(run.out()).contains("form:         RangeAllocation JSON, 120 bytes" + NL, "used:         1 of 254");
    }

    @Test
    void convertsTheProtobufFormButNeverWritesIt() throws IOException {
        Path path = file("serviceips", GOLDEN);
        Console json = Console.run("convert", path.toString(), "--to", "json");
        assertThat(json.code).as(json.err).isZero();
        assertThat(json.out()).isEqualTo("{\"range\":\"10.96.0.0/24\",\"data\":\"AQ==\"}\n");
        Console protobuf = Console.run("convert", path.toString(), "--to", "protobuf");
        assertThat(protobuf.code).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(protobuf.err).startsWith("error: --to protobuf is not supported: clusterip reads kube-apiserver's"
                + " stored form but does not write it; give --to json, raw or compact" + NL);
        assertThat(protobuf.stdout).isEmpty();
    }

    @Test
    void anEncryptedValueEndsWithExitCode8() throws IOException {
        byte[] encrypted = "k8s:enc:kms:v2:my-kms:\u0001\u0002".getBytes(StandardCharsets.ISO_8859_1);
        for (String[] args : new String[][] {{"inspect", file("enc", encrypted).toString()},
                {"inspect", "--format", "protobuf", dir.resolve("enc").toString()},
                {"convert", dir.resolve("enc").toString(), "--to", "json"}}) {
            Console run = Console.run(args);
            assertThat(run.code).isEqualTo(ExitCode.ENCRYPTED).isEqualTo(8);
            assertThat(run.err).isEqualTo("error: the stored value is encrypted at rest (prefix \"k8s:enc:kms:v2:my-kms:\","
                    + " provider \"kms\"): read it through kube-apiserver, or decrypt it first" + NL);
            assertThat(run.stdout).isEmpty();
        }
    }

    @Test
    void aBrokenProtobufValueIsBadInputWithItsOffset() throws IOException {
        byte[] cut = Arrays.copyOf(GOLDEN, 30);
        Console run = Console.run("inspect", file("cut", cut).toString());
        assertThat(run.code).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(run.err).isEqualTo("error: invalid RangeAllocation protobuf at byte 28 (in the runtime.Unknown): the"
                + " length of field 2 (raw) is 21 bytes, but only 1 remain in the runtime.Unknown" + NL);
        byte[] service = KubernetesStorageEncoder.unknown(KubernetesStorageEncoder.typeMeta("v1", "Service"),
                new byte[0], "", "");
        Console kind = Console.run("inspect", file("service", service).toString());
        assertThat(kind.code).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(kind.err).contains("has kind \"Service\", not \"RangeAllocation\"");
    }

    // ---- --etcd, without etcd

    @Test
    void etcdOptionErrorsAreUsageErrors() throws IOException {
        String path = file("serviceips", GOLDEN).toString();
        assertUsage("--etcd needs an http:// or https:// URL such as http://127.0.0.1:2379, not \"ftp://127.0.0.1:2379\""
                + " (scheme \"ftp\")", "inspect", "--etcd", "ftp://127.0.0.1:2379", "--key", "/k");
        Console noScheme = Console.run("inspect", "--etcd", "127.0.0.1:2379", "--key", "/k");
        assertThat(noScheme.code).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(noScheme.err).startsWith("error: --etcd needs an http:// or https:// URL such as"
                + " http://127.0.0.1:2379, not \"127.0.0.1:2379\"");
        assertUsage("--etcd needs an http:// or https:// URL such as http://127.0.0.1:2379, not \"/tmp/etcd.sock\""
                + " (no scheme)", "inspect", "--etcd", "/tmp/etcd.sock", "--key", "/k");
        assertUsage("--etcd needs the URL of an etcd client endpoint: a scheme, a host and a port only, such as"
                + " http://127.0.0.1:2379, not \"http://127.0.0.1:2379/v3/kv/range\"",
                "inspect", "--etcd", "http://127.0.0.1:2379/v3/kv/range", "--key", "/k");
        assertUsage("--etcd needs --key KEY, such as --key /registry/ranges/serviceips",
                "inspect", "--etcd", "http://127.0.0.1:2379");
        assertUsage("--key is for reading from etcd: give --etcd URL too", "inspect", "--key", "/k", path);
        assertUsage("--timeout is for reading from etcd: give --etcd URL too", "inspect", "--timeout", "1s", path);
        assertUsage("unexpected argument \"" + path + "\": inspect reads etcd (--etcd) or a file, not both",
                "inspect", path, "--etcd", "http://127.0.0.1:2379", "--key", "/k");
        assertUsage("--format is for files; a value read from etcd is kube-apiserver's stored RangeAllocation, in"
                + " protobuf or JSON, told from its content",
                "inspect", "--etcd", "http://127.0.0.1:2379", "--key", "/k", "--format", "json");
        assertUsage("--key needs a key, such as /registry/ranges/serviceips",
                "inspect", "--etcd", "http://127.0.0.1:2379", "--key", "");
        for (String bad : new String[] {"5", "0s", "11m", "1.5s", "-1s", "05s", "1h"}) {
            assertUsage("--timeout needs a duration from 1ms to 10m, a whole number and a unit (ms, s or m) such as 5s"
                    + " or 500ms, not \"" + bad + "\"",
                    "inspect", "--etcd", "http://127.0.0.1:2379", "--key", "/k", "--timeout", bad);
        }
        Console convert = Console.run("convert", "--etcd", "gopher://x", "--key", "/k", "--to", "json");
        assertThat(convert.code).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(convert.err).endsWith(Help.CONVERT_USAGE + NL);
    }

    private static void assertUsage(String message, String... args) {
        Console run = Console.run(args);
        assertThat(run.code).as(run.err).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(run.err).isEqualTo("error: " + message + NL + Help.INSPECT_USAGE + NL);
        assertThat(run.stdout).isEmpty();
    }

    @Test
    void aClosedLoopbackPortIsUnreachable() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        Console run = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> Console.run("inspect", "--etcd", url, "--key", "/registry/ranges/serviceips"));
        assertThat(run.code).isEqualTo(ExitCode.ETCD_UNAVAILABLE).isEqualTo(6);
        assertThat(run.err).isEqualTo("error: cannot reach etcd at \"" + url + "\": connection refused" + NL);
        assertThat(run.stdout).isEmpty();
    }

    @Test
    void anEndpointThatNeverAnswersTimesOut() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (Socket accepted = server.accept()) {
                    accepted.getInputStream().readAllBytes(); // never answers
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String url = "http://127.0.0.1:" + server.getLocalPort();
            long start = System.nanoTime();
            Console run = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> Console.run("inspect", "--etcd", url,
                    "--key", "/registry/ranges/serviceips", "--timeout", "300ms"));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(run.code).isEqualTo(ExitCode.ETCD_UNAVAILABLE);
            assertThat(run.err).isEqualTo("error: etcd at \"" + url + "\" did not answer within 300ms (--timeout)" + NL);
            assertThat(millis).isGreaterThanOrEqualTo(250).isLessThan(5000);
        }
    }

    @Test
    void helpDocumentsTheNewOptionsAndExitCodes() {
        Console run = Console.run("inspect", "--help");
        assertThat(run.code).isZero();
        assertThat(run.out()).contains("--etcd URL", "--key KEY", "--timeout D", "protobuf",
                "/registry/ranges/serviceips", "/registry/ranges/servicenodeports", "(default 5s)",
                "  6    etcd could not be reached", "  7    the etcd key given with --key does not exist",
                "  8    the snapshot is encrypted at rest");
        assertThat(Console.run("--help").out()).contains("clusterip inspect --etcd URL --key KEY [--timeout D]");
    }

    @Test
    void theDecodedSnapshotIsTheCoreDecodersResult() {
        assertThat(RangeAllocation.fromKubernetesStorage(GOLDEN))
                .isEqualTo(new RangeAllocation("10.96.0.0/24", new byte[] {1}));
    }
}
