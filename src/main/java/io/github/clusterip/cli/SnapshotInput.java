package io.github.clusterip.cli;

import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.RangeAllocation;
import io.github.clusterip.internal.Messages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads a snapshot, bounded in size, tells its form and whether it holds addresses or ports, and
 * decodes it through the public API.
 */
final class SnapshotInput {

    /** The forms of a snapshot. */
    enum Format {
        /** kube-apiserver's RangeAllocation object as JSON, with "range" and base64 "data". */
        JSON("RangeAllocation JSON"),
        /** The RangeAllocation's data bytes alone (Go's {@code big.Int.Bytes()}); the range is given apart. */
        RAW("raw RangeAllocation data"),
        /** clusterip's compact snapshot, starting with "CIPS". */
        COMPACT("compact snapshot"),
        /** kube-apiserver's stored RangeAllocation in protobuf, starting with "k8s" and a 0 byte. */
        PROTOBUF("kube-apiserver's stored RangeAllocation protobuf");

        final String description;

        Format(String description) {
            this.description = description;
        }

        /** The option value that names this form. */
        String option() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The form an option value names, or null. */
        static Format of(String option) {
            for (Format format : values()) {
                if (format.option().equals(option)) {
                    return format;
                }
            }
            return null;
        }
    }

    /** The default limit on the input's size: 64 MiB. */
    static final long DEFAULT_MAX_BYTES = 64L << 20;
    /** The largest limit that can be asked for: about the largest Java array. */
    static final long MAX_MAX_BYTES = Integer.MAX_VALUE - 8;

    static final byte[] COMPACT_MAGIC = {'C', 'I', 'P', 'S'};
    /** The start of kube-apiserver's protobuf storage form. */
    static final byte[] PROTOBUF_MAGIC = {'k', '8', 's', 0};
    /** The start of a value kube-apiserver encrypted at rest. */
    static final byte[] ENCRYPTED_MAGIC = {'k', '8', 's', ':', 'e', 'n', 'c', ':'};
    /** Where a compact snapshot says what it holds: 4 or 6 for a CIDR, 'P' for a port range. */
    private static final int COMPACT_KIND_OFFSET = 5;
    private static final byte COMPACT_KIND_PORTS = 'P';

    private SnapshotInput() {
    }

    /** How standard input or a file is named in messages. */
    static String nameOf(String file) {
        return file == null || file.equals("-") ? "standard input" : Messages.quote(file);
    }

    /**
     * Reads all of a file, or of standard input when {@code file} is null or {@code "-"}, refusing
     * more than {@code maxBytes} bytes before reading them all.
     */
    static byte[] read(String file, InputStream stdin, long maxBytes) {
        String name = nameOf(file);
        if (file == null || file.equals("-")) {
            try {
                return readBounded(stdin, maxBytes, name);
            } catch (IOException e) {
                throw Failure.io("cannot read " + name + ": " + e.getMessage());
            }
        }
        Path path;
        try {
            path = Path.of(file);
        } catch (InvalidPathException e) {
            throw Failure.io("cannot read " + name + ": not a valid file name");
        }
        try (InputStream stream = Files.newInputStream(path)) {
            if (Files.isRegularFile(path) && Files.size(path) > maxBytes) {
                throw tooLarge(name, Files.size(path) + " bytes", maxBytes);
            }
            return readBounded(stream, maxBytes, name);
        } catch (NoSuchFileException e) {
            throw Failure.io("cannot read " + name + ": no such file");
        } catch (AccessDeniedException e) {
            throw Failure.io("cannot read " + name + ": permission denied");
        } catch (IOException e) {
            throw Failure.io("cannot read " + name + ": " + e.getMessage());
        }
    }

    private static byte[] readBounded(InputStream in, long maxBytes, String name) throws IOException {
        byte[] bytes = in.readNBytes((int) maxBytes + 1);
        if (bytes.length > maxBytes) {
            throw tooLarge(name, "more than " + maxBytes + " bytes", maxBytes);
        }
        return bytes;
    }

    private static Failure tooLarge(String name, String size, long maxBytes) {
        return Failure.badInput(name + " holds " + size + ", more than the limit of " + maxBytes
                + " bytes; --max-bytes N raises the limit");
    }

    /**
     * Tells the form of {@code bytes}: {@code forced} if given; raw data if a range is given;
     * otherwise a compact snapshot if they start with "CIPS", kube-apiserver's protobuf if they start
     * with "k8s" and a 0 byte, JSON if they start with '{' after whitespace. Input that is not raw
     * and starts with "k8s:enc:" is refused as encrypted at rest (exit code 8).
     */
    static Format detect(byte[] bytes, Format forced, String range) {
        if (forced != Format.RAW && range == null && startsWith(bytes, ENCRYPTED_MAGIC)) {
            try {
                RangeAllocation.fromKubernetesStorage(bytes);
            } catch (IllegalArgumentException e) {
                throw Failure.encrypted(e.getMessage());
            }
        }
        if (forced != null) {
            return forced;
        }
        if (range != null) {
            return Format.RAW;
        }
        if (startsWith(bytes, COMPACT_MAGIC)) {
            return Format.COMPACT;
        }
        if (startsWith(bytes, PROTOBUF_MAGIC)) {
            return Format.PROTOBUF;
        }
        if (startsAnObject(bytes)) {
            return Format.JSON;
        }
        if (bytes.length == 0) {
            throw Failure.badInput("the input is empty: a compact snapshot, a JSON object or kube-apiserver's protobuf"
                    + " was expected"
                    + " (raw data, which may be empty, needs --range RANGE)");
        }
        throw Failure.badInput("cannot tell the form of the input: it is neither a compact snapshot (which"
                + " starts with \"CIPS\"), nor a JSON object (which starts with '{'), nor kube-apiserver's protobuf"
                + " (which starts with \"k8s\\u0000\"); for raw RangeAllocation data give --range RANGE");
    }

    static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes {@code bytes} in {@code format} into a new allocator holding their allocations: of
     * ports if the range (in the JSON, given for raw data, or in the compact header) is a port
     * range, of addresses otherwise.
     */
    static Pool<?> decode(byte[] bytes, Format format, String range) {
        try {
            return switch (format) {
                case JSON -> {
                    RangeAllocation snapshot = RangeAllocationJson.read(bytes);
                    yield RangeArgument.isPortRange(snapshot.range())
                            ? new Pool.Ports(NodePortAllocator.fromSnapshot(snapshot))
                            : new Pool.Addresses(ClusterIpAllocator.fromSnapshot(snapshot));
                }
                case RAW -> RangeArgument.isPortRange(range)
                        ? new Pool.Ports(NodePortAllocator.fromSnapshot(new RangeAllocation(range, bytes)))
                        : new Pool.Addresses(ClusterIpAllocator.fromSnapshot(new RangeAllocation(range, bytes)));
                case PROTOBUF -> pool(RangeAllocation.fromKubernetesStorage(bytes));
                case COMPACT -> bytes.length > COMPACT_KIND_OFFSET && bytes[COMPACT_KIND_OFFSET] == COMPACT_KIND_PORTS
                        ? new Pool.Ports(NodePortAllocator.fromCompactSnapshot(bytes))
                        : new Pool.Addresses(ClusterIpAllocator.fromCompactSnapshot(bytes));
            };
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw Failure.badInput(e.getMessage());
        }
    }

    /** A new allocator holding {@code snapshot}: of ports if its range is a port range, of addresses otherwise. */
    static Pool<?> pool(RangeAllocation snapshot) {
        return RangeArgument.isPortRange(snapshot.range())
                ? new Pool.Ports(NodePortAllocator.fromSnapshot(snapshot))
                : new Pool.Addresses(ClusterIpAllocator.fromSnapshot(snapshot));
    }

    /**
     * Decodes a value read from etcd, in kube-apiserver's protobuf or JSON storage form, into a new
     * allocator; a value encrypted at rest fails with exit code 8, any other bad value with 2.
     */
    static Pool<?> decodeStored(byte[] value) {
        if (startsWith(value, ENCRYPTED_MAGIC)) {
            detect(value, null, null);
        }
        try {
            return pool(RangeAllocation.fromKubernetesStorage(value));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw Failure.badInput(e.getMessage());
        }
    }

    /** Whether the bytes start, after JSON white space, with '{': a RangeAllocation JSON object. */
    static boolean startsAnObject(byte[] bytes) {
        int i = 0;
        while (i < bytes.length && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\n' || bytes[i] == '\r')) {
            i++;
        }
        return i < bytes.length && bytes[i] == '{';
    }
}
