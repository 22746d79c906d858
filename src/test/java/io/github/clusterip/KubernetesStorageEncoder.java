package io.github.clusterip;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Test-only: builds kube-apiserver's protobuf storage form of a RangeAllocation ("k8s\0" and a
 * runtime.Unknown whose raw is a core/v1 RangeAllocation), field by field, so that tests can also
 * build broken and hostile values. Fields are written in field-number order, as Go's generated
 * marshallers write them, strings even when empty.
 */
public final class KubernetesStorageEncoder {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** An empty encoder. */
    public KubernetesStorageEncoder() {
    }

    /** Appends a varint. */
    public KubernetesStorageEncoder varint(long value) {
        while ((value & ~0x7fL) != 0) {
            out.write((int) ((value & 0x7f) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
        return this;
    }

    /** Appends a tag. */
    public KubernetesStorageEncoder tag(int field, int wireType) {
        return varint((long) field << 3 | wireType);
    }

    /** Appends a length-delimited field. */
    public KubernetesStorageEncoder bytes(int field, byte[] value) {
        tag(field, 2).varint(value.length);
        out.writeBytes(value);
        return this;
    }

    /** Appends a string field. */
    public KubernetesStorageEncoder string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Appends raw bytes. */
    public KubernetesStorageEncoder raw(byte[] value) {
        out.writeBytes(value);
        return this;
    }

    /** The bytes so far. */
    public byte[] toBytes() {
        return out.toByteArray();
    }

    /** A TypeMeta message. */
    public static byte[] typeMeta(String apiVersion, String kind) {
        return new KubernetesStorageEncoder().string(1, apiVersion).string(2, kind).toBytes();
    }

    /** A core/v1 RangeAllocation message with ObjectMeta {@code metadata}. */
    public static byte[] rangeAllocation(byte[] metadata, String range, byte[] data) {
        return new KubernetesStorageEncoder().bytes(1, metadata).string(2, range).bytes(3, data).toBytes();
    }

    /** "k8s\0" and a runtime.Unknown of the given parts. */
    public static byte[] unknown(byte[] typeMeta, byte[] raw, String contentEncoding, String contentType) {
        return new KubernetesStorageEncoder().raw(new byte[] {'k', '8', 's', 0}).bytes(1, typeMeta).bytes(2, raw)
                .string(3, contentEncoding).string(4, contentType).toBytes();
    }

    /** The value kube-apiserver stores for {@code allocation}: v1 RangeAllocation, metadata with an empty name. */
    public static byte[] encode(RangeAllocation allocation) {
        return unknown(typeMeta("v1", "RangeAllocation"),
                rangeAllocation(new KubernetesStorageEncoder().string(1, "").toBytes(), allocation.range(),
                        allocation.data()), "", "");
    }
}
