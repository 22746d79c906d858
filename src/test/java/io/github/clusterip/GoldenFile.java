package io.github.clusterip;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A golden snapshot file of src/test/resources/testdata: lines {@code range CIDR},
 * {@code allocated ADDRESS...} (addresses, or ranges {@code a-b}; may be empty) and
 * {@code data HEX} (whitespace inside the hex is ignored); blank lines and '#' lines are comments.
 */
record GoldenFile(String range, List<String> allocated, byte[] data) {

    static GoldenFile read(String name) throws IOException {
        String resource = "/testdata/" + name;
        try (InputStream in = GoldenFile.class.getResourceAsStream(resource)) {
            assertThat(in).as("test resource %s", resource).isNotNull();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            Map<String, String> fields = new HashMap<>();
            String line;
            while ((line = reader.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int space = line.indexOf(' ');
                fields.put(space < 0 ? line : line.substring(0, space), space < 0 ? "" : line.substring(space + 1).strip());
            }
            String allocated = fields.get("allocated");
            return new GoldenFile(fields.get("range"),
                    allocated.isEmpty() ? List.of() : Arrays.asList(allocated.split("\\s+")),
                    HexFormat.of().parseHex(fields.get("data").replaceAll("\\s+", "")));
        }
    }
}
