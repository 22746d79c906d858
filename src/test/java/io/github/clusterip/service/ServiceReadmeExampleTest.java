package io.github.clusterip.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.NodePortAllocator;
import io.github.clusterip.Owner;
import io.github.clusterip.PortRange;
import io.github.clusterip.ServiceCidr;
import io.github.clusterip.ServiceCidrSet;
import org.junit.jupiter.api.Test;

/** The README's Service example, run as written. */
class ServiceReadmeExampleTest {

    @Test
    void dualStackNodePortServiceCreatedUpdatedDeleted() {
        // --- README example start
        ServiceCidrSet cidrs = ServiceCidrSet.create(
                ServiceCidr.parse("10.96.0.0/16"), ServiceCidr.parse("fd00:10:96::/108"));
        NodePortAllocator nodePorts = NodePortAllocator.create(PortRange.DEFAULT);
        ServiceAllocator services = ServiceAllocator.create(cidrs, nodePorts);

        ServiceSpec web = services.create(ServiceSpec.builder(new Owner("default", "web"))
                .type(ServiceType.NODE_PORT)
                .ipFamilyPolicy(IpFamilyPolicy.PREFER_DUAL_STACK)
                .ports(ServicePort.of("http", Protocol.TCP, 80))
                .build());
        System.out.println(web.clusterIPs() + " " + web.ports());   // e.g. [10.96.143.7, fd00:10:96::6f2] ... nodePort=31412

        ServiceSpec moved = services.update(web.toBuilder()
                .ports(ServicePort.of("http", Protocol.TCP, 80), ServicePort.of("https", Protocol.TCP, 443))
                .build());                                           // http keeps its NodePort, https gets one

        services.delete(web.owner());                                // releases both addresses and both ports
        // --- README example end

        assertThat(web.clusterIPs()).hasSize(2);
        assertThat(moved.clusterIPs()).isEqualTo(web.clusterIPs());
        assertThat(moved.ports().get(0).nodePort()).isEqualTo(web.ports().get(0).nodePort());
        assertThat(moved.ports().get(1).nodePort()).isNotZero();
        assertThat(cidrs.used()).isZero();
        assertThat(nodePorts.used()).isZero();
    }
}
