package io.github.clusterip.bench;

import io.github.clusterip.Band;
import io.github.clusterip.ClusterIpAllocator;
import io.github.clusterip.IpAddress;
import io.github.clusterip.IpAlreadyAllocatedException;
import io.github.clusterip.IpFamily;
import io.github.clusterip.RangeAllocation;
import io.github.clusterip.RangeFullException;
import io.github.clusterip.ServiceCidr;
import java.net.InetAddress;
import java.math.BigInteger;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Shared set-up code of the benchmarks: the implementations under test, the seeded choice of
 * addresses to pre-allocate, and the correctness checks that every benchmark runs in its
 * {@code @Setup} so that its numbers can be trusted. A failed check throws
 * {@link IllegalStateException}, which makes JMH fail the benchmark.
 */
final class Fixtures {

    /** Seed of the choice of pre-allocated addresses: the same for every implementation. */
    static final long FILL_SEED = 0x5EED_F111L;
    /** Seed of the allocators' random starts. */
    static final long ALLOCATOR_SEED = 42L;

    private Fixtures() {
    }

    /** The implementations compared; the {@code implementation} parameter of the benchmarks. */
    enum Impl {
        /** The library under test, {@link ClusterIpAllocator}, through its public API. */
        CLUSTERIP,
        /** {@link KubernetesStrategyAllocator}. */
        KUBERNETES,
        /** {@link BitSetAllocator}. */
        BITSET;

        static Impl of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * Where clusterip's allocator takes its random starts from; the {@code clusteripRandom}
     * parameter of the churn and throughput benchmarks. The baselines are always seeded.
     */
    enum ClusterIpRandom {
        /**
         * {@link ClusterIpAllocator#create(ServiceCidr)}: the default, unseeded source (in the
         * lock-free allocator, {@link java.util.concurrent.ThreadLocalRandom}, without a lock).
         */
        UNSEEDED,
        /**
         * {@code builder(cidr).seed(ALLOCATOR_SEED)}: repeatable starts, drawn from one generator
         * under a lock.
         */
        SEEDED;

        static ClusterIpRandom of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /** Usable addresses of {@code cidr}: the index space 0..usable-1. */
    static int usable(ServiceCidr cidr) {
        return cidr.usableCount().intValueExact();
    }

    /** The band offset as the allocators use it: the static band is [0, offset). */
    static int offset(ServiceCidr cidr) {
        return Math.min(cidr.bandOffset(), usable(cidr));
    }

    /** A new, empty allocator of the given kind, seen through the index API. */
    static IndexAllocator newIndexAllocator(Impl impl, ServiceCidr cidr, long seed) {
        switch (impl) {
            case CLUSTERIP:
                return new ClusterIpIndexes(ClusterIpAllocator.builder(cidr).seed(seed).build());
            case KUBERNETES:
                return new KubernetesStrategyAllocator(usable(cidr), offset(cidr), seed);
            case BITSET:
                return new BitSetAllocator(usable(cidr), offset(cidr), seed);
            default:
                throw new AssertionError(impl);
        }
    }

    /**
     * A new, empty allocator of the given kind that takes its random starts from {@code random}:
     * clusterip through {@code builder(cidr).random(random)}, the baselines through their
     * {@code RandomGenerator} constructors. With a {@link FixedFractionRandom} the start is fixed.
     */
    static IndexAllocator newIndexAllocator(Impl impl, ServiceCidr cidr, RandomGenerator random) {
        switch (impl) {
            case CLUSTERIP:
                return new ClusterIpIndexes(ClusterIpAllocator.builder(cidr).random(random).build());
            case KUBERNETES:
                return new KubernetesStrategyAllocator(usable(cidr), offset(cidr), random);
            case BITSET:
                return new BitSetAllocator(usable(cidr), offset(cidr), random);
            default:
                throw new AssertionError(impl);
        }
    }

    /**
     * A new, empty allocator for the churn and throughput benchmarks: clusterip unseeded or
     * seeded as asked, the baselines seeded with {@link #ALLOCATOR_SEED}.
     */
    static IndexAllocator newChurnAllocator(Impl impl, ServiceCidr cidr, ClusterIpRandom clusterIpRandom) {
        if (impl == Impl.CLUSTERIP && clusterIpRandom == ClusterIpRandom.UNSEEDED) {
            return new ClusterIpIndexes(ClusterIpAllocator.create(cidr));
        }
        return newIndexAllocator(impl, cidr, ALLOCATOR_SEED);
    }

    /**
     * The trial set-up shared by the churn and throughput benchmarks: runs the small-range
     * self-check of the implementation, fills a new allocator to {@code fill} with the addresses
     * {@code pattern} chooses (the same for every implementation), checks the fill and a few
     * thousand allocate+release pairs.
     *
     * @param implementation the {@code implementation} parameter
     * @param cidr the CIDR text
     * @param fill the fraction of usable addresses to allocate
     * @param pattern {@code uniform} or {@code kubernetes}
     * @param clusterIpRandom how clusterip takes its random starts
     * @return the filled allocator
     */
    static Filled filledForChurn(String implementation, String cidr, double fill, String pattern,
            ClusterIpRandom clusterIpRandom) {
        Impl impl = Impl.of(implementation);
        selfCheck(impl);
        ServiceCidr range = ServiceCidr.parse(cidr);
        int usable = usable(range);
        int[] chosen = choose(pattern, range, fillCount(usable, fill));
        IndexAllocator allocator = newChurnAllocator(impl, range, clusterIpRandom);
        fill(allocator, chosen);
        checkChurn(allocator, bitmapOf(chosen, usable), 5_000);
        return new Filled(impl, allocator, chosen.length, allocator.snapshotBytes());
    }

    /** A filled allocator, and the state it must still be in at the end of the trial. */
    static final class Filled {
        final Impl impl;
        /** The library's allocator, when {@code impl} is {@link Impl#CLUSTERIP}; otherwise null. */
        final ClusterIpAllocator clusterIp;
        /** The baseline, when {@code impl} is not {@link Impl#CLUSTERIP}; otherwise null. */
        final IndexAllocator baseline;
        private final IndexAllocator indexes;
        private final int expectedUsed;
        private final byte[] expectedSnapshot;

        Filled(Impl impl, IndexAllocator indexes, int expectedUsed, byte[] expectedSnapshot) {
            this.impl = impl;
            this.indexes = indexes;
            this.clusterIp = impl == Impl.CLUSTERIP ? ((ClusterIpIndexes) indexes).allocator : null;
            this.baseline = impl == Impl.CLUSTERIP ? null : indexes;
            this.expectedUsed = expectedUsed;
            this.expectedSnapshot = expectedSnapshot;
        }

        /** Checks that the allocator holds exactly the addresses of the fill: every op undid itself. */
        void checkUnchanged() {
            int used = indexes.used();
            check(used == expectedUsed, "fill drifted during the run: ", used, " instead of ", expectedUsed);
            check(Arrays.equals(indexes.snapshotBytes(), expectedSnapshot),
                    "the allocated set changed during the run (same count, other addresses)");
        }
    }

    /**
     * Calls {@code allocateNext} {@code count} times on an allocator of any range up to
     * 2<sup>64</sup> addresses (IPv4, IPv6 up to {@code /64}) and checks the result: every address
     * is usable and lies in the dynamic band while that band cannot be full yet, the addresses are
     * distinct, and {@code used()} is {@code count} more than before.
     *
     * @return the allocated addresses, in the order they were allocated
     */
    static IpAddress[] allocateNextChecked(ClusterIpAllocator allocator, int count) {
        ServiceCidr cidr = allocator.cidr();
        check(cidr.family().bitLength() - cidr.prefixLength() <= 64, "the checks take CIDRs of at most 2^64"
                + " addresses, not ", cidr, "", "");
        long usedBefore = allocator.used();
        BigInteger dynamicSize = cidr.usableCount().subtract(BigInteger.valueOf(cidr.bandOffset()));
        boolean dynamicRoom = dynamicSize.compareTo(BigInteger.valueOf(usedBefore + count)) >= 0;
        IpAddress[] addresses = new IpAddress[count];
        for (int i = 0; i < count; i++) {
            addresses[i] = allocator.allocateNext();
        }
        Optional<Band> dynamic = Optional.of(Band.DYNAMIC);
        for (IpAddress address : addresses) {
            Optional<Band> band = cidr.bandOf(address);
            check(band.isPresent(), "allocateNext returned ", address, ", not a usable address of ", cidr);
            check(!dynamicRoom || band.equals(dynamic), "allocateNext returned ", address,
                    " in the static band while the dynamic band has room, in ", cidr);
        }
        long[] keys = sortedLow64(addresses);
        for (int i = 1; i < count; i++) {
            check(keys[i] != keys[i - 1], "allocateNext returned an address twice, ending in ",
                    Long.toHexString(keys[i]), "", "");
        }
        long used = allocator.used();
        check(used == usedBefore + count, "used() is ", used, " after allocating ", count);
        return addresses;
    }

    /**
     * The low 64 bits of each address, sorted (as signed longs). Inside one CIDR of at most
     * 2<sup>64</sup> addresses they identify the address; a primitive array sorts and searches
     * much faster than the address objects.
     */
    static long[] sortedLow64(IpAddress[] addresses) {
        long[] keys = new long[addresses.length];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = low64(addresses[i]);
        }
        Arrays.sort(keys);
        return keys;
    }

    /** The low 64 bits of an address (all of an IPv4 address). */
    static long low64(IpAddress address) {
        byte[] bytes = address.toBytes();
        long key = 0;
        for (int b = Math.max(0, bytes.length - 8); b < bytes.length; b++) {
            key = key << 8 | (bytes[b] & 0xFF);
        }
        return key;
    }

    /** The number of addresses to pre-allocate for a fill fraction. */
    static int fillCount(int usable, double fill) {
        if (!(fill >= 0 && fill <= 1)) {
            throw new IllegalArgumentException("fill " + fill + " is not in [0, 1]");
        }
        return (int) Math.round(usable * fill);
    }

    /** A seeded random choice of {@code count} distinct indexes of [0, usable). */
    static int[] chooseIndexes(int usable, int count, long seed) {
        int[] all = new int[usable];
        for (int i = 0; i < usable; i++) {
            all[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) { // partial Fisher-Yates shuffle
            int j = i + random.nextInt(usable - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, count);
    }

    /**
     * The indexes kube-apiserver's own strategy hands out when it fills an empty range with
     * {@code count} allocations: free addresses left behind by its random-start, scan-forward
     * probing are clustered, unlike a uniform choice. Seeded, so every implementation gets the
     * same set.
     */
    static int[] chooseIndexesByKubernetes(ServiceCidr cidr, int count, long seed) {
        KubernetesStrategyAllocator filler = new KubernetesStrategyAllocator(usable(cidr), offset(cidr), seed);
        int[] chosen = new int[count];
        for (int i = 0; i < count; i++) {
            chosen[i] = filler.allocateNextIndex();
            check(chosen[i] >= 0, "the Kubernetes strategy reported full after ", i, " of ", count);
        }
        return chosen;
    }

    /** The fill pattern named by a benchmark's {@code pattern} parameter. */
    static int[] choose(String pattern, ServiceCidr cidr, int count) {
        switch (pattern) {
            case "uniform":
                return chooseIndexes(usable(cidr), count, FILL_SEED);
            case "kubernetes":
                return chooseIndexesByKubernetes(cidr, count, FILL_SEED);
            default:
                throw new IllegalArgumentException("unknown pattern \"" + pattern + "\": uniform or kubernetes");
        }
    }

    /** The bit words of a set of indexes. */
    static long[] bitmapOf(int[] indexes, int size) {
        long[] words = new long[GoBigIntBytes.wordsFor(size)];
        for (int index : indexes) {
            words[index >>> 6] |= 1L << index;
        }
        return words;
    }

    static boolean bit(long[] words, int index) {
        return (words[index >>> 6] & (1L << index)) != 0;
    }

    /** Whether any index of [from, to) is clear in {@code words}. */
    static boolean anyClear(long[] words, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!bit(words, i)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Allocates the given indexes in an empty allocator and checks the result: the count, and the
     * snapshot against an independent conversion of the expected bitmap.
     */
    static void fill(IndexAllocator allocator, int[] indexes) {
        for (int index : indexes) {
            if (!allocator.allocate(index)) {
                throw new IllegalStateException("index " + index + " was already allocated during the fill");
            }
        }
        check(allocator.used() == indexes.length, "fill reached ", allocator.used(), " instead of ", indexes.length);
        byte[] expected = GoBigIntBytes.toBytes(bitmapOf(indexes, allocator.size()));
        check(Arrays.equals(allocator.snapshotBytes(), expected), "snapshot after the fill differs from the expected bitmap");
    }

    /**
     * Does {@code ops} allocate+release pairs on a filled allocator whose allocated set is
     * {@code expected}, checking that every allocation is free in {@code expected}, lies in the
     * dynamic band while that has a free index, and that the state is unchanged afterwards.
     */
    static void checkChurn(IndexAllocator allocator, long[] expected, int ops) {
        int size = allocator.size();
        int offset = allocator.offset();
        int used = allocator.used();
        boolean dynamicHasFree = anyClear(expected, offset, size);
        for (int i = 0; i < ops; i++) {
            int index = allocator.allocateNextIndex();
            check(index >= 0 && index < size, "allocateNext returned ", index, " with free indexes left", "");
            check(!bit(expected, index), "allocateNext returned allocated index ", index, "", "");
            check(dynamicHasFree == (index >= offset), "allocateNext returned ", index,
                    " in the wrong band; dynamic band has a free index: ", dynamicHasFree);
            check(allocator.release(index), "release of just allocated index ", index, " returned false", "");
        }
        check(allocator.used() == used, "churn changed the count from ", used, " to ", allocator.used());
    }

    /**
     * Checks an implementation on small ranges: every allocation is free and in the right band,
     * the range reports full exactly when it is, released indexes are the ones handed out again,
     * release of a free index is a no-op, and snapshot/restore round-trip and agree with the
     * library's own snapshot of the same state.
     */
    static void selfCheck(Impl impl) {
        String[] cidrs = {"10.96.0.0/31", "10.96.0.0/30", "10.96.0.0/29", "10.96.0.0/28", "10.96.0.0/27",
            "10.96.0.0/24", "10.96.0.0/20"};
        for (String text : cidrs) {
            ServiceCidr cidr = ServiceCidr.parse(text);
            try {
                selfCheck(impl, cidr);
            } catch (RuntimeException e) {
                throw new IllegalStateException("self-check of " + impl + " on " + cidr + " failed: " + e.getMessage(), e);
            }
        }
    }

    private static void selfCheck(Impl impl, ServiceCidr cidr) {
        int size = usable(cidr);
        int offset = offset(cidr);
        IndexAllocator a = newIndexAllocator(impl, cidr, 7);
        boolean[] taken = new boolean[size];
        drainAndCheck(a, taken, size - offset, offset, size);
        check(a.allocateNextIndex() == -1, "a full range allocated again", "", "", "");
        byte[] full = a.snapshotBytes();
        check(Arrays.equals(full, clusterIpSnapshot(cidr, taken)), "snapshot of the full range differs from the library's", "", "", "");

        // Release a random third (and make sure both bands lose some), then take them back.
        SplittableRandom random = new SplittableRandom(11);
        int released = 0;
        int releasedDynamic = 0;
        for (int i = 0; i < size; i++) {
            boolean pick = random.nextInt(3) == 0 || i == 0 || i == size - 1;
            if (pick) {
                check(a.release(i), "release of allocated ", i, " returned false", "");
                check(!a.release(i), "second release of ", i, " returned true", "");
                check(!a.isAllocated(i), "released ", i, " is still allocated", "");
                taken[i] = false;
                released++;
                if (i >= offset) {
                    releasedDynamic++;
                }
            }
        }
        check(a.used() == size - released, "used ", a.used(), " after releases, expected ", size - released);
        byte[] partial = a.snapshotBytes();
        check(Arrays.equals(partial, clusterIpSnapshot(cidr, taken)), "snapshot after releases differs from the library's", "", "", "");
        boolean[] afterRelease = taken.clone();

        drainAndCheck(a, taken, releasedDynamic, released - releasedDynamic, released);
        check(a.allocateNextIndex() == -1, "a full range allocated again", "", "", "");

        // Restore the partial state into the full allocator and into a fresh one.
        a.restoreBytes(partial);
        IndexAllocator b = newIndexAllocator(impl, cidr, 13);
        b.restoreBytes(partial);
        for (IndexAllocator x : new IndexAllocator[] {a, b}) {
            check(x.used() == size - released, "used ", x.used(), " after restore, expected ", size - released);
            for (int i = 0; i < size; i++) {
                check(x.isAllocated(i) == afterRelease[i], "after restore index ", i, " allocated: ", x.isAllocated(i));
            }
            check(Arrays.equals(x.snapshotBytes(), partial), "snapshot after restore differs", "", "", "");
            boolean[] copy = afterRelease.clone();
            drainAndCheck(x, copy, releasedDynamic, released - releasedDynamic, released);
        }
        if (size > 0) {
            check(!b.allocate(0), "allocate of an allocated index returned true", "", "", "");
        }
    }

    /** Allocates until full, checking each index against {@code taken} and the band order. */
    private static void drainAndCheck(IndexAllocator a, boolean[] taken, int freeDynamic, int freeStatic, int expected) {
        int offset = a.offset();
        int got = 0;
        for (int index = a.allocateNextIndex(); index >= 0; index = a.allocateNextIndex()) {
            check(index < taken.length, "index ", index, " out of range ", taken.length);
            check(!taken[index], "allocateNext returned allocated index ", index, "", "");
            if (freeDynamic > 0) {
                check(index >= offset, "static index ", index, " while the dynamic band has free: ", freeDynamic);
                freeDynamic--;
            } else {
                check(index < offset, "dynamic index ", index, " after the dynamic band was full", "");
                freeStatic--;
            }
            taken[index] = true;
            got++;
        }
        check(got == expected && freeStatic == 0, "allocated ", got, " before full, expected ", expected);
        check(a.used() == taken.length, "used ", a.used(), " when full, expected ", taken.length);
    }

    /** The library's snapshot data of a state, as an independent reference. */
    private static byte[] clusterIpSnapshot(ServiceCidr cidr, boolean[] taken) {
        ClusterIpAllocator reference = ClusterIpAllocator.create(cidr);
        Addresses addresses = new Addresses(cidr);
        for (int i = 0; i < taken.length; i++) {
            if (taken[i]) {
                reference.allocate(addresses.at(i));
            }
        }
        return reference.snapshot().data();
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    static void check(boolean ok, String a, Object b, String c, Object d) {
        if (!ok) {
            throw new IllegalStateException(a + b + c + d);
        }
    }

    /** Index to address and back for an IPv4 CIDR, through the public API only. */
    static final class Addresses {
        private final long first;
        private final int size;

        Addresses(ServiceCidr cidr) {
            if (cidr.family() != IpFamily.IPV4) {
                throw new IllegalArgumentException("the benchmarks use IPv4 CIDRs only: " + cidr);
            }
            this.first = toLong(cidr.network().toBytes()) + 1;
            this.size = usable(cidr);
        }

        /** Usable address number {@code index}: network + 1 + index. */
        IpAddress at(int index) {
            long value = first + index;
            byte[] bytes = {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
            try {
                return IpAddress.of(InetAddress.getByAddress(bytes));
            } catch (UnknownHostException e) {
                throw new AssertionError("a 4-byte address is always accepted", e);
            }
        }

        /** The index of a usable address of the CIDR. */
        int indexOf(IpAddress address) {
            long index = toLong(address.toBytes()) - first;
            if (index < 0 || index >= size) {
                throw new IllegalStateException(address + " is not a usable address of the range");
            }
            return (int) index;
        }

        private static long toLong(byte[] bytes) {
            long value = 0;
            for (byte b : bytes) {
                value = value << 8 | (b & 0xFF);
            }
            return value;
        }
    }

    /** {@link ClusterIpAllocator} seen through the index API, for the checks (not for timing). */
    static final class ClusterIpIndexes implements IndexAllocator {
        final ClusterIpAllocator allocator;
        final Addresses addresses;
        private final int size;
        private final int offset;

        ClusterIpIndexes(ClusterIpAllocator allocator) {
            this.allocator = allocator;
            this.addresses = new Addresses(allocator.cidr());
            this.size = usable(allocator.cidr());
            this.offset = Fixtures.offset(allocator.cidr());
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public int offset() {
            return offset;
        }

        @Override
        public int allocateNextIndex() {
            try {
                return addresses.indexOf(allocator.allocateNext());
            } catch (RangeFullException e) {
                return -1;
            }
        }

        @Override
        public boolean allocate(int index) {
            try {
                allocator.allocate(addresses.at(index));
                return true;
            } catch (IpAlreadyAllocatedException e) {
                return false;
            }
        }

        @Override
        public boolean release(int index) {
            return allocator.release(addresses.at(index));
        }

        @Override
        public boolean isAllocated(int index) {
            return allocator.isAllocated(addresses.at(index));
        }

        @Override
        public int used() {
            return (int) allocator.used();
        }

        @Override
        public byte[] snapshotBytes() {
            return allocator.snapshot().data();
        }

        @Override
        public void restoreBytes(byte[] data) {
            allocator.restore(new RangeAllocation(allocator.cidr().toString(), data));
        }
    }
}
