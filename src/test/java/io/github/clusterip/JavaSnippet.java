package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Compiles a Java source that the documentation shows against the library's classes, with
 * {@code -Xlint:all -Werror}, and runs its {@code main}: how the README and Javadoc examples are
 * kept true.
 */
final class JavaSnippet {

    private JavaSnippet() {
    }

    /**
     * Compiles {@code source}, a public class named {@code className} in the unnamed package, into
     * {@code dir}, and fails the test with javac's output if it does not compile cleanly.
     */
    static void compile(Path dir, String className, String source) throws Exception {
        Path file = dir.resolve(className + ".java");
        Files.writeString(file, source, StandardCharsets.UTF_8);
        Path library = Paths.get(ClusterIpAllocator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = compiler.run(null, diagnostics, diagnostics, "-Xlint:all", "-Werror", "-cp", library.toString(),
                "-d", dir.toString(), file.toString());
        assertThat(status).as("javac output for %s:%n%s%nsource:%n%s", className,
                diagnostics.toString(StandardCharsets.UTF_8), source).isZero();
    }

    /**
     * Runs {@code main} of class {@code className} compiled into {@code dir}, with Java assertions
     * on in that class ({@code -ea} for it alone), and returns the lines it printed. An exception
     * or a failed {@code assert} in {@code main} is thrown as it is.
     */
    static List<String> runMain(Path dir, String className) throws Throwable {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                JavaSnippet.class.getClassLoader());
                PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            loader.setClassAssertionStatus(className, true);
            Class<?> type = loader.loadClass(className);
            assertThat(type.desiredAssertionStatus()).as("assertions are on in %s", className).isTrue();
            Method main = type.getMethod("main", String[].class);
            System.setOut(out);
            main.invoke(null, (Object) new String[0]);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
