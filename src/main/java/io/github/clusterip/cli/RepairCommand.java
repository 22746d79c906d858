package io.github.clusterip.cli;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.RangeAllocation;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import io.github.clusterip.cli.SnapshotInput.Format;
import io.github.clusterip.internal.Messages;
import io.github.clusterip.service.ExistingService;
import io.github.clusterip.service.Repair;
import io.github.clusterip.service.RepairReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code repair} command: loads CIDR snapshots and at most one NodePort range snapshot into a
 * {@link ServiceCidrSet} and a {@link NodePortAllocator}, runs {@code --passes} passes of
 * {@link Repair} against a Services list, prints each pass's report and, with {@code --write},
 * writes the repaired state back to each snapshot file in the form it was read.
 */
final class RepairCommand {

    /** The most passes one run may ask for. */
    static final int MAX_PASSES = 100;

    /** A snapshot file as read: its name, its form, and for a CIDR its CIDR. */
    private record Snapshot(String file, Format format, ServiceCidr cidr) {
    }

    private final InputStream in;
    private final PrintStream out;

    RepairCommand(InputStream in, PrintStream out) {
        this.in = in;
        this.out = out;
    }

    int run(String[] args) {
        String usage = Help.REPAIR_USAGE;
        Options options = Options.parse(args, 1, Set.of("--write"), Set.of("--services", "--passes", "--max-bytes"),
                Set.of(), usage);
        if (options.help()) {
            out.print(Help.of("repair"));
            return ExitCode.OK;
        }
        if (options.positionals().isEmpty()) {
            throw Failure.usage("repair needs at least one snapshot file (of a CIDR or of the NodePort range)", usage);
        }
        if (!options.has("--services")) {
            throw Failure.usage("repair needs --services FILE, the Services that exist (- for standard input)", usage);
        }
        String servicesFile = options.value("--services");
        if (servicesFile.isEmpty()) {
            throw Failure.usage("--services needs a file name, or - for standard input", usage);
        }
        int passes = options.has("--passes")
                ? (int) Options.count("--passes", options.value("--passes"), MAX_PASSES, usage) : 1;
        if (passes == 0) {
            throw Failure.usage("--passes needs a count from 1 to " + MAX_PASSES + ", not 0", usage);
        }
        long maxBytes = options.has("--max-bytes") ? Options.count("--max-bytes", options.value("--max-bytes"),
                SnapshotInput.MAX_MAX_BYTES, usage) : SnapshotInput.DEFAULT_MAX_BYTES;
        Map<String, Integer> names = new HashMap<>();
        for (String file : options.positionals()) {
            if (file.equals("-")) {
                throw Failure.usage("a snapshot must be a file: repair reads standard input only for --services",
                        usage);
            }
            if (names.putIfAbsent(file, 1) != null) {
                throw Failure.usage("the snapshot file " + Messages.quote(file) + " is given twice", usage);
            }
        }

        ServiceCidrSet.Builder setBuilder = ServiceCidrSet.builder();
        List<RangeAllocation> cidrSnapshots = new ArrayList<>();
        List<Snapshot> snapshots = new ArrayList<>();
        Map<ServiceCidr, String> cidrFiles = new HashMap<>();
        NodePortAllocator ports = null;
        String portsFile = null;
        for (String file : options.positionals()) {
            byte[] bytes = SnapshotInput.read(file, in, maxBytes);
            Format format = formatOf(bytes, file);
            Pool<?> pool = SnapshotInput.decode(bytes, format, null);
            if (pool instanceof Pool.Ports p) {
                if (ports != null) {
                    throw Failure.badInput(SnapshotInput.nameOf(file) + " is a second NodePort range snapshot (the"
                            + " first is " + SnapshotInput.nameOf(portsFile) + "): repair takes at most one");
                }
                ports = p.allocator();
                portsFile = file;
                snapshots.add(new Snapshot(file, format, null));
            } else {
                ClusterIpAllocator allocator = ((Pool.Addresses) pool).allocator();
                ServiceCidr cidr = allocator.cidr();
                String before = cidrFiles.putIfAbsent(cidr, file);
                if (before != null) {
                    throw Failure.badInput(SnapshotInput.nameOf(file) + " and " + SnapshotInput.nameOf(before)
                            + " are both snapshots of " + cidr + ": give each CIDR once");
                }
                setBuilder.add(cidr);
                cidrSnapshots.add(allocator.snapshot());
                snapshots.add(new Snapshot(file, format, cidr));
            }
        }
        List<ExistingService> services = ServicesJson.read(SnapshotInput.read(servicesFile, in, maxBytes));

        Repair.Builder repairBuilder = Repair.builder();
        if (!cidrSnapshots.isEmpty()) {
            ServiceCidrSet set = setBuilder.build();
            try {
                for (RangeAllocation snapshot : cidrSnapshots) {
                    set.restore(snapshot);
                }
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                throw Failure.badInput(e.getMessage());
            }
            repairBuilder.addresses(set);
        }
        if (ports != null) {
            repairBuilder.nodePorts(ports);
        }
        Repair repair = repairBuilder.build();
        for (int pass = 0; pass < passes; pass++) {
            RepairReport report = repair.runOnce(services);
            out.print(report.render());
            if (out.checkError()) {
                throw Failure.closedOutput();
            }
        }
        if (options.has("--write")) {
            for (Snapshot snapshot : snapshots) {
                RangeAllocation state = snapshot.cidr == null ? repair.nodePorts().orElseThrow().snapshot()
                        : repair.addresses().orElseThrow().snapshot(snapshot.cidr);
                byte[] bytes = switch (snapshot.format) {
                    case JSON -> RangeAllocationJson.write(state);
                    case COMPACT -> snapshot.cidr == null ? repair.nodePorts().orElseThrow().compactSnapshot()
                            : ClusterIpAllocator.fromSnapshot(state).compactSnapshot();
                    case RAW, PROTOBUF -> throw new IllegalStateException(snapshot.format.option()
                            + " snapshots are not read by repair");
                };
                write(snapshot.file, bytes);
                out.println("wrote " + SnapshotInput.nameOf(snapshot.file) + " (" + state.range() + ", "
                        + snapshot.format.description + ")");
            }
        }
        return ExitCode.OK;
    }

    /** The form of a snapshot: compact or JSON, told from its first bytes; raw data is refused. */
    private static Format formatOf(byte[] bytes, String file) {
        if (SnapshotInput.startsWith(bytes, SnapshotInput.COMPACT_MAGIC)) {
            return Format.COMPACT;
        }
        if (SnapshotInput.startsAnObject(bytes)) {
            return Format.JSON;
        }
        throw Failure.badInput("cannot tell the form of " + SnapshotInput.nameOf(file) + ": repair reads"
                + " RangeAllocation JSON (which starts with '{') and compact snapshots (which start with \"CIPS\");"
                + " convert --range RANGE --to json turns raw data into JSON");
    }

    /** Replaces a file with new contents through a temporary file beside it, so that it is never half written. */
    private static void write(String file, byte[] bytes) {
        String name = Messages.quote(file);
        Path path;
        try {
            path = Path.of(file);
        } catch (InvalidPathException e) {
            throw Failure.io("cannot write " + name + ": not a valid file name");
        }
        Path dir = path.toAbsolutePath().getParent();
        Path temp = null;
        try {
            temp = Files.createTempFile(dir, ".repair-", ".tmp");
            Files.write(temp, bytes);
            try {
                Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
        } catch (IOException e) {
            throw CommandLine.cannotWrite(name, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // the temporary file is left; the error above says what failed
                }
            }
        }
    }
}
