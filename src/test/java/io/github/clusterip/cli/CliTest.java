package io.github.clusterip.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.Band;
import io.github.clusterip.IpAddress;
import io.github.clusterip.ServiceCidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The commands bands and allocate, the options, the help and the version. */
class CliTest {

    private static final String NL = System.lineSeparator();

    /** Each command and the options it accepts (besides --help and -h); the help must explain each. */
    private static final Map<String, List<String>> OPTIONS = Map.of(
            "bands", List.of(),
            "allocate", List.of("--static", "--dynamic", "--seed", "--sequential"),
            "inspect", List.of("--format", "--range", "--addresses", "--ports", "--max-bytes", "--etcd", "--key",
                    "--timeout"),
            "convert", List.of("--to", "--output", "--format", "--range", "--max-bytes", "--etcd", "--key",
                    "--timeout"),
            "repair", List.of("--services", "--passes", "--write", "--max-bytes"));

    @Test
    void bandsPrintsTheSeedExamplesExactly() {
        Console c = Console.run("bands", "10.96.0.0/24", "10.96.0.0/20", "10.96.0.0/16");
        assertThat(c.code).isZero();
        assertThat(c.err).isEmpty();
        assertThat(c.out().lines()).containsExactly(
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
    void bandsSaysNoneForAnEmptyBandAndOneAddressInTheSingular() {
        Console c = Console.run("bands", "10.96.0.0/28", "10.0.0.0/32", "fd00::/127");
        assertThat(c.code).isZero();
        assertThat(c.out().lines()).contains("  static band:  none",
                "  dynamic band: 10.96.0.1 - 10.96.0.14 (14 addresses)", "  usable:       0", "  dynamic band: none",
                "  dynamic band: fd00::1 - fd00::1 (1 address)");
        assertThat(c.out()).doesNotContain("(1 addresses)");
    }

    @Test
    void allocateLabelsReservedAndAllocatedAddressesWithTheirBands() {
        Console c = Console.run("allocate", "10.96.0.0/24", "--static", "10.96.0.10", "--static", "10.96.0.200",
                "--dynamic", "5", "--seed", "7");
        assertThat(c.code).isZero();
        List<String> lines = c.out().lines().toList();
        assertThat(lines).hasSize(2 + 5 + 2);
        // A --static address is "reserved", whichever band it lands in; never labelled "static".
        assertThat(lines.get(0)).isEqualTo("reserved  10.96.0.10  static band");
        assertThat(lines.get(1)).isEqualTo("reserved  10.96.0.200  dynamic band");
        Set<String> dynamic = new HashSet<>();
        ServiceCidr cidr = ServiceCidr.parse("10.96.0.0/24");
        for (String line : lines.subList(2, 7)) {
            String[] parts = line.split(" +");
            assertThat(parts[0]).isEqualTo("allocated");
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
    void aDynamicAllocationFromTheStaticBandSaysSo() {
        // A /27 has 30 usable addresses, 16 of them static: the 15th dynamic allocation finds the dynamic band full.
        Console c = Console.run("allocate", "10.96.0.0/27", "--dynamic", "15", "--sequential");
        assertThat(c.code).isZero();
        List<String> lines = c.out().lines().toList();
        assertThat(lines.get(13)).isEqualTo("allocated 10.96.0.30  dynamic band");
        assertThat(lines.get(14)).isEqualTo("allocated 10.96.0.1  static band");
        assertThat(lines.subList(15, 17)).containsExactly("static band:  used 1, free 15",
                "dynamic band: used 14, free 0");
    }

    @Test
    void aSlash31SummarySaysNoneLikeBands() {
        Console c = Console.run("allocate", "10.0.0.0/31", "--dynamic", "1");
        assertThat(c.code).isEqualTo(1);
        assertThat(c.err).isEqualTo("error: range is full" + NL);
        assertThat(c.out().lines()).containsExactly("static band:  none", "dynamic band: none");
        Console bands = Console.run("bands", "10.0.0.0/31");
        assertThat(bands.out().lines()).contains("  static band:  none", "  dynamic band: none");
        // A /28 has a dynamic band but no static band.
        Console small = Console.run("allocate", "10.96.0.0/28", "--dynamic", "2");
        assertThat(small.out().lines()).endsWith("static band:  none", "dynamic band: used 2, free 12");
    }

    @Test
    void sameSeedPrintsTheSameAddresses() {
        String first = Console.run("allocate", "10.96.0.0/20", "--dynamic", "20", "--seed", "99").out();
        assertThat(Console.run("allocate", "10.96.0.0/20", "--dynamic", "20", "--seed", "99").out()).isEqualTo(first);
        assertThat(Console.run("allocate", "10.96.0.0/20", "--dynamic", "20", "--seed=-99").out()).isNotEqualTo(first);
    }

    @Test
    void refusedAllocationExitsOneWithTheKubernetesMessage() {
        Console c = Console.run("allocate", "10.96.0.0/24", "--static", "10.96.0.10", "--static", "10.96.0.10");
        assertThat(c.code).isEqualTo(1);
        assertThat(c.err).isEqualTo("error: failed to allocate IP 10.96.0.10: provided IP is already allocated" + NL);
        c = Console.run("allocate", "10.96.0.0/30", "--dynamic", "3");
        assertThat(c.code).isEqualTo(1);
        assertThat(c.err.strip()).isEqualTo("error: range is full");
        assertThat(c.out().lines()).contains("dynamic band: used 2, free 0");
        c = Console.run("allocate", "10.96.0.0/24", "--static", "10.96.0.255");
        assertThat(c.code).isEqualTo(1);
        assertThat(c.err.strip()).isEqualTo("error: the provided IP (10.96.0.255) is not in the valid range. "
                + "The range of valid IPs is 10.96.0.0/24");
    }

    @Test
    void aSlash64PrintsItsExactFreeCountsBeyondLongMaxValue() {
        Console c = Console.run("allocate", "fd00::/64", "--static", "fd00::5", "--dynamic", "2");
        assertThat(c.code).isZero();
        // 2^64 - 1 usable, 256 of them static: 2^64 - 257 dynamic, less the two allocated.
        assertThat(c.out().lines()).contains("static band:  used 1, free 255",
                "dynamic band: used 2, free 18446744073709551357");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "frobnicate", "bands", "bands 10.96.0.5/24", "bands --frob", "allocate", "allocate --dynamic 3",
        "allocate 10.96.0.0/24 --dynamic", "allocate 10.96.0.0/24 --dynamic -1", "allocate 10.96.0.0/24 --dynamic x",
        "allocate 10.96.0.0/24 --seed 1.5", "allocate 10.96.0.0/24 --static 10.96.0.010", "allocate 10.96.0.0/24 extra",
        "allocate fd00::/48 --dynamic 1",
        // repeated single-value options and flags
        "allocate 10.96.0.0/24 --dynamic 1 --dynamic 2", "allocate 10.96.0.0/24 --dynamic 1 --dynamic 1",
        "allocate 10.96.0.0/24 --seed 1 --seed 2", "allocate 10.96.0.0/24 --sequential --sequential",
        "allocate 10.96.0.0/24 --dynamic=1 --dynamic 2", "inspect --format json --format json",
        "inspect --addresses --addresses", "convert --to json --to raw", "convert --to json --output a --output b",
        // signed and odd numbers
        "allocate 10.96.0.0/24 --dynamic +5", "allocate 10.96.0.0/24 --dynamic -0", "allocate 10.96.0.0/24 --dynamic 05",
        "allocate 10.96.0.0/24 --dynamic 00", "allocate 10.96.0.0/24 --dynamic 5.0", "allocate 10.96.0.0/24 --dynamic 1e3",
        "allocate 10.96.0.0/24 --dynamic \u0665", "allocate 10.96.0.0/24 --dynamic 9223372036854775808",
        "allocate 10.96.0.0/24 --dynamic=", "allocate 10.96.0.0/24 --seed +5", "allocate 10.96.0.0/24 --seed -0",
        "allocate 10.96.0.0/24 --seed 007", "allocate 10.96.0.0/24 --seed -9223372036854775809",
        "allocate 10.96.0.0/24 --sequential=yes", "inspect --max-bytes -1", "inspect --max-bytes 2147483640",
        // inspect and convert usage
        "inspect a b", "inspect --format xml", "inspect --format JSON", "inspect --range 10.96.0.0/24 --format json",
        "inspect --format raw", "inspect --frob", "convert", "convert --to yaml", "convert x --to",
        "convert --to json --output=", "help frob", "help bands allocate", "--version now"
    })
    void badArgumentsPrintOneErrorLineAndTheUsageAndExitTwo(String line) {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        Console c = Console.run(args);
        assertThat(c.code).isEqualTo(2);
        assertThat(c.stdout).isEmpty();
        List<String> lines = c.err.lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("error: ").hasSizeGreaterThan("error: ".length() + 5);
        assertThat(lines.get(1)).startsWith("usage: clusterip ");
    }

    @Test
    void repeatedOptionsAndSignedNumbersAreRefusedByName() {
        assertThat(Console.run("allocate", "10.96.0.0/24", "--dynamic", "1", "--dynamic", "2").err)
                .startsWith("error: --dynamic is given more than once");
        assertThat(Console.run("allocate", "10.96.0.0/24", "--seed", "1", "--seed", "1").err)
                .startsWith("error: --seed is given more than once");
        assertThat(Console.run("allocate", "10.96.0.0/24", "--dynamic", "+5").err)
                .startsWith("error: --dynamic needs a count from 0 to 9223372036854775807").contains("\"+5\"");
        assertThat(Console.run("allocate", "10.96.0.0/24", "--dynamic", "05").err).contains("\"05\"");
        // --static is the one option meant to be repeated; 0 and a negative seed are fine.
        assertThat(Console.run("allocate", "10.96.0.0/24", "--static", "10.96.0.1", "--static", "10.96.0.2",
                "--dynamic", "0", "--seed", "-3").code).isZero();
    }

    @Test
    void errorsNameTheBadInputOnOneLine() {
        assertThat(Console.run("bands", "10.96.0.5/24").err).contains("\"10.96.0.5/24\"", "did you mean 10.96.0.0/24?");
        assertThat(Console.run("allocate", "10.96.0.0/24", "--dynamic", "lots").err).contains("\"lots\"");
        assertThat(Console.run("allocate", "10.96.0.0/24", "--frob").err).contains("\"--frob\"");
        // A line feed or a bidi control in an argument cannot forge a line or reorder the message.
        Console c = Console.run("allocate", "10.96.0.0/24", "--frob\nINFO forged\u202e");
        assertThat(c.err.lines()).hasSize(2);
        assertThat(c.err).contains("\\nINFO forged\\u202e").doesNotContain("\u202e");
        c = Console.run("frob" + "x".repeat(1_000_000));
        assertThat(c.err.lines().toList().get(0)).hasSizeLessThan(300).contains("(1000004 characters)");
    }

    @Test
    void helpInAllItsFormsPrintsTheSameFullHelp() {
        Console help = Console.run("--help");
        assertThat(help.code).isZero();
        assertThat(help.err).isEmpty();
        assertThat(Console.run("-h").out()).isEqualTo(help.out());
        assertThat(Console.run("help").out()).isEqualTo(help.out());
        assertThat(help.out()).contains("usage:", "bands CIDR|PORTS...", "allocate CIDR|PORTS", "inspect [FILE|-]",
                "convert [FILE|-]", "--version", "exit codes:");
    }

    @Test
    void helpDocumentsEveryCommandAndEveryOptionWithASentence() {
        String help = Console.run("--help").out();
        for (Map.Entry<String, List<String>> command : OPTIONS.entrySet()) {
            String name = command.getKey();
            Console section = Console.run("help", name);
            assertThat(section.code).isZero();
            assertThat(Console.run(name, "--help").out()).isEqualTo(section.out());
            assertThat(Console.run(name, "-h").out()).isEqualTo(section.out());
            assertThat(help).contains(section.out().substring(0, section.out().indexOf("Numbers")).strip()
                    .lines().findFirst().orElseThrow());
            for (String option : command.getValue()) {
                // Documented: a line of the command's help starts with the option and goes on with words.
                assertThat(section.out().lines().map(String::strip))
                        .as("%s %s in the help", name, option)
                        .anyMatch(l -> l.startsWith(option + " ") && l.matches(".*[a-z]+ [a-z]+.*"));
                // Accepted: the parser does not call it unknown.
                assertThat(Console.run(name, option).err).as("%s %s", name, option).doesNotContain("unknown option");
            }
        }
        // And the help mentions no option that no command accepts, besides the kube-apiserver flags
        // whose syntax the ranges follow.
        Set<String> mentioned = new TreeSet<>();
        Matcher m = Pattern.compile("(?<![\\w-])--[a-z][a-z-]*").matcher(help);
        while (m.find()) {
            mentioned.add(m.group());
        }
        Set<String> known = new TreeSet<>(Set.of("--help", "--version", "--service-cluster-ip-range",
                "--service-node-port-range"));
        OPTIONS.values().forEach(known::addAll);
        assertThat(mentioned).isEqualTo(known);
    }

    @Test
    void helpListsEveryExitCode() {
        String help = Console.run("--help").out();
        for (String code : List.of("0", "1", "2", "3", "4", "5", "141")) {
            assertThat(help.lines()).as("exit code %s", code).anyMatch(l -> l.matches(" +" + code + " +[a-z].*"));
        }
        assertThat(Console.run("help", "inspect").out()).contains("exit codes:", "141");
    }

    @Test
    void versionPrintsTheProjectVersion() throws IOException {
        Console c = Console.run("--version");
        assertThat(c.code).isZero();
        assertThat(c.out()).isEqualTo("clusterip " + projectVersion() + " (Java " + Runtime.version() + ")" + NL);
    }

    /** The project's version as the POM states it (the tests run in the project directory). */
    private static String projectVersion() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher m = Pattern.compile("<artifactId>clusterip-allocator</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(pom);
        assertThat(m.find()).as("version in pom.xml").isTrue();
        return m.group(1);
    }
}
