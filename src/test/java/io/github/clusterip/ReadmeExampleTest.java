package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles and runs the Java example of README.md, so that the README cannot drift from the API. */
class ReadmeExampleTest {

    @Test
    void readmeJavaExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Paths.get("README.md"), StandardCharsets.UTF_8);
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(block.find()).as("README.md has a ```java block").isTrue();
        String source = block.group(1);
        assertThat(source).contains("public class Example");

        Path file = dir.resolve("Example.java");
        Files.writeString(file, source, StandardCharsets.UTF_8);
        Path library = Paths.get(ClusterIpAllocator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = compiler.run(null, diagnostics, diagnostics, "-Xlint:all", "-Werror", "-cp", library.toString(),
                "-d", dir.toString(), file.toString());
        assertThat(status).as("javac output:%n%s", diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        List<String> lines = runMain(dir);
        assertThat(lines).containsExactly(
                "static band:  10.96.0.1 - 10.96.1.0",
                "dynamic band: 10.96.1.1 - 10.96.15.254",
                lines.get(2),
                "restored 2 addresses, 1 of them static",
                "a /64 with fd00:10:96:0:63cb:e1e4:5932:ed8 in 39 bytes: true",
                "range is full");
        Matcher allocated = Pattern.compile("allocated (\\S+) in the DYNAMIC band").matcher(lines.get(2));
        assertThat(allocated.matches()).as(lines.get(2)).isTrue();
        assertThat(ServiceCidr.parse("10.96.0.0/20").dynamicBand().orElseThrow()
                .contains(IpAddress.parse(allocated.group(1)))).isTrue();
    }

    private static List<String> runMain(Path classes) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ReadmeExampleTest.class.getClassLoader());
                PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(out);
            Method main = loader.loadClass("Example").getMethod("main", String[].class);
            main.invoke(null, (Object) new String[0]);
        } catch (IOException e) {
            throw new AssertionError(e);
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
