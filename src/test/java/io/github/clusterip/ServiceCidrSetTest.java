package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** Unit tests of {@link ServiceCidrSet}; every expectation is worked out by hand from the rules. */
class ServiceCidrSetTest {

    private static final Owner WEB = new Owner("default", "web");
    private static final Owner DB = new Owner("prod", "db");

    private static ServiceCidr cidr(String text) {
        return ServiceCidr.parse(text);
    }

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static ServiceCidrSet sequential(String... cidrs) {
        ServiceCidrSet.Builder builder = ServiceCidrSet.builder().scanStrategy(ScanStrategy.SEQUENTIAL);
        for (String c : cidrs) {
            builder.add(cidr(c));
        }
        return builder.build();
    }

    private static ServiceCidrStatus status(ServiceCidrSet set, String c) {
        return set.status(cidr(c)).orElseThrow();
    }

    /** Runs a call that must be refused, and checks that the set is exactly as before. */
    private static <T extends Throwable> T refusedUnchanged(ServiceCidrSet set, Class<T> type, Runnable call) {
        Map<IpAddress, Optional<Owner>> allocations = set.allocations();
        List<ServiceCidrStatus> cidrs = set.cidrs();
        long used = set.used();
        T thrown = catchThrowableOfType(type, call::run);
        assertThat(thrown).as("the call must throw %s", type.getSimpleName()).isNotNull();
        assertThat(set.allocations()).isEqualTo(allocations);
        assertThat(set.cidrs()).isEqualTo(cidrs);
        assertThat(set.used()).isEqualTo(used);
        return thrown;
    }

    // ---- which CIDR allocateNext picks ---------------------------------------------------------

    @Test
    void allocateNextPicksTheSmallestShareAllocatedWithTiesToTheFirstAdded() {
        // 10.0.0.0/29 has 6 usable addresses, 10.1.0.0/28 has 14.
        ServiceCidrSet set = sequential("10.0.0.0/29", "10.1.0.0/28");
        ServiceCidr small = cidr("10.0.0.0/29");
        ServiceCidr large = cidr("10.1.0.0/28");
        // Empty: 0/6 = 0/14, a tie: the first added.
        assertThat(small.contains(set.allocateNext(IpFamily.IPV4, WEB))).isTrue();
        // 1/6 > 0/14.
        assertThat(large.contains(set.allocateNext(IpFamily.IPV4, WEB))).isTrue();
        // Bring them to 3/6 and 7/14: exactly one half each, a tie again.
        set.allocate(ip("10.0.0.5"), WEB);
        set.allocate(ip("10.0.0.6"), WEB);
        for (int i = 0; i < 6; i++) {
            set.allocate(ip("10.1.0." + (i + 5)), WEB);
        }
        assertThat(status(set, "10.0.0.0/29").allocated()).isEqualTo(3);
        assertThat(status(set, "10.1.0.0/28").allocated()).isEqualTo(7);
        assertThat(small.contains(set.allocateNext(IpFamily.IPV4, WEB))).isTrue();
        // Now 4/6 against 7/14: the large one, three times (8/14, 9/14 < 4/6 = 9.33/14), then 10/14 > 4/6.
        for (int i = 0; i < 3; i++) {
            assertThat(large.contains(set.allocateNext(IpFamily.IPV4, WEB))).as("allocation %d", i).isTrue();
        }
        assertThat(small.contains(set.allocateNext(IpFamily.IPV4, WEB))).isTrue();
    }

    @Test
    void compareFractionsIsExactWhereDoublesAreNot() {
        long max = -1L; // 2^64 - 1, the usable count of an IPv6 /64, unsigned
        long maxLess1 = -2L;
        // 1/(2^64-1) < 1/(2^64-2): both are 5.421010862427522E-20 as doubles.
        assertThat(1 / (0x1p64 - 1)).isEqualTo(1 / (0x1p64 - 2));
        assertThat(ServiceCidrSet.compareFractions(1, max, 1, maxLess1)).isNegative();
        assertThat(ServiceCidrSet.compareFractions(1, maxLess1, 1, max)).isPositive();
        // 2^63/(2^64-1) > 1/2 = (2^63-1)/(2^64-2).
        assertThat(ServiceCidrSet.compareFractions(Long.MIN_VALUE, max, Long.MAX_VALUE, maxLess1)).isPositive();
        assertThat(ServiceCidrSet.compareFractions(3, 6, 7, 14)).isZero();
        assertThat(ServiceCidrSet.compareFractions(4, 6, 9, 14)).isPositive();
        assertThat(ServiceCidrSet.compareFractions(max, max, 1, 1)).isZero();
        // No usable address counts as full.
        assertThat(ServiceCidrSet.compareFractions(0, 0, 1, 1)).isZero();
        assertThat(ServiceCidrSet.compareFractions(0, 0, 0, 5)).isPositive();
    }

    @Test
    void ipv6Slash64WithASlash120() {
        ServiceCidrSet set = sequential("fd00:1::/120", "fd00:2::/64");
        ServiceCidr small = cidr("fd00:1::/120");
        ServiceCidr large = cidr("fd00:2::/64");
        // Empty: a tie, the first added (the /120).
        assertThat(small.contains(set.allocateNext(IpFamily.IPV6, WEB))).isTrue();
        // From now on 1/255 is larger than n/(2^64-1) for every small n: the /64.
        for (int i = 0; i < 20; i++) {
            assertThat(large.contains(set.allocateNext(IpFamily.IPV6, WEB))).isTrue();
        }
        assertThat(status(set, "fd00:2::/64").allocated()).isEqualTo(20);
        assertThat(status(set, "fd00:2::/64").available()).isEqualTo(Long.MAX_VALUE);
        assertThat(status(set, "fd00:1::/120").available()).isEqualTo(254);
        assertThat(set.used(IpFamily.IPV6)).isEqualTo(21);
        assertThat(set.used(IpFamily.IPV4)).isZero();
    }

    @Test
    void allocateNextFallsBackToTheNextWhenFullAndFailsWhenAllAre() {
        // /30: 2 usable; /32: none.
        ServiceCidrSet set = sequential("10.0.0.8/32", "10.0.0.0/30", "10.0.1.0/30");
        List<IpAddress> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            got.add(set.allocateNext(IpFamily.IPV4, WEB));
        }
        assertThat(got).containsExactlyInAnyOrder(ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.1.1"), ip("10.0.1.2"));
        RangeFullException full = refusedUnchanged(set, RangeFullException.class,
                () -> set.allocateNext(IpFamily.IPV4, DB));
        assertThat(full).hasMessage("range is full");
        assertThat(full.range()).isEqualTo("10.0.0.8/32,10.0.0.0/30,10.0.1.0/30");
        assertThat(full.cidr()).isEmpty();
        RangeFullException none = refusedUnchanged(set, RangeFullException.class,
                () -> set.allocateNext(IpFamily.IPV6, DB));
        assertThat(none.range()).isEmpty();
        assertThat(set.addressesOf(DB)).isEmpty();
    }

    // ---- allocate, overlap -------------------------------------------------------------------------

    @Test
    void overlappingCidrsCountEachAddressInEveryCidrThatHasItUsable() {
        ServiceCidrSet set = sequential("10.0.0.0/24", "10.0.0.0/28");
        set.allocate(ip("10.0.0.5"), WEB);   // in both
        set.allocate(ip("10.0.0.15"), WEB);  // the /28's broadcast address, usable in the /24 only
        set.allocate(ip("10.0.0.16"), WEB);  // the /24 only
        assertThat(status(set, "10.0.0.0/24").allocated()).isEqualTo(3);
        assertThat(status(set, "10.0.0.0/24").available()).isEqualTo(251);
        assertThat(status(set, "10.0.0.0/28").allocated()).isEqualTo(1);
        assertThat(status(set, "10.0.0.0/28").available()).isEqualTo(13);
        assertThat(set.used()).isEqualTo(3);
        // The network address is usable in neither.
        IpNotInAnyCidrException out = refusedUnchanged(set, IpNotInAnyCidrException.class,
                () -> set.allocate(ip("10.0.0.0"), WEB));
        assertThat(out).hasMessage("the provided network does not match the current range");
        assertThat(out.range()).isEqualTo("10.0.0.0/24,10.0.0.0/28");
        assertThat(out.address()).isEqualTo(ip("10.0.0.0"));
        IpAlreadyAllocatedException taken = refusedUnchanged(set, IpAlreadyAllocatedException.class,
                () -> set.allocate(ip("10.0.0.5"), DB));
        assertThat(taken).hasMessage("provided IP is already allocated");
        assertThat(taken.cidr()).isEqualTo(cidr("10.0.0.0/24"));
        assertThat(taken.address()).isEqualTo(ip("10.0.0.5"));
        // A CIDR added later counts what it contains: .5, .15 and .16 are usable in the /27.
        set.add(cidr("10.0.0.0/27"));
        assertThat(status(set, "10.0.0.0/27").allocated()).isEqualTo(3);
        assertThat(status(set, "10.0.0.0/27").available()).isEqualTo(27);
        // A CIDR's allocateNext skips what was allocated from another: .17 and .18 are taken from
        // the /26 (the first ready CIDR that has them); then 2/254 < 2/62 picks the /24, whose
        // dynamic band starts at .17, as the /26's does.
        ServiceCidrSet fresh = sequential("10.0.0.0/26", "10.0.0.0/24");
        fresh.allocate(ip("10.0.0.17"), WEB);
        fresh.allocate(ip("10.0.0.18"), WEB);
        assertThat(fresh.allocateNext(IpFamily.IPV4, WEB)).isEqualTo(ip("10.0.0.19"));
        assertThat(fresh.cidrs()).extracting(ServiceCidrStatus::allocated).containsExactly(3L, 3L);
        // Release clears it from every CIDR.
        assertThat(set.release(ip("10.0.0.5"))).isTrue();
        assertThat(status(set, "10.0.0.0/24").allocated()).isEqualTo(2);
        assertThat(status(set, "10.0.0.0/28").allocated()).isZero();
        assertThat(status(set, "10.0.0.0/27").allocated()).isEqualTo(2);
        assertThat(set.release(ip("10.0.0.5"))).isFalse();
        assertThat(set.release(ip("192.168.0.1"))).isFalse();
    }

    @Test
    void anAddressOfAnotherFamilyOrOutsideEveryCidrIsRefused() {
        ServiceCidrSet set = sequential("10.0.0.0/24", "fd00::/120");
        IpNotInAnyCidrException v6 = refusedUnchanged(set, IpNotInAnyCidrException.class,
                () -> set.allocate(ip("fd00:1::1"), WEB));
        assertThat(v6.range()).isEqualTo("fd00::/120");
        // clusterip's own rules: an IPv4-mapped address is IPv6.
        refusedUnchanged(set, IpNotInAnyCidrException.class, () -> set.allocate(ip("::ffff:10.0.0.5"), WEB));
    }

    @Test
    void theKubernetesProfilesReadAnIpv4MappedAddressAsIpv4() {
        ServiceCidrSet set = ServiceCidrSet.builder().profile(CompatibilityProfile.KUBE_APISERVER_IPADDRESS)
                .add(cidr("10.0.0.0/24")).build();
        set.allocate(ip("::ffff:10.0.0.5"), WEB);
        assertThat(set.isAllocated(ip("10.0.0.5"))).isTrue();
        assertThat(set.allocations()).containsOnlyKeys(ip("10.0.0.5"));
        assertThat(set.release(ip("::ffff:10.0.0.5"))).isTrue();
        assertThat(set.used()).isZero();
    }

    // ---- removal -----------------------------------------------------------------------------------

    @Test
    void aRemovedCidrWithAddressesInItAloneTerminatesUntilTheLastIsReleased() {
        ServiceCidrSet set = sequential("10.0.0.0/24", "fd00::/120");
        set.allocate(ip("10.0.0.5"), WEB);
        set.allocate(ip("10.0.0.6"), DB);
        assertThat(set.families()).containsExactly(IpFamily.IPV4, IpFamily.IPV6);
        assertThat(set.remove(cidr("10.0.0.0/24"))).isFalse();
        ServiceCidrStatus terminating = status(set, "10.0.0.0/24");
        assertThat(terminating.ready()).isFalse();
        assertThat(terminating.reason()).isEqualTo("Terminating");
        assertThat(terminating.message()).isEqualTo(
                "There are still IPAddresses referencing the ServiceCIDR, please remove them or create a new ServiceCIDR");
        assertThat(terminating.allocated()).isEqualTo(2);
        assertThat(set.families()).containsExactly(IpFamily.IPV6);
        // No new allocation in it.
        IpNotInAnyCidrException out = refusedUnchanged(set, IpNotInAnyCidrException.class,
                () -> set.allocate(ip("10.0.0.7"), WEB));
        assertThat(out.range()).isEmpty();
        RangeFullException full = refusedUnchanged(set, RangeFullException.class,
                () -> set.allocateNext(IpFamily.IPV4, WEB));
        assertThat(full.range()).isEmpty();
        refusedUnchanged(set, RangeFullException.class, () -> set.checkAllocateNext(IpFamily.IPV4));
        IllegalArgumentException again = refusedUnchanged(set, IllegalArgumentException.class,
                () -> set.remove(cidr("10.0.0.0/24")));
        assertThat(again).hasMessage("cannot remove 10.0.0.0/24: it is terminating already");
        // Releases work in it; the last one makes it leave.
        assertThat(set.release(ip("10.0.0.5"))).isTrue();
        assertThat(status(set, "10.0.0.0/24").allocated()).isEqualTo(1);
        assertThat(set.release(ip("10.0.0.6"))).isTrue();
        assertThat(set.status(cidr("10.0.0.0/24"))).isEmpty();
        assertThat(set.cidrs()).extracting(ServiceCidrStatus::cidr).containsExactly(cidr("fd00::/120"));
        IllegalArgumentException gone = refusedUnchanged(set, IllegalArgumentException.class,
                () -> set.remove(cidr("10.0.0.0/24")));
        assertThat(gone).hasMessage("cannot remove 10.0.0.0/24: it is not in the set");
    }

    @Test
    void aRemovedCidrWhoseAddressesLieInAnotherReadyCidrLeavesAtOnce() {
        ServiceCidrSet set = sequential("10.0.0.0/28", "10.0.0.0/24");
        set.allocate(ip("10.0.0.5"), WEB);
        assertThat(set.remove(cidr("10.0.0.0/28"))).isTrue();
        assertThat(set.status(cidr("10.0.0.0/28"))).isEmpty();
        assertThat(set.isAllocated(ip("10.0.0.5"))).isTrue();
        assertThat(status(set, "10.0.0.0/24").allocated()).isEqualTo(1);
        // An empty CIDR leaves at once too.
        set.add(cidr("10.1.0.0/24"));
        assertThat(set.remove(cidr("10.1.0.0/24"))).isTrue();
    }

    @Test
    void addingACidrThatCoversATerminatingOnesAddressesMakesItLeave() {
        ServiceCidrSet set = sequential("10.0.0.0/28");
        set.allocate(ip("10.0.0.5"), WEB);
        assertThat(set.remove(cidr("10.0.0.0/28"))).isFalse();
        set.add(cidr("10.0.0.0/24"));
        assertThat(set.status(cidr("10.0.0.0/28"))).isEmpty();
        assertThat(status(set, "10.0.0.0/24").allocated()).isEqualTo(1);
        assertThat(set.owner(ip("10.0.0.5"))).contains(WEB);
    }

    @Test
    void addingATerminatingCidrAgainMakesItReadyAgainInItsPlace() {
        ServiceCidrSet set = sequential("10.0.0.0/24", "10.1.0.0/24");
        set.allocate(ip("10.0.0.5"), WEB);
        assertThat(set.remove(cidr("10.0.0.0/24"))).isFalse();
        set.add(cidr("10.0.0.0/24"));
        assertThat(set.cidrs()).extracting(ServiceCidrStatus::cidr)
                .containsExactly(cidr("10.0.0.0/24"), cidr("10.1.0.0/24"));
        ServiceCidrStatus ready = status(set, "10.0.0.0/24");
        assertThat(ready.ready()).isTrue();
        assertThat(ready.reason()).isEmpty();
        assertThat(ready.message()).isEmpty();
        assertThat(ready.allocated()).isEqualTo(1);
        set.allocate(ip("10.0.0.6"), WEB);
        IllegalArgumentException twice = refusedUnchanged(set, IllegalArgumentException.class,
                () -> set.add(cidr("10.0.0.0/24")));
        assertThat(twice).hasMessage("cannot add 10.0.0.0/24: it is in the set already, and ready");
    }

    @Test
    void anAddressCoveredOnlyByATerminatingCidrKeepsBothTerminating() {
        ServiceCidrSet set = sequential("10.0.0.0/28", "10.0.0.0/24");
        set.allocate(ip("10.0.0.5"), WEB);   // in both
        set.allocate(ip("10.0.0.20"), WEB);  // in the /24 alone
        assertThat(set.remove(cidr("10.0.0.0/24"))).isFalse();  // .20 depends on it
        assertThat(set.remove(cidr("10.0.0.0/28"))).isFalse();  // .5 lies in no ready CIDR now
        assertThat(set.cidrs()).allMatch(s -> !s.ready()).hasSize(2);
        set.release(ip("10.0.0.20"));
        assertThat(set.cidrs()).hasSize(2);  // .5 still lies in both, and in no ready CIDR
        set.release(ip("10.0.0.5"));
        assertThat(set.cidrs()).isEmpty();
    }

    // ---- owners --------------------------------------------------------------------------------------

    @Test
    void theOwnerIndexFollowsAllocationsReleasesAndOwnerChanges() {
        ServiceCidrSet set = sequential("fd00::/120", "10.0.0.0/24");
        set.allocate(ip("fd00::5"), WEB);
        set.allocate(ip("10.0.0.9"), WEB);
        set.allocate(ip("10.0.0.3"), WEB);
        set.allocate(ip("10.0.0.4"), DB);
        assertThat(set.addressesOf(WEB)).containsExactly(ip("10.0.0.3"), ip("10.0.0.9"), ip("fd00::5"));
        assertThat(set.addressesOf(DB)).containsExactly(ip("10.0.0.4"));
        assertThat(set.owner(ip("10.0.0.4"))).contains(DB);
        assertThat(set.owner(ip("10.0.0.5"))).isEmpty();
        assertThat(set.allocations().keySet()).containsExactly(ip("10.0.0.3"), ip("10.0.0.4"), ip("10.0.0.9"),
                ip("fd00::5"));
        set.release(ip("10.0.0.9"));
        assertThat(set.addressesOf(WEB)).containsExactly(ip("10.0.0.3"), ip("fd00::5"));
        assertThat(set.setOwner(ip("10.0.0.3"), DB)).isTrue();
        assertThat(set.addressesOf(DB)).containsExactly(ip("10.0.0.3"), ip("10.0.0.4"));
        assertThat(set.addressesOf(WEB)).containsExactly(ip("fd00::5"));
        assertThat(set.setOwner(ip("10.0.0.100"), DB)).isFalse();
        assertThat(set.isAllocated(ip("10.0.0.100"))).isFalse();
        assertThat(set.addressesOf(new Owner("x", "y"))).isEmpty();
    }

    // ---- dry runs ----------------------------------------------------------------------------------

    @Test
    void dryRunsChangeNothingAndAnswerAsTheRealCallWould() {
        ServiceCidrSet set = sequential("10.0.0.0/29", "10.1.0.0/28");
        set.allocate(ip("10.0.0.1"), WEB);
        Map<IpAddress, Optional<Owner>> before = set.allocations();
        List<ServiceCidrStatus> cidrs = set.cidrs();
        // 1/6 against 0/14: the /28, named by its network address.
        assertThat(set.checkAllocateNext(IpFamily.IPV4)).isEqualTo(ip("10.1.0.0"));
        set.checkAllocate(ip("10.0.0.2"));
        assertThat(set.allocations()).isEqualTo(before);
        assertThat(set.cidrs()).isEqualTo(cidrs);
        assertThat(set.isAllocated(ip("10.0.0.2"))).isFalse();
        IpAlreadyAllocatedException taken = refusedUnchanged(set, IpAlreadyAllocatedException.class,
                () -> set.checkAllocate(ip("10.0.0.1")));
        assertThat(taken.cidr()).isEqualTo(cidr("10.0.0.0/29"));
        refusedUnchanged(set, IpNotInAnyCidrException.class, () -> set.checkAllocate(ip("10.2.0.1")));
        refusedUnchanged(set, RangeFullException.class, () -> set.checkAllocateNext(IpFamily.IPV6));
        // The real call agrees with the dry run.
        assertThat(cidr("10.1.0.0/28").contains(set.allocateNext(IpFamily.IPV4, WEB))).isTrue();
    }

    // ---- profiles ----------------------------------------------------------------------------------

    @Test
    void theBitmapProfileAllowsOneCidrPerFamily() {
        IllegalArgumentException built = catchThrowableOfType(IllegalArgumentException.class,
                () -> ServiceCidrSet.builder().profile(CompatibilityProfile.KUBE_APISERVER_BITMAP)
                        .add(cidr("10.0.0.0/24")).add(cidr("10.1.0.0/24")).build());
        assertThat(built).hasMessageContaining("10.0.0.0/24").hasMessageContaining("10.1.0.0/24")
                .hasMessageContaining("one CIDR per family");
        ServiceCidrSet set = ServiceCidrSet.builder().profile(CompatibilityProfile.KUBE_APISERVER_BITMAP)
                .add(cidr("10.0.0.0/24")).add(cidr("fd00::/64")).build();
        assertThat(set.profile()).isEqualTo(CompatibilityProfile.KUBE_APISERVER_BITMAP);
        IllegalArgumentException added = refusedUnchanged(set, IllegalArgumentException.class,
                () -> set.add(cidr("fd01::/120")));
        assertThat(added).hasMessageContaining("fd00::/64").hasMessageContaining("fd01::/120");
        // The capped IPv6 block: 65,535 usable.
        assertThat(status(set, "fd00::/64").available()).isEqualTo(65_535);
        refusedUnchanged(set, IpNotInAnyCidrException.class, () -> set.allocate(ip("fd00::1:0"), WEB));
        set.allocate(ip("fd00::ffff"), WEB);
    }

    @Test
    void theIpAddressProfileOrderIsRandomButReproducibleUnderASeed() {
        List<ServiceCidr> first = cidrSequence(42);
        assertThat(cidrSequence(42)).isEqualTo(first);
        assertThat(cidrSequence(43)).isNotEqualTo(first);
        // Not the default rule's order, which gives each /24 in turn.
        List<ServiceCidr> roundRobin = new ArrayList<>();
        for (int i = 0; i < first.size(); i++) {
            roundRobin.add(cidr("10." + (i % 4) + ".0.0/24"));
        }
        assertThat(first).isNotEqualTo(roundRobin);
        assertThat(first).contains(cidr("10.0.0.0/24"), cidr("10.1.0.0/24"), cidr("10.2.0.0/24"),
                cidr("10.3.0.0/24"));
    }

    private static List<ServiceCidr> cidrSequence(long seed) {
        ServiceCidrSet set = ServiceCidrSet.builder().profile(CompatibilityProfile.KUBE_APISERVER_IPADDRESS).seed(seed)
                .add(cidr("10.0.0.0/24")).add(cidr("10.1.0.0/24")).add(cidr("10.2.0.0/24")).add(cidr("10.3.0.0/24"))
                .build();
        List<ServiceCidr> picked = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            IpAddress a = set.allocateNext(IpFamily.IPV4, WEB);
            picked.add(set.cidrs().stream().map(ServiceCidrStatus::cidr).filter(c -> c.contains(a)).findFirst()
                    .orElseThrow());
        }
        return picked;
    }

    @Test
    void anAddressLiesInACidrOnlyWhereItIsUsableThere() {
        // As Kubernetes' servicecidr.PrefixContainsIP: 10.0.0.15, the /28's broadcast address, is
        // not in the /28, so it depends on the /24 alone.
        ServiceCidrSet set = sequential("10.0.0.0/24", "10.0.0.0/28");
        set.allocate(ip("10.0.0.15"), WEB);
        assertThat(set.remove(cidr("10.0.0.0/24"))).isFalse();
        assertThat(status(set, "10.0.0.0/24").ready()).isFalse();
        set.release(ip("10.0.0.15"));
        assertThat(set.status(cidr("10.0.0.0/24"))).isEmpty();
    }

    @Test
    void theClassExampleRuns() {
        ServiceCidrSet set = ServiceCidrSet.create(ServiceCidr.parse("10.96.0.0/24"));
        Owner web = new Owner("default", "web");
        set.allocate(IpAddress.parse("10.96.0.10"), web);
        set.add(ServiceCidr.parse("10.97.0.0/24"));
        IpAddress next = set.allocateNext(IpFamily.IPV4, web);
        assertThat(cidr("10.97.0.0/24").contains(next)).isTrue();
        assertThat(set.remove(ServiceCidr.parse("10.96.0.0/24"))).isFalse();
        assertThat(set.status(ServiceCidr.parse("10.96.0.0/24")).orElseThrow().ready()).isFalse();
        set.release(IpAddress.parse("10.96.0.10"));
        assertThat(set.cidrs().size() == 1 && set.addressesOf(web).equals(List.of(next))).isTrue();
    }

    // ---- metrics -----------------------------------------------------------------------------------

    /** Records the events as text. */
    private static final class Recording implements AllocationMetrics {
        final List<String> events = new ArrayList<>();

        @Override
        public synchronized void addressAllocated(ServiceCidr cidr, Scope scope, long allocated, long available,
                long nanos) {
            assertThat(nanos).isNotNegative();
            events.add("allocated " + cidr + " " + scope.label() + " " + allocated + "/" + available);
        }

        @Override
        public synchronized void addressAllocationFailed(ServiceCidr cidr, Scope scope) {
            events.add("failed " + cidr + " " + scope.label());
        }

        @Override
        public synchronized void addressReleased(ServiceCidr cidr, long allocated, long available) {
            events.add("released " + cidr + " " + allocated + "/" + available);
        }
    }

    @Test
    void metricsNameTheCidrThatAllocatedRefusedOrReleased() {
        Recording metrics = new Recording();
        ServiceCidrSet set = ServiceCidrSet.builder().scanStrategy(ScanStrategy.SEQUENTIAL).metrics(metrics)
                .add(cidr("10.0.0.0/30")).add(cidr("10.0.0.0/24")).build();
        set.allocate(ip("10.0.0.1"), WEB);          // from the /30, the first that has it; counts in both
        set.allocate(ip("10.0.0.2"), WEB);          // the /30 is full now
        assertThat(set.allocateNext(IpFamily.IPV4, WEB)).isEqualTo(ip("10.0.0.17")); // 2/254 < 2/2
        catchThrowableOfType(IpAlreadyAllocatedException.class, () -> set.allocate(ip("10.0.0.1"), DB));
        set.release(ip("10.0.0.1"));
        assertThat(metrics.events).containsExactly(
                "allocated 10.0.0.0/30 static 1/1",
                "allocated 10.0.0.0/30 static 2/0",
                "allocated 10.0.0.0/24 dynamic 3/251",
                "failed 10.0.0.0/30 static",
                "released 10.0.0.0/30 1/1",
                "released 10.0.0.0/24 2/252");
        metrics.events.clear();
        // Every CIDR that refuses counts its own error; an address in no CIDR counts none.
        ServiceCidrSet full = ServiceCidrSet.builder().metrics(metrics).add(cidr("10.1.0.0/31"))
                .add(cidr("10.2.0.0/32")).build();
        catchThrowableOfType(RangeFullException.class, () -> full.allocateNext(IpFamily.IPV4, WEB));
        catchThrowableOfType(IpNotInAnyCidrException.class, () -> full.allocate(ip("10.3.0.1"), WEB));
        catchThrowableOfType(RangeFullException.class, () -> full.checkAllocateNext(IpFamily.IPV4));
        assertThat(metrics.events).containsExactly("failed 10.1.0.0/31 dynamic", "failed 10.2.0.0/32 dynamic");
    }

    // ---- snapshots ---------------------------------------------------------------------------------

    @Test
    void aSnapshotHoldsEveryAddressUsableInTheCidrAndARestoreMergesThemWithoutOwners() {
        ServiceCidrSet set = sequential("10.0.0.0/24", "10.0.0.0/28");
        set.allocate(ip("10.0.0.5"), WEB);   // in both
        set.allocate(ip("10.0.0.20"), WEB);  // the /24 only
        RangeAllocation small = set.snapshot(cidr("10.0.0.0/28"));
        RangeAllocation large = set.snapshot(cidr("10.0.0.0/24"));
        assertThat(small.range()).isEqualTo("10.0.0.0/28");
        ClusterIpAllocator check = ClusterIpAllocator.fromSnapshot(large);
        assertThat(check.allocatedAddresses()).containsExactly(ip("10.0.0.5"), ip("10.0.0.20"));
        assertThat(ClusterIpAllocator.fromSnapshot(small).allocatedAddresses()).containsExactly(ip("10.0.0.5"));

        ServiceCidrSet other = sequential("10.0.0.0/28", "10.0.0.0/24");
        other.allocate(ip("10.0.0.20"), DB);
        other.restore(large);
        assertThat(other.owner(ip("10.0.0.20"))).contains(DB);      // kept
        assertThat(other.owner(ip("10.0.0.5"))).isEmpty();          // restored, no owner
        assertThat(other.isAllocated(ip("10.0.0.5"))).isTrue();
        assertThat(other.allocations()).containsEntry(ip("10.0.0.5"), Optional.empty());
        assertThat(status(other, "10.0.0.0/28").allocated()).isEqualTo(1);
        assertThat(status(other, "10.0.0.0/24").allocated()).isEqualTo(2);
        assertThat(other.addressesOf(DB)).containsExactly(ip("10.0.0.20"));
        assertThat(other.release(ip("10.0.0.5"))).isTrue();
        assertThat(other.used()).isEqualTo(1);
    }

    @Test
    void aRefusedRestoreChangesNothing() {
        ServiceCidrSet set = sequential("10.0.0.0/28");
        set.allocate(ip("10.0.0.5"), WEB);
        IllegalArgumentException foreign = refusedUnchanged(set, IllegalArgumentException.class,
                () -> set.restore(new RangeAllocation("10.9.0.0/28", new byte[] {1})));
        assertThat(foreign).hasMessage("cannot restore a RangeAllocation of 10.9.0.0/28: it is not a CIDR of the set");
        IllegalArgumentException malformed = refusedUnchanged(set, IllegalArgumentException.class,
                () -> set.restore(new RangeAllocation("10.0.0.0/33", new byte[] {1})));
        assertThat(malformed).hasMessageStartingWith("invalid RangeAllocation: ");
        // Bit 14 is past the 14 usable addresses (indexes 0 to 13) of the /28.
        refusedUnchanged(set, IllegalArgumentException.class,
                () -> set.restore(new RangeAllocation("10.0.0.0/28", new byte[] {0x40, 0x01})));
        IllegalArgumentException missing = refusedUnchanged(set, IllegalArgumentException.class,
                () -> set.snapshot(cidr("10.9.0.0/28")));
        assertThat(missing).hasMessage("cannot snapshot 10.9.0.0/28: it is not a CIDR of the set");
    }

    @Test
    void aRestoreIntoATerminatingCidrKeepsItTerminatingUntilThoseAreReleased() {
        ServiceCidrSet set = sequential("10.0.0.0/28", "10.1.0.0/28");
        set.allocate(ip("10.0.0.5"), WEB);
        RangeAllocation saved = new RangeAllocation("10.0.0.0/28", new byte[] {0x18}); // .4 and .5
        assertThat(set.remove(cidr("10.0.0.0/28"))).isFalse();
        set.restore(saved);
        assertThat(status(set, "10.0.0.0/28").allocated()).isEqualTo(2);
        set.release(ip("10.0.0.5"));
        assertThat(set.status(cidr("10.0.0.0/28"))).isPresent();
        set.release(ip("10.0.0.4"));
        assertThat(set.status(cidr("10.0.0.0/28"))).isEmpty();
    }

    @Test
    void theIpAddressProfileSkipsAFullCidrWhateverTheOrder() {
        for (long seed = 0; seed < 8; seed++) {
            ServiceCidrSet set = ServiceCidrSet.builder().profile(CompatibilityProfile.KUBE_APISERVER_IPADDRESS)
                    .seed(seed).add(cidr("10.0.0.0/30")).add(cidr("10.1.0.0/24")).build();
            set.allocate(ip("10.0.0.1"), WEB);
            set.allocate(ip("10.0.0.2"), WEB);
            for (int i = 0; i < 5; i++) {
                assertThat(cidr("10.1.0.0/24").contains(set.allocateNext(IpFamily.IPV4, WEB))).isTrue();
            }
            // The dry run draws nothing and names the first that is not full.
            assertThat(set.checkAllocateNext(IpFamily.IPV4)).isEqualTo(ip("10.1.0.0"));
        }
    }

    @Test
    void aGivenRandomSourceDrivesTheOrderAndTheScans() {
        List<IpAddress> first = allocations(new SplittableRandom(7));
        assertThat(allocations(new SplittableRandom(7))).isEqualTo(first);
        assertThatThrownBy(() -> ServiceCidrSet.builder().seed(1).random(new SplittableRandom(1)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ServiceCidrSet.builder().random(new SplittableRandom(1)).seed(1))
                .isInstanceOf(IllegalStateException.class);
    }

    private static List<IpAddress> allocations(RandomGenerator random) {
        ServiceCidrSet set = ServiceCidrSet.builder().profile(CompatibilityProfile.KUBE_APISERVER_IPADDRESS)
                .random(random).add(cidr("10.0.0.0/24")).add(cidr("10.1.0.0/24")).add(cidr("10.2.0.0/24")).build();
        List<IpAddress> got = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            got.add(set.allocateNext(IpFamily.IPV4, WEB));
        }
        return got;
    }

    // ---- construction ------------------------------------------------------------------------------

    @Test
    void aCidrGivenTwiceIsRefused() {
        assertThatThrownBy(() -> ServiceCidrSet.create(cidr("10.0.0.0/24"), cidr("10.0.0.0/24")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot build the set: 10.0.0.0/24 is given twice");
        ServiceCidrSet set = ServiceCidrSet.create(cidr("10.0.0.0/24"));
        assertThat(set.profile()).isEqualTo(CompatibilityProfile.CLUSTERIP);
        refusedUnchanged(set, IllegalArgumentException.class, () -> set.add(cidr("fd00::/48")));
    }
}
