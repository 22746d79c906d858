package io.github.clusterip.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BandRuleTest {

    /**
     * Service ClusterIPs: calculateRangeOffset in pkg/registry/core/service/ipallocator/bitmap.go,
     * applied to the block size: 0 up to 16 addresses, then size / 16 clamped to [16, 256].
     */
    @ParameterizedTest
    @CsvSource({"0,0", "1,0", "16,0", "17,16", "32,16", "256,16", "511,31", "512,32", "4096,256", "4097,256",
            "1048576,256", "9223372036854775807,256"})
    void serviceIps(long size, long offset) {
        assertThat(BandRule.SERVICE_IPS.offset(size)).isEqualTo(offset);
    }

    /**
     * NodePorts: calculateRangeOffset in pkg/registry/core/service/portallocator/allocator.go:
     * 0 up to 16 ports, then size / 32 clamped to [16, 128].
     */
    @ParameterizedTest
    @CsvSource({"1,0", "16,0", "17,16", "512,16", "544,17", "2768,86", "4096,128", "65536,128"})
    void nodePorts(long size, long offset) {
        assertThat(BandRule.NODE_PORTS.offset(size)).isEqualTo(offset);
    }

    @Test
    void badRulesAndSizesAreRefused() {
        assertThatThrownBy(() -> new BandRule(0, 16, 256)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("divisor 0");
        assertThatThrownBy(() -> new BandRule(16, 300, 256)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minimum 300");
        assertThatThrownBy(() -> BandRule.SERVICE_IPS.offset(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }
}
