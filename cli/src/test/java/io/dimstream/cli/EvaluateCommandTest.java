package io.dimstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluateCommandTest {

    /** 200 real Materials Project structures with labels (CC BY 4.0), bundled by the core module. */
    static final Path SAMPLE = Path.of("..", "src", "test", "resources", "mp-sample.csv.gz");

    @Test
    void compositionBaselineRunWritesResultsTableAndPlots(@TempDir Path dir) throws Exception {
        int code = Main.commandLine().execute("evaluate", "--train", SAMPLE.toString(), "--test", SAMPLE.toString(),
                "--max-test", "60", "--out", dir.toString(), "--methods", "composition-ridge", "--labels", "10,40",
                "--seeds", "0,1");
        assertEquals(0, code);
        JsonNode results = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
        assertEquals(2 * 2 * 2, results.size()); // properties x label counts x seeds
        for (JsonNode r : results) {
            assertEquals("composition-ridge", r.get("method").asText());
            assertTrue(r.get("mae").asDouble() > 0 && r.get("mae").asDouble() < 5, r.toString());
        }
        String report = Files.readString(dir.resolve("report.md"));
        assertTrue(report.contains("| composition-ridge |") && report.contains("## Timings"), report);
        assertTrue(Files.size(dir.resolve("mae_vs_labels_band_gap.png")) > 1000);
        assertTrue(Files.size(dir.resolve("mae_vs_labels_formation_energy_per_atom.png")) > 1000);
    }

    @Test
    void missingInputIsAOneLineTypedError(@TempDir Path dir) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.commandLine().execute("evaluate", "--train", dir.resolve("nope.csv.gz").toString(),
                    "--test", SAMPLE.toString(), "--out", dir.toString(), "--methods", "composition-ridge");
            assertEquals(2, code);
        } finally {
            System.setErr(old);
        }
        String msg = err.toString(StandardCharsets.UTF_8);
        assertTrue(msg.startsWith("evaluate: eval.bad_input: ") && msg.contains("nope.csv.gz"), msg);
    }
}
