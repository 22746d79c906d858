package io.github.clusterip.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.etcd.testing.EtcdCluster;
import io.github.clusterip.store.StoreWrite;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code clusterip inspect --etcd} against a real etcd holding values in kube-apiserver's storage
 * forms, run as a user runs it: the core's command line in a JVM of its own.
 */
class InspectFromEtcdTest {

    /** 10.96.0.0/24 with 10.96.0.1 allocated, in kube-apiserver's protobuf storage form. */
    private static final byte[] GOLDEN = HexFormat.of().parseHex("6b387300"
            + "0a150a027631120f52616e6765416c6c6f636174696f6e"
            + "12150a020a00120c31302e39362e302e302f32341a0101"
            + "1a002200");

    private static EtcdCluster etcd;
    private static String client;

    @BeforeAll
    static void start() {
        etcd = EtcdCluster.startSingle();
        client = etcd.endpoints().get(0);
        try (EtcdKeyValueStore store = EtcdKeyValueStore.builder().endpoints(client).build()) {
            store.commit(List.of(), List.of(
                    StoreWrite.put("/registry/ranges/serviceips", GOLDEN),
                    StoreWrite.put("/registry/ranges/servicenodeports", ("{\"kind\":\"RangeAllocation\",\"apiVersion\":\"v1\","
                            + "\"metadata\":{\"creationTimestamp\":null},\"range\":\"30000-32767\",\"data\":\"AQ==\"}\n")
                            .getBytes(StandardCharsets.UTF_8)),
                    StoreWrite.put("/registry/ranges/encrypted",
                            "k8s:enc:aescbc:v1:key1:\u0001\u0002".getBytes(StandardCharsets.ISO_8859_1))));
        }
    }

    @AfterAll
    static void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private record Run(int code, String out, String err) {
    }

    private static Run cli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.github.clusterip.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the command line did not end: " + cmd);
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void inspectsTheServiceIpsOfKubeApiserversProtobufForm() throws Exception {
        Run run = cli("inspect", "--etcd", client, "--key", "/registry/ranges/serviceips", "--addresses");
        assertThat(run.err()).isEmpty();
        assertThat(run.code()).isZero();
        assertThat(run.out().lines().toList()).containsExactly(
                "range:        10.96.0.0/24",
                "form:         kube-apiserver's stored RangeAllocation protobuf, 54 bytes",
                run.out().lines().toList().get(2),
                "usable:       254",
                "band offset:  16",
                "static band:  10.96.0.1 - 10.96.0.16 (16 addresses), used 1, free 15",
                "dynamic band: 10.96.0.17 - 10.96.0.254 (238 addresses), used 0, free 238",
                "used:         1 of 254",
                "addresses:",
                "  10.96.0.1");
        assertThat(run.out().lines().toList().get(2)).matches("source:       etcd key \"/registry/ranges/serviceips\", mod_revision \\d+");
    }

    @Test
    void inspectsTheNodePortsOfTheJsonFormAndConvertsTheProtobufOne() throws Exception {
        Run run = cli("inspect", "--etcd", client + "/", "--key", "/registry/ranges/servicenodeports", "--ports", "--timeout", "2s");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("range:        30000-32767\n", "used:         1 of 2768\n", "ports:\n  30000\n");
        Run json = cli("convert", "--etcd", client, "--key", "/registry/ranges/serviceips", "--to", "json");
        assertThat(json.code()).as(json.err()).isZero();
        assertThat(json.out()).isEqualTo("{\"range\":\"10.96.0.0/24\",\"data\":\"AQ==\"}\n");
    }

    @Test
    void aMissingKeyAnEncryptedValueAndAClosedPortAreOneLineErrorsWithTheirExitCodes() throws Exception {
        Run missing = cli("inspect", "--etcd", client, "--key", "/registry/ranges/none");
        assertThat(missing.code()).isEqualTo(7);
        assertThat(missing.err()).isEqualTo("error: etcd at \"" + client + "\" has no key \"/registry/ranges/none\"\n");
        assertThat(missing.out()).isEmpty();

        Run encrypted = cli("inspect", "--etcd", client, "--key", "/registry/ranges/encrypted");
        assertThat(encrypted.code()).isEqualTo(8);
        assertThat(encrypted.err()).isEqualTo("error: the stored value is encrypted at rest (prefix \"k8s:enc:aescbc:v1:key1:\","
                + " provider \"aescbc\"): read it through kube-apiserver, or decrypt it first\n");

        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Run closed = cli("inspect", "--etcd", "http://127.0.0.1:" + port, "--key", "/k", "--timeout", "1s");
        assertThat(closed.code()).isEqualTo(6);
        assertThat(closed.err()).contains("connection refused").doesNotContain("\tat ");
        assertThat(closed.err().lines().count()).isEqualTo(1);
    }
}
