package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CliTest {

    private String out;
    private String err;

    private int run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code;
        try (PrintStream po = new PrintStream(o, true, StandardCharsets.UTF_8);
                PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8)) {
            code = Cli.run(args, po, pe);
        }
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void bandsPrintsTheSeedExamplesExactly() {
        assertThat(run("bands", "10.96.0.0/24", "10.96.0.0/20", "10.96.0.0/16")).isZero();
        assertThat(err).isEmpty();
        assertThat(out.lines()).containsExactly(
                "10.96.0.0/24",
                "  usable:       254",
                "  band offset:  16",
                "  static band:  10.96.0.1 - 10.96.0.16 (16 addresses)",
                "  dynamic band: 10.96.0.17 - 10.96.0.254 (238 addresses)",
                "10.96.0.0/20",
                "  usable:       4094",
                "  band offset:  256",
                "  static band:  10.96.0.1 - 10.96.1.0 (256 addresses)",
                "  dynamic band: 10.96.1.1 - 10.96.15.254 (3838 addresses)",
                "10.96.0.0/16",
                "  usable:       65534",
                "  band offset:  256",
                "  static band:  10.96.0.1 - 10.96.1.0 (256 addresses)",
                "  dynamic band: 10.96.1.1 - 10.96.255.254 (65278 addresses)");
    }

    @Test
    void bandsSaysNoneForAnEmptyBand() {
        assertThat(run("bands", "10.96.0.0/28", "10.0.0.0/32")).isZero();
        assertThat(out.lines()).contains("  static band:  none", "  dynamic band: 10.96.0.1 - 10.96.0.14 (14 addresses)",
                "  usable:       0", "  dynamic band: none");
    }

    @Test
    void allocatePrintsEachAddressWithItsBandAndEndsWithCounts() {
        assertThat(run("allocate", "10.96.0.0/24", "--static", "10.96.0.10", "--static", "10.96.0.200",
                "--dynamic", "5", "--seed", "7")).isZero();
        List<String> lines = out.lines().toList();
        assertThat(lines).hasSize(2 + 5 + 2);
        assertThat(lines.get(0)).isEqualTo("static   10.96.0.10  static band");
        assertThat(lines.get(1)).isEqualTo("static   10.96.0.200  dynamic band");
        Set<String> dynamic = new HashSet<>();
        ServiceCidr cidr = ServiceCidr.parse("10.96.0.0/24");
        for (String line : lines.subList(2, 7)) {
            String[] parts = line.split(" +");
            assertThat(parts[0]).isEqualTo("dynamic");
            IpAddress address = IpAddress.parse(parts[1]);
            assertThat(cidr.bandOf(address)).contains(Band.DYNAMIC);
            assertThat(line).endsWith("  dynamic band");
            assertThat(dynamic.add(parts[1])).as("duplicate %s", parts[1]).isTrue();
        }
        assertThat(dynamic).doesNotContain("10.96.0.200");
        assertThat(lines.get(7)).isEqualTo("static band:  used 1, free 15");
        assertThat(lines.get(8)).isEqualTo("dynamic band: used 6, free 232");
    }

    @Test
    void sameSeedPrintsTheSameAddresses() {
        run("allocate", "10.96.0.0/20", "--dynamic", "20", "--seed", "99");
        String first = out;
        run("allocate", "10.96.0.0/20", "--dynamic", "20", "--seed", "99");
        assertThat(out).isEqualTo(first);
    }

    @Test
    void refusedAllocationExitsOneWithTheKubernetesMessage() {
        assertThat(run("allocate", "10.96.0.0/24", "--static", "10.96.0.10", "--static", "10.96.0.10")).isEqualTo(1);
        assertThat(err).isEqualTo("error: failed to allocate IP 10.96.0.10: provided IP is already allocated"
                + System.lineSeparator());
        assertThat(run("allocate", "10.96.0.0/30", "--dynamic", "3")).isEqualTo(1);
        assertThat(err.strip()).isEqualTo("error: range is full");
        assertThat(out.lines()).contains("dynamic band: used 2, free 0");
        assertThat(run("allocate", "10.96.0.0/24", "--static", "10.96.0.255")).isEqualTo(1);
        assertThat(err.strip()).isEqualTo("error: the provided IP (10.96.0.255) is not in the valid range. "
                + "The range of valid IPs is 10.96.0.0/24");
    }

    @Test
    void aSlash64PrintsItsExactFreeCountsBeyondLongMaxValue() {
        assertThat(run("allocate", "fd00::/64", "--static", "fd00::5", "--dynamic", "2")).isEqualTo(0);
        // 2^64 - 1 usable, 256 of them static: 2^64 - 257 dynamic, less the two allocated.
        assertThat(out.lines()).contains("static band:  used 1, free 255",
                "dynamic band: used 2, free 18446744073709551357");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "frobnicate", "bands", "bands 10.96.0.5/24", "allocate", "allocate --dynamic 3",
        "allocate 10.96.0.0/24 --dynamic", "allocate 10.96.0.0/24 --dynamic -1", "allocate 10.96.0.0/24 --dynamic x",
        "allocate 10.96.0.0/24 --seed 1.5", "allocate 10.96.0.0/24 --static 10.96.0.010", "allocate 10.96.0.0/24 extra",
        "allocate fd00::/48 --dynamic 1"
    })
    void badArgumentsPrintOneErrorLineAndTheUsageAndExitTwo(String line) {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        assertThat(run(args)).isEqualTo(2);
        assertThat(out).isEmpty();
        List<String> lines = err.lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("error: ").hasSizeGreaterThan("error: ".length() + 5);
        assertThat(lines.get(1)).isEqualTo(Cli.USAGE);
    }

    @Test
    void errorsNameTheBadInput() {
        run("bands", "10.96.0.5/24");
        assertThat(err).contains("\"10.96.0.5/24\"", "did you mean 10.96.0.0/24?");
        run("allocate", "10.96.0.0/24", "--dynamic", "lots");
        assertThat(err).contains("\"lots\"");
        run("allocate", "10.96.0.0/24", "--frob");
        assertThat(err).contains("\"--frob\"");
    }

    @Test
    void helpPrintsUsageAndSucceeds() {
        assertThat(run("--help")).isZero();
        assertThat(out.strip()).isEqualTo(Cli.USAGE);
    }
}
