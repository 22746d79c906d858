package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compiles and runs the usage example in the class Javadoc of {@link ClusterIpAllocator} and of
 * {@link NodePortAllocator}, with assertions on, so that their {@code assert} lines check what the
 * examples claim.
 */
class JavadocExampleTest {

    private static final Path SOURCES = Paths.get("src/main/java/io/github/clusterip");

    /** The body of the first {@code <pre>{@code ...}</pre>} block of the class comment, without its " * ". */
    static String classCommentExample(String source) {
        return classCommentExample(source, "ClusterIpAllocator");
    }

    /** The same for the class comment of class {@code className}. */
    static String classCommentExample(String source, String className) {
        int classStart = source.indexOf("public final class " + className + " ");
        assertThat(classStart).as("class declaration").isPositive();
        int commentStart = source.lastIndexOf("/**", classStart);
        assertThat(commentStart).as("class comment").isNotNegative();
        String comment = source.substring(commentStart, classStart);
        Matcher block = Pattern.compile("<pre>\\{@code\\n(.*?)\\n\\s*\\* }</pre>", Pattern.DOTALL).matcher(comment);
        assertThat(block.find()).as("the class comment has a <pre>{@code ...}</pre> example").isTrue();
        return block.group(1).lines()
                .map(line -> line.replaceFirst("^\\s*\\* ?", ""))
                .collect(Collectors.joining("\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ClusterIpAllocator", "NodePortAllocator"})
    void classJavadocExampleCompilesAndItsAssertionsHold(String className, @TempDir Path dir) throws Throwable {
        String example = classCommentExample(
                Files.readString(SOURCES.resolve(className + ".java"), StandardCharsets.UTF_8), className);
        assertThat(example).contains("assert ");
        String source = "import io.github.clusterip.*;\n\n"
                + "public class JavadocExample {\n"
                + "    public static void main(String[] args) {\n"
                + example.lines().map(line -> "        " + line).collect(Collectors.joining("\n")) + "\n"
                + "    }\n"
                + "}\n";
        JavaSnippet.compile(dir, "JavadocExample", source);
        assertThat(JavaSnippet.runMain(dir, "JavadocExample")).isEmpty();
    }

    @Test
    void extractionTakesTheFirstBlockOfTheClassCommentOnly() {
        String source = String.join("\n",
                "/** Not this one: <pre>{@code",
                " * int before = 0;",
                " * }</pre> */",
                "import x;",
                "/**",
                " * Text.",
                " * <pre>{@code",
                " * int a = 1;",
                " *   int b = a;   // indented",
                " * }</pre>",
                " * <pre>{@code",
                " * int later = 2;",
                " * }</pre>",
                " */",
                "public final class ClusterIpAllocator {");
        assertThat(classCommentExample(source)).isEqualTo("int a = 1;\n  int b = a;   // indented");
    }
}
