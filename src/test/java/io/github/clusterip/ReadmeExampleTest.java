package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles and runs the Java example of README.md, so that the README cannot drift from the API. */
class ReadmeExampleTest {

    @Test
    void readmeJavaExampleCompilesAndRuns(@TempDir Path dir) throws Throwable {
        String readme = Files.readString(Paths.get("README.md"), StandardCharsets.UTF_8);
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(block.find()).as("README.md has a ```java block").isTrue();
        String source = block.group(1);
        assertThat(source).contains("public class Example");

        JavaSnippet.compile(dir, "Example", source);
        List<String> lines = JavaSnippet.runMain(dir, "Example");

        assertThat(lines).containsExactly(
                "static band:  10.96.0.1 - 10.96.1.0",
                "dynamic band: 10.96.1.1 - 10.96.15.254",
                "allocated " + firstDynamicWithSeed42() + " in the DYNAMIC band",
                "restored 2 addresses, 1 of them static",
                "a /64 with fd00:10:96:0:63cb:e1e4:5932:ed8 in 39 bytes: true",
                "range is full");
    }

    @Test
    void readmeNodePortExampleCompilesAndRuns(@TempDir Path dir) throws Throwable {
        String readme = Files.readString(Paths.get("README.md"), StandardCharsets.UTF_8);
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        String source = null;
        while (block.find()) {
            if (block.group(1).contains("public class NodePortExample")) {
                assertThat(source).as("README.md has one ```java block with public class NodePortExample").isNull();
                source = block.group(1);
            }
        }
        assertThat(source).as("README.md has a ```java block with public class NodePortExample").isNotNull();

        JavaSnippet.compile(dir, "NodePortExample", source);
        List<String> lines = JavaSnippet.runMain(dir, "NodePortExample");

        int port = firstDynamicPortWithSeed42();
        assertThat(lines).containsExactly(
                "allocated " + port + " in the DYNAMIC band",
                "provided port is already allocated",
                "provided port is not in the valid range. The range of valid ports is 30000-32767",
                // Ports 30080 (bit 80) and the one allocated (bit port - 30000, the highest):
                // big.Int.Bytes() takes highest / 8 + 1 bytes.
                "restored 2 ports, 1 of them static, from " + ((port - 30000) / 8 + 1) + " bytes");
    }

    @Test
    void readmeServiceExampleCompilesAndRuns(@TempDir Path dir) throws Throwable {
        String readme = Files.readString(Paths.get("README.md"), StandardCharsets.UTF_8);
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        String source = null;
        while (block.find()) {
            if (block.group(1).contains("public class ServiceExample")) {
                assertThat(source).as("README.md has one ```java block with public class ServiceExample").isNull();
                source = block.group(1);
            }
        }
        assertThat(source).as("README.md has a ```java block with public class ServiceExample").isNotNull();
        Matcher printed = Pattern.compile("public class ServiceExample.*?It prints:\\n\\n```text\\n(.*?)```",
                Pattern.DOTALL).matcher(readme);
        assertThat(printed.find()).as("README.md shows what ServiceExample prints").isTrue();

        JavaSnippet.compile(dir, "ServiceExample", source);
        List<String> lines = JavaSnippet.runMain(dir, "ServiceExample");

        assertThat(lines).containsExactly(
                "families [IPV4, IPV6], 2 cluster IPs, NodePort in range: true",
                "http kept its NodePort: true, NodePorts held: 2",
                "Service \"dns-copy\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: "
                        + "failed to allocate IP 10.96.0.10: provided IP is already allocated",
                "after delete: 1 address, 0 NodePorts");
        assertThat(printed.group(1).lines().toList()).as("the README shows what the example prints").isEqualTo(lines);
    }

    /**
     * What the NodePort example's allocateNext() must hand out, worked out without the allocator:
     * a seeded allocator draws its random start from a SplittableRandom of that seed, uniform over
     * the 2682 ports of the dynamic band 30086-32767 (the static band, 30000-30085, is the first
     * 2768 / 32 = 86 ports), which are all free, and takes the port there.
     */
    private static int firstDynamicPortWithSeed42() {
        return 30086 + new SplittableRandom(42).nextInt(2682);
    }

    /**
     * What the example's allocateNext() must hand out, worked out without the allocator: a seeded
     * allocator draws its random start from a SplittableRandom of that seed, uniform over the 3838
     * addresses of the empty dynamic band 10.96.1.1 - 10.96.15.254, and takes the address there.
     */
    private static String firstDynamicWithSeed42() {
        int offset = new SplittableRandom(42).nextInt(3838);
        int index = 256 + 1 + offset; // host part of 10.96.1.1 is 256 + 1
        return "10.96." + (index >> 8) + "." + (index & 0xff);
    }
}
