package io.github.clusterip.cli;

/** The help texts: one section per command, the exit codes, and the usage lines. */
final class Help {

    static final String USAGE = "usage: clusterip bands|allocate|inspect|convert|repair|help ... "
            + "(clusterip --help explains each command)";
    static final String BANDS_USAGE = "usage: clusterip bands CIDR|PORTS...";
    static final String ALLOCATE_USAGE = "usage: clusterip allocate CIDR|PORTS [--static IP|PORT]... [--dynamic N] "
            + "[--seed S] [--sequential]";
    static final String INSPECT_USAGE = "usage: clusterip inspect [FILE|-] [--format F] [--range RANGE] "
            + "[--addresses|--ports] [--max-bytes N] [--etcd URL --key KEY [--timeout D]]";
    static final String CONVERT_USAGE = "usage: clusterip convert [FILE|-] --to F [--output FILE] [--format F] "
            + "[--range RANGE] [--max-bytes N] [--etcd URL --key KEY [--timeout D]]";
    static final String REPAIR_USAGE = "usage: clusterip repair SNAPSHOT... --services FILE|- [--passes N] [--write] "
            + "[--max-bytes N]";

    private static final String INTRO = """
            clusterip: Kubernetes Service ClusterIP and NodePort bands, allocation and snapshots, as
            kube-apiserver does them.

            usage:
              clusterip bands CIDR|PORTS...
              clusterip allocate CIDR|PORTS [--static IP|PORT]... [--dynamic N] [--seed S] [--sequential]
              clusterip inspect [FILE|-] [--format F] [--range RANGE] [--addresses|--ports] [--max-bytes N]
              clusterip inspect --etcd URL --key KEY [--timeout D] [--addresses|--ports]
              clusterip convert [FILE|-] --to F [--output FILE] [--format F] [--range RANGE] [--max-bytes N]
              clusterip convert --etcd URL --key KEY [--timeout D] --to F [--output FILE]
              clusterip repair SNAPSHOT... --services FILE|- [--passes N] [--write] [--max-bytes N]
              clusterip help [COMMAND]    (also --help, -h, and COMMAND --help)
              clusterip --version

            ranges:
              CIDR   a Service CIDR, as kube-apiserver's --service-cluster-ip-range takes it:
                     10.96.0.0/12, fd00:10:96::/108.
              PORTS  a NodePort range, as kube-apiserver's --service-node-port-range takes it:
                     30000-32767 (first-last), 30000+2767 (first+offset: the same range) or 8080
                     (one port). Every port of the range is usable.
              A range with a '/' is a CIDR; one without is a port range, unless it has a '.' or ':', which
              no port range has: "10.96.0.0" is refused as a CIDR that lacks its prefix length.

            """;

    static final String BANDS = """
            bands CIDR|PORTS...
              Prints, for each Service CIDR or NodePort range, its usable address or port count, the band
              offset, and the static and dynamic bands (first and last address or port and size, or "none"
              for a band the range lacks).
            """;

    static final String ALLOCATE = """
            allocate CIDR|PORTS [--static IP|PORT]... [--dynamic N] [--seed S] [--sequential]
              Makes an empty allocator for a CIDR or a NodePort range, reserves each --static address or
              port, then allocates N as kube-apiserver does, printing one line for each: "reserved" or
              "allocated", the address or port, and its band. It ends with the used and free counts of each
              band ("none" for a band the range lacks), also when an allocation is refused.
              --static IP|PORT  reserves this address (for a CIDR) or port (for a port range), in either
                                band; give it again for more.
              --dynamic N       allocates N addresses or ports, from the dynamic band first, then from
                                the static band (default 0).
              --seed S          seeds the random start of each search, so that a run can be repeated.
              --sequential      searches each band from its start instead of from a random point.
            """;

    static final String INSPECT = """
            inspect [FILE|-] [--format F] [--range RANGE] [--addresses|--ports] [--max-bytes N]
            inspect --etcd URL --key KEY [--timeout D] [--addresses|--ports]
              Reads a snapshot of a CIDR or of a NodePort range from FILE, or from standard input when FILE
              is "-" or missing, or the RangeAllocation kube-apiserver keeps in etcd, and prints its range,
              usable count, band offset, both bands with the used and free count of each, and the total
              used count.
              --format F     reads the input as F, one of: json (kube-apiserver's RangeAllocation object:
                             "range" and base64 "data"; other members are ignored), raw (the
                             RangeAllocation's data bytes alone, as stored; needs --range), compact
                             (clusterip's compact snapshot), protobuf (the value kube-apiserver stores in
                             etcd by default: "k8s", a 0 byte, then a runtime.Unknown holding the
                             RangeAllocation, the bytes "etcdctl get" prints as the value). By default
                             the form is told from the input: raw if --range is given, compact if it
                             starts with "CIPS", protobuf if it starts with "k8s" and a 0 byte, json if it
                             starts with '{'. A value encrypted at rest (it starts with "k8s:enc:") is
                             refused with exit code 8. A snapshot whose range is a port range holds ports.
              --range RANGE  the CIDR or port range of raw data, which does not hold it; implies
                             --format raw.
              --addresses    also prints each allocated address of a CIDR snapshot, in ascending order,
                             after the counts.
              --ports        also prints each allocated port of a port range snapshot, in ascending
                             order, after the counts.
              --max-bytes N  refuses input longer than N bytes (default 67108864, 64 MiB; at most
                             2147483639).
              --etcd URL     reads the snapshot from etcd instead of a file, through etcd's v3 JSON
                             gateway (etcd 3.4 or later): URL is a client endpoint, http:// or https://
                             and a host and port only, such as http://127.0.0.1:2379 (no proxy is used;
                             https trusts the JVM's certificate authorities; client certificates are not
                             supported). The value, kube-apiserver's RangeAllocation in protobuf or JSON,
                             is told from its content and read in full (at most 4 MiB); --format, --range
                             and --max-bytes do not apply. Also prints the key and its mod_revision.
              --key KEY      the etcd key to read, with --etcd: /registry/ranges/serviceips for the
                             Service ClusterIPs, /registry/ranges/servicenodeports for the NodePorts
                             (under kube-apiserver's default etcd prefix, /registry).
              --timeout D    how long to wait for etcd to connect and to answer, a whole number and a
                             unit, ms, s or m, from 1ms to 10m (default 5s).
            """;

    static final String CONVERT = """
            convert [FILE|-] --to F [--output FILE] [--format F] [--range RANGE] [--max-bytes N]
            convert --etcd URL --key KEY [--timeout D] --to F [--output FILE]
              Reads a snapshot as inspect does (from a file, standard input or etcd), checks it in full,
              and writes it in another form.
              --to F         writes the form F: json ({"range":"...","data":"..."} and a line feed),
                             raw (the data bytes alone; the range is lost), or compact. The json and raw
                             forms hold one bit per usable address or port, so they are refused for CIDRs
                             of more than 2^24 addresses. kube-apiserver's protobuf form is read but never
                             written.
              --output FILE  writes to FILE (replacing it) instead of standard output.
              --format F     reads the input as F (json, raw, compact or protobuf), as for inspect; by
                             default the form is told from the input.
              --range RANGE  the CIDR or port range of raw input data; implies --format raw.
              --max-bytes N  refuses input longer than N bytes (default 67108864, 64 MiB).
              --etcd URL     reads the snapshot from etcd instead of a file, as for inspect.
              --key KEY      the etcd key to read, with --etcd, as for inspect.
              --timeout D    how long to wait for etcd, as for inspect (default 5s).
            """;

    static final String REPAIR = """
            repair SNAPSHOT... --services FILE|- [--passes N] [--write] [--max-bytes N]
              Checks snapshots against the Services that exist and repairs them as kube-apiserver's repair
              controllers do. Each SNAPSHOT is a file holding a RangeAllocation (JSON or compact, told from
              its content as inspect does; raw data is not read): one per Service CIDR, each CIDR once, and
              at most one of the NodePort range. For each Service, in the order given: a ClusterIP or
              NodePort it uses that is not allocated is allocated for it ("repair"); one used by two Services
              is left to the first ("duplicate"); one outside every CIDR or the port range is left
              ("outOfRange"). An address or port allocated but used by no Service is a leak: it is flagged,
              and released only in the 3rd pass in a row that sees it leaked (kube-apiserver's
              numRepairsBeforeLeakCleanup), so one pass releases nothing. Each pass prints a line with its
              number and counts, then one line per finding: its type, address or port, Service, what was
              done, and kube-apiserver's event reason and message. The exit code is 0 whether or not
              problems were found.
              --services FILE  the Services, as JSON, from FILE or from standard input ("-"): either an array
                               of {"namespace":"default","name":"web","clusterIPs":["10.96.0.10"],
                               "nodePorts":[30080]} (clusterIPs and nodePorts may be left out), or the
                               output of "kubectl get services -A -o json" (a List whose items are read from
                               metadata.namespace and .name, spec.clusterIPs, spec.ports[].nodePort and
                               .protocol, and spec.healthCheckNodePort). Each Service once.
              --passes N       runs N passes in a row (1 to 100, default 1); 3 or more release the leaks.
              --write          writes the repaired state back to each snapshot file, in the form it was
                               read, replacing the file; without it the files are left as they are.
              --max-bytes N    refuses a file longer than N bytes (default 67108864, 64 MiB).
            """;

    static final String HELP = """
            help [COMMAND]
              Prints this help, or the help of one command. --help and -h do the same, before or after a
              command. --version prints the version of clusterip and of Java.
            """;

    static final String NUMBERS = """
            Numbers are decimal digits with no leading zero; only --seed takes a minus sign (+5, -0, 05
            and 5.0 are refused). A single-value option or a flag given twice is refused.
            """;

    static final String EXIT_CODES = """
            exit codes:
              0    success
              1    an allocation was refused (the Kubernetes error is printed)
              2    bad usage or bad input (one line on standard error says what is wrong)
              3    a file could not be read or written
              4    the Java heap ran out (raise it with the java option -Xmx)
              5    internal error (a bug; please report the line printed)
              6    etcd could not be reached, did not answer within --timeout, or answered with an error
              7    the etcd key given with --key does not exist
              8    the snapshot is encrypted at rest by kube-apiserver (it starts with "k8s:enc:"): read it
                   through kube-apiserver, or decrypt it first
              141  standard output was closed (for example by "| head"); nothing is printed
            """;

    private Help() {
    }

    /** The whole help. */
    static String all() {
        return INTRO + "commands:\n" + indent(BANDS) + "\n" + indent(ALLOCATE) + "\n" + indent(INSPECT) + "\n"
                + indent(CONVERT) + "\n" + indent(REPAIR) + "\n" + indent(HELP) + "\n" + NUMBERS + "\n" + EXIT_CODES;
    }

    /** The help of one command, or null if there is no such command. */
    static String of(String command) {
        String section = switch (command) {
            case "bands" -> BANDS;
            case "allocate" -> ALLOCATE;
            case "inspect" -> INSPECT;
            case "convert" -> CONVERT;
            case "repair" -> REPAIR;
            case "help" -> HELP;
            default -> null;
        };
        return section == null ? null : section + "\n" + NUMBERS + "\n" + EXIT_CODES;
    }

    private static String indent(String text) {
        return text.indent(2);
    }
}
