package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each compatibility profile against facts read in Kubernetes' sources. The files are of
 * kubernetes/kubernetes; "bitmap.go" is pkg/registry/core/service/ipallocator/bitmap.go at commit
 * 2e0908106e4420a601e50d6edfd41475de87a3e1, "ipallocator.go" the file of the same directory at
 * the same commit, "allocator/bitmap.go" pkg/registry/core/service/allocator/bitmap.go at commit
 * 2b02db1be88b09193d96585c4b6dd796d6b2e06c.
 */
class CompatibilityProfileTest {

    private static final ServiceCidr V6_64 = ServiceCidr.parse("fd00:10:96::/64");
    private static final ServiceCidr V4_24 = ServiceCidr.parse("10.96.0.0/24");

    private static ClusterIpAllocator allocator(ServiceCidr cidr, CompatibilityProfile profile) {
        return ClusterIpAllocator.builder(cidr).profile(profile).scanStrategy(ScanStrategy.SEQUENTIAL).build();
    }

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    @Test
    void theDefaultIsClusteripsOwnRules() {
        assertThat(ClusterIpAllocator.create(V4_24).profile()).isEqualTo(CompatibilityProfile.CLUSTERIP);
        assertThatThrownBy(() -> ClusterIpAllocator.builder(V4_24).profile(null)).isInstanceOf(NullPointerException.class);
    }

    // ---- the IPv6 cap -------------------------------------------------------------------------------

    /**
     * bitmap.go lines 63 and 68-73: {@code max := netutils.RangeSize(cidr)}, then for IPv6
     * {@code if max > 65536 { max = 65536 }}; lines 81-84 skip the network address
     * ({@code base.Add(base, big.NewInt(1))}, {@code max--}): 65,535 usable addresses from
     * network + 1. Lines 356-380, calculateRangeOffset, take the full block size
     * ({@code cidrSize := netutils.RangeSize(cidr)}): offset 256. So in fd00:10:96::/64 the static
     * band is ::1 - ::100 and the dynamic band ::101 - ::ffff, and Free() of an empty allocator is
     * 65535 (allocator/bitmap.go line 176, {@code return r.max - r.count}).
     */
    @Test
    void theBitmapProfileAllocatesOnlyTheFirst65535AddressesOfAnIpv6Range() {
        ClusterIpAllocator bitmap = allocator(V6_64, CompatibilityProfile.KUBE_APISERVER_BITMAP);
        assertThat(bitmap.free()).isEqualTo(65535);
        assertThat(bitmap.exactFree()).isEqualTo(BigInteger.valueOf(65535));
        assertThat(bitmap.free(Band.STATIC)).isEqualTo(256);
        assertThat(bitmap.free(Band.DYNAMIC)).isEqualTo(65535 - 256);

        // bitmap.go lines 323-332, contains: an offset at or past max is not in the range.
        assertThatThrownBy(() -> bitmap.allocate(ip("fd00:10:96::1:0"))).isInstanceOf(IpNotInRangeException.class)
                .hasMessage("the provided IP (fd00:10:96::1:0) is not in the valid range. The range of valid IPs is "
                        + "fd00:10:96::/64");
        assertThat(bitmap.release(ip("fd00:10:96::1:0"))).isFalse();
        assertThat(bitmap.isAllocated(ip("fd00:10:96::1:0"))).isFalse();
        bitmap.allocate(ip("fd00:10:96::ffff")); // the last one it allocates
        bitmap.allocate(ip("fd00:10:96::100")); // the last of the static band

        IpAddress first = bitmap.allocateNext(); // sequential: the dynamic band from its start
        assertThat(first).isEqualTo(ip("fd00:10:96::101"));
        long handedOut = 1;
        IpAddress last = first;
        while (bitmap.free(Band.DYNAMIC) > 0) {
            last = bitmap.allocateNext();
            handedOut++;
        }
        assertThat(last).isEqualTo(ip("fd00:10:96::fffe"));
        assertThat(handedOut).isEqualTo(65535 - 256 - 1);
        assertThat(bitmap.allocateNext()).isEqualTo(ip("fd00:10:96::1")); // then the static band
        assertThat(bitmap.used()).isEqualTo(65535 - 256 + 2);

        // Its bitmap is 65,535 bits, so it has a RangeAllocation, as kube-apiserver stores one.
        RangeAllocation saved = bitmap.snapshot();
        assertThat(saved.range()).isEqualTo("fd00:10:96::/64");
        assertThat(saved.data()).hasSize(65535 / 8 + 1);
        ClusterIpAllocator copy = ClusterIpAllocator.fromSnapshot(saved,
                b -> b.profile(CompatibilityProfile.KUBE_APISERVER_BITMAP));
        assertThat(copy.used()).isEqualTo(bitmap.used());
        assertThat(copy.snapshot()).isEqualTo(saved);

        ClusterIpAllocator own = allocator(V6_64, CompatibilityProfile.CLUSTERIP);
        own.allocate(ip("fd00:10:96::1:0"));
        assertThat(own.exactFree()).isEqualTo(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.TWO));
        assertThatThrownBy(own::snapshot).isInstanceOf(UnsupportedOperationException.class);
    }

    /**
     * bitmap.go lines 68-73 cap only blocks larger than 65,536: a /112 (65,536 addresses) keeps
     * its 65,535 usable ones, including the last of the block (bitmap_test.go at commit
     * 281014fcd0a3426d4e3cf36aab12c4d7968f94f3: "IPv6 clusterIP range is capped to 2^16 and
     * consider the broadcast address as valid"); a /108, the widest IPv6 range kube-apiserver's
     * --service-cluster-ip-range takes with this allocator, is capped.
     */
    @Test
    void theCapAppliesToBlocksOfMoreThan65536Addresses() {
        ClusterIpAllocator v112 = allocator(ServiceCidr.parse("2001:db8::/112"), CompatibilityProfile.KUBE_APISERVER_BITMAP);
        assertThat(v112.free()).isEqualTo(65535);
        v112.allocate(ip("2001:db8::ffff"));
        ClusterIpAllocator v108 = allocator(ServiceCidr.parse("2001:db8::/108"), CompatibilityProfile.KUBE_APISERVER_BITMAP);
        assertThat(v108.free()).isEqualTo(65535);
        assertThatThrownBy(() -> v108.allocate(ip("2001:db8::1:0"))).isInstanceOf(IpNotInRangeException.class);
        assertThat(allocator(ServiceCidr.parse("2001:db8::/108"), CompatibilityProfile.CLUSTERIP).free())
                .isEqualTo((1 << 20) - 1);
        // IPv4 is not capped (bitmap.go lines 74-78 only drop the broadcast address).
        assertThat(allocator(ServiceCidr.parse("10.0.0.0/12"), CompatibilityProfile.KUBE_APISERVER_BITMAP).free())
                .isEqualTo((1 << 20) - 2);
    }

    /**
     * ipallocator.go lines 89-90 refuse only IPv6 prefixes shorter than /64, and lines 566-585,
     * hostsPerNetwork, give a /64 {@code math.MaxUint64} addresses: no cap. Lines 456-476, Free():
     * {@code if a.size > math.MaxInt { return math.MaxInt - used }}.
     */
    @Test
    void theIpAddressProfileHasNoCapAndReportsFreeOfASlash64AsKubernetesDoes() {
        ClusterIpAllocator objects = allocator(V6_64, CompatibilityProfile.KUBE_APISERVER_IPADDRESS);
        objects.allocate(ip("fd00:10:96::1:0"));
        objects.allocateNext();
        objects.allocateNext();
        assertThat(objects.free()).isEqualTo(Long.MAX_VALUE - 3);
        assertThat(allocator(V6_64, CompatibilityProfile.CLUSTERIP).free()).isEqualTo(Long.MAX_VALUE);
        // A /65 has 2^63 - 1 usable addresses, not more than math.MaxInt: size - used, as ever.
        ClusterIpAllocator v65 = allocator(ServiceCidr.parse("fd00::/65"), CompatibilityProfile.KUBE_APISERVER_IPADDRESS);
        v65.allocateNext();
        assertThat(v65.free()).isEqualTo(Long.MAX_VALUE - 1);
    }

    // ---- IPv4-mapped addresses ----------------------------------------------------------------------

    /**
     * bitmap.go line 324 asks Go's net.IPNet.Contains, which turns the address to 4 bytes first
     * (src/net/ip.go of golang/go at commit 00b779aeed9e0345e4bdbb38c85df63a6352b954, lines
     * 466-473: {@code if x := ip.To4(); x != nil { ip = x }}); ipallocator.go line 193 parses
     * {@code ip.String()}, which Go writes dotted for a mapped address. Both allocators take
     * ::ffff:10.96.0.5 in an IPv4 range as 10.96.0.5.
     */
    @ParameterizedTest
    @EnumSource(value = CompatibilityProfile.class, names = {"KUBE_APISERVER_BITMAP", "KUBE_APISERVER_IPADDRESS"})
    void kubernetesProfilesTakeAnIpv4MappedAddressAsTheIpv4Address(CompatibilityProfile profile) {
        ClusterIpAllocator allocator = allocator(V4_24, profile);
        IpAddress mapped = ip("::ffff:10.96.0.5");
        allocator.allocate(mapped);
        assertThat(allocator.isAllocated(ip("10.96.0.5"))).isTrue();
        assertThat(allocator.isAllocated(mapped)).isTrue();
        assertThat(allocator.allocatedAddresses()).containsExactly(ip("10.96.0.5"));
        assertThatThrownBy(() -> allocator.allocate(ip("10.96.0.5"))).isInstanceOf(IpAlreadyAllocatedException.class);
        assertThat(allocator.release(mapped)).isTrue();
        assertThat(allocator.used()).isZero();
        // Outside the range, mapped or not, it is still refused.
        assertThatThrownBy(() -> allocator.allocate(ip("::ffff:10.97.0.5"))).isInstanceOf(IpNotInRangeException.class);
        assertThatThrownBy(() -> allocator.allocate(ip("::ffff:10.96.0.255"))).isInstanceOf(IpNotInRangeException.class);
        // An IPv4 address is never taken by an IPv6 range (Contains compares the lengths, ip.go line 472).
        ClusterIpAllocator v6 = allocator(V6_64, profile);
        assertThatThrownBy(() -> v6.allocate(ip("10.96.0.5"))).isInstanceOf(IpNotInRangeException.class);
    }

    @Test
    void clusteripsOwnRulesRefuseAnIpv4MappedAddressInAnIpv4Range() {
        ClusterIpAllocator allocator = allocator(V4_24, CompatibilityProfile.CLUSTERIP);
        assertThatThrownBy(() -> allocator.allocate(ip("::ffff:10.96.0.5"))).isInstanceOf(IpNotInRangeException.class);
        assertThat(allocator.used()).isZero();
    }

    // ---- restoring bits beyond the range ------------------------------------------------------------

    /**
     * allocator/bitmap.go lines 188-199, Restore: {@code r.allocated = big.NewInt(0).SetBytes(data)},
     * {@code r.count = countBits(r.allocated)}: bits beyond the range are kept and counted. Line
     * 176, Free(): {@code return r.max - r.count}, not clamped. Line 239, AllocateBit:
     * {@code if count >= max { return 0, false }} (the range reads full); lines 97-102, Allocate,
     * look at the one bit only. Lines 180-185, Snapshot: {@code r.allocated.Bytes()}.
     */
    @Test
    void theBitmapProfileKeepsAndCountsBitsBeyondTheRangeAsKubernetesRestoreDoes() {
        BigInteger bits = BigInteger.ZERO.setBit(0).setBit(254).setBit(300); // 254 usable: bits 0-253
        byte[] data = magnitude(bits);
        RangeAllocation snapshot = new RangeAllocation(V4_24.toString(), data);

        assertThatThrownBy(() -> ClusterIpAllocator.fromSnapshot(snapshot)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bit 300 is set");

        ClusterIpAllocator bitmap = allocator(V4_24, CompatibilityProfile.KUBE_APISERVER_BITMAP);
        bitmap.restore(snapshot);
        assertThat(bitmap.used()).isEqualTo(3);
        assertThat(bitmap.free()).isEqualTo(251);
        assertThat(bitmap.allocatedAddresses()).containsExactly(ip("10.96.0.1"));
        assertThat(bitmap.snapshot().data()).isEqualTo(data);
        assertThatThrownBy(bitmap::compactSnapshot).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("2 allocations beyond the range");

        for (int i = 0; i < 251; i++) {
            bitmap.allocateNext();
        }
        assertThat(bitmap.used()).isEqualTo(254);
        // Two usable addresses are free, yet the count has reached the size: full, as in Go.
        assertThat(bitmap.allocatedAddresses().count()).isEqualTo(252);
        assertThatThrownBy(bitmap::allocateNext).isInstanceOf(RangeFullException.class);
        // Sequential: the dynamic band 10.96.0.17 - .254 (238), then 10.96.0.2 - .14 of the static band.
        IpAddress stillFree = ip("10.96.0.16");
        assertThat(bitmap.isAllocated(ip("10.96.0.15"))).isFalse();
        assertThat(bitmap.isAllocated(stillFree)).isFalse();
        bitmap.allocate(stillFree);
        assertThat(bitmap.used()).isEqualTo(255);
        assertThat(bitmap.free()).isEqualTo(-1);
        assertThat(bitmap.exactFree()).isEqualTo(BigInteger.valueOf(-1));
        assertThat(new BigInteger(1, bitmap.snapshot().data()).testBit(254)).isTrue();
        assertThat(new BigInteger(1, bitmap.snapshot().data()).testBit(300)).isTrue();

        // A restore without them clears them.
        bitmap.restore(new RangeAllocation(V4_24.toString(), new byte[0]));
        assertThat(bitmap.used()).isZero();
        assertThat(bitmap.snapshot().data()).isEmpty();
        assertThat(bitmap.compactSnapshot()).isNotEmpty();
        assertThat(bitmap.allocateNext()).isEqualTo(ip("10.96.0.17"));
    }

    /** With bits kept beyond the range, threads racing for the last room never overshoot the size. */
    @Test
    void racingThreadsStopExactlyWhenTheCountWithBitsBeyondTheRangeReachesTheSize() throws Exception {
        BigInteger bits = BigInteger.ZERO;
        for (int bit = 254; bit < 254 + 100; bit++) {
            bits = bits.setBit(bit); // 100 bits beyond the 254 usable addresses
        }
        ClusterIpAllocator bitmap = ClusterIpAllocator.builder(V4_24).profile(CompatibilityProfile.KUBE_APISERVER_BITMAP)
                .build();
        bitmap.restore(new RangeAllocation(V4_24.toString(), magnitude(bits)));
        java.util.Set<IpAddress> handedOut = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicInteger duplicates = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    while (true) {
                        try {
                            if (!handedOut.add(bitmap.allocateNext())) {
                                duplicates.incrementAndGet();
                            }
                        } catch (RangeFullException e) {
                            return;
                        }
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(duplicates).hasValue(0);
        assertThat(handedOut).hasSize(254 - 100);
        assertThat(bitmap.used()).isEqualTo(254);
        assertThat(bitmap.free()).isZero();
    }

    /**
     * pkg/registry/core/service/portallocator/allocator.go (the version with offsets) restores
     * through the same allocator.AllocationBitmap (lines 226-235: {@code snapshottable.Restore(pr.String(),
     * data)}), whose Restore keeps and counts every bit (allocator/bitmap.go lines 188-199): a
     * NodePort allocator with either Kubernetes profile does the same.
     */
    @ParameterizedTest
    @EnumSource(value = CompatibilityProfile.class, names = {"KUBE_APISERVER_BITMAP", "KUBE_APISERVER_IPADDRESS"})
    void aNodePortAllocatorWithAKubernetesProfileKeepsAndCountsBitsBeyondItsRange(CompatibilityProfile profile) {
        PortRange range = PortRange.parse("30000-30015"); // 16 ports, no static band
        byte[] data = magnitude(BigInteger.ZERO.setBit(3).setBit(16).setBit(40));
        RangeAllocation snapshot = new RangeAllocation("30000-30015", data);
        assertThatThrownBy(() -> NodePortAllocator.fromSnapshot(snapshot)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bit 40 is set");

        NodePortAllocator ports = NodePortAllocator.builder(range).profile(profile).build();
        assertThat(ports.profile()).isEqualTo(profile);
        ports.restore(snapshot);
        assertThat(ports.used()).isEqualTo(3);
        assertThat(ports.free()).isEqualTo(13);
        assertThat(ports.used(Band.DYNAMIC)).isEqualTo(1);
        assertThat(ports.allocatedPorts().toArray()).containsExactly(30003);
        assertThat(ports.snapshot().data()).isEqualTo(data);
        assertThatThrownBy(ports::compactSnapshot).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("2 allocations beyond the range");
        for (int i = 0; i < 13; i++) {
            ports.allocateNext();
        }
        // 14 of the 16 ports are taken, yet the count has reached the size: full, as in Go.
        assertThatThrownBy(ports::allocateNext).isInstanceOf(RangeFullException.class);
        assertThat(ports.allocatedPorts().count()).isEqualTo(14);
        int free = java.util.stream.IntStream.rangeClosed(30000, 30015).filter(p -> !ports.isAllocated(p))
                .findFirst().orElseThrow();
        ports.allocate(free);
        assertThat(ports.free()).isEqualTo(-1);

        byte[] huge = new byte[(int) ClusterIpAllocator.DEFAULT_MAX_RESTORE_BYTES + 1];
        huge[0] = 1;
        assertThatThrownBy(() -> ports.restore(new RangeAllocation("30000-30015", huge)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 8192");
        assertThat(ports.used()).isEqualTo(17);
    }

    @Test
    void theBitmapProfileRefusesACompactSnapshotWithAddressesPastItsCap() {
        ClusterIpAllocator own = allocator(V6_64, CompatibilityProfile.CLUSTERIP);
        own.allocate(ip("fd00:10:96::1:0"));
        byte[] data = own.compactSnapshot();
        ClusterIpAllocator bitmap = allocator(V6_64, CompatibilityProfile.KUBE_APISERVER_BITMAP);
        IpAddress kept = bitmap.allocateNext();
        assertThatThrownBy(() -> bitmap.restoreCompact(data)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("past the first 65535");
        assertThat(bitmap.allocatedAddresses()).containsExactly(kept);

        ClusterIpAllocator inside = allocator(V6_64, CompatibilityProfile.CLUSTERIP);
        inside.allocate(ip("fd00:10:96::ffff"));
        bitmap.restoreCompact(inside.compactSnapshot());
        assertThat(bitmap.allocatedAddresses()).containsExactly(ip("fd00:10:96::ffff"));
    }

    /** Every profile has the same bands, scan and bytes where the range is not capped. */
    @ParameterizedTest
    @EnumSource(CompatibilityProfile.class)
    void everyProfileHasTheSameBandsAndBytesForAnIpv4Range(CompatibilityProfile profile) {
        ClusterIpAllocator allocator = ClusterIpAllocator.builder(V4_24).profile(profile).seed(7).build();
        ClusterIpAllocator own = ClusterIpAllocator.builder(V4_24).seed(7).build();
        for (int i = 0; i < 300; i++) {
            String a = outcome(allocator);
            assertThat(a).isEqualTo(outcome(own));
        }
        assertThat(allocator.snapshot()).isEqualTo(own.snapshot());
        assertThat(allocator.compactSnapshot()).isEqualTo(own.compactSnapshot());
        assertThat(Arrays.stream(Band.values()).map(allocator::free)).containsExactly(0L, 0L);
    }

    private static String outcome(ClusterIpAllocator allocator) {
        try {
            return allocator.allocateNext().toString();
        } catch (RangeFullException e) {
            return e.getMessage();
        }
    }

    /** Go's big.Int.Bytes(): the magnitude without a sign byte. */
    private static byte[] magnitude(BigInteger value) {
        byte[] bytes = value.toByteArray();
        return bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }
}
