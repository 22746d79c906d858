package io.github.clusterip.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/metrics.md true: its Micrometer binding is the class that MicrometerBindingTest
 * runs, character for character, and its table names every metric that binding publishes.
 */
class MetricsDocTest {

    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

    @Test
    void theDocsMicrometerBindingIsTheTestedClass() throws IOException {
        String source = Files.readString(Paths.get("src/test/java/io/github/clusterip/metrics/MicrometerAllocationMetrics.java"),
                StandardCharsets.UTF_8);
        String expected = source.substring(source.indexOf("\n\n") + 2); // without the package line
        List<String> blocks = javaBlocks();
        List<String> bindings = blocks.stream().filter(b -> b.contains("class MicrometerAllocationMetrics")).toList();
        assertThat(bindings).as("docs/metrics.md has one ```java block with the Micrometer binding").hasSize(1);
        assertThat(bindings.get(0)).isEqualTo(expected);
    }

    @Test
    void theTableNamesEveryMetricOfKubeApiserver() throws IOException {
        String doc = Files.readString(Path.of("docs/metrics.md"), StandardCharsets.UTF_8);
        for (String name : List.of("allocated_ips", "available_ips", "allocation_total", "allocation_errors_total",
                "allocation_duration_seconds")) {
            assertThat(doc).contains("| `kube_apiserver_clusterip_allocator_" + name + "` |");
        }
        for (String name : List.of("allocated_ports", "available_ports", "allocation_total", "allocation_errors_total")) {
            assertThat(doc).contains("| `kube_apiserver_nodeport_allocator_" + name + "` |");
        }
        assertThat(doc).doesNotContain("kube_apiserver_nodeport_allocator_allocation_duration");
    }

    private static List<String> javaBlocks() throws IOException {
        String doc = Files.readString(Path.of("docs/metrics.md"), StandardCharsets.UTF_8);
        Matcher matcher = JAVA_BLOCK.matcher(doc);
        List<String> blocks = new ArrayList<>();
        while (matcher.find()) {
            blocks.add(matcher.group(1));
        }
        return blocks;
    }
}
