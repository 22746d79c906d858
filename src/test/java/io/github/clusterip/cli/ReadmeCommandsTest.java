package io.github.clusterip.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the commands that the README's "Command line" section shows with their output, so that the
 * examples cannot drift from what the command line prints. Commands that read files or pipes are
 * left out; the others are run as shown and their output compared line by line.
 */
class ReadmeCommandsTest {

    /** A command as the README shows it, and the lines it says the command prints. */
    private record Example(String command, List<String> out, List<String> err) {
    }

    @Test
    void theCommandLineExamplesPrintWhatTheReadmeShows() throws IOException {
        List<Example> examples = examples();
        assertThat(examples).extracting(Example::command).contains("bands 30000-32767 30000-30015 8080",
                "allocate 30000-32767 --static 30000 --static 30100 --dynamic 3 --seed 7",
                "allocate 30000-32767 --static 30100 --static 30100", "allocate 30000-32767 --static 8080",
                "bands 32767-30000");
        for (Example example : examples) {
            Console c = Console.run(example.command().split(" "));
            assertThat(c.out().lines()).as(example.command()).containsExactlyElementsOf(example.out());
            assertThat(c.err.lines()).as(example.command()).containsExactlyElementsOf(example.err());
        }
    }

    /** The "$ clusterip ..." lines of the section that name no file, with the lines after each. */
    private static List<Example> examples() throws IOException {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("\n## Command line\n");
        assertThat(start).as("README.md has a Command line section").isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        List<String> lines = readme.substring(start, end < 0 ? readme.length() : end).lines().toList();
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).stripLeading();
            if (!line.startsWith("$ clusterip ") || line.contains("|") || line.contains(".json")
                    || line.contains(".cips") || line.contains("'")) {
                continue;
            }
            // The output is indented as the command is, inside a list item.
            int indent = lines.get(i).indexOf('$');
            List<String> out = new ArrayList<>();
            List<String> err = new ArrayList<>();
            for (int j = i + 1; j < lines.size(); j++) {
                String shown = lines.get(j).length() >= indent ? lines.get(j).substring(indent) : "";
                if (shown.startsWith("$ ") || shown.startsWith("```")) {
                    break;
                }
                (shown.startsWith("error: ") || shown.startsWith("usage: ") ? err : out).add(shown);
            }
            examples.add(new Example(line.substring("$ clusterip ".length()), out, err));
        }
        return examples;
    }
}
