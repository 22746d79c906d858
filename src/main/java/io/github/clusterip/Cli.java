package io.github.clusterip;

import java.io.PrintStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The command-line entry point of the jar ({@code java -jar clusterip-allocator.jar ...}).
 *
 * <pre>
 * bands CIDR...
 *     prints, for each CIDR, the usable count, the band offset and the two bands
 * allocate CIDR [--static IP]... [--dynamic N] [--seed S] [--sequential]
 *     reserves each --static address, then allocates N addresses dynamically, printing each
 *     address with its band, and ends with the used and free counts of each band
 * </pre>
 *
 * <p>Exit codes: 0 on success, 1 when an allocation is refused (the Kubernetes error is printed),
 * 2 for bad arguments (a one-line error and the usage line are printed).
 */
public final class Cli {

    static final String USAGE = "usage: clusterip bands CIDR... | clusterip allocate CIDR [--static IP]... "
            + "[--dynamic N] [--seed S] [--sequential]";

    private Cli() {
    }

    /**
     * Runs the command line and exits the JVM with its exit code when that is not 0.
     *
     * @param args the command and its arguments
     */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            if (args.length == 0) {
                throw new UsageException("no command given");
            }
            switch (args[0]) {
                case "bands":
                    return bands(args, out);
                case "allocate":
                    return allocate(args, out, err);
                case "-h":
                case "--help":
                case "help":
                    out.println(USAGE);
                    return 0;
                default:
                    throw new UsageException("unknown command \"" + args[0] + "\"");
            }
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
    }

    private static int bands(String[] args, PrintStream out) {
        if (args.length < 2) {
            throw new UsageException("bands needs at least one CIDR");
        }
        List<ServiceCidr> cidrs = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            cidrs.add(parseCidr(args[i]));
        }
        for (ServiceCidr cidr : cidrs) {
            out.println(cidr);
            out.println("  usable:       " + cidr.usableCount());
            out.println("  band offset:  " + cidr.bandOffset());
            out.println("  static band:  " + describe(cidr.staticBand()));
            out.println("  dynamic band: " + describe(cidr.dynamicBand()));
        }
        return 0;
    }

    private static String describe(Optional<IpRange> band) {
        return band.map(r -> r + " (" + r.size() + " addresses)").orElse("none");
    }

    private static int allocate(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2 || args[1].startsWith("--")) {
            throw new UsageException("allocate needs a CIDR");
        }
        ServiceCidr cidr = parseCidr(args[1]);
        List<IpAddress> statics = new ArrayList<>();
        int dynamic = 0;
        ClusterIpAllocator.Builder builder;
        try {
            builder = ClusterIpAllocator.builder(cidr);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        for (int i = 2; i < args.length; i++) {
            String option = args[i];
            switch (option) {
                case "--static":
                    statics.add(parseAddress(valueOf(args, i++)));
                    break;
                case "--dynamic":
                    dynamic = parseCount(valueOf(args, i++));
                    break;
                case "--seed":
                    builder.seed(parseSeed(valueOf(args, i++)));
                    break;
                case "--sequential":
                    builder.scanStrategy(ScanStrategy.SEQUENTIAL);
                    break;
                default:
                    throw new UsageException("unexpected argument \"" + option + "\"");
            }
        }
        ClusterIpAllocator allocator = builder.build();
        try {
            for (IpAddress address : statics) {
                allocator.allocate(address);
                out.println("static   " + address + "  " + bandName(cidr, address));
            }
            for (int n = 0; n < dynamic; n++) {
                IpAddress address = allocator.allocateNext();
                out.println("dynamic  " + address + "  " + bandName(cidr, address));
            }
            return 0;
        } catch (AllocationException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } finally {
            for (Band band : Band.values()) {
                // The exact free count, which free(band) saturates at Long.MAX_VALUE in a /64.
                long used = allocator.used(band);
                Optional<IpRange> range = band == Band.STATIC ? cidr.staticBand() : cidr.dynamicBand();
                BigInteger free = range.map(IpRange::size).orElse(BigInteger.ZERO).subtract(BigInteger.valueOf(used));
                out.printf(Locale.ROOT, "%-13s used %d, free %d%n", bandName(band) + ":", used, free);
            }
        }
    }

    /** Returns the value that follows the option at {@code i}. */
    private static String valueOf(String[] args, int i) {
        if (i + 1 >= args.length) {
            throw new UsageException(args[i] + " needs a value");
        }
        return args[i + 1];
    }

    private static String bandName(ServiceCidr cidr, IpAddress address) {
        return cidr.bandOf(address).map(Cli::bandName).orElse("outside the range");
    }

    private static String bandName(Band band) {
        return band.name().toLowerCase(Locale.ROOT) + " band";
    }

    private static ServiceCidr parseCidr(String text) {
        try {
            return ServiceCidr.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static IpAddress parseAddress(String text) {
        try {
            return IpAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static int parseCount(String text) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--dynamic needs a count from 0 to " + Integer.MAX_VALUE + ", not \"" + text + "\"");
    }

    private static long parseSeed(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new UsageException("--seed needs a whole number, not \"" + text + "\"");
        }
    }

    /** A bad command line: reported in one line, followed by the usage line, exit code 2. */
    private static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message, null, false, false);
        }
    }
}
