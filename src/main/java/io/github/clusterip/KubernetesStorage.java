package io.github.clusterip;

import io.github.clusterip.internal.Messages;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the value kube-apiserver keeps in etcd for a {@code RangeAllocation} (the keys
 * {@code /registry/ranges/serviceips} and {@code /registry/ranges/servicenodeports}), in either of
 * its storage media types:
 *
 * <ul>
 *   <li>protobuf (the default): the four bytes {@code 'k' '8' 's' 0x00}, then a
 *       {@code runtime.Unknown} message (typeMeta = 1, a message of apiVersion = 1 and kind = 2;
 *       raw = 2; contentEncoding = 3; contentType = 4) whose raw bytes are a core/v1
 *       {@code RangeAllocation} message (metadata = 1, range = 2, data = 3);</li>
 *   <li>JSON ({@code --storage-media-type=application/json}): an object with {@code kind},
 *       {@code apiVersion}, {@code metadata}, {@code range} and {@code data} (standard base64).</li>
 * </ul>
 * A value that starts with {@code k8s:enc:} was encrypted at rest and is refused by name.
 *
 * <p>The cost of hostile input is bounded: a value longer than {@link #MAX_VALUE_BYTES} is refused
 * before it is looked at; every varint is at most 10 bytes; every length is checked against what
 * remains of its message before anything is allocated; unknown fields are skipped by wire type
 * without being decoded (so the nesting inside them costs nothing), groups are refused; the reader
 * descends into three known messages only (Unknown, TypeMeta, RangeAllocation), so its own depth is
 * at most two; the JSON reader refuses nesting deeper than {@value StorageJson#MAX_DEPTH}.
 */
final class KubernetesStorage {

    /** The largest value read: 4 MiB, well above etcd's default request limit of 1.5 MiB. */
    static final int MAX_VALUE_BYTES = 4 << 20;
    /** The protobuf serializer's prefix: "k8s" and the encoding style 0 (a runtime.Unknown follows). */
    static final byte[] PROTOBUF_PREFIX = {'k', '8', 's', 0};
    /** The prefix of every value encrypted at rest by kube-apiserver. */
    static final byte[] ENCRYPTED_PREFIX = "k8s:enc:".getBytes(StandardCharsets.US_ASCII);
    /** The kind and apiVersion a RangeAllocation is stored with. */
    static final String KIND = "RangeAllocation";
    static final String API_VERSION = "v1";
    /** The longest range text kept: longer is no CIDR or port range (the longest CIDR text is 49). */
    static final int MAX_RANGE_LENGTH = 64;
    /** kind and apiVersion longer than this are quoted cut short but never built in full. */
    private static final int MAX_TYPE_TEXT = 256;

    private KubernetesStorage() {
    }

    static RangeAllocation decode(byte[] value) {
        if (value.length > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("the stored value is " + value.length + " bytes, more than the limit of "
                    + MAX_VALUE_BYTES + " bytes (4 MiB) for a RangeAllocation");
        }
        if (startsWith(value, ENCRYPTED_PREFIX)) {
            throw new IllegalArgumentException("the stored value is encrypted at rest (prefix "
                    + Messages.quote(encryptionPrefix(value)) + ", provider " + Messages.quote(provider(value))
                    + "): read it through kube-apiserver, or decrypt it first");
        }
        if (startsWith(value, PROTOBUF_PREFIX)) {
            return fromProtobuf(value);
        }
        if (value.length >= 4 && value[0] == 'k' && value[1] == '8' && value[2] == 's') {
            throw new IllegalArgumentException(String.format("the stored value starts with \"k8s\" and the encoding"
                    + " style byte 0x%02x, but only 0x00 (a protobuf runtime.Unknown) is defined", value[3] & 0xff));
        }
        if (StorageJson.startsAnObject(value)) {
            return StorageJson.read(value);
        }
        if (value.length == 0) {
            throw new IllegalArgumentException("the stored value is empty: a RangeAllocation in protobuf (starting with"
                    + " \"k8s\\u0000\") or JSON (starting with '{') was expected");
        }
        throw new IllegalArgumentException("the stored value is not a kube-apiserver RangeAllocation: it starts with "
                + Messages.quote(new String(value, 0, Math.min(value.length, 16), StandardCharsets.ISO_8859_1))
                + ", neither \"k8s\\u0000\" (protobuf) nor '{' (JSON) nor \"k8s:enc:\" (encrypted)");
    }

    /** The encryption prefix as far as it is printable: "k8s:enc:aescbc:v1:key1:", at most 5 segments. */
    private static String encryptionPrefix(byte[] value) {
        int colons = 0;
        int end = 0;
        for (int i = 0; i < value.length && i < 100; i++) {
            int b = value[i] & 0xff;
            if (b < 0x21 || b > 0x7e) {
                break;
            }
            if (b == ':') {
                colons++;
                end = i + 1;
                if (colons == 5) {
                    break;
                }
            }
        }
        return new String(value, 0, end, StandardCharsets.US_ASCII);
    }

    /** The provider name, the segment after "k8s:enc:" ("aescbc", "aesgcm", "secretbox", "kms", ...). */
    private static String provider(byte[] value) {
        String prefix = encryptionPrefix(value);
        String rest = prefix.substring(ENCRYPTED_PREFIX.length);
        int colon = rest.indexOf(':');
        return colon < 0 ? "unknown" : rest.substring(0, colon);
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

    // ---- protobuf

    private static RangeAllocation fromProtobuf(byte[] value) {
        ProtobufReader unknown = new ProtobufReader(value, PROTOBUF_PREFIX.length, value.length, "runtime.Unknown");
        String apiVersion = null;
        String kind = null;
        int rawStart = -1;
        int rawEnd = -1;
        String contentEncoding = "";
        String contentType = "";
        while (unknown.more()) {
            int tag = unknown.tag();
            switch (tag) {
                case 1 -> {
                    ProtobufReader typeMeta = unknown.message(1, "typeMeta", "runtime.TypeMeta");
                    while (typeMeta.more()) {
                        int field = typeMeta.tag();
                        switch (field) {
                            case 1 -> apiVersion = typeMeta.string(1, "apiVersion", MAX_TYPE_TEXT);
                            case 2 -> kind = typeMeta.string(2, "kind", MAX_TYPE_TEXT);
                            default -> typeMeta.skip();
                        }
                    }
                }
                case 2 -> {
                    int[] span = unknown.bytes(2, "raw");
                    rawStart = span[0];
                    rawEnd = span[1];
                }
                case 3 -> contentEncoding = unknown.string(3, "contentEncoding", MAX_TYPE_TEXT);
                case 4 -> contentType = unknown.string(4, "contentType", MAX_TYPE_TEXT);
                default -> unknown.skip();
            }
        }
        checkType(kind, apiVersion, "protobuf");
        if (!contentEncoding.isEmpty()) {
            throw new IllegalArgumentException("the stored RangeAllocation has contentEncoding "
                    + Messages.quote(contentEncoding) + ": only an empty contentEncoding (no encoding) is supported");
        }
        if (!contentType.isEmpty() && !contentType.equals("application/vnd.kubernetes.protobuf")) {
            throw new IllegalArgumentException("the stored RangeAllocation has contentType " + Messages.quote(contentType)
                    + ": only protobuf (an empty contentType or \"application/vnd.kubernetes.protobuf\") is supported");
        }
        String range = null;
        byte[] data = new byte[0];
        if (rawStart >= 0) {
            ProtobufReader allocation = new ProtobufReader(value, rawStart, rawEnd, "RangeAllocation");
            while (allocation.more()) {
                int field = allocation.tag();
                switch (field) {
                    case 2 -> range = allocation.string(2, "range", MAX_RANGE_LENGTH);
                    case 3 -> {
                        int[] span = allocation.bytes(3, "data");
                        data = Arrays.copyOfRange(value, span[0], span[1]);
                    }
                    default -> allocation.skip(); // metadata (1) and anything newer
                }
            }
        }
        return result(range, data, "protobuf");
    }

    /** Checks kind and apiVersion; {@code form} names the storage form in messages. */
    static void checkType(String kind, String apiVersion, String form) {
        if (kind == null || kind.isEmpty()) {
            throw new IllegalArgumentException("the stored " + form + " object has no kind: a RangeAllocation has kind "
                    + Messages.quote(KIND));
        }
        if (!kind.equals(KIND)) {
            throw new IllegalArgumentException("the stored " + form + " object has kind " + Messages.quote(kind)
                    + ", not " + Messages.quote(KIND) + ": is the key a range allocation?");
        }
        if (apiVersion == null || apiVersion.isEmpty()) {
            throw new IllegalArgumentException("the stored " + form + " RangeAllocation has no apiVersion: "
                    + Messages.quote(API_VERSION) + " was expected");
        }
        if (!apiVersion.equals(API_VERSION)) {
            throw new IllegalArgumentException("the stored " + form + " RangeAllocation has apiVersion "
                    + Messages.quote(apiVersion) + ", not " + Messages.quote(API_VERSION));
        }
    }

    static RangeAllocation result(String range, byte[] data, String form) {
        if (range == null || range.isEmpty()) {
            throw new IllegalArgumentException("the stored " + form + " RangeAllocation has no range (the CIDR, for"
                    + " example \"10.96.0.0/12\", or the port range, for example \"30000-32767\")");
        }
        return new RangeAllocation(range, data);
    }
}
