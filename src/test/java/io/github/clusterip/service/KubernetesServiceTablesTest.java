package io.github.clusterip.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.clusterip.IpAddress;
import io.github.clusterip.IpFamily;
import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kubernetes' own test tables for Service allocation, their cases run on this package's code. The
 * tables come from {@code pkg/registry/core/service/storage/storage_test.go} (the newest stored
 * version, the one whose cases carry {@code line()}); each test names the Go test function it
 * ports, and each case keeps the Go case's name.
 *
 * <p>The cluster is the one of that file's {@code newStorage}: IPv4 Services from 10.0.0.0/16,
 * IPv6 Services from 2000::/108 (only the families the case's cluster is configured with), NodePorts
 * from 30000-32767; a Service is {@code svctest.MakeService("foo")}: type ClusterIP, a selector, one
 * TCP port 93.
 */
class KubernetesServiceTablesTest {

    private static final IpFamily V4 = IpFamily.IPV4;
    private static final IpFamily V6 = IpFamily.IPV6;
    private static final ServiceCidr CIDR_V4 = ServiceCidr.parse("10.0.0.0/16");
    private static final ServiceCidr CIDR_V6 = ServiceCidr.parse("2000::/108");

    private ServiceCidrSet cidrs;
    private NodePortAllocator ports;
    private ServiceAllocator alloc;

    /** newStorage(t, families): one allocator per configured family, the first one primary. */
    private ServiceAllocator newStorage(List<IpFamily> families) {
        List<ServiceCidr> list = new ArrayList<>();
        for (IpFamily f : families) {
            list.add(f == V4 ? CIDR_V4 : CIDR_V6);
        }
        cidrs = ServiceCidrSet.create(list.toArray(ServiceCidr[]::new));
        ports = NodePortAllocator.create(PortRange.parse("30000-32767"));
        alloc = ServiceAllocator.create(cidrs, ports, families);
        return alloc;
    }

    /** svctest.MakeService(name): ClusterIP, a selector, one TCP port 93. */
    private static ServiceSpec.Builder makeService(String name) {
        return ServiceSpec.builder(new Owner("default", name)).ports(ServicePort.of("", Protocol.TCP, 93));
    }

    private record State(Map<IpAddress, Optional<Owner>> ips, List<Integer> ports, List<ServiceSpec> services) {
    }

    private State state() {
        return new State(cidrs.allocations(), ports.allocatedPorts().boxed().toList(), alloc.services());
    }

    private static List<IpFamily> families(String text) {
        return switch (text) {
            case "unset" -> List.of();
            case "v4" -> List.of(V4);
            case "v6" -> List.of(V6);
            case "v4v6" -> List.of(V4, V6);
            case "v6v4" -> List.of(V6, V4);
            default -> throw new IllegalArgumentException(text);
        };
    }

    private static Optional<IpFamilyPolicy> policy(String text) {
        return switch (text) {
            case "unset" -> Optional.empty();
            case "SingleStack" -> Optional.of(IpFamilyPolicy.SINGLE_STACK);
            case "PreferDualStack" -> Optional.of(IpFamilyPolicy.PREFER_DUAL_STACK);
            case "RequireDualStack" -> Optional.of(IpFamilyPolicy.REQUIRE_DUAL_STACK);
            default -> throw new IllegalArgumentException(text);
        };
    }

    // ------------------------------------------------------------------ TestCreateInitIPFields

    /**
     * TestCreateInitIPFields (storage_test.go): the whole matrix, cluster x clusterIPs x policy x
     * families. Columns: cluster families (primary first), what the Service asks for ({@code unset},
     * the given cluster IPs 10.0.0.1 and/or 2000::1 in that family order, {@code Headless} =
     * SetHeadless, {@code HeadlessSelectorless} = SetHeadless + SetSelector(nil)),
     * ipFamilyPolicy, ipFamilies, then the expected policy and families (and {@code headless}) or
     * {@code error}.
     */
    private static final String CREATE_INIT_IP_FIELDS = """
            v4   | unset                | unset            | unset | SingleStack v4
            v4   | unset                | unset            | v4    | SingleStack v4
            v4   | unset                | unset            | v6    | error
            v4   | unset                | unset            | v4v6  | error
            v4   | unset                | unset            | v6v4  | error
            v4   | unset                | SingleStack      | unset | SingleStack v4
            v4   | unset                | SingleStack      | v4    | SingleStack v4
            v4   | unset                | SingleStack      | v6    | error
            v4   | unset                | SingleStack      | v4v6  | error
            v4   | unset                | SingleStack      | v6v4  | error
            v4   | unset                | PreferDualStack  | unset | PreferDualStack v4
            v4   | unset                | PreferDualStack  | v4    | PreferDualStack v4
            v4   | unset                | PreferDualStack  | v6    | error
            v4   | unset                | PreferDualStack  | v4v6  | error
            v4   | unset                | PreferDualStack  | v6v4  | error
            v4   | unset                | RequireDualStack | unset | error
            v4   | unset                | RequireDualStack | v4    | error
            v4   | unset                | RequireDualStack | v6    | error
            v4   | unset                | RequireDualStack | v4v6  | error
            v4   | unset                | RequireDualStack | v6v4  | error
            v4   | v4                   | unset            | unset | SingleStack v4
            v4   | v4                   | unset            | v4    | SingleStack v4
            v4   | v4                   | unset            | v6    | error
            v4   | v4                   | unset            | v4v6  | error
            v4   | v4                   | unset            | v6v4  | error
            v4   | v4                   | SingleStack      | unset | SingleStack v4
            v4   | v4                   | SingleStack      | v4    | SingleStack v4
            v4   | v4                   | SingleStack      | v6    | error
            v4   | v4                   | SingleStack      | v4v6  | error
            v4   | v4                   | SingleStack      | v6v4  | error
            v4   | v4                   | PreferDualStack  | unset | PreferDualStack v4
            v4   | v4                   | PreferDualStack  | v4    | PreferDualStack v4
            v4   | v4                   | PreferDualStack  | v6    | error
            v4   | v4                   | PreferDualStack  | v4v6  | error
            v4   | v4                   | PreferDualStack  | v6v4  | error
            v4   | v4                   | RequireDualStack | unset | error
            v4   | v4                   | RequireDualStack | v4    | error
            v4   | v4                   | RequireDualStack | v6    | error
            v4   | v4                   | RequireDualStack | v4v6  | error
            v4   | v4                   | RequireDualStack | v6v4  | error
            v4   | v4v6                 | unset            | unset | error
            v4   | v4v6                 | unset            | v4    | error
            v4   | v4v6                 | unset            | v6    | error
            v4   | v4v6                 | unset            | v4v6  | error
            v4   | v4v6                 | unset            | v6v4  | error
            v4   | v4v6                 | SingleStack      | unset | error
            v4   | v4v6                 | SingleStack      | v4    | error
            v4   | v4v6                 | SingleStack      | v6    | error
            v4   | v4v6                 | SingleStack      | v4v6  | error
            v4   | v4v6                 | SingleStack      | v6v4  | error
            v4   | v4v6                 | PreferDualStack  | unset | error
            v4   | v4v6                 | PreferDualStack  | v4    | error
            v4   | v4v6                 | PreferDualStack  | v6    | error
            v4   | v4v6                 | PreferDualStack  | v4v6  | error
            v4   | v4v6                 | PreferDualStack  | v6v4  | error
            v4   | v4v6                 | RequireDualStack | unset | error
            v4   | v4v6                 | RequireDualStack | v4    | error
            v4   | v4v6                 | RequireDualStack | v6    | error
            v4   | v4v6                 | RequireDualStack | v4v6  | error
            v4   | v4v6                 | RequireDualStack | v6v4  | error
            v4   | v6v4                 | unset            | unset | error
            v4   | v6v4                 | unset            | v4    | error
            v4   | v6v4                 | unset            | v6    | error
            v4   | v6v4                 | unset            | v4v6  | error
            v4   | v6v4                 | unset            | v6v4  | error
            v4   | v6v4                 | SingleStack      | unset | error
            v4   | v6v4                 | SingleStack      | v4    | error
            v4   | v6v4                 | SingleStack      | v6    | error
            v4   | v6v4                 | SingleStack      | v4v6  | error
            v4   | v6v4                 | SingleStack      | v6v4  | error
            v4   | v6v4                 | PreferDualStack  | unset | error
            v4   | v6v4                 | PreferDualStack  | v4    | error
            v4   | v6v4                 | PreferDualStack  | v6    | error
            v4   | v6v4                 | PreferDualStack  | v4v6  | error
            v4   | v6v4                 | PreferDualStack  | v6v4  | error
            v4   | v6v4                 | RequireDualStack | unset | error
            v4   | v6v4                 | RequireDualStack | v4    | error
            v4   | v6v4                 | RequireDualStack | v6    | error
            v4   | v6v4                 | RequireDualStack | v4v6  | error
            v4   | v6v4                 | RequireDualStack | v6v4  | error
            v4   | Headless             | unset            | unset | SingleStack v4 headless
            v4   | Headless             | unset            | v4    | SingleStack v4 headless
            v4   | Headless             | unset            | v6    | error
            v4   | Headless             | unset            | v4v6  | error
            v4   | Headless             | unset            | v6v4  | error
            v4   | Headless             | SingleStack      | unset | SingleStack v4 headless
            v4   | Headless             | SingleStack      | v4    | SingleStack v4 headless
            v4   | Headless             | SingleStack      | v6    | error
            v4   | Headless             | SingleStack      | v4v6  | error
            v4   | Headless             | SingleStack      | v6v4  | error
            v4   | Headless             | PreferDualStack  | unset | PreferDualStack v4 headless
            v4   | Headless             | PreferDualStack  | v4    | PreferDualStack v4 headless
            v4   | Headless             | PreferDualStack  | v6    | error
            v4   | Headless             | PreferDualStack  | v4v6  | error
            v4   | Headless             | PreferDualStack  | v6v4  | error
            v4   | Headless             | RequireDualStack | unset | error
            v4   | Headless             | RequireDualStack | v4    | error
            v4   | Headless             | RequireDualStack | v6    | error
            v4   | Headless             | RequireDualStack | v4v6  | error
            v4   | Headless             | RequireDualStack | v6v4  | error
            v4   | HeadlessSelectorless | unset            | unset | RequireDualStack v4v6 headless
            v4   | HeadlessSelectorless | unset            | v4    | RequireDualStack v4v6 headless
            v4   | HeadlessSelectorless | unset            | v6    | RequireDualStack v6v4 headless
            v4   | HeadlessSelectorless | unset            | v4v6  | RequireDualStack v4v6 headless
            v4   | HeadlessSelectorless | unset            | v6v4  | RequireDualStack v6v4 headless
            v4   | HeadlessSelectorless | SingleStack      | unset | SingleStack v4 headless
            v4   | HeadlessSelectorless | SingleStack      | v4    | SingleStack v4 headless
            v4   | HeadlessSelectorless | SingleStack      | v6    | SingleStack v6 headless
            v4   | HeadlessSelectorless | SingleStack      | v4v6  | error
            v4   | HeadlessSelectorless | SingleStack      | v6v4  | error
            v4   | HeadlessSelectorless | PreferDualStack  | unset | PreferDualStack v4v6 headless
            v4   | HeadlessSelectorless | PreferDualStack  | v4    | PreferDualStack v4v6 headless
            v4   | HeadlessSelectorless | PreferDualStack  | v6    | PreferDualStack v6v4 headless
            v4   | HeadlessSelectorless | PreferDualStack  | v4v6  | PreferDualStack v4v6 headless
            v4   | HeadlessSelectorless | PreferDualStack  | v6v4  | PreferDualStack v6v4 headless
            v4   | HeadlessSelectorless | RequireDualStack | unset | RequireDualStack v4v6 headless
            v4   | HeadlessSelectorless | RequireDualStack | v4    | RequireDualStack v4v6 headless
            v4   | HeadlessSelectorless | RequireDualStack | v6    | RequireDualStack v6v4 headless
            v4   | HeadlessSelectorless | RequireDualStack | v4v6  | RequireDualStack v4v6 headless
            v4   | HeadlessSelectorless | RequireDualStack | v6v4  | RequireDualStack v6v4 headless
            v6   | unset                | unset            | unset | SingleStack v6
            v6   | unset                | unset            | v6    | SingleStack v6
            v6   | unset                | unset            | v4    | error
            v6   | unset                | unset            | v6v4  | error
            v6   | unset                | unset            | v4v6  | error
            v6   | unset                | SingleStack      | unset | SingleStack v6
            v6   | unset                | SingleStack      | v6    | SingleStack v6
            v6   | unset                | SingleStack      | v4    | error
            v6   | unset                | SingleStack      | v6v4  | error
            v6   | unset                | SingleStack      | v4v6  | error
            v6   | unset                | PreferDualStack  | unset | PreferDualStack v6
            v6   | unset                | PreferDualStack  | v6    | PreferDualStack v6
            v6   | unset                | PreferDualStack  | v4    | error
            v6   | unset                | PreferDualStack  | v6v4  | error
            v6   | unset                | PreferDualStack  | v4v6  | error
            v6   | unset                | RequireDualStack | unset | error
            v6   | unset                | RequireDualStack | v6    | error
            v6   | unset                | RequireDualStack | v4    | error
            v6   | unset                | RequireDualStack | v6v4  | error
            v6   | unset                | RequireDualStack | v4v6  | error
            v6   | v6                   | unset            | unset | SingleStack v6
            v6   | v6                   | unset            | v6    | SingleStack v6
            v6   | v6                   | unset            | v4    | error
            v6   | v6                   | unset            | v6v4  | error
            v6   | v6                   | unset            | v4v6  | error
            v6   | v6                   | SingleStack      | unset | SingleStack v6
            v6   | v6                   | SingleStack      | v6    | SingleStack v6
            v6   | v6                   | SingleStack      | v4    | error
            v6   | v6                   | SingleStack      | v6v4  | error
            v6   | v6                   | SingleStack      | v4v6  | error
            v6   | v6                   | PreferDualStack  | unset | PreferDualStack v6
            v6   | v6                   | PreferDualStack  | v6    | PreferDualStack v6
            v6   | v6                   | PreferDualStack  | v4    | error
            v6   | v6                   | PreferDualStack  | v6v4  | error
            v6   | v6                   | PreferDualStack  | v4v6  | error
            v6   | v6                   | RequireDualStack | unset | error
            v6   | v6                   | RequireDualStack | v6    | error
            v6   | v6                   | RequireDualStack | v4    | error
            v6   | v6                   | RequireDualStack | v6v4  | error
            v6   | v6                   | RequireDualStack | v4v6  | error
            v6   | v6v4                 | unset            | unset | error
            v6   | v6v4                 | unset            | v6    | error
            v6   | v6v4                 | unset            | v4    | error
            v6   | v6v4                 | unset            | v6v4  | error
            v6   | v6v4                 | unset            | v4v6  | error
            v6   | v6v4                 | SingleStack      | unset | error
            v6   | v6v4                 | SingleStack      | v6    | error
            v6   | v6v4                 | SingleStack      | v4    | error
            v6   | v6v4                 | SingleStack      | v6v4  | error
            v6   | v6v4                 | SingleStack      | v4v6  | error
            v6   | v6v4                 | PreferDualStack  | unset | error
            v6   | v6v4                 | PreferDualStack  | v6    | error
            v6   | v6v4                 | PreferDualStack  | v4    | error
            v6   | v6v4                 | PreferDualStack  | v6v4  | error
            v6   | v6v4                 | PreferDualStack  | v4v6  | error
            v6   | v6v4                 | RequireDualStack | unset | error
            v6   | v6v4                 | RequireDualStack | v6    | error
            v6   | v6v4                 | RequireDualStack | v4    | error
            v6   | v6v4                 | RequireDualStack | v6v4  | error
            v6   | v6v4                 | RequireDualStack | v4v6  | error
            v6   | v4v6                 | unset            | unset | error
            v6   | v4v6                 | unset            | v6    | error
            v6   | v4v6                 | unset            | v4    | error
            v6   | v4v6                 | unset            | v6v4  | error
            v6   | v4v6                 | unset            | v4v6  | error
            v6   | v4v6                 | SingleStack      | unset | error
            v6   | v4v6                 | SingleStack      | v6    | error
            v6   | v4v6                 | SingleStack      | v4    | error
            v6   | v4v6                 | SingleStack      | v6v4  | error
            v6   | v4v6                 | SingleStack      | v4v6  | error
            v6   | v4v6                 | PreferDualStack  | unset | error
            v6   | v4v6                 | PreferDualStack  | v6    | error
            v6   | v4v6                 | PreferDualStack  | v4    | error
            v6   | v4v6                 | PreferDualStack  | v6v4  | error
            v6   | v4v6                 | PreferDualStack  | v4v6  | error
            v6   | v4v6                 | RequireDualStack | unset | error
            v6   | v4v6                 | RequireDualStack | v6    | error
            v6   | v4v6                 | RequireDualStack | v4    | error
            v6   | v4v6                 | RequireDualStack | v6v4  | error
            v6   | v4v6                 | RequireDualStack | v4v6  | error
            v6   | Headless             | unset            | unset | SingleStack v6 headless
            v6   | Headless             | unset            | v6    | SingleStack v6 headless
            v6   | Headless             | unset            | v4    | error
            v6   | Headless             | unset            | v6v4  | error
            v6   | Headless             | unset            | v4v6  | error
            v6   | Headless             | SingleStack      | unset | SingleStack v6 headless
            v6   | Headless             | SingleStack      | v6    | SingleStack v6 headless
            v6   | Headless             | SingleStack      | v4    | error
            v6   | Headless             | SingleStack      | v6v4  | error
            v6   | Headless             | SingleStack      | v4v6  | error
            v6   | Headless             | PreferDualStack  | unset | PreferDualStack v6 headless
            v6   | Headless             | PreferDualStack  | v6    | PreferDualStack v6 headless
            v6   | Headless             | PreferDualStack  | v4    | error
            v6   | Headless             | PreferDualStack  | v6v4  | error
            v6   | Headless             | PreferDualStack  | v4v6  | error
            v6   | Headless             | RequireDualStack | unset | error
            v6   | Headless             | RequireDualStack | v6    | error
            v6   | Headless             | RequireDualStack | v4    | error
            v6   | Headless             | RequireDualStack | v6v4  | error
            v6   | Headless             | RequireDualStack | v4v6  | error
            v6   | HeadlessSelectorless | unset            | unset | RequireDualStack v6v4 headless
            v6   | HeadlessSelectorless | unset            | v6    | RequireDualStack v6v4 headless
            v6   | HeadlessSelectorless | unset            | v4    | RequireDualStack v4v6 headless
            v6   | HeadlessSelectorless | unset            | v6v4  | RequireDualStack v6v4 headless
            v6   | HeadlessSelectorless | unset            | v4v6  | RequireDualStack v4v6 headless
            v6   | HeadlessSelectorless | SingleStack      | unset | SingleStack v6 headless
            v6   | HeadlessSelectorless | SingleStack      | v6    | SingleStack v6 headless
            v6   | HeadlessSelectorless | SingleStack      | v4    | SingleStack v4 headless
            v6   | HeadlessSelectorless | SingleStack      | v6v4  | error
            v6   | HeadlessSelectorless | SingleStack      | v4v6  | error
            v6   | HeadlessSelectorless | PreferDualStack  | unset | PreferDualStack v6v4 headless
            v6   | HeadlessSelectorless | PreferDualStack  | v6    | PreferDualStack v6v4 headless
            v6   | HeadlessSelectorless | PreferDualStack  | v4    | PreferDualStack v4v6 headless
            v6   | HeadlessSelectorless | PreferDualStack  | v6v4  | PreferDualStack v6v4 headless
            v6   | HeadlessSelectorless | PreferDualStack  | v4v6  | PreferDualStack v4v6 headless
            v6   | HeadlessSelectorless | RequireDualStack | unset | RequireDualStack v6v4 headless
            v6   | HeadlessSelectorless | RequireDualStack | v6    | RequireDualStack v6v4 headless
            v6   | HeadlessSelectorless | RequireDualStack | v4    | RequireDualStack v4v6 headless
            v6   | HeadlessSelectorless | RequireDualStack | v6v4  | RequireDualStack v6v4 headless
            v6   | HeadlessSelectorless | RequireDualStack | v4v6  | RequireDualStack v4v6 headless
            v4v6 | unset                | unset            | unset | SingleStack v4
            v4v6 | unset                | unset            | v4    | SingleStack v4
            v4v6 | unset                | unset            | v6    | SingleStack v6
            v4v6 | unset                | unset            | v4v6  | error
            v4v6 | unset                | unset            | v6v4  | error
            v4v6 | unset                | SingleStack      | unset | SingleStack v4
            v4v6 | unset                | SingleStack      | v4    | SingleStack v4
            v4v6 | unset                | SingleStack      | v6    | SingleStack v6
            v4v6 | unset                | SingleStack      | v4v6  | error
            v4v6 | unset                | SingleStack      | v6v4  | error
            v4v6 | unset                | PreferDualStack  | unset | PreferDualStack v4v6
            v4v6 | unset                | PreferDualStack  | v4    | PreferDualStack v4v6
            v4v6 | unset                | PreferDualStack  | v6    | PreferDualStack v6v4
            v4v6 | unset                | PreferDualStack  | v4v6  | PreferDualStack v4v6
            v4v6 | unset                | PreferDualStack  | v6v4  | PreferDualStack v6v4
            v4v6 | unset                | RequireDualStack | unset | RequireDualStack v4v6
            v4v6 | unset                | RequireDualStack | v4    | RequireDualStack v4v6
            v4v6 | unset                | RequireDualStack | v6    | RequireDualStack v6v4
            v4v6 | unset                | RequireDualStack | v4v6  | RequireDualStack v4v6
            v4v6 | unset                | RequireDualStack | v6v4  | RequireDualStack v6v4
            v4v6 | v4                   | unset            | unset | SingleStack v4
            v4v6 | v4                   | unset            | v4    | SingleStack v4
            v4v6 | v4                   | unset            | v6    | error
            v4v6 | v4                   | unset            | v4v6  | error
            v4v6 | v4                   | unset            | v6v4  | error
            v4v6 | v4                   | SingleStack      | unset | SingleStack v4
            v4v6 | v4                   | SingleStack      | v4    | SingleStack v4
            v4v6 | v4                   | SingleStack      | v6    | error
            v4v6 | v4                   | SingleStack      | v4v6  | error
            v4v6 | v4                   | SingleStack      | v6v4  | error
            v4v6 | v4                   | PreferDualStack  | unset | PreferDualStack v4v6
            v4v6 | v4                   | PreferDualStack  | v4    | PreferDualStack v4v6
            v4v6 | v4                   | PreferDualStack  | v6    | error
            v4v6 | v4                   | PreferDualStack  | v4v6  | PreferDualStack v4v6
            v4v6 | v4                   | PreferDualStack  | v6v4  | error
            v4v6 | v4                   | RequireDualStack | unset | RequireDualStack v4v6
            v4v6 | v4                   | RequireDualStack | v4    | RequireDualStack v4v6
            v4v6 | v4                   | RequireDualStack | v6    | error
            v4v6 | v4                   | RequireDualStack | v4v6  | RequireDualStack v4v6
            v4v6 | v4                   | RequireDualStack | v6v4  | error
            v4v6 | v6                   | unset            | unset | SingleStack v6
            v4v6 | v6                   | unset            | v4    | error
            v4v6 | v6                   | unset            | v6    | SingleStack v6
            v4v6 | v6                   | unset            | v4v6  | error
            v4v6 | v6                   | unset            | v6v4  | error
            v4v6 | v6                   | SingleStack      | unset | SingleStack v6
            v4v6 | v6                   | SingleStack      | v4    | error
            v4v6 | v6                   | SingleStack      | v6    | SingleStack v6
            v4v6 | v6                   | SingleStack      | v4v6  | error
            v4v6 | v6                   | SingleStack      | v6v4  | error
            v4v6 | v6                   | PreferDualStack  | unset | PreferDualStack v6v4
            v4v6 | v6                   | PreferDualStack  | v4    | error
            v4v6 | v6                   | PreferDualStack  | v6    | PreferDualStack v6v4
            v4v6 | v6                   | PreferDualStack  | v4v6  | error
            v4v6 | v6                   | PreferDualStack  | v6v4  | PreferDualStack v6v4
            v4v6 | v6                   | RequireDualStack | unset | RequireDualStack v6v4
            v4v6 | v6                   | RequireDualStack | v4    | error
            v4v6 | v6                   | RequireDualStack | v6    | RequireDualStack v6v4
            v4v6 | v6                   | RequireDualStack | v4v6  | error
            v4v6 | v6                   | RequireDualStack | v6v4  | RequireDualStack v6v4
            v4v6 | v4v6                 | unset            | unset | error
            v4v6 | v4v6                 | unset            | v4    | error
            v4v6 | v4v6                 | unset            | v6    | error
            v4v6 | v4v6                 | unset            | v4v6  | error
            v4v6 | v4v6                 | unset            | v6v4  | error
            v4v6 | v4v6                 | SingleStack      | unset | error
            v4v6 | v4v6                 | SingleStack      | v4    | error
            v4v6 | v4v6                 | SingleStack      | v6    | error
            v4v6 | v4v6                 | SingleStack      | v4v6  | error
            v4v6 | v4v6                 | SingleStack      | v6v4  | error
            v4v6 | v4v6                 | PreferDualStack  | unset | PreferDualStack v4v6
            v4v6 | v4v6                 | PreferDualStack  | v4    | PreferDualStack v4v6
            v4v6 | v4v6                 | PreferDualStack  | v6    | error
            v4v6 | v4v6                 | PreferDualStack  | v4v6  | PreferDualStack v4v6
            v4v6 | v4v6                 | PreferDualStack  | v6v4  | error
            v4v6 | v4v6                 | RequireDualStack | unset | RequireDualStack v4v6
            v4v6 | v4v6                 | RequireDualStack | v4    | RequireDualStack v4v6
            v4v6 | v4v6                 | RequireDualStack | v6    | error
            v4v6 | v4v6                 | RequireDualStack | v4v6  | RequireDualStack v4v6
            v4v6 | v4v6                 | RequireDualStack | v6v4  | error
            v4v6 | v6v4                 | unset            | unset | error
            v4v6 | v6v4                 | unset            | v4    | error
            v4v6 | v6v4                 | unset            | v6    | error
            v4v6 | v6v4                 | unset            | v4v6  | error
            v4v6 | v6v4                 | unset            | v6v4  | error
            v4v6 | v6v4                 | SingleStack      | unset | error
            v4v6 | v6v4                 | SingleStack      | v4    | error
            v4v6 | v6v4                 | SingleStack      | v6    | error
            v4v6 | v6v4                 | SingleStack      | v4v6  | error
            v4v6 | v6v4                 | SingleStack      | v6v4  | error
            v4v6 | v6v4                 | PreferDualStack  | unset | PreferDualStack v6v4
            v4v6 | v6v4                 | PreferDualStack  | v4    | error
            v4v6 | v6v4                 | PreferDualStack  | v6    | PreferDualStack v6v4
            v4v6 | v6v4                 | PreferDualStack  | v4v6  | error
            v4v6 | v6v4                 | PreferDualStack  | v6v4  | PreferDualStack v6v4
            v4v6 | v6v4                 | RequireDualStack | unset | RequireDualStack v6v4
            v4v6 | v6v4                 | RequireDualStack | v4    | error
            v4v6 | v6v4                 | RequireDualStack | v6    | RequireDualStack v6v4
            v4v6 | v6v4                 | RequireDualStack | v4v6  | error
            v4v6 | v6v4                 | RequireDualStack | v6v4  | RequireDualStack v6v4
            v4v6 | Headless             | unset            | unset | SingleStack v4 headless
            v4v6 | Headless             | unset            | v4    | SingleStack v4 headless
            v4v6 | Headless             | unset            | v6    | SingleStack v6 headless
            v4v6 | Headless             | unset            | v4v6  | error
            v4v6 | Headless             | unset            | v6v4  | error
            v4v6 | Headless             | SingleStack      | unset | SingleStack v4 headless
            v4v6 | Headless             | SingleStack      | v4    | SingleStack v4 headless
            v4v6 | Headless             | SingleStack      | v6    | SingleStack v6 headless
            v4v6 | Headless             | SingleStack      | v4v6  | error
            v4v6 | Headless             | SingleStack      | v6v4  | error
            v4v6 | Headless             | PreferDualStack  | unset | PreferDualStack v4v6 headless
            v4v6 | Headless             | PreferDualStack  | v4    | PreferDualStack v4v6 headless
            v4v6 | Headless             | PreferDualStack  | v6    | PreferDualStack v6v4 headless
            v4v6 | Headless             | PreferDualStack  | v4v6  | PreferDualStack v4v6 headless
            v4v6 | Headless             | PreferDualStack  | v6v4  | PreferDualStack v6v4 headless
            v4v6 | Headless             | RequireDualStack | unset | RequireDualStack v4v6 headless
            v4v6 | Headless             | RequireDualStack | v4    | RequireDualStack v4v6 headless
            v4v6 | Headless             | RequireDualStack | v6    | RequireDualStack v6v4 headless
            v4v6 | Headless             | RequireDualStack | v4v6  | RequireDualStack v4v6 headless
            v4v6 | Headless             | RequireDualStack | v6v4  | RequireDualStack v6v4 headless
            v4v6 | HeadlessSelectorless | unset            | unset | RequireDualStack v4v6 headless
            v4v6 | HeadlessSelectorless | unset            | v4    | RequireDualStack v4v6 headless
            v4v6 | HeadlessSelectorless | unset            | v6    | RequireDualStack v6v4 headless
            v4v6 | HeadlessSelectorless | unset            | v4v6  | RequireDualStack v4v6 headless
            v4v6 | HeadlessSelectorless | unset            | v6v4  | RequireDualStack v6v4 headless
            v4v6 | HeadlessSelectorless | SingleStack      | unset | SingleStack v4 headless
            v4v6 | HeadlessSelectorless | SingleStack      | v4    | SingleStack v4 headless
            v4v6 | HeadlessSelectorless | SingleStack      | v6    | SingleStack v6 headless
            v4v6 | HeadlessSelectorless | SingleStack      | v4v6  | error
            v4v6 | HeadlessSelectorless | SingleStack      | v6v4  | error
            v4v6 | HeadlessSelectorless | PreferDualStack  | unset | PreferDualStack v4v6 headless
            v4v6 | HeadlessSelectorless | PreferDualStack  | v4    | PreferDualStack v4v6 headless
            v4v6 | HeadlessSelectorless | PreferDualStack  | v6    | PreferDualStack v6v4 headless
            v4v6 | HeadlessSelectorless | PreferDualStack  | v4v6  | PreferDualStack v4v6 headless
            v4v6 | HeadlessSelectorless | PreferDualStack  | v6v4  | PreferDualStack v6v4 headless
            v4v6 | HeadlessSelectorless | RequireDualStack | unset | RequireDualStack v4v6 headless
            v4v6 | HeadlessSelectorless | RequireDualStack | v4    | RequireDualStack v4v6 headless
            v4v6 | HeadlessSelectorless | RequireDualStack | v6    | RequireDualStack v6v4 headless
            v4v6 | HeadlessSelectorless | RequireDualStack | v4v6  | RequireDualStack v4v6 headless
            v4v6 | HeadlessSelectorless | RequireDualStack | v6v4  | RequireDualStack v6v4 headless
            v6v4 | unset                | unset            | unset | SingleStack v6
            v6v4 | unset                | unset            | v4    | SingleStack v4
            v6v4 | unset                | unset            | v6    | SingleStack v6
            v6v4 | unset                | unset            | v4v6  | error
            v6v4 | unset                | unset            | v6v4  | error
            v6v4 | unset                | SingleStack      | unset | SingleStack v6
            v6v4 | unset                | SingleStack      | v4    | SingleStack v4
            v6v4 | unset                | SingleStack      | v6    | SingleStack v6
            v6v4 | unset                | SingleStack      | v4v6  | error
            v6v4 | unset                | SingleStack      | v6v4  | error
            v6v4 | unset                | PreferDualStack  | unset | PreferDualStack v6v4
            v6v4 | unset                | PreferDualStack  | v4    | PreferDualStack v4v6
            v6v4 | unset                | PreferDualStack  | v6    | PreferDualStack v6v4
            v6v4 | unset                | PreferDualStack  | v4v6  | PreferDualStack v4v6
            v6v4 | unset                | PreferDualStack  | v6v4  | PreferDualStack v6v4
            v6v4 | unset                | RequireDualStack | unset | RequireDualStack v6v4
            v6v4 | unset                | RequireDualStack | v4    | RequireDualStack v4v6
            v6v4 | unset                | RequireDualStack | v6    | RequireDualStack v6v4
            v6v4 | unset                | RequireDualStack | v4v6  | RequireDualStack v4v6
            v6v4 | unset                | RequireDualStack | v6v4  | RequireDualStack v6v4
            v6v4 | v4                   | unset            | unset | SingleStack v4
            v6v4 | v4                   | unset            | v4    | SingleStack v4
            v6v4 | v4                   | unset            | v6    | error
            v6v4 | v4                   | unset            | v4v6  | error
            v6v4 | v4                   | unset            | v6v4  | error
            v6v4 | v4                   | SingleStack      | unset | SingleStack v4
            v6v4 | v4                   | SingleStack      | v4    | SingleStack v4
            v6v4 | v4                   | SingleStack      | v6    | error
            v6v4 | v4                   | SingleStack      | v4v6  | error
            v6v4 | v4                   | SingleStack      | v6v4  | error
            v6v4 | v4                   | PreferDualStack  | unset | PreferDualStack v4v6
            v6v4 | v4                   | PreferDualStack  | v4    | PreferDualStack v4v6
            v6v4 | v4                   | PreferDualStack  | v6    | error
            v6v4 | v4                   | PreferDualStack  | v4v6  | PreferDualStack v4v6
            v6v4 | v4                   | PreferDualStack  | v6v4  | error
            v6v4 | v4                   | RequireDualStack | unset | RequireDualStack v4v6
            v6v4 | v4                   | RequireDualStack | v4    | RequireDualStack v4v6
            v6v4 | v4                   | RequireDualStack | v6    | error
            v6v4 | v4                   | RequireDualStack | v4v6  | RequireDualStack v4v6
            v6v4 | v4                   | RequireDualStack | v6v4  | error
            v6v4 | v6                   | unset            | unset | SingleStack v6
            v6v4 | v6                   | unset            | v4    | error
            v6v4 | v6                   | unset            | v6    | SingleStack v6
            v6v4 | v6                   | unset            | v4v6  | error
            v6v4 | v6                   | unset            | v6v4  | error
            v6v4 | v6                   | SingleStack      | unset | SingleStack v6
            v6v4 | v6                   | SingleStack      | v4    | error
            v6v4 | v6                   | SingleStack      | v6    | SingleStack v6
            v6v4 | v6                   | SingleStack      | v4v6  | error
            v6v4 | v6                   | SingleStack      | v6v4  | error
            v6v4 | v6                   | PreferDualStack  | unset | PreferDualStack v6v4
            v6v4 | v6                   | PreferDualStack  | v4    | error
            v6v4 | v6                   | PreferDualStack  | v6    | PreferDualStack v6v4
            v6v4 | v6                   | PreferDualStack  | v4v6  | error
            v6v4 | v6                   | PreferDualStack  | v6v4  | PreferDualStack v6v4
            v6v4 | v6                   | RequireDualStack | unset | RequireDualStack v6v4
            v6v4 | v6                   | RequireDualStack | v4    | error
            v6v4 | v6                   | RequireDualStack | v6    | RequireDualStack v6v4
            v6v4 | v6                   | RequireDualStack | v4v6  | error
            v6v4 | v6                   | RequireDualStack | v6v4  | RequireDualStack v6v4
            v6v4 | v4v6                 | unset            | unset | error
            v6v4 | v4v6                 | unset            | v4    | error
            v6v4 | v4v6                 | unset            | v6    | error
            v6v4 | v4v6                 | unset            | v4v6  | error
            v6v4 | v4v6                 | unset            | v6v4  | error
            v6v4 | v4v6                 | SingleStack      | unset | error
            v6v4 | v4v6                 | SingleStack      | v4    | error
            v6v4 | v4v6                 | SingleStack      | v6    | error
            v6v4 | v4v6                 | SingleStack      | v4v6  | error
            v6v4 | v4v6                 | SingleStack      | v6v4  | error
            v6v4 | v4v6                 | PreferDualStack  | unset | PreferDualStack v4v6
            v6v4 | v4v6                 | PreferDualStack  | v4    | PreferDualStack v4v6
            v6v4 | v4v6                 | PreferDualStack  | v6    | error
            v6v4 | v4v6                 | PreferDualStack  | v4v6  | PreferDualStack v4v6
            v6v4 | v4v6                 | PreferDualStack  | v6v4  | error
            v6v4 | v4v6                 | RequireDualStack | unset | RequireDualStack v4v6
            v6v4 | v4v6                 | RequireDualStack | v4    | RequireDualStack v4v6
            v6v4 | v4v6                 | RequireDualStack | v6    | error
            v6v4 | v4v6                 | RequireDualStack | v4v6  | RequireDualStack v4v6
            v6v4 | v4v6                 | RequireDualStack | v6v4  | error
            v6v4 | v6v4                 | unset            | unset | error
            v6v4 | v6v4                 | unset            | v4    | error
            v6v4 | v6v4                 | unset            | v6    | error
            v6v4 | v6v4                 | unset            | v4v6  | error
            v6v4 | v6v4                 | unset            | v6v4  | error
            v6v4 | v6v4                 | SingleStack      | unset | error
            v6v4 | v6v4                 | SingleStack      | v4    | error
            v6v4 | v6v4                 | SingleStack      | v6    | error
            v6v4 | v6v4                 | SingleStack      | v4v6  | error
            v6v4 | v6v4                 | SingleStack      | v6v4  | error
            v6v4 | v6v4                 | PreferDualStack  | unset | PreferDualStack v6v4
            v6v4 | v6v4                 | PreferDualStack  | v4    | error
            v6v4 | v6v4                 | PreferDualStack  | v6    | PreferDualStack v6v4
            v6v4 | v6v4                 | PreferDualStack  | v4v6  | error
            v6v4 | v6v4                 | PreferDualStack  | v6v4  | PreferDualStack v6v4
            v6v4 | v6v4                 | RequireDualStack | unset | RequireDualStack v6v4
            v6v4 | v6v4                 | RequireDualStack | v4    | error
            v6v4 | v6v4                 | RequireDualStack | v6    | RequireDualStack v6v4
            v6v4 | v6v4                 | RequireDualStack | v4v6  | error
            v6v4 | v6v4                 | RequireDualStack | v6v4  | RequireDualStack v6v4
            v6v4 | Headless             | unset            | unset | SingleStack v6 headless
            v6v4 | Headless             | unset            | v4    | SingleStack v4 headless
            v6v4 | Headless             | unset            | v6    | SingleStack v6 headless
            v6v4 | Headless             | unset            | v4v6  | error
            v6v4 | Headless             | unset            | v6v4  | error
            v6v4 | Headless             | SingleStack      | unset | SingleStack v6 headless
            v6v4 | Headless             | SingleStack      | v4    | SingleStack v4 headless
            v6v4 | Headless             | SingleStack      | v6    | SingleStack v6 headless
            v6v4 | Headless             | SingleStack      | v4v6  | error
            v6v4 | Headless             | SingleStack      | v6v4  | error
            v6v4 | Headless             | PreferDualStack  | unset | PreferDualStack v6v4 headless
            v6v4 | Headless             | PreferDualStack  | v4    | PreferDualStack v4v6 headless
            v6v4 | Headless             | PreferDualStack  | v6    | PreferDualStack v6v4 headless
            v6v4 | Headless             | PreferDualStack  | v4v6  | PreferDualStack v4v6 headless
            v6v4 | Headless             | PreferDualStack  | v6v4  | PreferDualStack v6v4 headless
            v6v4 | Headless             | RequireDualStack | unset | RequireDualStack v6v4 headless
            v6v4 | Headless             | RequireDualStack | v4    | RequireDualStack v4v6 headless
            v6v4 | Headless             | RequireDualStack | v6    | RequireDualStack v6v4 headless
            v6v4 | Headless             | RequireDualStack | v4v6  | RequireDualStack v4v6 headless
            v6v4 | Headless             | RequireDualStack | v6v4  | RequireDualStack v6v4 headless
            v6v4 | HeadlessSelectorless | unset            | unset | RequireDualStack v6v4 headless
            v6v4 | HeadlessSelectorless | unset            | v4    | RequireDualStack v4v6 headless
            v6v4 | HeadlessSelectorless | unset            | v6    | RequireDualStack v6v4 headless
            v6v4 | HeadlessSelectorless | unset            | v4v6  | RequireDualStack v4v6 headless
            v6v4 | HeadlessSelectorless | unset            | v6v4  | RequireDualStack v6v4 headless
            v6v4 | HeadlessSelectorless | SingleStack      | unset | SingleStack v6 headless
            v6v4 | HeadlessSelectorless | SingleStack      | v4    | SingleStack v4 headless
            v6v4 | HeadlessSelectorless | SingleStack      | v6    | SingleStack v6 headless
            v6v4 | HeadlessSelectorless | SingleStack      | v4v6  | error
            v6v4 | HeadlessSelectorless | SingleStack      | v6v4  | error
            v6v4 | HeadlessSelectorless | PreferDualStack  | unset | PreferDualStack v6v4 headless
            v6v4 | HeadlessSelectorless | PreferDualStack  | v4    | PreferDualStack v4v6 headless
            v6v4 | HeadlessSelectorless | PreferDualStack  | v6    | PreferDualStack v6v4 headless
            v6v4 | HeadlessSelectorless | PreferDualStack  | v4v6  | PreferDualStack v4v6 headless
            v6v4 | HeadlessSelectorless | PreferDualStack  | v6v4  | PreferDualStack v6v4 headless
            v6v4 | HeadlessSelectorless | RequireDualStack | unset | RequireDualStack v6v4 headless
            v6v4 | HeadlessSelectorless | RequireDualStack | v4    | RequireDualStack v4v6 headless
            v6v4 | HeadlessSelectorless | RequireDualStack | v6    | RequireDualStack v6v4 headless
            v6v4 | HeadlessSelectorless | RequireDualStack | v4v6  | RequireDualStack v4v6 headless
            v6v4 | HeadlessSelectorless | RequireDualStack | v6v4  | RequireDualStack v6v4 headless
""";

    static Stream<Arguments> createInitIPFields() {
        List<Arguments> cases = new ArrayList<>();
        for (String line : CREATE_INIT_IP_FIELDS.lines().toList()) {
            if (line.isBlank()) {
                continue;
            }
            String[] col = line.split("\\|");
            String cluster = col[0].strip();
            String ips = col[1].strip();
            String policy = col[2].strip();
            String fams = col[3].strip();
            String expected = col[4].strip();
            String group = (cluster.length() == 2 ? "singlestack:" : "dualstack:") + cluster;
            String prefix = ips.startsWith("Headless") ? ips : "ClusterIPs:" + ips;
            String name = group + "/" + prefix + "_Policy:" + policy + "_Families:" + fams;
            cases.add(Arguments.of(name, cluster, ips, policy, fams, expected));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void createInitIPFields(String name, String cluster, String ips, String policy, String fams, String expected) {
        newStorage(families(cluster));
        ServiceSpec.Builder b = makeService("foo");
        List<String> givenIps = switch (ips) {
            case "unset" -> List.of();
            case "v4" -> List.of("10.0.0.1");
            case "v6" -> List.of("2000::1");
            case "v4v6" -> List.of("10.0.0.1", "2000::1");
            case "v6v4" -> List.of("2000::1", "10.0.0.1");
            case "Headless", "HeadlessSelectorless" -> List.of(ServiceSpec.NONE);
            default -> throw new IllegalArgumentException(ips);
        };
        b.clusterIPs(givenIps);
        if (ips.equals("HeadlessSelectorless")) {
            b.selector(false);
        }
        policy(policy).ifPresent(b::ipFamilyPolicy);
        b.ipFamilies(families(fams));
        ServiceSpec svc = b.build();

        State before = state();
        if (expected.equals("error")) {
            assertThatThrownBy(() -> alloc.dryRun().create(svc)).isInstanceOf(ServiceInvalidException.class);
            assertThat(state()).isEqualTo(before);
            assertThatThrownBy(() -> alloc.create(svc)).isInstanceOf(ServiceInvalidException.class);
            assertThat(state()).isEqualTo(before);
            return;
        }
        String[] want = expected.split(" ");
        Optional<IpFamilyPolicy> wantPolicy = policy(want[0]);
        List<IpFamily> wantFamilies = families(want[1]);
        boolean headless = want.length > 2;

        ServiceSpec dry = alloc.dryRun().create(svc);
        assertThat(state()).isEqualTo(before);
        assertThat(dry.ipFamilyPolicy()).isEqualTo(wantPolicy);
        assertThat(dry.ipFamilies()).isEqualTo(wantFamilies);

        ServiceSpec created = alloc.create(svc);
        assertThat(created.ipFamilyPolicy()).isEqualTo(wantPolicy);
        assertThat(created.ipFamilies()).isEqualTo(wantFamilies);
        if (headless) {
            // proveHeadless
            assertThat(created.clusterIPs()).containsExactly(ServiceSpec.NONE);
            assertThat(cidrs.allocations()).isEmpty();
        } else {
            // proveClusterIPsAllocated: one address per family, of that family, allocated to foo
            assertThat(created.clusterIpAddresses()).extracting(IpAddress::family).isEqualTo(wantFamilies);
            for (int i = 0; i < givenIps.size(); i++) {
                assertThat(created.clusterIPs().get(i)).isEqualTo(givenIps.get(i));
            }
            for (IpAddress ip : created.clusterIpAddresses()) {
                assertThat(cidrs.owner(ip)).contains(svc.owner());
            }
            assertThat(cidrs.allocations()).hasSize(wantFamilies.size());
        }
        alloc.delete(svc.owner());
        assertThat(state()).isEqualTo(before);
    }
}
