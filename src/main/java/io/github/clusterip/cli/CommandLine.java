package io.github.clusterip.cli;

import io.github.clusterip.AllocationException;
import io.github.clusterip.Band;
import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.PortRange;
import io.github.clusterip.ScanStrategy;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.internal.Messages;
import io.github.clusterip.cli.SnapshotInput.Format;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
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
    /** What is being allocated: "address" or "port". */
    private String unit = "address";
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
            case "repair" -> {
                doing = "repairing";
                return new RepairCommand(in, out).run(args);
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
                    : "help takes at most one command", "usage: clusterip help [bands|allocate|inspect|convert|repair]");
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

    /** What bands prints of one range. */
    private record BandsOf(String range, String usable, int offset, Optional<String> staticBand,
            Optional<String> dynamicBand) {
    }

    private int bands(String[] args) {
        String usage = Help.BANDS_USAGE;
        Options options = Options.parse(args, 1, Set.of(), Set.of(), Set.of(), usage);
        if (options.help()) {
            return commandHelp("bands");
        }
        if (options.positionals().isEmpty()) {
            throw Failure.usage("bands needs at least one CIDR or port range", usage);
        }
        List<BandsOf> ranges = new ArrayList<>();
        for (String text : options.positionals()) {
            if (RangeArgument.isPortRange(text)) {
                PortRange range = RangeArgument.ports(text, usage);
                ranges.add(new BandsOf(range.toString(), Integer.toString(range.size()), range.bandOffset(),
                        range.staticBand().map(Pool.Ports::describe), Optional.of(Pool.Ports.describe(
                                range.dynamicBand()))));
            } else {
                ServiceCidr cidr = RangeArgument.cidr(text, usage);
                ranges.add(new BandsOf(cidr.toString(), cidr.usableCount().toString(), cidr.bandOffset(),
                        cidr.staticBand().map(Pool.Addresses::describe),
                        cidr.dynamicBand().map(Pool.Addresses::describe)));
            }
        }
        for (BandsOf range : ranges) {
            out.println(range.range());
            out.println("  usable:       " + range.usable());
            out.println("  band offset:  " + range.offset());
            out.println("  static band:  " + range.staticBand().orElse("none"));
            out.println("  dynamic band: " + range.dynamicBand().orElse("none"));
        }
        return ExitCode.OK;
    }

    private int commandHelp(String command) {
        out.print(Help.of(command));
        return ExitCode.OK;
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
            throw Failure.usage("allocate needs a CIDR or a port range", usage);
        }
        if (positionals.size() > 1) {
            throw Failure.usage("unexpected argument " + Messages.quote(positionals.get(1))
                    + ": allocate takes one CIDR or port range", usage);
        }
        String text = positionals.get(0);
        Long seed = options.has("--seed") ? Options.signedLong("--seed", options.value("--seed"), usage) : null;
        ScanStrategy strategy = options.has("--sequential") ? ScanStrategy.SEQUENTIAL : ScanStrategy.RANDOM;
        Pool<?> pool;
        if (RangeArgument.isPortRange(text)) {
            NodePortAllocator.Builder builder = NodePortAllocator.builder(RangeArgument.ports(text, usage))
                    .scanStrategy(strategy);
            if (seed != null) {
                builder.seed(seed);
            }
            pool = new Pool.Ports(builder.build());
        } else {
            ClusterIpAllocator.Builder builder;
            try {
                builder = ClusterIpAllocator.builder(RangeArgument.cidr(text, usage));
            } catch (IllegalArgumentException e) {
                throw Failure.usage(e.getMessage(), usage);
            }
            builder.scanStrategy(strategy);
            if (seed != null) {
                builder.seed(seed);
            }
            pool = new Pool.Addresses(builder.build());
        }
        return allocate(pool, options, usage);
    }

    private <T> int allocate(Pool<T> pool, Options options, String usage) {
        List<T> statics = new ArrayList<>();
        for (String text : options.all("--static")) {
            statics.add(pool.parse("--static", text, usage));
        }
        long dynamic = options.has("--dynamic")
                ? Options.count("--dynamic", options.value("--dynamic"), Long.MAX_VALUE, usage) : 0;
        int code = ExitCode.OK;
        try {
            doing = "reserving the --static " + pool.noun();
            for (T item : statics) {
                pool.reserve(item);
                out.println("reserved  " + item + "  " + pool.bandOf(item));
            }
            toAllocate = dynamic;
            unit = pool instanceof Pool.Ports ? "port" : "address";
            for (long n = 0; n < dynamic; n++) {
                allocated = n;
                checkpoint.reached(Stage.ALLOCATE);
                T item = pool.next();
                out.println("allocated " + item + "  " + pool.bandOf(item));
                if ((n & (CHECK_EVERY - 1)) == CHECK_EVERY - 1) {
                    checkOutput();
                }
            }
            allocated = -1;
        } catch (AllocationException e) {
            allocated = -1;
            out.flush();
            err.println("error: " + oneLine(Pool.refusal(e)));
            code = ExitCode.REFUSED;
        }
        doing = "counting";
        for (Band band : Band.values()) {
            out.printf(Locale.ROOT, "%-13s %s%n", Pool.bandName(band) + ":", pool.usedAndFree(band));
        }
        return code;
    }

    private void checkOutput() {
        if (out.checkError()) {
            throw Failure.closedOutput();
        }
    }

    // ---- inspect

    private int inspect(String[] args) {
        String usage = Help.INSPECT_USAGE;
        Options options = Options.parse(args, 1, Set.of("--addresses", "--ports"),
                Set.of("--format", "--range", "--max-bytes", "--etcd", "--key", "--timeout"), Set.of(), usage);
        if (options.help()) {
            return commandHelp("inspect");
        }
        Loaded loaded = load(options, "inspect", usage);
        Pool<?> pool = loaded.pool;
        // Told once the snapshot is read: only then is it known to hold addresses or ports.
        String list = "--" + pool.noun();
        String other = pool instanceof Pool.Ports ? "--addresses" : "--ports";
        if (options.has(other)) {
            throw Failure.usage(other + " lists the " + other.substring(2) + " of a " + (other.equals("--ports")
                    ? "port range" : "CIDR") + ", but this snapshot is of " + (pool instanceof Pool.Ports
                    ? "the port range " : "the CIDR ") + pool.range() + ": give " + list, usage);
        }
        out.println("range:        " + pool.range());
        out.println("form:         " + loaded.format.description + ", " + loaded.size
                + (loaded.size == 1 ? " byte" : " bytes"));
        if (loaded.source != null) {
            out.println("source:       " + loaded.source);
        }
        out.println("usable:       " + pool.usable());
        out.println("band offset:  " + pool.bandOffset());
        for (Band band : Band.values()) {
            String line = pool.describe(band).map(d -> d + ", " + pool.usedAndFree(band)).orElse("none");
            out.printf(Locale.ROOT, "%-13s %s%n", Pool.bandName(band) + ":", line);
        }
        out.println("used:         " + Long.toUnsignedString(pool.used()) + " of " + pool.usable());
        if (options.has(list)) {
            doing = "listing the allocated " + pool.noun();
            out.println(pool.noun() + ":");
            try (Stream<?> stream = pool.allocated()) {
                Iterator<?> it = stream.iterator();
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
                Set.of("--to", "--output", "--format", "--range", "--max-bytes", "--etcd", "--key", "--timeout"), Set.of(),
                usage);
        if (options.help()) {
            return commandHelp("convert");
        }
        if (!options.has("--to")) {
            throw Failure.usage("convert needs --to json, --to raw or --to compact", usage);
        }
        Format to = format("--to", options.value("--to"), usage);
        if (to == Format.PROTOBUF) {
            throw Failure.usage("--to protobuf is not supported: clusterip reads kube-apiserver's stored form but"
                    + " does not write it; give --to json, raw or compact", usage);
        }
        String output = options.value("--output");
        if (output != null && output.isEmpty()) {
            throw Failure.usage("--output needs a file name", usage);
        }
        Loaded loaded = load(options, "convert", usage);
        doing = "encoding the " + to.description;
        byte[] bytes;
        try {
            bytes = switch (to) {
                case JSON -> RangeAllocationJson.write(loaded.pool.snapshot());
                case RAW -> loaded.pool.snapshot().data();
                case COMPACT -> loaded.pool.compactSnapshot();
                case PROTOBUF -> throw new IllegalStateException("refused above");
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
        } catch (IOException e) {
            throw cannotWrite(name, e);
        }
    }

    /** The one-line error for a failed write of the file {@code name} (already quoted). */
    static Failure cannotWrite(String name, IOException e) {
        if (e instanceof NoSuchFileException) {
            return Failure.io("cannot write " + name + ": no such directory");
        }
        if (e instanceof AccessDeniedException) {
            return Failure.io("cannot write " + name + ": permission denied");
        }
        return Failure.io("cannot write " + name + ": " + e.getMessage());
    }

    // ---- reading snapshots

    /**
     * A decoded snapshot: the allocator holding it, its form, its size in bytes, and where it was
     * read when that was etcd (otherwise null).
     */
    private record Loaded(Pool<?> pool, Format format, int size, String source) {
    }

    private Loaded load(Options options, String command, String usage) {
        if (options.has("--etcd") || options.has("--key") || options.has("--timeout")) {
            return loadFromEtcd(options, command, usage);
        }
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
        if (range != null) {
            // Checked before the input is read: a bad --range is a bad argument, not bad input.
            if (RangeArgument.isPortRange(range)) {
                RangeArgument.ports(range, usage);
            } else {
                RangeArgument.cidr(range, usage);
            }
        }
        if (forced == Format.RAW && range == null) {
            throw Failure.usage("raw input needs --range RANGE (a CIDR or a port range): raw data does not hold its range", usage);
        }
        long maxBytes = options.has("--max-bytes") ? Options.count("--max-bytes", options.value("--max-bytes"),
                SnapshotInput.MAX_MAX_BYTES, usage) : SnapshotInput.DEFAULT_MAX_BYTES;
        doing = "reading " + SnapshotInput.nameOf(file);
        byte[] bytes = SnapshotInput.read(file, in, maxBytes);
        Format format = SnapshotInput.detect(bytes, forced, range);
        doing = "decoding the " + format.description + " of " + SnapshotInput.nameOf(file) + " (" + bytes.length
                + " bytes)";
        checkpoint.reached(Stage.DECODE);
        return new Loaded(SnapshotInput.decode(bytes, format, range), format, bytes.length, null);
    }

    /** Reads the snapshot from etcd: --etcd URL --key KEY [--timeout D], nothing else. */
    private Loaded loadFromEtcd(Options options, String command, String usage) {
        if (!options.has("--etcd")) {
            throw Failure.usage((options.has("--key") ? "--key" : "--timeout") + " is for reading from etcd: give"
                    + " --etcd URL too", usage);
        }
        if (!options.has("--key")) {
            throw Failure.usage("--etcd needs --key KEY, such as --key /registry/ranges/serviceips", usage);
        }
        if (!options.positionals().isEmpty()) {
            throw Failure.usage("unexpected argument " + Messages.quote(options.positionals().get(0)) + ": " + command
                    + " reads etcd (--etcd) or a file, not both", usage);
        }
        for (String option : List.of("--format", "--range", "--max-bytes")) {
            if (options.has(option)) {
                throw Failure.usage(option + " is for files; a value read from etcd is kube-apiserver's stored"
                        + " RangeAllocation, in protobuf or JSON, told from its content", usage);
            }
        }
        URI url = EtcdSource.endpoint(options.value("--etcd"), usage);
        String key = options.value("--key");
        if (key.isEmpty()) {
            throw Failure.usage("--key needs a key, such as /registry/ranges/serviceips", usage);
        }
        Duration timeout = options.has("--timeout") ? EtcdSource.timeout(options.value("--timeout"), usage)
                : EtcdSource.DEFAULT_TIMEOUT;
        doing = "reading the key " + Messages.quote(key) + " from etcd";
        EtcdSource.Value value = EtcdSource.read(url, key, timeout);
        byte[] bytes = value.bytes();
        Format format = SnapshotInput.startsWith(bytes, SnapshotInput.PROTOBUF_MAGIC) ? Format.PROTOBUF : Format.JSON;
        doing = "decoding the value of " + Messages.quote(key) + " (" + bytes.length + " bytes)";
        checkpoint.reached(Stage.DECODE);
        return new Loaded(SnapshotInput.decodeStored(bytes), format, bytes.length, "etcd key " + Messages.quote(key)
                + ", mod_revision " + value.modRevision());
    }

    private static Format format(String option, String text, String usage) {
        Format format = Format.of(text);
        if (format == null) {
            throw Failure.usage(option + " needs " + (option.equals("--to") ? "json, raw or compact"
                    : "json, raw, compact or protobuf") + ", not " + Messages.quote(text), usage);
        }
        return format;
    }

    // ---- arguments and messages

    /** The out-of-memory line: what ran out, while doing what, and what to raise. */
    private String outOfMemory(OutOfMemoryError e) {
        String what = e.getMessage() == null ? "Java heap space" : e.getMessage();
        String activity = allocated >= 0 ? "allocating " + unit + " " + (allocated + 1) + " of " + toAllocate : doing;
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
