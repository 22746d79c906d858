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
import java.util.function.Consumer;
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

    // ------------------------------------------------------------------ TestCreateInvalidClusterIPInputs

    /**
     * TestCreateInvalidClusterIPInputs (storage_test.go): the error of each bad input contains the
     * Go case's substrings. Cluster families, cluster IPs ("-" for none), families ("-" for none),
     * policy ("-" for unset), then the expected substrings separated by "|".
     */
    static Stream<Arguments> createInvalidClusterIPInputs() {
        return Stream.of(
                Arguments.of("requiredual_ipFamilyPolicy_on_singlestack", "v4", "-", "-", "RequireDualStack",
                        "cluster is not configured for dual-stack"),
                Arguments.of("wrong_ipFamily", "v4", "-", "v6", "-", "not configured on this cluster"),
                Arguments.of("too_many_ipFamilies_on_singlestack", "v4", "-", "v4,v6", "-",
                        "when multiple IP families are specified"),
                Arguments.of("dup_ipFamily_singlestack", "v4", "-", "v4,v4", "-", "Duplicate value"),
                Arguments.of("dup_ipFamily_dualstack", "v4v6", "-", "v4,v6,v6", "-", "Duplicate value"),
                Arguments.of("bad_IP", "v4", "garbage", "-", "-", "must be a valid IP"),
                Arguments.of("IP_wrong_family", "v4", "2000::1", "-", "-", "not configured on this cluster"),
                Arguments.of("IP_doesnt_match_family", "v4", "2000::1", "v4", "-", "expected an IPv4 value as indicated"),
                Arguments.of("too_many_IPs_singlestack", "v4", "10.0.0.1,10.0.0.2", "-", "-",
                        "no more than one IP for each IP family"),
                Arguments.of("too_many_IPs_dualstack", "v4v6", "10.0.0.1,2000::1,10.0.0.2", "-", "-",
                        "only hold up to 2 values"),
                Arguments.of("dup_IPs", "v4", "10.0.0.1,10.0.0.1", "-", "-", "no more than one IP for each IP family"),
                // Go also expects "must be empty when" there, about its separate clusterIP field,
                // which ServiceSpec does not have: only the clusterIPs half is ported.
                Arguments.of("empty_IP", "v4", "", "-", "-", "must be a valid IP"),
                Arguments.of("None_IP_1", "v4", "10.0.0.1,None", "-", "-", "must be a valid IP"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void createInvalidClusterIPInputs(String name, String cluster, String ips, String fams, String policy, String expect) {
        newStorage(families(cluster));
        ServiceSpec.Builder b = makeService("foo");
        if (!ips.equals("-")) {
            b.clusterIPs(List.of(ips.split(",", -1)));
        }
        if (!fams.equals("-")) {
            b.ipFamilies(Stream.of(fams.split(",")).map(KubernetesServiceTablesTest::families).map(l -> l.get(0)).toList());
        }
        if (!policy.equals("-")) {
            b.ipFamilyPolicy(policy(policy).orElseThrow());
        }
        ServiceSpec svc = b.build();
        State before = state();
        for (ServiceOperations ops : List.of(alloc.dryRun(), alloc)) {
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> ops.create(svc));
            assertThat(t).isInstanceOf(ServiceInvalidException.class);
            for (String s : expect.split("\\|")) {
                assertThat(t.getMessage()).contains(s);
            }
            assertThat(state()).isEqualTo(before);
        }
    }

    // ------------------------------------------------------------------ TestCreateDeleteReuse

    /** TestCreateDeleteReuse (storage_test.go): a NodePort Service's IPs and ports are free again after delete. */
    static Stream<Arguments> createDeleteReuse() {
        return Stream.of(
                Arguments.of("v4", null, List.of(V4)),
                Arguments.of("v6", null, List.of(V6)),
                Arguments.of("v4v6", IpFamilyPolicy.PREFER_DUAL_STACK, List.of(V4, V6)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void createDeleteReuse(String name, IpFamilyPolicy policy, List<IpFamily> fams) {
        newStorage(List.of(V4, V6));
        ServiceSpec svc = makeService("foo").type(ServiceType.NODE_PORT).ipFamilyPolicy(policy).ipFamilies(fams).build();
        ServiceSpec created = alloc.create(svc);
        // proveClusterIPsAllocated, proveNodePortsAllocated
        assertThat(created.clusterIpAddresses()).extracting(IpAddress::family).isEqualTo(fams);
        for (IpAddress ip : created.clusterIpAddresses()) {
            assertThat(cidrs.owner(ip)).contains(svc.owner());
        }
        assertThat(created.nodePorts()).hasSize(1).allSatisfy(p -> assertThat(ports.isAllocated(p)).isTrue());

        alloc.delete(svc.owner());
        // proveClusterIPsDeallocated, proveNodePortsDeallocated
        assertThat(cidrs.allocations()).isEmpty();
        assertThat(ports.allocatedPorts()).isEmpty();

        ServiceSpec svc2 = makeService("foo2").type(ServiceType.NODE_PORT).ipFamilyPolicy(policy).ipFamilies(fams)
                .clusterIPs(created.clusterIPs()).ports(created.ports()).build();
        ServiceSpec again = alloc.create(svc2);
        assertThat(again.clusterIPs()).isEqualTo(created.clusterIPs());
        assertThat(again.nodePorts()).isEqualTo(created.nodePorts());
        for (IpAddress ip : again.clusterIpAddresses()) {
            assertThat(cidrs.owner(ip)).contains(svc2.owner());
        }
        assertThat(ports.isAllocated(again.nodePorts().get(0))).isTrue();
    }

    // ------------------------------------------------------------------ TestCreateInitNodePorts

    private static ServicePort port(String name, int port, Protocol protocol) {
        return ServicePort.of(name, protocol, port);
    }

    private static final List<ServicePort> ONE_PORT = List.of(port("", 93, Protocol.TCP));
    private static final List<ServicePort> P80_Q443 = List.of(port("p", 80, Protocol.TCP), port("q", 443, Protocol.TCP));
    private static final List<ServicePort> P53_Q53 = List.of(port("p", 53, Protocol.TCP), port("q", 53, Protocol.UDP));
    private static final List<ServicePort> P93_Q76 = List.of(port("p", 93, Protocol.TCP), port("q", 76, Protocol.UDP));

    /** svctest.SetUniqueNodePorts: port i asks for NodePort 30000 + i. */
    private static List<ServicePort> unique(List<ServicePort> ports) {
        List<ServicePort> out = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            out.add(ports.get(i).withNodePort(30000 + i));
        }
        return out;
    }

    /** svctest.SetNodePorts(values...). */
    private static List<ServicePort> nodePorts(List<ServicePort> ports, int... values) {
        List<ServicePort> out = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            out.add(ports.get(i).withNodePort(values[i]));
        }
        return out;
    }

    /**
     * TestCreateInitNodePorts (storage_test.go). The Go cases named "type:ExternalName" build
     * {@code MakeService("foo")} without SetTypeExternalName, so they are ClusterIP Services; ported
     * as written. Columns: type, ports, allocateLoadBalancerNodePorts, expectation ("error",
     * "nodePorts" or "none").
     */
    static Stream<Arguments> createInitNodePorts() {
        ServiceType cip = ServiceType.CLUSTER_IP;
        ServiceType np = ServiceType.NODE_PORT;
        ServiceType lb = ServiceType.LOAD_BALANCER;
        return Stream.of(
                Arguments.of("type:ExternalName", cip, ONE_PORT, true, "none"),
                Arguments.of("type:ExternalName_with_NodePorts", cip, unique(ONE_PORT), true, "error"),
                Arguments.of("type:ClusterIP", cip, ONE_PORT, true, "none"),
                Arguments.of("type:ClusterIP_with_NodePorts", cip, unique(ONE_PORT), true, "error"),
                Arguments.of("type:NodePort_single_port_unspecified", np, ONE_PORT, true, "nodePorts"),
                Arguments.of("type:NodePort_single_port_specified", np, unique(ONE_PORT), true, "nodePorts"),
                Arguments.of("type:NodePort_multiport_unspecified", np, P80_Q443, true, "nodePorts"),
                Arguments.of("type:NodePort_multiport_specified", np, unique(P80_Q443), true, "nodePorts"),
                Arguments.of("type:NodePort_multiport_same", np, nodePorts(P80_Q443, 30080, 30080), true, "error"),
                Arguments.of("type:NodePort_multiport_multiproto_unspecified", np, P53_Q53, true, "nodePorts"),
                Arguments.of("type:NodePort_multiport_multiproto_specified", np, unique(P53_Q53), true, "nodePorts"),
                Arguments.of("type:NodePort_multiport_multiproto_same", np, nodePorts(P53_Q53, 30053, 30053), true, "nodePorts"),
                Arguments.of("type:NodePort_multiport_multiproto_conflict", np, nodePorts(P93_Q76, 30093, 30093), true, "error"),
                Arguments.of("type:LoadBalancer_single_port_unspecified:on_alloc:false", lb, ONE_PORT, false, "none"),
                Arguments.of("type:LoadBalancer_single_port_unspecified:on_alloc:true", lb, ONE_PORT, true, "nodePorts"),
                Arguments.of("type:LoadBalancer_single_port_specified:on_alloc:false", lb, unique(ONE_PORT), false, "nodePorts"),
                Arguments.of("type:LoadBalancer_single_port_specified:on_alloc:true", lb, unique(ONE_PORT), true, "nodePorts"),
                Arguments.of("type:LoadBalancer_multiport_unspecified:on_alloc:false", lb, P80_Q443, false, "none"),
                Arguments.of("type:LoadBalancer_multiport_unspecified:on_alloc:true", lb, P80_Q443, true, "nodePorts"),
                Arguments.of("type:LoadBalancer_multiport_specified:on_alloc:false", lb, unique(P80_Q443), false, "nodePorts"),
                Arguments.of("type:LoadBalancer_multiport_specified:on_alloc:true", lb, unique(P80_Q443), true, "nodePorts"),
                Arguments.of("type:LoadBalancer_multiport_same", lb, nodePorts(P80_Q443, 30080, 30080), true, "error"),
                Arguments.of("type:LoadBalancer_multiport_multiproto_unspecified", lb, P53_Q53, true, "nodePorts"),
                Arguments.of("type:LoadBalancer_multiport_multiproto_specified", lb, unique(P53_Q53), true, "nodePorts"),
                Arguments.of("type:LoadBalancer_multiport_multiproto_same", lb, nodePorts(P53_Q53, 30053, 30053), true, "nodePorts"),
                Arguments.of("type:LoadBalancer_multiport_multiproto_conflict", lb, nodePorts(P93_Q76, 30093, 30093), true, "error"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void createInitNodePorts(String name, ServiceType type, List<ServicePort> svcPorts, boolean onAlloc, String expect) {
        newStorage(List.of(V4));
        ServiceSpec svc = makeService("foo").type(type).ports(svcPorts).allocateLoadBalancerNodePorts(onAlloc).build();
        State before = state();
        if (expect.equals("error")) {
            assertThatThrownBy(() -> alloc.dryRun().create(svc)).isInstanceOf(ServiceException.class);
            assertThat(state()).isEqualTo(before);
            assertThatThrownBy(() -> alloc.create(svc)).isInstanceOf(ServiceException.class);
            assertThat(state()).isEqualTo(before);
            return;
        }
        ServiceSpec created = alloc.create(svc);
        List<ServicePort> got = created.ports();
        if (expect.equals("none")) {
            assertThat(got).allSatisfy(p -> assertThat(p.nodePort()).isZero());
            assertThat(ports.allocatedPorts()).isEmpty();
            return;
        }
        // every port has a NodePort, allocated; the requested ones as requested; the others unique
        // except for the same port number under another protocol
        assertThat(got).allSatisfy(p -> assertThat(p.nodePort()).isNotZero());
        for (ServicePort p : got) {
            assertThat(ports.isAllocated(p.nodePort())).isTrue();
        }
        Map<Integer, Integer> seen = new java.util.HashMap<>();
        for (int i = 0; i < got.size(); i++) {
            if (svcPorts.get(i).nodePort() != 0) {
                assertThat(got.get(i).nodePort()).isEqualTo(svcPorts.get(i).nodePort());
                continue;
            }
            Integer prev = seen.put(got.get(i).nodePort(), got.get(i).port());
            assertThat(prev == null || prev == got.get(i).port()).as("unique NodePort of port %d", i).isTrue();
        }
    }

    // ------------------------------------------------------------------ TestCreateSkipsAllocationsForHeadless

    /** TestCreateSkipsAllocationsForHeadless (storage_test.go): clusterIP None takes nothing; NodePort and LoadBalancer may not be headless. */
    static Stream<Arguments> createSkipsAllocationsForHeadless() {
        return Stream.of(
                Arguments.of("singlestack:v4", List.of(V4), ServiceType.CLUSTER_IP, false),
                Arguments.of("singlestack:v6", List.of(V6), ServiceType.CLUSTER_IP, false),
                Arguments.of("dualstack:v4v6", List.of(V4, V6), ServiceType.CLUSTER_IP, false),
                Arguments.of("dualstack:v6v4", List.of(V6, V4), ServiceType.CLUSTER_IP, false),
                Arguments.of("singlestack:v4_type:NodePort", List.of(V4), ServiceType.NODE_PORT, true),
                Arguments.of("singlestack:v6_type:LoadBalancer", List.of(V6), ServiceType.LOAD_BALANCER, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void createSkipsAllocationsForHeadless(String name, List<IpFamily> cluster, ServiceType type, boolean expectError) {
        newStorage(cluster);
        ServiceSpec svc = makeService("foo").type(type).clusterIP(ServiceSpec.NONE).build();
        State before = state();
        if (expectError) {
            // the text of validation.go ValidateService
            String message = "Service \"foo\" is invalid: spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for "
                    + type.kubeName() + " services";
            assertThatThrownBy(() -> alloc.dryRun().create(svc)).isInstanceOf(ServiceInvalidException.class).hasMessage(message);
            assertThatThrownBy(() -> alloc.create(svc)).isInstanceOf(ServiceInvalidException.class).hasMessage(message);
            assertThat(state()).isEqualTo(before);
            return;
        }
        ServiceSpec created = alloc.create(svc);
        assertThat(created.clusterIPs()).containsExactly(ServiceSpec.NONE);
        assertThat(cidrs.allocations()).isEmpty();
        assertThat(ports.allocatedPorts()).isEmpty();
    }

    // ------------------------------------------------------------------ TestCreateDryRun

    /** TestCreateDryRun (storage_test.go): a dry-run create returns valid addresses and takes nothing. */
    static Stream<Arguments> createDryRun() {
        ServiceType cip = ServiceType.CLUSTER_IP;
        return Stream.of(
                Arguments.of("singlestack:v4_clusterip:unset", List.of(V4), cip, null, List.of(), ONE_PORT),
                Arguments.of("singlestack:v4_clusterip:set", List.of(V4), cip, null, List.of("10.0.0.1"), ONE_PORT),
                Arguments.of("singlestack:v6_clusterip:unset", List.of(V6), cip, null, List.of(), ONE_PORT),
                Arguments.of("singlestack:v6_clusterip:set", List.of(V6), cip, null, List.of("2000::1"), ONE_PORT),
                Arguments.of("dualstack:v4v6_clusterip:unset", List.of(V4, V6), cip, IpFamilyPolicy.PREFER_DUAL_STACK,
                        List.of(), ONE_PORT),
                Arguments.of("dualstack:v4v6_clusterip:set", List.of(V4, V6), cip, IpFamilyPolicy.PREFER_DUAL_STACK,
                        List.of("10.0.0.1", "2000::1"), ONE_PORT),
                Arguments.of("singlestack:v4_type:NodePort_nodeport:unset", List.of(V4), ServiceType.NODE_PORT, null,
                        List.of(), ONE_PORT),
                Arguments.of("singlestack:v4_type:LoadBalancer_nodePort:set", List.of(V4), ServiceType.LOAD_BALANCER, null,
                        List.of(), unique(ONE_PORT)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void createDryRun(String name, List<IpFamily> cluster, ServiceType type, IpFamilyPolicy policy, List<String> ips,
            List<ServicePort> svcPorts) {
        newStorage(cluster);
        ServiceSpec svc = makeService("foo").type(type).ipFamilyPolicy(policy).clusterIPs(ips).ports(svcPorts).build();
        ServiceSpec created = alloc.dryRun().create(svc);
        assertThat(created.clusterIPs()).isNotEmpty();
        for (String ip : created.clusterIPs()) {
            assertThat(IpAddress.parse(ip)).isNotNull();
        }
        if (type != ServiceType.CLUSTER_IP) {
            assertThat(created.nodePorts()).allSatisfy(p -> assertThat(p).isNotZero());
        }
        assertThat(cidrs.allocations()).isEmpty();
        assertThat(ports.allocatedPorts()).isEmpty();
        assertThat(alloc.services()).isEmpty();
    }

    // ------------------------------------------------------------------ TestDeleteDryRun

    /** TestDeleteDryRun (storage_test.go): a dry-run delete of a Local LoadBalancer releases nothing. */
    static Stream<Arguments> deleteDryRun() {
        return Stream.of(
                Arguments.of("v4", null, List.of(V4)),
                Arguments.of("v4v6", IpFamilyPolicy.REQUIRE_DUAL_STACK, List.of(V4, V6)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void deleteDryRun(String name, IpFamilyPolicy policy, List<IpFamily> fams) {
        newStorage(fams);
        ServiceSpec svc = makeService("foo").type(ServiceType.LOAD_BALANCER).ipFamilyPolicy(policy).ipFamilies(fams)
                .externalTrafficPolicy(ExternalTrafficPolicy.LOCAL).build();
        ServiceSpec created = alloc.create(svc);
        assertThat(created.clusterIPs()).hasSize(fams.size());
        assertThat(created.healthCheckNodePort()).isNotZero();
        assertThat(ports.isAllocated(created.healthCheckNodePort())).isTrue();
        assertThat(ports.isAllocated(created.nodePorts().get(0))).isTrue();
        State before = state();
        assertThat(alloc.dryRun().delete(svc.owner())).isEqualTo(created);
        assertThat(state()).isEqualTo(before);
        alloc.delete(svc.owner());
        assertThat(cidrs.allocations()).isEmpty();
        assertThat(ports.allocatedPorts()).isEmpty();
    }

    // ------------------------------------------------------------------ TestUpdateIPsFromSingleStack, TestUpdateIPsFromDualStack

    /**
     * TestUpdateIPsFromSingleStack (storage_test.go): the cluster, the Go case's name, the Service
     * created ({@code single}: SingleStack with the primary family's address, {@code headless-single}:
     * SingleStack headless), then the update's policy, families and cluster IPs ({@code nil}, {@code
     * single}: the primary family or its address, {@code dual}: both in the cluster's order, {@code
     * rdual}: both in the other order), and the number of families after it or {@code error}
     * ({@code inuse}: the secondary address is taken beforehand). The update, as Go's, sends a spec
     * without the allocated values.
     */
    private static final String UPDATE_FROM_SINGLE_STACK = """
            v4 | single-single | single | single | nil | nil | 1
            v4 | single-dual | single | require | dual | nil | error
            v4 | single-dual_policy | single | require | nil | nil | error
            v4 | single-dual_families | single | nil | dual | nil | error
            v4v6 | policy:nil_families:nil_ips:nil | single | nil | nil | nil | 1
            v4v6 | policy:nil_families:nil_ips:single | single | nil | nil | single | 1
            v4v6 | policy:nil_families:nil_ips:dual | single | nil | nil | dual | error
            v4v6 | policy:nil_families:single_ips:nil | single | nil | single | nil | 1
            v4v6 | policy:nil_families:single_ips:single | single | nil | single | single | 1
            v4v6 | policy:nil_families:single_ips:dual | single | nil | single | dual | error
            v4v6 | policy:nil_families:dual_ips:nil | single | nil | dual | nil | error
            v4v6 | policy:nil_families:dual_ips:single | single | nil | dual | single | error
            v4v6 | policy:nil_families:dual_ips:dual | single | nil | dual | dual | error
            v4v6 | policy:single_families:nil_ips:nil | single | single | nil | nil | 1
            v4v6 | policy:single_families:nil_ips:single | single | single | nil | single | 1
            v4v6 | policy:single_families:nil_ips:dual | single | single | nil | dual | error
            v4v6 | policy:single_families:single_ips:nil | single | single | single | nil | 1
            v4v6 | policy:single_families:single_ips:single | single | single | single | single | 1
            v4v6 | policy:single_families:single_ips:dual | single | single | single | dual | error
            v4v6 | policy:single_families:dual_ips:nil | single | single | dual | nil | error
            v4v6 | policy:single_families:dual_ips:single | single | single | dual | single | error
            v4v6 | policy:single_families:dual_ips:dual | single | single | dual | dual | error
            v4v6 | policy:prefer_families:nil_ips:nil | single | prefer | nil | nil | 2
            v4v6 | policy:prefer_families:nil_ips:single | single | prefer | nil | single | 2
            v4v6 | policy:prefer_families:nil_ips:dual | single | prefer | nil | dual | 2
            v4v6 | policy:prefer_families:single_ips:nil | single | prefer | single | nil | 2
            v4v6 | policy:prefer_families:single_ips:single | single | prefer | single | single | 2
            v4v6 | policy:prefer_families:single_ips:dual | single | prefer | single | dual | 2
            v4v6 | policy:prefer_families:dual_ips:nil | single | prefer | dual | nil | 2
            v4v6 | policy:prefer_families:dual_ips:single | single | prefer | dual | single | 2
            v4v6 | policy:prefer_families:dual_ips:dual | single | prefer | dual | dual | 2
            v4v6 | policy:require_families:nil_ips:nil | single | require | nil | nil | 2
            v4v6 | policy:require_families:nil_ips:single | single | require | nil | single | 2
            v4v6 | policy:require_families:nil_ips:dual | single | require | nil | dual | 2
            v4v6 | policy:require_families:single_ips:nil | single | require | single | nil | 2
            v4v6 | policy:require_families:single_ips:single | single | require | single | single | 2
            v4v6 | policy:require_families:single_ips:dual | single | require | single | dual | 2
            v4v6 | policy:require_families:dual_ips:nil | single | require | dual | nil | 2
            v4v6 | policy:require_families:dual_ips:single | single | require | dual | single | 2
            v4v6 | policy:require_families:dual_ips:dual | single | require | dual | dual | 2
            v4v6 | single-dual_wrong_order_families | single | require | rdual | nil | error
            v4v6 | single-dual_wrong_order_ips | single | require | nil | rdual | error
            v4v6 | single-dual_ip_in_use | single | require | dual | dual | error inuse
            v6v4 | policy:nil_families:nil_ips:nil | single | nil | nil | nil | 1
            v6v4 | policy:nil_families:nil_ips:single | single | nil | nil | single | 1
            v6v4 | policy:nil_families:nil_ips:dual | single | nil | nil | dual | error
            v6v4 | policy:nil_families:single_ips:nil | single | nil | single | nil | 1
            v6v4 | policy:nil_families:single_ips:single | single | nil | single | single | 1
            v6v4 | policy:nil_families:single_ips:dual | single | nil | single | dual | error
            v6v4 | policy:nil_families:dual_ips:nil | single | nil | dual | nil | error
            v6v4 | policy:nil_families:dual_ips:single | single | nil | dual | single | error
            v6v4 | policy:nil_families:dual_ips:dual | single | nil | dual | dual | error
            v6v4 | policy:single_families:nil_ips:nil | single | single | nil | nil | 1
            v6v4 | policy:single_families:nil_ips:single | single | single | nil | single | 1
            v6v4 | policy:single_families:nil_ips:dual | single | single | nil | dual | error
            v6v4 | policy:single_families:single_ips:nil | single | single | single | nil | 1
            v6v4 | policy:single_families:single_ips:single | single | single | single | single | 1
            v6v4 | policy:single_families:single_ips:dual | single | single | single | dual | error
            v6v4 | policy:single_families:dual_ips:nil | single | single | dual | nil | error
            v6v4 | policy:single_families:dual_ips:single | single | single | dual | single | error
            v6v4 | policy:single_families:dual_ips:dual | single | single | dual | dual | error
            v6v4 | policy:prefer_families:nil_ips:nil | single | prefer | nil | nil | 2
            v6v4 | policy:prefer_families:nil_ips:single | single | prefer | nil | single | 2
            v6v4 | policy:prefer_families:nil_ips:dual | single | prefer | nil | dual | 2
            v6v4 | policy:prefer_families:single_ips:nil | single | prefer | single | nil | 2
            v6v4 | policy:prefer_families:single_ips:single | single | prefer | single | single | 2
            v6v4 | policy:prefer_families:single_ips:dual | single | prefer | single | dual | 2
            v6v4 | policy:prefer_families:dual_ips:nil | single | prefer | dual | nil | 2
            v6v4 | policy:prefer_families:dual_ips:single | single | prefer | dual | single | 2
            v6v4 | policy:prefer_families:dual_ips:dual | single | prefer | dual | dual | 2
            v6v4 | policy:require_families:nil_ips:nil | single | require | nil | nil | 2
            v6v4 | policy:require_families:nil_ips:single | single | require | nil | single | 2
            v6v4 | policy:require_families:nil_ips:dual | single | require | nil | dual | 2
            v6v4 | policy:require_families:single_ips:nil | single | require | single | nil | 2
            v6v4 | policy:require_families:single_ips:single | single | require | single | single | 2
            v6v4 | policy:require_families:single_ips:dual | single | require | single | dual | 2
            v6v4 | policy:require_families:dual_ips:nil | single | require | dual | nil | 2
            v6v4 | policy:require_families:dual_ips:single | single | require | dual | single | 2
            v6v4 | policy:require_families:dual_ips:dual | single | require | dual | dual | 2
            v6v4 | single-dual_wrong_order_families | single | require | rdual | nil | error
            v6v4 | single-dual_wrong_order_ips | single | require | nil | rdual | error
            v6v4 | single-dual_ip_in_use | single | require | dual | dual | error inuse
            v4v6 | headless/policy:nil_families:nil | headless-single | nil | nil | nil | 1
            v4v6 | headless/policy:nil_families:single | headless-single | nil | single | nil | 1
            v4v6 | headless/policy:nil_families:dual | headless-single | nil | dual | nil | error
            v4v6 | headless/policy:single_families:nil | headless-single | single | nil | nil | 1
            v4v6 | headless/policy:single_families:single | headless-single | single | single | nil | 1
            v4v6 | headless/policy:single_families:dual | headless-single | single | dual | nil | error
            v4v6 | headless/policy:prefer_families:nil | headless-single | prefer | nil | nil | 2
            v4v6 | headless/policy:prefer_families:single | headless-single | prefer | single | nil | 2
            v4v6 | headless/policy:prefer_families:dual | headless-single | prefer | dual | nil | 2
            v4v6 | headless/policy:require_families:nil | headless-single | require | nil | nil | 2
            v4v6 | headless/policy:require_families:single | headless-single | require | single | nil | 2
            v4v6 | headless/policy:require_families:dual | headless-single | require | dual | nil | 2""";

    /**
     * TestUpdateIPsFromDualStack (storage_test.go), same columns; {@code dual} creates a
     * RequireDualStack Service with both addresses, {@code headless-dual} a RequireDualStack
     * headless one, {@code rsingle} is the secondary family or its address alone.
     */
    private static final String UPDATE_FROM_DUAL_STACK = """
            v4v6 | policy:nil_families:nil_ips:nil | dual | nil | nil | nil | 2
            v4v6 | policy:nil_families:nil_ips:single | dual | nil | nil | single | error
            v4v6 | policy:nil_families:nil_ips:dual | dual | nil | nil | dual | 2
            v4v6 | policy:nil_families:single_ips:nil | dual | nil | single | nil | error
            v4v6 | policy:nil_families:single_ips:single | dual | nil | single | single | error
            v4v6 | policy:nil_families:single_ips:dual | dual | nil | single | dual | error
            v4v6 | policy:nil_families:dual_ips:nil | dual | nil | dual | nil | 2
            v4v6 | policy:nil_families:dual_ips:single | dual | nil | dual | single | error
            v4v6 | policy:nil_families:dual_ips:dual | dual | nil | dual | dual | 2
            v4v6 | policy:single_families:nil_ips:nil | dual | single | nil | nil | 1
            v4v6 | policy:single_families:nil_ips:single | dual | single | nil | single | 1
            v4v6 | policy:single_families:nil_ips:dual | dual | single | nil | dual | 1
            v4v6 | policy:single_families:single_ips:nil | dual | single | single | nil | 1
            v4v6 | policy:single_families:single_ips:single | dual | single | single | single | 1
            v4v6 | policy:single_families:single_ips:dual | dual | single | single | dual | 1
            v4v6 | policy:single_families:dual_ips:nil | dual | single | dual | nil | 1
            v4v6 | policy:single_families:dual_ips:single | dual | single | dual | single | 1
            v4v6 | policy:single_families:dual_ips:dual | dual | single | dual | dual | 1
            v4v6 | policy:prefer_families:nil_ips:nil | dual | prefer | nil | nil | 2
            v4v6 | policy:prefer_families:nil_ips:single | dual | prefer | nil | single | error
            v4v6 | policy:prefer_families:nil_ips:dual | dual | prefer | nil | dual | 2
            v4v6 | policy:prefer_families:single_ips:nil | dual | prefer | single | nil | error
            v4v6 | policy:prefer_families:single_ips:single | dual | prefer | single | single | error
            v4v6 | policy:prefer_families:single_ips:dual | dual | prefer | single | dual | error
            v4v6 | policy:prefer_families:dual_ips:nil | dual | prefer | dual | nil | 2
            v4v6 | policy:prefer_families:dual_ips:single | dual | prefer | dual | single | error
            v4v6 | policy:prefer_families:dual_ips:dual | dual | prefer | dual | dual | 2
            v4v6 | policy:require_families:nil_ips:nil | dual | require | nil | nil | 2
            v4v6 | policy:require_families:nil_ips:single | dual | require | nil | single | error
            v4v6 | policy:require_families:nil_ips:dual | dual | require | nil | dual | 2
            v4v6 | policy:require_families:single_ips:nil | dual | require | single | nil | error
            v4v6 | policy:require_families:single_ips:single | dual | require | single | single | error
            v4v6 | policy:require_families:single_ips:dual | dual | require | single | dual | error
            v4v6 | policy:require_families:dual_ips:nil | dual | require | dual | nil | 2
            v4v6 | policy:require_families:dual_ips:single | dual | require | dual | single | error
            v4v6 | policy:require_families:dual_ips:dual | dual | require | dual | dual | 2
            v4v6 | dual-single_wrong_order_families | dual | single | rsingle | nil | error
            v4v6 | dual-single_wrong_order_ips | dual | single | nil | rsingle | error
            v6v4 | policy:nil_families:nil_ips:nil | dual | nil | nil | nil | 2
            v6v4 | policy:nil_families:nil_ips:single | dual | nil | nil | single | error
            v6v4 | policy:nil_families:nil_ips:dual | dual | nil | nil | dual | 2
            v6v4 | policy:nil_families:single_ips:nil | dual | nil | single | nil | error
            v6v4 | policy:nil_families:single_ips:single | dual | nil | single | single | error
            v6v4 | policy:nil_families:single_ips:dual | dual | nil | single | dual | error
            v6v4 | policy:nil_families:dual_ips:nil | dual | nil | dual | nil | 2
            v6v4 | policy:nil_families:dual_ips:single | dual | nil | dual | single | error
            v6v4 | policy:nil_families:dual_ips:dual | dual | nil | dual | dual | 2
            v6v4 | policy:single_families:nil_ips:nil | dual | single | nil | nil | 1
            v6v4 | policy:single_families:nil_ips:single | dual | single | nil | single | 1
            v6v4 | policy:single_families:nil_ips:dual | dual | single | nil | dual | 1
            v6v4 | policy:single_families:single_ips:nil | dual | single | single | nil | 1
            v6v4 | policy:single_families:single_ips:single | dual | single | single | single | 1
            v6v4 | policy:single_families:single_ips:dual | dual | single | single | dual | 1
            v6v4 | policy:single_families:dual_ips:nil | dual | single | dual | nil | 1
            v6v4 | policy:single_families:dual_ips:single | dual | single | dual | single | 1
            v6v4 | policy:single_families:dual_ips:dual | dual | single | dual | dual | 1
            v6v4 | policy:prefer_families:nil_ips:nil | dual | prefer | nil | nil | 2
            v6v4 | policy:prefer_families:nil_ips:single | dual | prefer | nil | single | error
            v6v4 | policy:prefer_families:nil_ips:dual | dual | prefer | nil | dual | 2
            v6v4 | policy:prefer_families:single_ips:nil | dual | prefer | single | nil | error
            v6v4 | policy:prefer_families:single_ips:single | dual | prefer | single | single | error
            v6v4 | policy:prefer_families:single_ips:dual | dual | prefer | single | dual | error
            v6v4 | policy:prefer_families:dual_ips:nil | dual | prefer | dual | nil | 2
            v6v4 | policy:prefer_families:dual_ips:single | dual | prefer | dual | single | error
            v6v4 | policy:prefer_families:dual_ips:dual | dual | prefer | dual | dual | 2
            v6v4 | policy:require_families:nil_ips:nil | dual | require | nil | nil | 2
            v6v4 | policy:require_families:nil_ips:single | dual | require | nil | single | error
            v6v4 | policy:require_families:nil_ips:dual | dual | require | nil | dual | 2
            v6v4 | policy:require_families:single_ips:nil | dual | require | single | nil | error
            v6v4 | policy:require_families:single_ips:single | dual | require | single | single | error
            v6v4 | policy:require_families:single_ips:dual | dual | require | single | dual | error
            v6v4 | policy:require_families:dual_ips:nil | dual | require | dual | nil | 2
            v6v4 | policy:require_families:dual_ips:single | dual | require | dual | single | error
            v6v4 | policy:require_families:dual_ips:dual | dual | require | dual | dual | 2
            v6v4 | dual-single_wrong_order_families | dual | single | rsingle | nil | error
            v6v4 | dual-single_wrong_order_ips | dual | single | nil | rsingle | error
            v4v6 | headless/policy:nil_families:nil | headless-dual | nil | nil | nil | 2
            v4v6 | headless/policy:nil_families:single | headless-dual | nil | single | nil | error
            v4v6 | headless/policy:nil_families:dual | headless-dual | nil | dual | nil | 2
            v4v6 | headless/policy:single_families:nil | headless-dual | single | nil | nil | 1
            v4v6 | headless/policy:single_families:single | headless-dual | single | single | nil | 1
            v4v6 | headless/policy:single_families:dual | headless-dual | single | dual | nil | 1
            v4v6 | headless/policy:prefer_families:nil | headless-dual | prefer | nil | nil | 2
            v4v6 | headless/policy:prefer_families:single | headless-dual | prefer | single | nil | error
            v4v6 | headless/policy:prefer_families:dual | headless-dual | prefer | dual | nil | 2
            v4v6 | headless/policy:require_families:nil | headless-dual | require | nil | nil | 2
            v4v6 | headless/policy:require_families:single | headless-dual | require | single | nil | error
            v4v6 | headless/policy:require_families:dual | headless-dual | require | dual | nil | 2""";

    static Stream<Arguments> updateIPsFromSingleStack() {
        return updateCases(UPDATE_FROM_SINGLE_STACK);
    }

    static Stream<Arguments> updateIPsFromDualStack() {
        return updateCases(UPDATE_FROM_DUAL_STACK);
    }

    private static Stream<Arguments> updateCases(String table) {
        List<Arguments> cases = new ArrayList<>();
        for (String line : table.lines().toList()) {
            if (line.isBlank()) {
                continue;
            }
            String[] c = line.split("\\|");
            String cluster = c[0].strip();
            String group = (cluster.length() == 2 ? "singlestack:" : "dualstack:") + cluster;
            String name = c[1].strip();
            if (name.startsWith("headless/")) {
                group = "headless";
                name = name.substring("headless/".length());
            }
            cases.add(Arguments.of(group + "/" + name, cluster, c[2].strip(), c[3].strip(), c[4].strip(), c[5].strip(),
                    c[6].strip()));
        }
        return cases.stream();
    }

    private static String addressOf(IpFamily family) {
        return family == V4 ? "10.0.0.1" : "2000::1";
    }

    private static Optional<IpFamilyPolicy> shortPolicy(String text) {
        return switch (text) {
            case "nil" -> Optional.empty();
            case "single" -> Optional.of(IpFamilyPolicy.SINGLE_STACK);
            case "prefer" -> Optional.of(IpFamilyPolicy.PREFER_DUAL_STACK);
            case "require" -> Optional.of(IpFamilyPolicy.REQUIRE_DUAL_STACK);
            default -> throw new IllegalArgumentException(text);
        };
    }

    private static List<IpFamily> pick(String text, IpFamily p, IpFamily s) {
        return switch (text) {
            case "nil" -> List.of();
            case "single" -> List.of(p);
            case "rsingle" -> List.of(s);
            case "dual" -> List.of(p, s);
            case "rdual" -> List.of(s, p);
            default -> throw new IllegalArgumentException(text);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void updateIPsFromSingleStack(String name, String cluster, String create, String policy, String fams, String ips,
            String expect) {
        runUpdate(cluster, create, policy, fams, ips, expect);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void updateIPsFromDualStack(String name, String cluster, String create, String policy, String fams, String ips,
            String expect) {
        runUpdate(cluster, create, policy, fams, ips, expect);
    }

    /** helpTestCreateUpdateDeleteWithFamilies: create, update (dry run, then real), delete. */
    private void runUpdate(String cluster, String create, String policy, String fams, String ips, String expect) {
        List<IpFamily> clusterFamilies = families(cluster);
        newStorage(clusterFamilies);
        IpFamily p = clusterFamilies.get(0);
        IpFamily s = p == V4 ? V6 : V4;

        ServiceSpec.Builder cb = makeService("foo");
        switch (create) {
            case "single" -> cb.ipFamilyPolicy(IpFamilyPolicy.SINGLE_STACK).clusterIPs(List.of(addressOf(p)));
            case "dual" -> cb.ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK).clusterIPs(List.of(addressOf(p), addressOf(s)));
            case "headless-single" -> cb.ipFamilyPolicy(IpFamilyPolicy.SINGLE_STACK).clusterIP(ServiceSpec.NONE);
            case "headless-dual" -> cb.ipFamilyPolicy(IpFamilyPolicy.REQUIRE_DUAL_STACK).clusterIP(ServiceSpec.NONE);
            default -> throw new IllegalArgumentException(create);
        }
        boolean headless = create.startsWith("headless");
        ServiceSpec created = alloc.create(cb.build());
        assertThat(created.ipFamilies()).hasSize(create.endsWith("single") ? 1 : 2);

        if (expect.endsWith("inuse")) {
            // beforeUpdate: the secondary address is taken outside the Service
            cidrs.allocate(IpAddress.parse(addressOf(s)), new Owner("default", "other"));
        }
        ServiceSpec.Builder ub = makeService("foo");
        shortPolicy(policy).ifPresent(ub::ipFamilyPolicy);
        ub.ipFamilies(pick(fams, p, s));
        List<String> updateIps = pick(ips, p, s).stream().map(KubernetesServiceTablesTest::addressOf).toList();
        ub.clusterIPs(updateIps);
        ServiceSpec update = ub.build();

        State before = state();
        if (expect.startsWith("error")) {
            assertThatThrownBy(() -> alloc.dryRun().update(update)).isInstanceOf(ServiceInvalidException.class);
            assertThat(state()).isEqualTo(before);
            assertThatThrownBy(() -> alloc.update(update)).isInstanceOf(ServiceInvalidException.class);
            assertThat(state()).isEqualTo(before);
        } else {
            int n = Integer.parseInt(expect);
            ServiceSpec dry = alloc.dryRun().update(update);
            assertThat(state()).isEqualTo(before);
            assertThat(dry.ipFamilies()).hasSize(n);
            ServiceSpec updated = alloc.update(update);
            assertThat(updated.ipFamilies()).hasSize(n);
            assertThat(updated.ipFamilies().get(0)).isEqualTo(created.ipFamilies().get(0));
            if (headless) {
                assertThat(updated.clusterIPs()).containsExactly(ServiceSpec.NONE);
                assertThat(cidrs.allocations()).isEmpty();
            } else {
                // proveClusterIPsAllocated; a downgrade releases the secondary address, an upgrade takes one
                assertThat(updated.clusterIpAddresses()).extracting(IpAddress::family).isEqualTo(updated.ipFamilies());
                assertThat(updated.clusterIPs().get(0)).isEqualTo(created.clusterIPs().get(0));
                for (int i = 0; i < updateIps.size() && i < n; i++) {
                    assertThat(updated.clusterIPs().get(i)).isEqualTo(updateIps.get(i));
                }
                for (IpAddress ip : updated.clusterIpAddresses()) {
                    assertThat(cidrs.owner(ip)).contains(update.owner());
                }
                assertThat(cidrs.allocations()).hasSize(n);
            }
        }
        alloc.delete(update.owner());
        assertThat(cidrs.allocations()).hasSize(expect.endsWith("inuse") ? 1 : 0);
    }

    // ------------------------------------------------------------------ helpTestCreateUpdateDelete

    /** One phase of a cudTestCase (storage_test.go svcTestCase): the spec sent and what is expected. */
    private record Step(ServiceSpec svc, boolean error, boolean clusterIPs, boolean headless, boolean nodePorts,
            boolean hcnp, List<Proof> proofs) {
    }

    private static final int CIPS = 1;
    private static final int HEADLESS = 2;
    private static final int NODE_PORTS = 4;
    private static final int HCNP = 8;
    private static final int ERROR = 16;

    /** svcTestProof: a check of the result of a phase. */
    private interface Proof extends Consumer<ServiceSpec> {
    }

    private static Step step(ServiceSpec.Builder svc, int expect, Proof... proofs) {
        return new Step(svc.build(), (expect & ERROR) != 0, (expect & CIPS) != 0, (expect & HEADLESS) != 0,
                (expect & NODE_PORTS) != 0, (expect & HCNP) != 0, List.of(proofs));
    }

    private static ServiceSpec.Builder foo(ServiceType type) {
        return makeService("foo").type(type);
    }

    /**
     * helpTestCreateUpdateDelete: on a dual-stack v4,v6 cluster, create, update (dry run first,
     * which must answer the same and change nothing), delete; after each phase
     * verifyExpectations' proofs: what is expected allocated is, the rest is released.
     */
    private void cud(Step create, Step update) {
        newStorage(List.of(V4, V6));
        State empty = state();
        if (create.error()) {
            assertThatThrownBy(() -> alloc.dryRun().create(create.svc())).isInstanceOf(ServiceException.class);
            assertThatThrownBy(() -> alloc.create(create.svc())).isInstanceOf(ServiceException.class);
            assertThat(state()).isEqualTo(empty);
            return;
        }
        ServiceSpec dryCreated = alloc.dryRun().create(create.svc());
        assertThat(state()).isEqualTo(empty);
        ServiceSpec created = alloc.create(create.svc());
        assertThat(dryCreated.ipFamilies()).isEqualTo(created.ipFamilies());
        verifyEquiv(create, created);
        verifyExpectations(create, null, created);
        ServiceSpec last = created;
        if (update != null) {
            State before = state();
            if (update.error()) {
                assertThatThrownBy(() -> alloc.dryRun().update(update.svc())).isInstanceOf(ServiceException.class);
                assertThat(state()).isEqualTo(before);
                assertThatThrownBy(() -> alloc.update(update.svc())).isInstanceOf(ServiceException.class);
                assertThat(state()).isEqualTo(before);
            } else {
                ServiceSpec dry = alloc.dryRun().update(update.svc());
                assertThat(state()).isEqualTo(before);
                ServiceSpec updated = alloc.update(update.svc());
                assertThat(dry.ipFamilies()).isEqualTo(updated.ipFamilies());
                assertThat(dry.clusterIPs().size()).isEqualTo(updated.clusterIPs().size());
                verifyEquiv(update, updated);
                verifyExpectations(update, created, updated);
                last = updated;
            }
        }
        alloc.delete(last.owner());
        verifyExpectations(new Step(null, false, false, false, false, false, List.of()), last, null);
        assertThat(state()).isEqualTo(empty);
    }

    /** verifyEquiv: what the spec asked for is what the result has. */
    private static void verifyEquiv(Step step, ServiceSpec got) {
        ServiceSpec want = step.svc();
        assertThat(got.type()).isEqualTo(want.type());
        for (int i = 0; i < want.clusterIPs().size() && !step.svc().clusterIPs().isEmpty(); i++) {
            if (i < got.clusterIPs().size()) {
                assertThat(got.clusterIPs().get(i)).isEqualTo(want.clusterIPs().get(i));
            }
        }
        assertThat(got.ports()).hasSameSizeAs(want.ports());
        for (int i = 0; i < want.ports().size(); i++) {
            assertThat(got.ports().get(i).port()).isEqualTo(want.ports().get(i).port());
            assertThat(got.ports().get(i).protocol()).isEqualTo(want.ports().get(i).protocol());
            if (want.ports().get(i).nodePort() != 0 && step.nodePorts()) {
                assertThat(got.ports().get(i).nodePort()).isEqualTo(want.ports().get(i).nodePort());
            }
        }
        if (want.healthCheckNodePort() != 0 && step.hcnp()) {
            assertThat(got.healthCheckNodePort()).isEqualTo(want.healthCheckNodePort());
        }
    }

    /** verifyExpectations and its prove* helpers. */
    private void verifyExpectations(Step step, ServiceSpec before, ServiceSpec after) {
        if (step.clusterIPs()) {
            // proveClusterIPsAllocated
            for (IpAddress ip : after.clusterIpAddresses()) {
                assertThat(cidrs.owner(ip)).contains(after.owner());
            }
            assertThat(after.clusterIpAddresses()).extracting(IpAddress::family).isEqualTo(after.ipFamilies());
            IpFamilyPolicy pol = after.ipFamilyPolicy().orElseThrow();
            assertThat(after.ipFamilies()).hasSize(pol == IpFamilyPolicy.SINGLE_STACK ? 1 : 2);
            if (before != null) {
                for (int i = 0; i < Math.min(before.clusterIPs().size(), after.clusterIPs().size()); i++) {
                    assertThat(after.clusterIPs().get(i)).isEqualTo(before.clusterIPs().get(i));
                }
                for (int i = 0; i < Math.min(before.ipFamilies().size(), after.ipFamilies().size()); i++) {
                    assertThat(after.ipFamilies().get(i)).isEqualTo(before.ipFamilies().get(i));
                }
            }
        } else if (step.headless()) {
            assertThat(after.clusterIPs()).containsExactly(ServiceSpec.NONE);
        } else {
            // proveClusterIPsDeallocated
            if (after != null && !after.isHeadless()) {
                assertThat(after.clusterIPs()).isEmpty();
            }
            if (before != null && !before.isHeadless()) {
                for (IpAddress ip : before.clusterIpAddresses()) {
                    assertThat(cidrs.owner(ip)).as("released %s", ip).isEmpty();
                    assertThat(cidrs.allocations()).doesNotContainKey(ip);
                }
            }
        }
        if (step.nodePorts()) {
            for (ServicePort p : after.ports()) {
                assertThat(p.nodePort()).isNotZero();
                assertThat(ports.isAllocated(p.nodePort())).isTrue();
            }
        } else {
            if (after != null) {
                assertThat(after.ports()).allSatisfy(p -> assertThat(p.nodePort()).isZero());
            }
            if (before != null) {
                for (ServicePort p : before.ports()) {
                    if (p.nodePort() != 0) {
                        assertThat(ports.isAllocated(p.nodePort())).as("released %d", p.nodePort()).isFalse();
                    }
                }
            }
        }
        if (step.hcnp()) {
            assertThat(after.healthCheckNodePort()).isNotZero();
            assertThat(ports.isAllocated(after.healthCheckNodePort())).isTrue();
        } else {
            if (after != null) {
                assertThat(after.healthCheckNodePort()).isZero();
            }
            if (before != null && before.healthCheckNodePort() != 0) {
                assertThat(ports.isAllocated(before.healthCheckNodePort())).isFalse();
            }
        }
        for (Proof proof : step.proofs()) {
            proof.accept(after);
        }
    }

    private static Proof proveClusterIP(int idx, String ip) {
        return after -> assertThat(after.clusterIPs().get(idx)).isEqualTo(ip);
    }

    /** A negative port means "anything but" that port, as Go's proveNodePort. */
    private static Proof proveNodePort(int idx, int port) {
        return after -> {
            if (port > 0) {
                assertThat(after.ports().get(idx).nodePort()).isEqualTo(port);
            } else {
                assertThat(after.ports().get(idx).nodePort()).isNotEqualTo(-port);
            }
        };
    }

    private static Proof proveHCNP(int port) {
        return after -> assertThat(after.healthCheckNodePort()).isEqualTo(port);
    }

    // ------------------------------------------------------------------ TestUpdatePatchAllocatedValues

    private static final List<ServicePort> P867_Q5309 = List.of(port("p", 867, Protocol.TCP), port("q", 5309, Protocol.TCP));
    private static final List<ServicePort> Q5309_P867 = List.of(port("q", 5309, Protocol.TCP), port("p", 867, Protocol.TCP));

    private static ServiceSpec.Builder localLb() {
        return foo(ServiceType.LOAD_BALANCER).externalTrafficPolicy(ExternalTrafficPolicy.LOCAL);
    }

    /** TestUpdatePatchAllocatedValues (storage_test.go): an update that leaves allocated values out keeps them. */
    static Stream<Arguments> updatePatchAllocatedValues() {
        int all = CIPS | NODE_PORTS | HCNP;
        Step created2 = step(localLb().ports(nodePorts(P867_Q5309, 30093, 30076)).healthCheckNodePort(30118), all);
        Step createdDual = step(localLb().ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK)
                .clusterIPs(List.of("10.0.0.1", "2000::1")).ports(nodePorts(P867_Q5309, 30093, 30076))
                .healthCheckNodePort(30118), all);
        return Stream.of(
                Arguments.of("single-ip_single-port",
                        step(localLb().clusterIPs(List.of("10.0.0.1")).ports(nodePorts(ONE_PORT, 30093)).healthCheckNodePort(30118), all),
                        step(localLb(), all, proveClusterIP(0, "10.0.0.1"), proveNodePort(0, 30093), proveHCNP(30118))),
                Arguments.of("multi-ip_multi-port", createdDual,
                        step(localLb().ports(P867_Q5309), all, proveClusterIP(0, "10.0.0.1"), proveClusterIP(1, "2000::1"),
                                proveNodePort(0, 30093), proveNodePort(1, 30076), proveHCNP(30118))),
                Arguments.of("multi-ip_partial", createdDual,
                        step(localLb().clusterIPs(List.of("10.0.0.1")), ERROR)),
                Arguments.of("multi-port_partial", created2,
                        step(localLb().ports(nodePorts(P867_Q5309, 30093, 0)), all, proveNodePort(0, 30093),
                                proveNodePort(1, 30076), proveHCNP(30118))),
                Arguments.of("swap-ports", created2,
                        step(localLb().ports(Q5309_P867), all, proveNodePort(0, 30076), proveNodePort(1, 30093), proveHCNP(30118))),
                Arguments.of("partial-swap-ports", created2,
                        step(localLb().ports(nodePorts(P867_Q5309, 30076, 0)).healthCheckNodePort(30118), all,
                                proveNodePort(0, 30076), proveNodePort(1, -30076), proveHCNP(30118))),
                Arguments.of("swap-port-with-hcnp", created2,
                        step(localLb().ports(nodePorts(P867_Q5309, 30076, 30118)), ERROR)),
                Arguments.of("partial-swap-port-with-hcnp", created2,
                        step(localLb().ports(nodePorts(P867_Q5309, 30118, 0)), ERROR)),
                Arguments.of("update-hcnp", created2,
                        step(localLb().ports(nodePorts(P867_Q5309, 30093, 30076)).healthCheckNodePort(30111), ERROR)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void updatePatchAllocatedValues(String name, Step create, Step update) {
        cud(create, update);
    }

    // ------------------------------------------------------------------ TestFeature*

    private static final List<ServicePort> P80 = List.of(port("p", 80, Protocol.TCP));
    private static final List<ServicePort> Q443_P80 = List.of(port("q", 443, Protocol.TCP), port("p", 80, Protocol.TCP));

    /**
     * TestFeatureExternalName, TestFeatureSelector, TestFeatureClusterIPs, TestFeaturePorts,
     * TestFeatureType (storage_test.go): create, update, delete through helpTestCreateUpdateDelete.
     */
    static Stream<Arguments> features() {
        ServiceType en = ServiceType.EXTERNAL_NAME;
        ServiceType cip = ServiceType.CLUSTER_IP;
        ServiceType np = ServiceType.NODE_PORT;
        ServiceType lb = ServiceType.LOAD_BALANCER;
        int c = CIPS;
        int cn = CIPS | NODE_PORTS;
        return Stream.of(
                // TestFeatureExternalName ("valid-blank" needs the externalName field: not ported)
                Arguments.of("TestFeatureExternalName/valid-valid", step(foo(en), 0), step(foo(en), 0)),
                // TestFeatureSelector: an empty selector is no selector, as Go's len(selector) == 0
                Arguments.of("TestFeatureSelector/valid-valid", step(foo(cip), c), step(foo(cip), c)),
                Arguments.of("TestFeatureSelector/valid-nil", step(foo(cip), c), step(foo(cip).selector(false), c)),
                Arguments.of("TestFeatureSelector/valid-empty", step(foo(cip), c), step(foo(cip).selector(false), c)),
                Arguments.of("TestFeatureSelector/nil-valid", step(foo(cip).selector(false), c), step(foo(cip), c)),
                Arguments.of("TestFeatureSelector/empty-valid", step(foo(cip).selector(false), c), step(foo(cip), c)),
                // TestFeatureClusterIPs
                Arguments.of("TestFeatureClusterIPs/clusterIP:valid-headless", step(foo(cip), c),
                        step(foo(cip).clusterIP(ServiceSpec.NONE), ERROR)),
                Arguments.of("TestFeatureClusterIPs/clusterIP:headless-valid", step(foo(cip).clusterIP(ServiceSpec.NONE), HEADLESS),
                        step(foo(cip).clusterIP("10.0.0.93"), ERROR)),
                Arguments.of("TestFeatureClusterIPs/clusterIP:valid-valid", step(foo(cip).clusterIP("10.0.0.93"), c),
                        step(foo(cip).clusterIP("10.0.0.76"), ERROR)),
                Arguments.of("TestFeatureClusterIPs/clusterIPs:valid-valid",
                        step(foo(cip).ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK).clusterIPs(List.of("10.0.0.93", "2000::93")), c),
                        step(foo(cip).ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK).clusterIPs(List.of("10.0.0.76", "2000::76")), ERROR)),
                // TestFeaturePorts ("wipe_all" needs the ports-required validation, which is the caller's: not ported)
                Arguments.of("TestFeaturePorts/add_port", step(foo(cip).ports(P80), c), step(foo(cip).ports(P80_Q443), c)),
                Arguments.of("TestFeaturePorts/add_port_ClusterIP-NodePort", step(foo(cip).ports(P80), c),
                        step(foo(np).ports(P80_Q443), cn)),
                Arguments.of("TestFeaturePorts/add_port_NodePort-ClusterIP", step(foo(np).ports(P80), cn),
                        step(foo(cip).ports(P80_Q443), c)),
                Arguments.of("TestFeaturePorts/remove_port", step(foo(cip).ports(P80_Q443), c), step(foo(cip).ports(P80), c)),
                Arguments.of("TestFeaturePorts/remove_port_ClusterIP-NodePort", step(foo(cip).ports(P80_Q443), c),
                        step(foo(np).ports(P80), cn)),
                Arguments.of("TestFeaturePorts/remove_port_NodePort-ClusterIP", step(foo(np).ports(P80_Q443), cn),
                        step(foo(cip).ports(P80), c)),
                Arguments.of("TestFeaturePorts/swap_ports", step(foo(np).ports(P80_Q443), cn), step(foo(np).ports(Q443_P80), cn)),
                Arguments.of("TestFeaturePorts/modify_ports", step(foo(np).ports(P80_Q443), cn),
                        step(foo(np).ports(port("p", 8080, Protocol.TCP), port("q", 8443, Protocol.TCP)), cn)),
                Arguments.of("TestFeaturePorts/modify_protos", step(foo(np).ports(P80_Q443), cn),
                        step(foo(np).ports(port("p", 80, Protocol.UDP), port("q", 443, Protocol.UDP)), cn)),
                Arguments.of("TestFeaturePorts/modify_ports_and_protos", step(foo(np).ports(P80_Q443), cn),
                        step(foo(np).ports(port("r", 53, Protocol.TCP), port("s", 53, Protocol.UDP)), cn)),
                Arguments.of("TestFeaturePorts/add_alt_proto", step(foo(np).ports(port("p", 53, Protocol.TCP)), cn),
                        step(foo(np).ports(P53_Q53), cn)),
                // TestFeatureType
                Arguments.of("TestFeatureType/ExternalName-ClusterIP", step(foo(en), 0), step(foo(cip), c)),
                Arguments.of("TestFeatureType/ClusterIP-ExternalName", step(foo(cip), c), step(foo(en), 0)),
                Arguments.of("TestFeatureType/ExternalName-NodePort", step(foo(en), 0), step(foo(np), cn)),
                Arguments.of("TestFeatureType/NodePort-ExternalName", step(foo(np), cn), step(foo(en), 0)),
                Arguments.of("TestFeatureType/ExternalName-LoadBalancer", step(foo(en), 0), step(foo(lb), cn)),
                Arguments.of("TestFeatureType/LoadBalancer-ExternalName", step(foo(lb), cn), step(foo(en), 0)),
                Arguments.of("TestFeatureType/ClusterIP-NodePort", step(foo(cip), c), step(foo(np), cn)),
                Arguments.of("TestFeatureType/NodePort-ClusterIP", step(foo(np), cn), step(foo(cip), c)),
                Arguments.of("TestFeatureType/ClusterIP-LoadBalancer", step(foo(cip), c), step(foo(lb), cn)),
                Arguments.of("TestFeatureType/LoadBalancer-ClusterIP", step(foo(lb), cn), step(foo(cip), c)),
                Arguments.of("TestFeatureType/NodePort-LoadBalancer", step(foo(np), cn), step(foo(lb), cn)),
                Arguments.of("TestFeatureType/LoadBalancer-NodePort", step(foo(lb), cn), step(foo(np), cn)),
                Arguments.of("TestFeatureType/Headless-ExternalName", step(foo(cip).clusterIP(ServiceSpec.NONE), HEADLESS),
                        step(foo(en), 0)),
                Arguments.of("TestFeatureType/ExternalName-Headless", step(foo(en), 0),
                        step(foo(cip).clusterIP(ServiceSpec.NONE), HEADLESS)),
                Arguments.of("TestFeatureType/Headless-NodePort", step(foo(cip).clusterIP(ServiceSpec.NONE), HEADLESS),
                        step(foo(np), ERROR)),
                Arguments.of("TestFeatureType/NodePort-Headless", step(foo(np), cn),
                        step(foo(cip).clusterIP(ServiceSpec.NONE), ERROR)),
                Arguments.of("TestFeatureType/Headless-LoadBalancer", step(foo(cip).clusterIP(ServiceSpec.NONE), HEADLESS),
                        step(foo(lb), ERROR)),
                Arguments.of("TestFeatureType/LoadBalancer-Headless", step(foo(lb), cn),
                        step(foo(cip).clusterIP(ServiceSpec.NONE), ERROR)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void features(String name, Step create, Step update) {
        cud(create, update);
    }

    // ------------------------------------------------------------------ TestFeatureExternalTrafficPolicy

    /**
     * TestFeatureExternalTrafficPolicy (storage_test.go). ServiceSpec always has a policy (Cluster
     * unless set) and uses it only where a health check can be needed, so the Go cases whose only
     * fault is a policy set, or missing, on a type that does not take one are not ported; a case
     * with a healthCheckNodePort where none can be needed is, for that fault is one ServiceSpec can
     * express.
     */
    static Stream<Arguments> featureExternalTrafficPolicy() {
        ExternalTrafficPolicy cluster = ExternalTrafficPolicy.CLUSTER;
        ExternalTrafficPolicy local = ExternalTrafficPolicy.LOCAL;
        ServiceType en = ServiceType.EXTERNAL_NAME;
        ServiceType cip = ServiceType.CLUSTER_IP;
        ServiceType np = ServiceType.NODE_PORT;
        ServiceType lb = ServiceType.LOAD_BALANCER;
        int cn = CIPS | NODE_PORTS;
        int cnh = CIPS | NODE_PORTS | HCNP;
        return Stream.of(
                Arguments.of("ExternalName_policy:none_hcnp:specified", step(foo(en).healthCheckNodePort(30000), ERROR), null),
                Arguments.of("ExternalName_policy:Cluster_hcnp:specified",
                        step(foo(en).externalTrafficPolicy(cluster).healthCheckNodePort(30000), ERROR), null),
                Arguments.of("ExternalName_policy:Local_hcnp:specified",
                        step(foo(en).externalTrafficPolicy(local).healthCheckNodePort(30000), ERROR), null),
                Arguments.of("ClusterIP_policy:none_hcnp:specified", step(foo(cip).healthCheckNodePort(30000), ERROR), null),
                Arguments.of("ClusterIP_policy:Cluster_hcnp:specified",
                        step(foo(cip).externalTrafficPolicy(cluster).healthCheckNodePort(30000), ERROR), null),
                Arguments.of("ClusterIP_policy:Local_hcnp:specified",
                        step(foo(cip).externalTrafficPolicy(local).healthCheckNodePort(30000), ERROR), null),
                Arguments.of("NodePort_policy:Cluster_hcnp:none_policy:Local_hcnp:none",
                        step(foo(np).externalTrafficPolicy(cluster), cn), step(foo(np).externalTrafficPolicy(local), cn)),
                Arguments.of("NodePort_policy:Cluster_hcnp:specified",
                        step(foo(np).externalTrafficPolicy(cluster).healthCheckNodePort(30000), ERROR), null),
                Arguments.of("NodePort_policy:Local_hcnp:none_policy:Cluster_hcnp:none",
                        step(foo(np).externalTrafficPolicy(local), cn), step(foo(np).externalTrafficPolicy(cluster), cn)),
                Arguments.of("NodePort_policy:Local_hcnp:specified",
                        step(foo(np).externalTrafficPolicy(local).healthCheckNodePort(30000), ERROR), null),
                Arguments.of("LoadBalancer_policy:Cluster_hcnp:none_policy:Local_hcnp:none",
                        step(foo(lb).externalTrafficPolicy(cluster), cn), step(foo(lb).externalTrafficPolicy(local), cnh)),
                Arguments.of("LoadBalancer_policy:Cluster_hcnp:none_policy:Local_hcnp:specified",
                        step(foo(lb).externalTrafficPolicy(cluster), cn),
                        step(foo(lb).externalTrafficPolicy(local).healthCheckNodePort(30000), cnh, proveHCNP(30000))),
                Arguments.of("LoadBalancer_policy:Cluster_hcnp:specified",
                        step(foo(lb).externalTrafficPolicy(cluster).healthCheckNodePort(30000), ERROR), null),
                Arguments.of("LoadBalancer_policy:Local_hcnp:none_policy:Cluster_hcnp:none",
                        step(foo(lb).externalTrafficPolicy(local), cnh), step(foo(lb).externalTrafficPolicy(cluster), cn)),
                Arguments.of("LoadBalancer_policy:Local_hcnp:specified_policy:Cluster_hcnp:none",
                        step(foo(lb).externalTrafficPolicy(local).healthCheckNodePort(30000), cnh, proveHCNP(30000)),
                        step(foo(lb).externalTrafficPolicy(cluster), cn)),
                Arguments.of("LoadBalancer_policy:Local_hcnp:specified_policy:Cluster_hcnp:different",
                        step(foo(lb).externalTrafficPolicy(local).healthCheckNodePort(30000), cnh),
                        step(foo(lb).externalTrafficPolicy(local).healthCheckNodePort(30001), ERROR)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void featureExternalTrafficPolicy(String name, Step create, Step update) {
        cud(create, update);
    }

    /** TestFeatureExternalTrafficPolicy "LoadBalancer_policy:Local_hcnp:negative": refused before any allocation. */
    @org.junit.jupiter.api.Test
    void featureExternalTrafficPolicyNegativeHealthCheckNodePort() {
        assertThatThrownBy(() -> localLb().healthCheckNodePort(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    /** TestFeatureExternalTrafficPolicy "ClusterIP_policy:none_hcnp:specified": the text of validation.go. */
    @org.junit.jupiter.api.Test
    void featureExternalTrafficPolicyNeedlessHealthCheckNodePortText() {
        newStorage(List.of(V4, V6));
        ServiceSpec svc = foo(ServiceType.CLUSTER_IP).healthCheckNodePort(30000).build();
        String message = "Service \"foo\" is invalid: spec.healthCheckNodePort: Invalid value: 30000: "
                + "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'";
        State before = state();
        assertThatThrownBy(() -> alloc.dryRun().create(svc)).isInstanceOf(ServiceInvalidException.class).hasMessage(message);
        assertThatThrownBy(() -> alloc.create(svc)).isInstanceOf(ServiceInvalidException.class).hasMessage(message);
        assertThat(state()).isEqualTo(before);
    }

    // ------------------------------------------------------------------ TestUpdateDryRun

    /** TestUpdateDryRun (storage_test.go): a dry-run update neither allocates nor releases. */
    static Stream<Arguments> updateDryRun() {
        List<Arguments> cases = new ArrayList<>();
        for (String cluster : List.of("v4", "v6", "v4v6", "v6v4")) {
            String group = (cluster.length() == 2 ? "singlestack:" : "dualstack:") + cluster;
            cases.add(Arguments.of(group + "_NoAllocs-Allocs", cluster, true));
            cases.add(Arguments.of(group + "_Allocs-NoAllocs", cluster, false));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void updateDryRun(String name, String cluster, boolean verifyDryAllocs) {
        newStorage(families(cluster));
        ServiceSpec external = foo(ServiceType.EXTERNAL_NAME).build();
        ServiceSpec lbLocal = localLb().build();
        ServiceSpec created = alloc.create(verifyDryAllocs ? external : lbLocal);
        if (verifyDryAllocs) {
            assertThat(created.clusterIPs()).isEmpty();
            assertThat(cidrs.allocations()).isEmpty();
        } else {
            for (IpAddress ip : created.clusterIpAddresses()) {
                assertThat(cidrs.owner(ip)).contains(created.owner());
            }
        }
        State before = state();
        ServiceSpec updated = alloc.dryRun().update(verifyDryAllocs ? lbLocal : external);
        assertThat(state()).isEqualTo(before);
        if (verifyDryAllocs) {
            // values are assigned but not allocated
            assertThat(updated.clusterIPs()).isNotEmpty();
            for (int i = 0; i < updated.ipFamilies().size(); i++) {
                IpAddress ip = IpAddress.parse(updated.clusterIPs().get(i));
                assertThat(ip.family()).isEqualTo(updated.ipFamilies().get(i));
                assertThat(cidrs.allocations()).doesNotContainKey(ip);
            }
            for (ServicePort p : updated.ports()) {
                assertThat(p.nodePort()).isNotZero();
                assertThat(ports.isAllocated(p.nodePort())).isFalse();
            }
            assertThat(updated.healthCheckNodePort()).isNotZero();
            assertThat(ports.isAllocated(updated.healthCheckNodePort())).isFalse();
        } else {
            // values are unassigned but not released
            assertThat(updated.clusterIPs()).isEmpty();
            for (IpAddress ip : created.clusterIpAddresses()) {
                assertThat(cidrs.owner(ip)).contains(created.owner());
            }
            assertThat(updated.ports()).allSatisfy(p -> assertThat(p.nodePort()).isZero());
            for (ServicePort p : created.ports()) {
                assertThat(ports.isAllocated(p.nodePort())).isTrue();
            }
            assertThat(updated.healthCheckNodePort()).isZero();
            assertThat(ports.isAllocated(created.healthCheckNodePort())).isTrue();
        }
        assertThat(alloc.get(created.owner())).contains(created);
    }

    // ------------------------------------------------------------------ TestPatchAllocatedValues

    /**
     * TestPatchAllocatedValues (storage_test.go) calls patchAllocatedValues on a "before" Service
     * that is partly invalid on purpose ("these are not valid, but prove the test"); here each
     * "before" is created for real, without its invalid part (a NodePort or health-check NodePort
     * on a type that takes none), and the update goes through the allocator. Columns: the
     * before, the update, and whether the cluster IPs, NodePorts and health-check NodePort come out
     * the same as before. "nothing_patched" (an ExternalName holding IPs and ports) cannot be
     * created, so is not ported.
     */
    static Stream<Arguments> patchAllocatedValues() {
        List<String> ips = List.of("10.0.0.93", "2000::76");
        IpFamilyPolicy prefer = IpFamilyPolicy.PREFER_DUAL_STACK;
        List<ServicePort> p93p94 = List.of(port("", 93, Protocol.TCP), port("", 94, Protocol.TCP));
        return Stream.of(
                Arguments.of("all_patched",
                        localLb().ipFamilyPolicy(prefer).clusterIPs(ips).ports(unique(ONE_PORT)).healthCheckNodePort(31234),
                        localLb(), true, true, true),
                Arguments.of("IPs_patched",
                        foo(ServiceType.CLUSTER_IP).ipFamilyPolicy(prefer).clusterIPs(ips),
                        foo(ServiceType.CLUSTER_IP), true, null, null),
                Arguments.of("NPs_patched",
                        foo(ServiceType.NODE_PORT).ipFamilyPolicy(prefer).clusterIPs(ips).ports(unique(ONE_PORT)),
                        foo(ServiceType.NODE_PORT).clusterIPs(ips), true, true, null),
                Arguments.of("HCNP_patched",
                        localLb().ipFamilyPolicy(prefer).clusterIPs(ips).ports(unique(ONE_PORT)).healthCheckNodePort(31234),
                        localLb().clusterIPs(ips).ports(unique(ONE_PORT)), true, true, true),
                Arguments.of("reset_NodePort",
                        foo(ServiceType.LOAD_BALANCER).allocateLoadBalancerNodePorts(false).ipFamilyPolicy(prefer).clusterIPs(ips)
                                .ports(unique(ONE_PORT)),
                        foo(ServiceType.LOAD_BALANCER).allocateLoadBalancerNodePorts(false).clusterIPs(ips)
                                .ports(nodePorts(ONE_PORT, 0)), true, false, null),
                Arguments.of("reset_partial_NodePorts",
                        foo(ServiceType.LOAD_BALANCER).allocateLoadBalancerNodePorts(false).ipFamilyPolicy(prefer).clusterIPs(ips)
                                .ports(unique(p93p94)),
                        foo(ServiceType.LOAD_BALANCER).allocateLoadBalancerNodePorts(false).clusterIPs(ips)
                                .ports(nodePorts(p93p94, 30000, 0)), true, false, null),
                Arguments.of("keep_NodePort",
                        foo(ServiceType.LOAD_BALANCER).allocateLoadBalancerNodePorts(true).ipFamilyPolicy(prefer).clusterIPs(ips)
                                .ports(unique(ONE_PORT)),
                        foo(ServiceType.LOAD_BALANCER).allocateLoadBalancerNodePorts(true).clusterIPs(ips)
                                .ports(nodePorts(ONE_PORT, 0)), true, true, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void patchAllocatedValues(String name, ServiceSpec.Builder before, ServiceSpec.Builder update, boolean sameIps,
            Boolean sameNodePorts, Boolean sameHcnp) {
        newStorage(List.of(V4, V6));
        ServiceSpec created = alloc.create(before.build());
        ServiceSpec updated = alloc.update(update.build());
        assertThat(updated.clusterIPs().equals(created.clusterIPs())).isEqualTo(sameIps);
        // null: the Go case's "before" held this value only in its invalid part, left out here
        if (sameNodePorts != null) {
            assertThat(updated.nodePorts().equals(created.nodePorts())).isEqualTo(sameNodePorts);
        }
        if (sameHcnp != null) {
            assertThat(updated.healthCheckNodePort() == created.healthCheckNodePort()).isEqualTo(sameHcnp);
        }
        // whatever the update no longer holds is released, whatever it holds is allocated
        for (int p : created.nodePorts()) {
            assertThat(ports.isAllocated(p)).isEqualTo(updated.nodePorts().contains(p));
        }
        for (int p : updated.nodePorts()) {
            assertThat(ports.isAllocated(p)).isTrue();
        }
        alloc.delete(updated.owner());
        assertThat(ports.allocatedPorts()).isEmpty();
        assertThat(cidrs.allocations()).isEmpty();
    }

    // ------------------------------------------------------------------ portallocator/operation_test.go

    /** A single-stack cluster whose NodePorts come from 10000-10200, 10000, 10010 and 10020 taken. */
    private void portOperationCluster() {
        cidrs = ServiceCidrSet.create(CIDR_V4);
        ports = NodePortAllocator.create(PortRange.parse("10000-10200"));
        alloc = ServiceAllocator.create(cidrs, ports, List.of(V4));
        for (int p : List.of(10000, 10010, 10020)) {
            ports.allocate(p);
        }
    }

    /**
     * TestDryRunAllocate (portallocator/operation_test.go): in a dry run, a taken port and a port
     * the same operation already used are refused as allocated, free ones are not, and nothing is
     * allocated. Go runs the four allocations in one operation; here one dry-run Service create
     * per outcome: [10000], [10030, 10030] (the second refused) and [10030, 10040].
     */
    @org.junit.jupiter.api.Test
    void dryRunAllocate() {
        portOperationCluster();
        long freeAtStart = ports.free();
        State before = state();
        assertThatThrownBy(() -> alloc.dryRun().create(foo(ServiceType.NODE_PORT).ports(nodePorts(ONE_PORT, 10000)).build()))
                .isInstanceOf(ServiceInvalidException.class).hasMessageContaining("provided port is already allocated");
        assertThatThrownBy(() -> alloc.dryRun().create(foo(ServiceType.NODE_PORT).ports(nodePorts(P80_Q443, 10030, 10030)).build()))
                .isInstanceOf(ServiceInvalidException.class)
                .hasMessageContaining("spec.ports[1].nodePort").hasMessageContaining("provided port is already allocated");
        ServiceSpec ok = alloc.dryRun().create(foo(ServiceType.NODE_PORT).ports(nodePorts(P80_Q443, 10030, 10040)).build());
        assertThat(ok.nodePorts()).containsExactly(10030, 10040);
        assertThat(ports.free()).isEqualTo(freeAtStart);
        assertThat(state()).isEqualTo(before);
    }

    /**
     * TestDryRunAllocateNext (portallocator/operation_test.go), first half: a dry-run pick is a
     * non-zero port that is not allocated, and the same operation refuses it when asked for it by
     * number. Go's dry-run placeholder is 32769, outside this range: Go's dry run refuses it as
     * allocated, this class's dry run, which checks the range as the real call would, as outside
     * the range; both refuse. The second half (a dry run accepting 12345, outside the range) is
     * not ported: this class's dry run refuses what the real call refuses.
     */
    @org.junit.jupiter.api.Test
    void dryRunAllocateNext() {
        portOperationCluster();
        long freeAtStart = ports.free();
        ServiceSpec picked = alloc.dryRun().create(foo(ServiceType.NODE_PORT).build());
        int port = picked.nodePorts().get(0);
        assertThat(port).isNotZero();
        assertThat(ports.isAllocated(port)).isFalse();
        assertThatThrownBy(() -> alloc.dryRun().create(foo(ServiceType.NODE_PORT).ports(P80_Q443.get(0), P80_Q443.get(1).withNodePort(port)).build()))
                .isInstanceOf(ServiceInvalidException.class).hasMessageContaining("spec.ports[1].nodePort");
        assertThat(ports.free()).isEqualTo(freeAtStart);
    }
}
