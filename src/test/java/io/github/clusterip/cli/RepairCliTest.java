package io.github.clusterip.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.PortRange;
import io.github.clusterip.RangeAllocation;
import io.github.clusterip.ServiceCidr;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command repair: reports, passes, --write, both Services forms, and its refusals. */
class RepairCliTest {

    @TempDir
    Path dir;

    private Path cidrFile;
    private Path portsFile;

    /** 10.96.0.0/24 holding 10.96.0.10 (used by no Service), as JSON; 30000-30015 holding 30001, compact. */
    @BeforeEach
    void snapshots() throws IOException {
        ClusterIpAllocator addresses = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/24"));
        addresses.allocate(IpAddress.parse("10.96.0.10"));
        cidrFile = Files.write(dir.resolve("cidr.json"), RangeAllocationJson.write(addresses.snapshot()));
        NodePortAllocator ports = NodePortAllocator.create(PortRange.parse("30000-30015"));
        ports.allocate(30001);
        portsFile = Files.write(dir.resolve("ports.cips"), ports.compactSnapshot());
    }

    private Path services(String json) throws IOException {
        return Files.writeString(dir.resolve("services.json"), json);
    }

    private static final String WEB = "[{\"namespace\":\"default\",\"name\":\"web\",\"clusterIPs\":[\"10.96.0.20\"],"
            + "\"nodePorts\":[30000]}]";

    @Test
    void onePassReportsWhatItFindsAndLeavesTheFiles() throws IOException {
        byte[] cidrBefore = Files.readAllBytes(cidrFile);
        byte[] portsBefore = Files.readAllBytes(portsFile);
        Console c = Console.run("repair", cidrFile.toString(), portsFile.toString(), "--services",
                services(WEB).toString());
        assertThat(c.err).isEmpty();
        assertThat(c.code).isZero();
        assertThat(c.out()).isEqualTo("""
                repair pass 1: 4 findings; ClusterIP errors repair=1; NodePort errors repair=1
                  repair 10.96.0.20 default/web: allocated (ClusterIPNotAllocated: Cluster IP [IPv4]: 10.96.0.20 is not allocated; repairing)
                  leak 10.96.0.10: flagged, seen leaked in 1 of 3 passes (the cluster IP 10.96.0.10 may have leaked: flagging for later clean up)
                  repair port 30000 default/web: allocated (PortNotAllocated: Port 30000 is not allocated; repairing)
                  leak port 30001: flagged, seen leaked in 1 of 3 passes (the node port 30001 may have leaked: flagging for later clean up)
                """);
        assertThat(Files.readAllBytes(cidrFile)).isEqualTo(cidrBefore);
        assertThat(Files.readAllBytes(portsFile)).isEqualTo(portsBefore);
    }

    @Test
    void threePassesReleaseTheLeaksAndWriteWritesEachFileInItsForm() throws IOException {
        Console c = Console.run("repair", cidrFile.toString(), portsFile.toString(), "--services",
                services(WEB).toString(), "--passes", "3", "--write");
        assertThat(c.err).isEmpty();
        assertThat(c.code).isZero();
        List<String> lines = c.out().lines().toList();
        assertThat(lines).contains(
                "repair pass 2: 2 findings; ClusterIP errors none; NodePort errors none",
                "repair pass 3: 2 findings; ClusterIP errors leak=1; NodePort errors leak=1",
                "  leak 10.96.0.10: released after 3 passes (the cluster IP 10.96.0.10 appears to have leaked: cleaning up)",
                "  leak port 30001: released after 3 passes (the node port 30001 appears to have leaked: cleaning up)");
        assertThat(lines.subList(lines.size() - 2, lines.size())).containsExactly(
                "wrote \"" + cidrFile + "\" (10.96.0.0/24, RangeAllocation JSON)",
                "wrote \"" + portsFile + "\" (30000-30015, compact snapshot)");
        RangeAllocation cidr = RangeAllocationJson.read(Files.readAllBytes(cidrFile));
        assertThat(ClusterIpAllocator.fromSnapshot(cidr).allocatedAddresses())
                .containsExactly(IpAddress.parse("10.96.0.20"));
        assertThat(NodePortAllocator.fromCompactSnapshot(Files.readAllBytes(portsFile)).allocatedPorts().boxed())
                .containsExactly(30000);
        // The written state is consistent: a new run finds nothing.
        Console again = Console.run("repair", cidrFile.toString(), portsFile.toString(), "--services",
                services(WEB).toString());
        assertThat(again.out()).isEqualTo("repair pass 1: no problem found\n");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly("cidr.json", "ports.cips", "services.json");
        }
    }

    @Test
    void readsKubectlOutputFromStandardInputWithKubernetesPortRules() throws IOException {
        String list = """
                {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
                  {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "dns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
                   "spec": {"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "type": "NodePort",
                            "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30001},
                                      {"name": "dns-tcp", "port": 53, "protocol": "TCP", "nodePort": 30001},
                                      {"name": "metrics", "port": 9153, "nodePort": 30002}]},
                   "status": {"loadBalancer": {}}},
                  {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "headless", "namespace": "default"},
                   "spec": {"clusterIP": "None", "clusterIPs": ["None"], "ports": [{"port": 80}]}},
                  {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "lb", "namespace": "default"},
                   "spec": {"clusterIP": "10.96.0.30", "type": "LoadBalancer", "healthCheckNodePort": 30003,
                            "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30002}]}}
                ]}
                """;
        Console c = Console.withInput(list.getBytes(StandardCharsets.UTF_8), "repair", cidrFile.toString(),
                portsFile.toString(), "--services", "-");
        assertThat(c.err).isEmpty();
        assertThat(c.code).isZero();
        assertThat(c.out()).isEqualTo("""
                repair pass 1: 4 findings; ClusterIP errors repair=1; NodePort errors repair=2, duplicate=1
                  repair 10.96.0.30 default/lb: allocated (ClusterIPNotAllocated: Cluster IP [IPv4]: 10.96.0.30 is not allocated; repairing)
                  repair port 30002 kube-system/dns: allocated (PortNotAllocated: Port 30002 is not allocated; repairing)
                  duplicate port 30002 default/lb: left to kube-system/dns (PortAlreadyAllocated: Port 30002 was assigned to multiple services; please recreate service)
                  repair port 30003 default/lb: allocated (PortNotAllocated: Port 30003 is not allocated; repairing)
                """);
    }

    @Test
    void helpExplainsTheCommand() {
        Console c = Console.run("help", "repair");
        assertThat(c.code).isZero();
        assertThat(c.out()).startsWith("repair SNAPSHOT... --services FILE|- [--passes N] [--write] [--max-bytes N]\n")
                .contains("--services FILE", "--passes N", "--write", "--max-bytes N", "numRepairsBeforeLeakCleanup",
                        "kubectl get services -A -o json");
        assertThat(Console.run("repair", "--help").out()).isEqualTo(c.out());
        assertThat(Console.run("--help").out()).contains("clusterip repair SNAPSHOT... --services FILE|-",
                "\n  repair SNAPSHOT... --services FILE|- [--passes N]");
    }

    private void refused(int code, String error, String... args) {
        Console c = Console.run(args);
        assertThat(c.err.lines().findFirst().orElse("")).isEqualTo("error: " + error);
        assertThat(c.code).isEqualTo(code);
        assertThat(c.out()).isEmpty();
    }

    @Test
    void badUsageIsRefusedWithOneLine() throws IOException {
        String s = services(WEB).toString();
        String c = cidrFile.toString();
        refused(2, "repair needs at least one snapshot file (of a CIDR or of the NodePort range)",
                "repair", "--services", s);
        refused(2, "repair needs --services FILE, the Services that exist (- for standard input)", "repair", c);
        refused(2, "--passes needs a count from 1 to 100, not 0", "repair", c, "--services", s, "--passes", "0");
        refused(2, "--passes needs a count from 0 to 100 in decimal digits (no sign, no leading zero), not \"101\"",
                "repair", c, "--services", s, "--passes", "101");
        refused(2, "a snapshot must be a file: repair reads standard input only for --services",
                "repair", "-", "--services", s);
        refused(2, "the snapshot file \"" + c + "\" is given twice", "repair", c, c, "--services", s);
        refused(2, "unknown option \"--range\"", "repair", c, "--services", s, "--range", "10.96.0.0/24");
    }

    @Test
    void badInputIsRefusedNamingWhereAndWhat() throws IOException {
        String c = cidrFile.toString();
        String p = portsFile.toString();
        refused(2, "invalid Services JSON at line 2, column 3 (byte 6): expected a value, found ']'",
                "repair", c, "--services", services("[1,\n  ]").toString());
        refused(2, "invalid Services list at line 1, column 15 (byte 14): unknown member \"clusterIP\" of a Service:"
                + " the members are namespace, name, clusterIPs and nodePorts", "repair", c, "--services",
                services("[{\"clusterIP\":\"10.96.0.1\",\"namespace\":\"a\",\"name\":\"b\"}]").toString());
        refused(2, "invalid Services list at line 1, column 31 (byte 30): the Service a/b is given twice (first at"
                + " line 1, column 2 (byte 1))", "repair", c, "--services",
                services("[{\"namespace\":\"a\",\"name\":\"b\"},{\"namespace\":\"a\",\"name\":\"b\"}]").toString());
        refused(2, "invalid Services list at line 1, column 2 (byte 1): invalid owner name \"Web\": a DNS-1123 label"
                + " must consist of lower case alphanumeric characters or '-'", "repair", c, "--services",
                services("[{\"namespace\":\"a\",\"name\":\"Web\"}]").toString());
        refused(2, "invalid Services list at line 1, column 43 (byte 42): a NodePort must be a whole number from 1"
                + " to 65535, found \"0\"", "repair", c, "--services",
                services("[{\"namespace\":\"a\",\"name\":\"b\",\"nodePorts\":[0]}]").toString());
        refused(2, "invalid Services list at line 1, column 1 (byte 0): expected an array of Services or a"
                + " Kubernetes List with \"items\", found an object without an \"items\" array", "repair", c,
                "--services", services("{\"kind\":\"Service\"}").toString());
        Path second = Files.write(dir.resolve("second.json"), Files.readAllBytes(cidrFile));
        refused(2, "\"" + second + "\" and \"" + c + "\" are both snapshots of 10.96.0.0/24: give each CIDR once",
                "repair", c, second.toString(), "--services", services(WEB).toString());
        Path ports2 = Files.write(dir.resolve("ports2.cips"), Files.readAllBytes(portsFile));
        refused(2, "\"" + ports2 + "\" is a second NodePort range snapshot (the first is \"" + p
                + "\"): repair takes at most one", "repair", p, ports2.toString(), "--services", services(WEB).toString());
        Path raw = Files.write(dir.resolve("raw"), new byte[] {1});
        refused(2, "cannot tell the form of \"" + raw + "\": repair reads RangeAllocation JSON (which starts with"
                + " '{') and compact snapshots (which start with \"CIPS\"); convert --range RANGE --to json turns raw"
                + " data into JSON", "repair", raw.toString(), "--services", services(WEB).toString());
        refused(3, "cannot read \"" + dir.resolve("none") + "\": no such file", "repair", dir.resolve("none").toString(),
                "--services", services(WEB).toString());
    }
}
