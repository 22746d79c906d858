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
