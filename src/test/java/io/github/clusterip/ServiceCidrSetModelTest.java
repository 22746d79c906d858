package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random sequences of allocations, releases, additions and removals of overlapping CIDRs, applied
 * to a {@link ServiceCidrSet} and to a plain reference model that recomputes everything from
 * scratch after each step (with {@link BigInteger} fractions for the choice of CIDR). After every
 * step the allocations, the owners, the CIDRs with their states and counts must agree, and a
 * refused call must have changed nothing.
 */
class ServiceCidrSetModelTest {

    private static final List<ServiceCidr> POOL = List.of("10.0.0.0/28", "10.0.0.0/27", "10.0.0.16/28",
            "10.0.0.0/30", "10.0.1.0/29", "10.0.0.0/32", "fd00::/124", "fd00::/120").stream()
            .map(ServiceCidr::parse).toList();
    private static final List<Owner> OWNERS = List.of(new Owner("a", "one"), new Owner("a", "two"),
            new Owner("b", "one"));

    /** The model: CIDR -> ready, in the order added; address -> owner. */
    private final Map<ServiceCidr, Boolean> cidrs = new LinkedHashMap<>();
    private final Map<IpAddress, Optional<Owner>> allocations = new TreeMap<>();

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void theSetBehavesAsTheModel(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ServiceCidrSet set = ServiceCidrSet.builder().seed(seed).add(POOL.get(0)).add(POOL.get(6)).build();
        cidrs.put(POOL.get(0), true);
        cidrs.put(POOL.get(6), true);
        for (int step = 0; step < 1500; step++) {
            Map<IpAddress, Optional<Owner>> before = set.allocations();
            List<ServiceCidrStatus> statusBefore = set.cidrs();
            boolean refused = false;
            int op = random.nextInt(10);
            Owner owner = OWNERS.get(random.nextInt(OWNERS.size()));
            try {
                if (op < 3) {
                    IpAddress a = randomAddress(random);
                    ServiceCidr expected = cidrs.entrySet().stream().filter(e -> e.getValue() && holds(e.getKey(), a))
                            .map(Map.Entry::getKey).findFirst().orElse(null);
                    try {
                        set.allocate(a, owner);
                        assertThat(expected).as("allocate %s", a).isNotNull();
                        assertThat(allocations.put(a, Optional.of(owner))).isNull();
                    } catch (IpNotInAnyCidrException e) {
                        assertThat(expected).as("allocate %s", a).isNull();
                        refused = true;
                    } catch (IpAlreadyAllocatedException e) {
                        assertThat(allocations).containsKey(a);
                        assertThat(e.cidr()).isEqualTo(expected);
                        refused = true;
                    }
                } else if (op < 6) {
                    IpFamily family = random.nextInt(4) == 0 ? IpFamily.IPV6 : IpFamily.IPV4;
                    ServiceCidr expected = leastFilled(family);
                    try {
                        IpAddress a = set.allocateNext(family, owner);
                        assertThat(expected).as("allocateNext %s", family).isNotNull();
                        assertThat(holds(expected, a)).as("%s from %s", a, expected).isTrue();
                        assertThat(allocations.put(a, Optional.of(owner))).isNull();
                    } catch (RangeFullException e) {
                        assertThat(expected).as("allocateNext %s", family).isNull();
                        refused = true;
                    }
                } else if (op < 8) {
                    IpAddress a = random.nextBoolean() && !allocations.isEmpty()
                            ? new ArrayList<>(allocations.keySet()).get(random.nextInt(allocations.size()))
                            : randomAddress(random);
                    assertThat(set.release(a)).isEqualTo(allocations.remove(a) != null);
                } else if (op < 9) {
                    ServiceCidr c = POOL.get(random.nextInt(POOL.size()));
                    if (Boolean.TRUE.equals(cidrs.get(c))) {
                        refused = true;
                        try {
                            set.add(c);
                            throw new AssertionError("added " + c + " twice");
                        } catch (IllegalArgumentException expected) {
                            // as the model says
                        }
                    } else {
                        set.add(c);
                        cidrs.put(c, true);
                    }
                } else {
                    ServiceCidr c = POOL.get(random.nextInt(POOL.size()));
                    if (!Boolean.TRUE.equals(cidrs.get(c))) {
                        refused = true;
                        try {
                            set.remove(c);
                            throw new AssertionError("removed " + c + " not ready");
                        } catch (IllegalArgumentException expected) {
                            // as the model says
                        }
                    } else {
                        cidrs.put(c, false);
                        dropUnneeded();
                        assertThat(set.remove(c)).isEqualTo(!cidrs.containsKey(c));
                    }
                }
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + ", step " + step + ": " + e.getMessage(), e);
            }
            dropUnneeded();
            if (refused) {
                assertThat(set.allocations()).isEqualTo(before);
                assertThat(set.cidrs()).isEqualTo(statusBefore);
            }
            check(set, seed, step);
        }
    }

    private void check(ServiceCidrSet set, long seed, int step) {
        String where = "seed " + seed + ", step " + step;
        assertThat(set.allocations()).as(where).isEqualTo(allocations);
        assertThat(set.used()).as(where).isEqualTo(allocations.size());
        List<ServiceCidrStatus> statuses = set.cidrs();
        assertThat(statuses).extracting(ServiceCidrStatus::cidr).as(where).containsExactlyElementsOf(cidrs.keySet());
        for (ServiceCidrStatus s : statuses) {
            long in = allocations.keySet().stream().filter(a -> holds(s.cidr(), a)).count();
            assertThat(s.ready()).as(where + " " + s.cidr()).isEqualTo(cidrs.get(s.cidr()));
            assertThat(s.reason()).isEqualTo(s.ready() ? "" : ServiceCidrStatus.TERMINATING);
            assertThat(s.allocated()).as(where + " " + s.cidr()).isEqualTo(in);
            assertThat(s.available()).as(where + " " + s.cidr()).isEqualTo(s.cidr().usableCount().longValueExact() - in);
        }
        for (Owner o : OWNERS) {
            assertThat(set.addressesOf(o)).as(where).containsExactlyElementsOf(allocations.entrySet().stream()
                    .filter(e -> e.getValue().equals(Optional.of(o))).map(Map.Entry::getKey).toList());
        }
    }

    /** Drops every terminating CIDR that holds no allocated address that no ready CIDR holds. */
    private void dropUnneeded() {
        cidrs.entrySet().removeIf(e -> !e.getValue() && allocations.keySet().stream()
                .noneMatch(a -> holds(e.getKey(), a) && cidrs.entrySet().stream()
                        .noneMatch(r -> r.getValue() && holds(r.getKey(), a))));
    }

    /** The ready CIDR of the family with the smallest share allocated, the first on ties, if any is not full. */
    private ServiceCidr leastFilled(IpFamily family) {
        ServiceCidr best = null;
        BigInteger bestUsed = null;
        BigInteger bestSize = null;
        for (Map.Entry<ServiceCidr, Boolean> e : cidrs.entrySet()) {
            ServiceCidr c = e.getKey();
            if (!e.getValue() || c.family() != family) {
                continue;
            }
            BigInteger used = BigInteger.valueOf(allocations.keySet().stream().filter(a -> holds(c, a)).count());
            BigInteger size = c.usableCount();
            if (used.compareTo(size) >= 0) {
                continue; // full
            }
            if (best == null || used.multiply(bestSize).compareTo(bestUsed.multiply(size)) < 0) {
                best = c;
                bestUsed = used;
                bestSize = size;
            }
        }
        return best;
    }

    /** Whether the address is a usable address of the CIDR: in it, not its network nor its IPv4 broadcast. */
    private static boolean holds(ServiceCidr c, IpAddress a) {
        if (!c.contains(a) || a.equals(c.network())) {
            return false;
        }
        BigInteger last = c.network().toBigInteger().add(c.addressCount()).subtract(BigInteger.ONE);
        return c.family() == IpFamily.IPV6 || !a.toBigInteger().equals(last);
    }

    private static IpAddress randomAddress(SplittableRandom random) {
        switch (random.nextInt(4)) {
            case 0:
                return IpAddress.parse("10.0.1." + random.nextInt(9));
            case 1:
                return IpAddress.parse("fd00::" + Integer.toHexString(random.nextInt(0x110)));
            default:
                return IpAddress.parse("10.0.0." + random.nextInt(40));
        }
    }
}
