package io.github.clusterip.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.clusterip.etcd.testing.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's {@code SharedExample} as the README does: two JVMs at once against one etcd,
 * each running the source file directly, and checks that each prints the README's line.
 */
class ReadmeSharedExampleTest {

    @Test
    void twoJvmsShareARangeAsTheReadmeShows(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        String source = null;
        while (block.find()) {
            if (block.group(1).contains("public class SharedExample")) {
                assertThat(source).as("README.md has one ```java block with public class SharedExample").isNull();
                source = block.group(1);
            }
        }
        assertThat(source).as("README.md has a ```java block with public class SharedExample").isNotNull();
        Matcher printed = Pattern.compile("public class SharedExample.*?the two sets of addresses never meet:\\n\\n```text\\n(.*?)```",
                Pattern.DOTALL).matcher(readme);
        assertThat(printed.find()).as("README.md shows what the two JVMs print").isTrue();
        Path file = dir.resolve("SharedExample.java");
        Files.writeString(file, source, StandardCharsets.UTF_8);

        try (EtcdCluster etcd = EtcdCluster.startSingle()) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<Process> jvms = new ArrayList<>();
            for (String owner : List.of("default/web-a", "default/web-b")) {
                jvms.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), file.toString(),
                        etcd.endpoints().get(0), owner).redirectErrorStream(true).start());
            }
            List<String> lines = new ArrayList<>();
            for (Process p : jvms) {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as(out).isZero();
                lines.addAll(out.lines().filter(l -> !l.startsWith("SLF4J")).toList());
            }
            assertThat(lines).isEqualTo(printed.group(1).lines().toList());
        }
    }
}
