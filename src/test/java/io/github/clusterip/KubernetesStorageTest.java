package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RangeAllocation.fromKubernetesStorage: kube-apiserver's protobuf and JSON storage forms, and their errors. */
class KubernetesStorageTest {

    /**
     * 10.96.0.0/24 with its first address allocated, written out byte by byte from the layout:
     * "k8s\0"; Unknown.typeMeta (1) = {apiVersion (1) "v1", kind (2) "RangeAllocation"};
     * Unknown.raw (2) = RangeAllocation {metadata (1) = {name (1) ""}, range (2) "10.96.0.0/24",
     * data (3) 0x01}; Unknown.contentEncoding (3) ""; Unknown.contentType (4) "".
     */
    static final String GOLDEN_HEX = "6b387300"
            + "0a15" + "0a02" + "7631" + "120f" + "52616e6765416c6c6f636174696f6e"
            + "1215" + "0a02" + "0a00" + "120c" + "31302e39362e302e302f3234" + "1a01" + "01"
            + "1a00" + "2200";

    private static final byte[] GOLDEN = HexFormat.of().parseHex(GOLDEN_HEX);

    private static final String TYPE_JSON = "\"kind\":\"RangeAllocation\",\"apiVersion\":\"v1\"";

    private static RangeAllocation decode(byte[] value) {
        return RangeAllocation.fromKubernetesStorage(value);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(byte[] typeMeta, byte[] raw) {
        return KubernetesStorageEncoder.unknown(typeMeta, raw, "", "");
    }

    private static byte[] allocation(String range, byte[] data) {
        return KubernetesStorageEncoder.rangeAllocation(new byte[0], range, data);
    }

    private static final byte[] V1 = KubernetesStorageEncoder.typeMeta("v1", "RangeAllocation");

    // ---- protobuf

    @Test
    void decodesTheGoldenValue() {
        assertThat(decode(GOLDEN)).isEqualTo(new RangeAllocation("10.96.0.0/24", new byte[] {1}));
        ClusterIpAllocator allocator = ClusterIpAllocator.fromSnapshot(decode(GOLDEN));
        assertThat(allocator.isAllocated(IpAddress.parse("10.96.0.1"))).isTrue();
        assertThat(allocator.used()).isEqualTo(1);
    }

    @Test
    void theTestEncoderWritesTheGoldenValue() {
        assertThat(HexFormat.of().formatHex(KubernetesStorageEncoder.encode(
                new RangeAllocation("10.96.0.0/24", new byte[] {1})))).isEqualTo(GOLDEN_HEX);
    }

    @Test
    void roundTripsAFullSlash12AndAPortRange() {
        ClusterIpAllocator ips = ClusterIpAllocator.create(ServiceCidr.parse("10.96.0.0/12"));
        ips.allocate(IpAddress.parse("10.96.0.1"));
        ips.allocate(IpAddress.parse("10.111.255.254"));
        RangeAllocation snapshot = ips.snapshot();
        assertThat(snapshot.data().length).isEqualTo(1 << 17);
        assertThat(decode(KubernetesStorageEncoder.encode(snapshot))).isEqualTo(snapshot);

        NodePortAllocator ports = NodePortAllocator.create(PortRange.parse("30000-32767"));
        ports.allocate(30080);
        RangeAllocation portSnapshot = ports.snapshot();
        assertThat(decode(KubernetesStorageEncoder.encode(portSnapshot))).isEqualTo(portSnapshot);
    }

    @Test
    void emptyOrAbsentDataIsNothingAllocated() {
        assertThat(decode(value(V1, allocation("10.96.0.0/24", new byte[0]))).data()).isEmpty();
        byte[] noData = value(V1, new KubernetesStorageEncoder().string(2, "10.96.0.0/24").toBytes());
        assertThat(decode(noData)).isEqualTo(new RangeAllocation("10.96.0.0/24", new byte[0]));
    }

    @Test
    void skipsUnknownFieldsOfEveryWireTypeAndAnyFieldOrder() {
        byte[] extra = new KubernetesStorageEncoder().tag(90, 0).varint(Long.MAX_VALUE).tag(91, 1)
                .raw(new byte[8]).tag(92, 5).raw(new byte[4]).string(93, "ignored").toBytes();
        byte[] typeMeta = new KubernetesStorageEncoder().raw(extra).string(2, "RangeAllocation").raw(extra)
                .string(1, "v1").toBytes();
        byte[] raw = new KubernetesStorageEncoder().raw(extra).bytes(3, new byte[] {1, 0}).raw(extra)
                .string(2, "10.96.0.0/24").bytes(1, extra).toBytes();
        byte[] value = new KubernetesStorageEncoder().raw(new byte[] {'k', '8', 's', 0}).raw(extra).bytes(2, raw)
                .raw(extra).bytes(1, typeMeta).string(4, "application/vnd.kubernetes.protobuf").toBytes();
        assertThat(decode(value)).isEqualTo(new RangeAllocation("10.96.0.0/24", new byte[] {1, 0}));
    }

    @Test
    void deeplyNestedMetadataIsSkippedWithoutDescending() {
        byte[] nested = new byte[0];
        for (int i = 0; i < 2000; i++) {
            nested = new KubernetesStorageEncoder().bytes(1, nested).toBytes();
        }
        byte[] value = value(V1, KubernetesStorageEncoder.rangeAllocation(nested, "10.96.0.0/24", new byte[] {1}));
        assertTimeoutPreemptively(Duration.ofSeconds(2), () ->
                assertThat(decode(value).range()).isEqualTo("10.96.0.0/24"));
    }

    // ---- JSON

    @Test
    void decodesTheJsonStorageForm() {
        String json = "{" + TYPE_JSON + ",\"metadata\":{\"name\":\"\",\"creationTimestamp\":null,"
                + "\"labels\":{\"a\":\"b\"},\"n\":[1,-2.5e3,true,false,null]},\"range\":\"10.96.0.0/24\","
                + "\"data\":\"AQ==\"}\n";
        assertThat(decode(utf8(json))).isEqualTo(new RangeAllocation("10.96.0.0/24", new byte[] {1}));
        assertThat(decode(utf8(" {\"range\":\"30000-32767\",\"data\":null," + TYPE_JSON + "}")))
                .isEqualTo(new RangeAllocation("30000-32767", new byte[0]));
        assertThat(decode(utf8("{" + TYPE_JSON + ",\"range\":\"10.96.0.0\\/24\"}")).range()).isEqualTo("10.96.0.0/24");
    }

    @Test
    void jsonErrors() {
        assertError("{\"apiVersion\":\"v1\",\"range\":\"10.96.0.0/24\"}", "has no kind");
        assertError("{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"range\":\"10.96.0.0/24\"}",
                "has kind \"Service\", not \"RangeAllocation\"");
        assertError("{\"kind\":\"RangeAllocation\",\"apiVersion\":\"v2\",\"range\":\"x\"}",
                "has apiVersion \"v2\", not \"v1\"");
        assertError("{" + TYPE_JSON + ",\"data\":\"AQ==\"}", "JSON RangeAllocation has no range");
        assertError("{" + TYPE_JSON + ",\"range\":\"10.96.0.0/24\",\"data\":\"AQ=\"}", "at byte 74", "base64");
        assertError("{" + TYPE_JSON + ",\"range\":\"a\",\"range\":\"b\"}", "\"range\" is given twice");
        assertError("{" + TYPE_JSON + ",\"range\":\"a\"} x", "expected the end of the input");
        assertError("{" + TYPE_JSON + ",\"range\":\"a\"", "expected ',' or '}'");
        assertError("{" + TYPE_JSON + ",\"range\":\"" + "1".repeat(65) + "\"}", "\"range\" is longer than the 64");
        assertError("{" + TYPE_JSON + ",\"x\":01,\"range\":\"a\"}", "must not start with 0");
    }

    @Test
    void jsonInvalidUtf8IsRefusedAtItsOffset() {
        byte[] json = utf8("{" + TYPE_JSON + ",\"x\":\"..\",\"range\":\"a\"}");
        json[json.length - 20] = (byte) 0xff;
        assertThatThrownBy(() -> decode(json)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid RangeAllocation JSON at byte " + (json.length - 20) + ": invalid UTF-8");
    }

    @Test
    void deepJsonNestingIsRefusedFast() {
        byte[] json = utf8("{" + TYPE_JSON + ",\"m\":" + "[".repeat(1_000_000));
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertThatThrownBy(() -> decode(json))
                .hasMessageContaining("nested more than 64 deep"));
    }

    // ---- errors

    @ParameterizedTest
    @ValueSource(strings = {"k8s:enc:aescbc:v1:key1:", "k8s:enc:kms:v2:my-kms:", "k8s:enc:secretbox:v1:key2:"})
    void encryptedValuesAreRefusedByProvider(String prefix) {
        byte[] value = new KubernetesStorageEncoder().raw(utf8(prefix)).raw(new byte[] {0, (byte) 0xff, 7}).toBytes();
        String provider = prefix.split(":")[2];
        assertThatThrownBy(() -> decode(value)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the stored value is encrypted at rest (prefix \"" + prefix + "\", provider \"" + provider
                        + "\"): read it through kube-apiserver, or decrypt it first");
    }

    @Test
    void wrongKindOrApiVersionIsQuoted() {
        assertError(value(KubernetesStorageEncoder.typeMeta("v1", "Service"), allocation("10.96.0.0/24", new byte[0])),
                "the stored protobuf object has kind \"Service\", not \"RangeAllocation\"");
        assertError(value(KubernetesStorageEncoder.typeMeta("apps/v1", "RangeAllocation"), allocation("a", new byte[0])),
                "has apiVersion \"apps/v1\", not \"v1\"");
        assertError(value(new byte[0], allocation("a", new byte[0])), "has no kind");
        assertError(value(new KubernetesStorageEncoder().string(2, "RangeAllocation").toBytes(),
                allocation("a", new byte[0])), "has no apiVersion");
    }

    @Test
    void aContentEncodingIsRefused() {
        assertError(KubernetesStorageEncoder.unknown(V1, allocation("a", new byte[0]), "gzip", ""),
                "has contentEncoding \"gzip\": only an empty contentEncoding");
        assertError(KubernetesStorageEncoder.unknown(V1, allocation("a", new byte[0]), "", "application/json"),
                "has contentType \"application/json\"");
    }

    @Test
    void aMissingRangeIsRefused() {
        assertError(value(V1, new KubernetesStorageEncoder().bytes(3, new byte[] {1}).toBytes()),
                "the stored protobuf RangeAllocation has no range");
        assertError(new KubernetesStorageEncoder().raw(new byte[] {'k', '8', 's', 0}).bytes(1, V1).toBytes(),
                "has no range");
    }

    @Test
    void everyTruncationOfTheGoldenValueIsRefusedWithAnOffset() {
        RangeAllocation expected = decode(GOLDEN);
        for (int length = 0; length < GOLDEN.length; length++) {
            byte[] cut = Arrays.copyOf(GOLDEN, length);
            if (length == GOLDEN.length - 4 || length == GOLDEN.length - 2) {
                // cut between fields: the empty contentEncoding and contentType are simply absent
                assertThat(decode(cut)).isEqualTo(expected);
            } else {
                assertThatThrownBy(() -> decode(cut)).as("cut at %d", length)
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
        assertError(Arrays.copyOf(GOLDEN, 10), "invalid RangeAllocation protobuf at byte 5 (in the runtime.Unknown):"
                + " the length of field 1 (typeMeta) is 21 bytes, but only 4 remain in the runtime.Unknown");
        assertError(Arrays.copyOf(GOLDEN, 3), "neither \"k8s\\u0000\"");
    }

    @Test
    void wrongWireTypesAndGroupsAreRefused() {
        byte[] rangeAsVarint = new KubernetesStorageEncoder().tag(2, 0).varint(5).toBytes();
        assertError(value(V1, rangeAsVarint), "invalid RangeAllocation protobuf at byte 29 (in the RangeAllocation):"
                + " field 2 (range) has wire type 0, not 2 (length-delimited)");
        byte[] group = new KubernetesStorageEncoder().raw(new byte[] {'k', '8', 's', 0}).tag(7, 3).tag(7, 4).toBytes();
        assertError(group, "at byte 4 (in the runtime.Unknown): field 7 uses wire type 3 (a group), which is not supported");
        byte[] endGroup = new KubernetesStorageEncoder().raw(new byte[] {'k', '8', 's', 0}).tag(7, 4).toBytes();
        assertError(endGroup, "wire type 4 (a group)");
        byte[] six = new KubernetesStorageEncoder().raw(new byte[] {'k', '8', 's', 0}).tag(7, 6).toBytes();
        assertError(six, "invalid wire type 6");
        byte[] zero = new KubernetesStorageEncoder().raw(new byte[] {'k', '8', 's', 0}).tag(0, 2).toBytes();
        assertError(zero, "field number 0");
        byte[] fixed64 = new KubernetesStorageEncoder().raw(new byte[] {'k', '8', 's', 0}).tag(9, 1).raw(new byte[7]).toBytes();
        assertError(fixed64, "a 64-bit value needs 8 bytes, but only 7 remain");
    }

    @Test
    void hostileLengthsAndVarintsAreRefusedFast() {
        byte[] prefix = {'k', '8', 's', 0};
        byte[] hugeLength = new KubernetesStorageEncoder().raw(prefix).tag(2, 2).varint(0xffff_ffffL).toBytes();
        byte[] negativeLength = new KubernetesStorageEncoder().raw(prefix).tag(2, 2).varint(-1L).toBytes();
        byte[] endless = new byte[1 << 20];
        Arrays.fill(endless, (byte) 0xff);
        System.arraycopy(prefix, 0, endless, 0, 4);
        byte[] overflow = new KubernetesStorageEncoder().raw(prefix).raw(HexFormat.of().parseHex("ffffffffffffffffff02"))
                .toBytes();
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            assertError(hugeLength, "at byte 5 (in the runtime.Unknown): the length of field 2 (raw) is 4294967295"
                    + " bytes, but only 0 remain");
            assertError(negativeLength, "is 18446744073709551615 bytes, but only 0 remain");
            assertError(endless, "at byte 4 (in the runtime.Unknown): a field tag (a varint) overflows 64 bits");
            assertError(overflow, "overflows 64 bits");
        });
    }

    @Test
    void aValueOverTheLimitIsRefusedBeforeItIsRead() {
        byte[] big = new byte[5_000_000];
        System.arraycopy(GOLDEN, 0, big, 0, GOLDEN.length);
        assertThat(RangeAllocation.MAX_KUBERNETES_STORAGE_BYTES).isEqualTo(4 << 20);
        assertTimeoutPreemptively(Duration.ofMillis(500), () -> assertError(big,
                "the stored value is 5000000 bytes, more than the limit of 4194304 bytes (4 MiB)"));
        byte[] base = new KubernetesStorageEncoder().raw(new byte[] {'k', '8', 's', 0}).bytes(1, V1)
                .bytes(2, allocation("10.96.0.0/24", new byte[0])).toBytes();
        // an unknown field 15 that pads the value to exactly the limit (tag 1 byte, length 4 bytes)
        int padding = RangeAllocation.MAX_KUBERNETES_STORAGE_BYTES - base.length - 1 - 4;
        byte[] full = new KubernetesStorageEncoder().raw(base).bytes(15, new byte[padding]).toBytes();
        assertThat(full.length).isEqualTo(RangeAllocation.MAX_KUBERNETES_STORAGE_BYTES);
        assertThat(decode(full).range()).isEqualTo("10.96.0.0/24");
    }

    @Test
    void otherInputsAreNamed() {
        assertError(new byte[0], "the stored value is empty");
        assertError(utf8("hello"), "is not a kube-apiserver RangeAllocation: it starts with \"hello\"");
        assertError(new byte[] {'k', '8', 's', 1, 0}, "the encoding style byte 0x01, but only 0x00");
        assertError(utf8(Base64.getEncoder().encodeToString(GOLDEN)), "is not a kube-apiserver RangeAllocation");
        assertThatThrownBy(() -> decode(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void aNonUtf8RangeIsRefused() {
        byte[] raw = new KubernetesStorageEncoder().bytes(2, new byte[] {'1', (byte) 0xc0}).toBytes();
        assertError(value(V1, raw), "field 2 (range) is not valid UTF-8");
    }

    private static void assertError(String json, String... parts) {
        assertError(utf8(json), parts);
    }

    private static void assertError(byte[] value, String... parts) {
        assertThatThrownBy(() -> decode(value)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).doesNotContain("\n");
                    for (String part : parts) {
                        assertThat(e.getMessage()).contains(part);
                    }
                });
    }
}
