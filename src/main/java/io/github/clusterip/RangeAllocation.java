package io.github.clusterip;

import io.github.clusterip.internal.Messages;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The allocation state of one range in the form kube-apiserver persists it (the
 * {@code RangeAllocation} object it keeps in etcd for Service ClusterIPs).
 *
 * <ul>
 *   <li>{@code range}: the CIDR in canonical text, for example {@code "10.96.0.0/12"};</li>
 *   <li>{@code data}: the allocation bitmap as Go's {@code big.Int.Bytes()} writes it: the
 *       big-endian magnitude with no leading zero bytes, empty when nothing is allocated. Bit
 *       {@code k} (bit {@code k % 8} of byte {@code data[data.length - 1 - k / 8]}) stands for
 *       usable address {@code k}, that is {@code network + 1 + k}.</li>
 * </ul>
 * So a range with only address 0 allocated has {@code data = [0x01]}, only address 7
 * {@code [0x80]} and only address 8 {@code [0x01, 0x00]}. Unlike
 * {@link java.math.BigInteger#toByteArray()}, no sign byte is ever written.
 *
 * <p>This record is immutable and thread-safe: the array is copied on the way in and on the way out.
 *
 * @param range the CIDR text
 * @param data the bitmap bytes
 */
public record RangeAllocation(String range, byte[] data) {

    /**
     * Creates the record, copying {@code data}.
     *
     * @param range the CIDR text
     * @param data the bitmap bytes
     * @throws NullPointerException if either argument is null
     */
    public RangeAllocation {
        Objects.requireNonNull(range, "range");
        data = Objects.requireNonNull(data, "data").clone();
    }

    /**
     * The longest stored value {@link #fromKubernetesStorage(byte[])} reads: 4 MiB (4194304 bytes),
     * well above etcd's default request limit of 1.5 MiB, so that no value etcd holds by default is
     * refused, while a hostile one cannot make the reader take more.
     */
    public static final int MAX_KUBERNETES_STORAGE_BYTES = KubernetesStorage.MAX_VALUE_BYTES;

    /**
     * Decodes the value kube-apiserver stores in etcd for a range allocation, under
     * {@code /registry/ranges/serviceips} (Service ClusterIPs) or
     * {@code /registry/ranges/servicenodeports} (NodePorts), and returns its range and data.
     *
     * <p>Both storage media types are read, told apart by their first bytes:
     * <ul>
     *   <li>protobuf, kube-apiserver's default: the four bytes {@code 'k' '8' 's' 0x00}, then a
     *       {@code runtime.Unknown} message whose type is {@code apiVersion "v1"},
     *       {@code kind "RangeAllocation"}, whose {@code contentEncoding} is empty, and whose
     *       {@code raw} bytes are the core/v1 {@code RangeAllocation} message;</li>
     *   <li>JSON ({@code --storage-media-type=application/json}): an object with
     *       {@code "kind":"RangeAllocation"}, {@code "apiVersion":"v1"}, {@code "range"} and
     *       {@code "data"} (standard base64); {@code metadata} and other members are skipped.</li>
     * </ul>
     * The object's metadata (name, resourceVersion, ...) is not returned: the resourceVersion of a
     * stored object is etcd's revision of the key, which is not in the value.
     *
     * <p>The data is returned as stored, already in the layout this class describes. The range
     * text is not checked here beyond being present and short;
     * {@link ClusterIpAllocator#fromSnapshot(RangeAllocation)} and
     * {@link NodePortAllocator#fromSnapshot(RangeAllocation)} check it against the data.
     *
     * <p>The cost of hostile input is bounded: more than {@link #MAX_KUBERNETES_STORAGE_BYTES} bytes
     * are refused before being read; every protobuf length is checked against what remains before
     * anything is allocated, varints are at most 10 bytes, unknown fields are skipped by wire type
     * without being decoded (groups are refused), and JSON nesting is limited. kube-apiserver's
     * format is only read: nothing here writes it.
     *
     * @param value the bytes of the etcd value, as stored
     * @return the range and data the value holds
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException with a one-line message if the value is encrypted at rest
     *         (it starts with {@code k8s:enc:}; the message names the provider), is larger than the
     *         limit, is neither form, is truncated or invalid (the message names the byte offset and
     *         the field), has another kind or apiVersion (quoted), a non-empty contentEncoding, or no
     *         range
     */
    public static RangeAllocation fromKubernetesStorage(byte[] value) {
        return KubernetesStorage.decode(Objects.requireNonNull(value, "value"));
    }

    /**
     * Returns a copy of the bitmap bytes.
     *
     * @return a new array holding the bitmap
     */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /**
     * Tells whether {@code obj} is a record with the same range text and the same bytes.
     *
     * @param obj the object to compare with
     * @return true if {@code obj} is an equal record
     */
    @Override
    public boolean equals(Object obj) {
        return obj instanceof RangeAllocation that && range.equals(that.range) && Arrays.equals(data, that.data);
    }

    /**
     * Returns a hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return 31 * range.hashCode() + Arrays.hashCode(data);
    }

    /**
     * Returns the range and the bytes in hexadecimal, the latter cut short after 64 bytes. The
     * range text, which may come from anywhere, is quoted, escaped and cut short as parse errors
     * quote their input, for example {@code RangeAllocation[range="10.96.0.0/24", data(1 bytes)=01]}.
     *
     * @return a description for logs
     */
    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        String bytes = data.length <= 64 ? hex.formatHex(data) : hex.formatHex(data, 0, 64) + "...";
        return "RangeAllocation[range=" + Messages.quote(range) + ", data(" + data.length + " bytes)=" + bytes + "]";
    }
}
