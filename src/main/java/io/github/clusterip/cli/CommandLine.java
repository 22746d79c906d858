package io.github.clusterip.cli;

import io.github.clusterip.AllocationException;
import io.github.clusterip.IpAlreadyAllocatedException;
import io.github.clusterip.Band;
import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.IpRange;
import io.github.clusterip.ScanStrategy;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.internal.Messages;
import io.github.clusterip.cli.SnapshotInput.Format;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One run of the command line over given streams; {@link #run(String[])} returns the exit code and
 * never exits the JVM, prints a stack trace or lets a throwable out.
 *
 * <p>Output is checked for errors every {@value #CHECK_EVERY} lines of a long listing and at the
 * end, so that a closed standard output ({@code | head}) ends the run at once with exit code 141
 * and no message. Nothing a run prints is collected in memory: addresses are printed as they are
 * allocated or read.
 */
final class CommandLine {

    /** Points where a long run reports progress; tests use them to inject faults. */
    enum Stage {
        /** Before each dynamic allocation of {@code allocate}. */
        ALLOCATE,
        /** Before a snapshot is decoded. */
        DECODE,
        /** Before each address that {@code inspect --addresses} prints. */
        LIST
    }

    /** Called at each {@link Stage}; does nothing outside tests. */
    @FunctionalInterface
    interface Checkpoint {
        void reached(Stage stage);
    }

    /** A long listing checks its output every this many lines (a power of two). */
    static final int CHECK_EVERY = 1024;

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final Checkpoint checkpoint;

    /** What the run is doing, for the out-of-memory message. */
    private String doing = "starting";
    /** While allocating: the number of addresses allocated so far, and the number asked for. */
    private long allocated = -1;
    private long toAllocate;
    /** Memory freed when the heap runs out, so that the message can still be printed. */
    private byte[] reserve = new byte[64 << 10];

    CommandLine(InputStream in, PrintStream out, PrintStream err, Checkpoint checkpoint) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.checkpoint = checkpoint;
    }

    int run(String[] args) {
        int code;
        try {
            code = dispatch(args);
            if (out.checkError()) { // flushes
                code = ExitCode.CLOSED_OUTPUT;
            }
        } catch (Failure failure) {
            out.flush();
            if (failure.code != ExitCode.CLOSED_OUTPUT) {
                err.println("error: " + oneLine(failure.getMessage()));
                if (failure.usage != null) {
                    err.println(failure.usage);
                }
            }
            code = failure.code;
        } catch (OutOfMemoryError e) {
            reserve = null;
            out.flush();
            err.println(outOfMemory(e));
            code = ExitCode.OUT_OF_MEMORY;
        } catch (Throwable t) { // a bug: one line, never a stack trace
            out.flush();
            err.println("error: internal error: " + t.getClass().getName() + ": " + oneLine(t.getMessage())
                    + " (this is a bug in clusterip; please report this line and the command that printed it)");
            code = ExitCode.INTERNAL_ERROR;
        }
        err.flush();
        return code;
    }

    private int dispatch(String[] args) {
        if (args.length == 0) {
            throw Failure.usage("no command given", Help.USAGE);
        }
        switch (args[0]) {
            case "-h", "--help" -> {
                out.print(Help.all());
                return ExitCode.OK;
            }
            case "help" -> {
                return help(args);
            }
            case "--version" -> {
                if (args.length > 1) {
                    throw Failure.usage("--version takes no arguments", Help.USAGE);
                }
                out.println(version());
                return ExitCode.OK;
            }
            case "bands" -> {
                return bands(args);
            }
            case "allocate" -> {
                return allocate(args);
            }
            case "inspect" -> {
                return inspect(args);
            }
            case "convert" -> {
                return convert(args);
            }
            default -> throw Failure.usage("unknown command " + Messages.quote(args[0]), Help.USAGE);
        }
    }

    private int help(String[] args) {
        if (args.length == 1) {
            out.print(Help.all());
            return ExitCode.OK;
        }
        String text = args.length == 2 ? Help.of(args[1]) : null;
        if (text == null) {
            throw Failure.usage(args.length == 2 ? "no command " + Messages.quote(args[1]) + " to explain"
                    : "help takes at most one command", "usage: clusterip help [bands|allocate|inspect|convert]");
        }
        out.print(text);
        return ExitCode.OK;
    }

    /** The project version, from a resource the build fills in, and the Java version. */
    static String version() {
        String version = null;
        try (InputStream stream = CommandLine.class.getResourceAsStream("version.properties")) {
            if (stream != null) {
                Properties properties = new Properties();
                properties.load(stream);
                version = properties.getProperty("version");
            }
        } catch (IOException | IllegalArgumentException e) {
            version = null;
        }
        if (version == null || version.isBlank() || version.contains("${")) {
            version = "(version unknown)";
        }
        return "clusterip " + version + " (Java " + Runtime.version() + ")";
    }

    // ---- bands

    private int bands(String[] args) {
        Options options = Options.parse(args, 1, Set.of(), Set.of(), Set.of(), Help.BANDS_USAGE);
        if (options.help()) {
            return commandHelp("bands");
        }
        if (options.positionals().isEmpty()) {
            throw Failure.usage("bands needs at least one CIDR", Help.BANDS_USAGE);
        }
        List<ServiceCidr> cidrs = new ArrayList<>();
        for (String text : options.positionals()) {
            cidrs.add(parseCidr(text, Help.BANDS_USAGE));
        }
        for (ServiceCidr cidr : cidrs) {
            out.println(cidr);
            out.println("  usable:       " + cidr.usableCount());
            out.println("  band offset:  " + cidr.bandOffset());
            out.println("  static band:  " + describe(cidr.staticBand()));
            out.println("  dynamic band: " + describe(cidr.dynamicBand()));
        }
        return ExitCode.OK;
    }

    private int commandHelp(String command) {
        out.print(Help.of(command));
        return ExitCode.OK;
    }

    /** A band as "first - last (n addresses)", or "none". */
    static String describe(Optional<IpRange> band) {
        return band.map(r -> r + " (" + addresses(r.size()) + ")").orElse("none");
    }

    static String addresses(BigInteger count) {
        return count + (count.equals(BigInteger.ONE) ? " address" : " addresses");
    }

    // ---- allocate

    private int allocate(String[] args) {
        String usage = Help.ALLOCATE_USAGE;
        Options options = Options.parse(args, 1, Set.of("--sequential"), Set.of("--dynamic", "--seed"),
                Set.of("--static"), usage);
        if (options.help()) {
            return commandHelp("allocate");
        }
        List<String> positionals = options.positionals();
        if (positionals.isEmpty()) {
            throw Failure.usage("allocate needs a CIDR", usage);
        }
        if (positionals.size() > 1) {
            throw Failure.usage("unexpected argument " + Messages.quote(positionals.get(1))
                    + ": allocate takes one CIDR", usage);
        }
        ServiceCidr cidr = parseCidr(positionals.get(0), usage);
        ClusterIpAllocator.Builder builder;
        try {
            builder = ClusterIpAllocator.builder(cidr);
        } catch (IllegalArgumentException e) {
            throw Failure.usage(e.getMessage(), usage);
        }
        List<IpAddress> statics = new ArrayList<>();
        for (String text : options.all("--static")) {
            statics.add(parseAddress(text, usage));
        }
        long dynamic = options.has("--dynamic")
                ? Options.count("--dynamic", options.value("--dynamic"), Long.MAX_VALUE, usage) : 0;
        if (options.has("--seed")) {
            builder.seed(Options.signedLong("--seed", options.value("--seed"), usage));
        }
        if (options.has("--sequential")) {
            builder.scanStrategy(ScanStrategy.SEQUENTIAL);
        }
        ClusterIpAllocator allocator = builder.build();
        int code = ExitCode.OK;
        try {
            doing = "reserving the --static addresses";
            for (IpAddress address : statics) {
                allocator.allocate(address);
                out.println("reserved  " + address + "  " + bandName(cidr, address));
            }
            toAllocate = dynamic;
            for (long n = 0; n < dynamic; n++) {
                allocated = n;
                checkpoint.reached(Stage.ALLOCATE);
                IpAddress address = allocator.allocateNext();
                out.println("allocated " + address + "  " + bandName(cidr, address));
                if ((n & (CHECK_EVERY - 1)) == CHECK_EVERY - 1) {
                    checkOutput();
                }
            }
            allocated = -1;
        } catch (AllocationException e) {
            allocated = -1;
            out.flush();
            // As kube-apiserver reports a requested address in use, with the address first.
            String message = e instanceof IpAlreadyAllocatedException taken
                    ? "failed to allocate IP " + taken.address() + ": " + e.getMessage() : e.getMessage();
            err.println("error: " + oneLine(message));
            code = ExitCode.REFUSED;
        }
        doing = "counting";
        for (Band band : Band.values()) {
            out.printf(Locale.ROOT, "%-13s %s%n", bandName(band) + ":", usedAndFree(cidr, allocator, band));
        }
        return code;
    }

    /** "used U, free F" for a band, exact even beyond Long.MAX_VALUE; "none" if the CIDR has no such band. */
    private static String usedAndFree(ServiceCidr cidr, ClusterIpAllocator allocator, Band band) {
        Optional<IpRange> range = band == Band.STATIC ? cidr.staticBand() : cidr.dynamicBand();
        if (range.isEmpty()) {
            return "none";
        }
        long used = allocator.used(band);
        return "used " + used + ", free " + range.get().size().subtract(BigInteger.valueOf(used));
    }

    private void checkOutput() {
        if (out.checkError()) {
            throw Failure.closedOutput();
        }
    }

    private static String bandName(ServiceCidr cidr, IpAddress address) {
        return cidr.bandOf(address).map(CommandLine::bandName).orElse("outside the range");
    }

    private static String bandName(Band band) {
        return band.name().toLowerCase(Locale.ROOT) + " band";
    }

    // ---- inspect

    private int inspect(String[] args) {
        String usage = Help.INSPECT_USAGE;
        Options options = Options.parse(args, 1, Set.of("--addresses"), Set.of("--format", "--range", "--max-bytes"),
                Set.of(), usage);
        if (options.help()) {
            return commandHelp("inspect");
        }
        Loaded loaded = load(options, "inspect", usage);
        ClusterIpAllocator allocator = loaded.allocator;
        ServiceCidr cidr = allocator.cidr();
        out.println("range:        " + cidr);
        out.println("form:         " + loaded.format.description + ", " + loaded.size
                + (loaded.size == 1 ? " byte" : " bytes"));
        out.println("usable:       " + cidr.usableCount());
        out.println("band offset:  " + cidr.bandOffset());
        for (Band band : Band.values()) {
            Optional<IpRange> range = band == Band.STATIC ? cidr.staticBand() : cidr.dynamicBand();
            String line = range.isEmpty() ? "none" : describe(range) + ", " + usedAndFree(cidr, allocator, band);
            out.printf(Locale.ROOT, "%-13s %s%n", bandName(band) + ":", line);
        }
        out.println("used:         " + Long.toUnsignedString(allocator.used()) + " of " + cidr.usableCount());
        if (options.has("--addresses")) {
            doing = "listing the allocated addresses";
            out.println("addresses:");
            try (Stream<IpAddress> stream = allocator.allocatedAddresses()) {
                Iterator<IpAddress> it = stream.iterator();
                long n = 0;
                while (it.hasNext()) {
                    checkpoint.reached(Stage.LIST);
                    out.println("  " + it.next());
                    if ((++n & (CHECK_EVERY - 1)) == 0) {
                        checkOutput();
                    }
                }
            }
        }
        return ExitCode.OK;
    }

    // ---- convert

    private int convert(String[] args) {
        String usage = Help.CONVERT_USAGE;
        Options options = Options.parse(args, 1, Set.of(),
                Set.of("--to", "--output", "--format", "--range", "--max-bytes"), Set.of(), usage);
        if (options.help()) {
            return commandHelp("convert");
        }
        if (!options.has("--to")) {
            throw Failure.usage("convert needs --to json, --to raw or --to compact", usage);
        }
        Format to = format("--to", options.value("--to"), usage);
        String output = options.value("--output");
        if (output != null && output.isEmpty()) {
            throw Failure.usage("--output needs a file name", usage);
        }
        Loaded loaded = load(options, "convert", usage);
        doing = "encoding the " + to.description;
        byte[] bytes;
        try {
            bytes = switch (to) {
                case JSON -> RangeAllocationJson.write(loaded.allocator.snapshot());
                case RAW -> loaded.allocator.snapshot().data();
                case COMPACT -> loaded.allocator.compactSnapshot();
            };
        } catch (UnsupportedOperationException e) {
            throw Failure.badInput(e.getMessage());
        }
        doing = "writing the " + to.description;
        if (output == null) {
            out.write(bytes, 0, bytes.length);
            checkOutput();
        } else {
            write(output, bytes);
        }
        return ExitCode.OK;
    }

    private static void write(String file, byte[] bytes) {
        String name = Messages.quote(file);
        try {
            Files.write(Path.of(file), bytes);
        } catch (InvalidPathException e) {
            throw Failure.io("cannot write " + name + ": not a valid file name");
        } catch (NoSuchFileException e) {
            throw Failure.io("cannot write " + name + ": no such directory");
        } catch (AccessDeniedException e) {
            throw Failure.io("cannot write " + name + ": permission denied");
        } catch (IOException e) {
            throw Failure.io("cannot write " + name + ": " + e.getMessage());
        }
    }

    // ---- reading snapshots

    /** A decoded snapshot: the allocator holding it, its form and its size in bytes. */
    private record Loaded(ClusterIpAllocator allocator, Format format, int size) {
    }

    private Loaded load(Options options, String command, String usage) {
        List<String> positionals = options.positionals();
        if (positionals.size() > 1) {
            throw Failure.usage("unexpected argument " + Messages.quote(positionals.get(1)) + ": " + command
                    + " reads one file (or standard input)", usage);
        }
        String file = positionals.isEmpty() ? null : positionals.get(0);
        Format forced = options.has("--format") ? format("--format", options.value("--format"), usage) : null;
        String range = options.value("--range");
        if (range != null && forced != null && forced != Format.RAW) {
            throw Failure.usage("--range is for raw input only: a " + forced.option() + " snapshot holds its range",
                    usage);
        }
        if (forced == Format.RAW && range == null) {
            throw Failure.usage("raw input needs --range CIDR: raw data does not hold its range", usage);
        }
        long maxBytes = options.has("--max-bytes") ? Options.count("--max-bytes", options.value("--max-bytes"),
                SnapshotInput.MAX_MAX_BYTES, usage) : SnapshotInput.DEFAULT_MAX_BYTES;
        doing = "reading " + SnapshotInput.nameOf(file);
        byte[] bytes = SnapshotInput.read(file, in, maxBytes);
        Format format = SnapshotInput.detect(bytes, forced, range);
        doing = "decoding the " + format.description + " of " + SnapshotInput.nameOf(file) + " (" + bytes.length
                + " bytes)";
        checkpoint.reached(Stage.DECODE);
        return new Loaded(SnapshotInput.decode(bytes, format, range), format, bytes.length);
    }

    private static Format format(String option, String text, String usage) {
        Format format = Format.of(text);
        if (format == null) {
            throw Failure.usage(option + " needs json, raw or compact, not " + Messages.quote(text), usage);
        }
        return format;
    }

    // ---- arguments and messages

    private static ServiceCidr parseCidr(String text, String usage) {
        try {
            return ServiceCidr.parse(text);
        } catch (IllegalArgumentException e) {
            throw Failure.usage(e.getMessage(), usage);
        }
    }

    private static IpAddress parseAddress(String text, String usage) {
        try {
            return IpAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw Failure.usage(e.getMessage(), usage);
        }
    }

    /** The out-of-memory line: what ran out, while doing what, and what to raise. */
    private String outOfMemory(OutOfMemoryError e) {
        String what = e.getMessage() == null ? "Java heap space" : e.getMessage();
        String activity = allocated >= 0 ? "allocating address " + (allocated + 1) + " of " + toAllocate : doing;
        StringBuilder line = new StringBuilder("error: out of memory (").append(oneLine(what)).append(") while ")
                .append(activity);
        if (what.contains("Metaspace")) {
            line.append("; raise the limit with the java option -XX:MaxMetaspaceSize");
            return line.toString();
        }
        long max = Runtime.getRuntime().maxMemory();
        if (max == Long.MAX_VALUE) {
            line.append("; give the JVM a larger heap with the java option -Xmx");
        } else {
            long mib = Math.max(1, Math.round(max / (double) (1 << 20)));
            line.append(": the Java heap is limited to about ").append(mib)
                    .append(" MiB; raise the limit with the java option -Xmx, for example -Xmx")
                    .append(mib * 2 >= 2048 && mib * 2 % 1024 == 0 ? mib * 2 / 1024 + "g" : mib * 2 + "m");
        }
        return line.toString();
    }

    /**
     * A message fit for one line: control, format and separator characters (which would break the
     * line or reorder what a reader sees) are escaped as {@code \}{@code uXXXX}, and a very long
     * message is cut.
     */
    static String oneLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        StringBuilder line = new StringBuilder(Math.min(message.length(), 2000) + 16);
        for (int i = 0; i < message.length(); i++) {
            if (line.length() >= 2000) {
                line.append("... (message cut at 2000 characters)");
                break;
            }
            char c = message.charAt(i);
            switch (Character.getType(c)) {
                case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR ->
                    line.append(String.format("\\u%04x", (int) c));
                default -> line.append(c);
            }
        }
        return line.toString();
    }
}
