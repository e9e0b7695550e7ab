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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code similar} with the shipped base model on 200 real MP structures (core's mp-sample.csv.gz). */
class SimilarCommandTest {

    static final Path SAMPLE = Path.of("..", "src", "test", "resources", "mp-sample.csv.gz");
    static final Path BASE = Path.of("..", "models", "base");

    record Run(int code, List<JsonNode> lines, String err) {
    }

    static Run run(String... args) throws Exception {
        SimilarCommand cmd = new SimilarCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = new CommandLine(cmd).execute(args);
        List<JsonNode> lines = new ArrayList<>();
        for (String l : out.toString(StandardCharsets.UTF_8).lines().toList()) {
            lines.add(new ObjectMapper().readTree(l));
        }
        return new Run(code, lines, err.toString(StandardCharsets.UTF_8));
    }

    static Map<String, String> cifs() throws Exception {
        Map<String, String> m = new HashMap<>();
        try (var in = new java.io.InputStreamReader(new GZIPInputStream(Files.newInputStream(SAMPLE)), StandardCharsets.UTF_8)) {
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(in)) {
                m.put(r.get("material_id"), r.get("cif"));
            }
        }
        return m;
    }

    @Test
    void nearestNeighboursOfRealStructuresExactAndHnswAgree(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(BASE.resolve("model.onnx")), "no base model at " + BASE);
        Map<String, String> cifs = cifs();
        Path queries = Files.createDirectories(tmp.resolve("q"));
        Files.writeString(queries.resolve("mp-348.cif"), cifs.get("mp-348"));       // in the corpus: itself excluded
        Files.writeString(queries.resolve("copy-of-mp-631.cif"), cifs.get("mp-631")); // a duplicate under another id
        Files.writeString(queries.resolve("broken.cif"), "data_x\n_cell_length_a 3\n");

        Run hnsw = run("--model", BASE.toString(), "--corpus", SAMPLE.toString(), "--query", queries.toString(), "--k", "10");
        assertEquals(1, hnsw.code(), "the broken query makes the exit code 1: " + hnsw.err());
        assertTrue(hnsw.err().contains("broken: cif."), hnsw.err());
        assertEquals(2, hnsw.lines().size());
        Map<String, JsonNode> byQuery = new HashMap<>();
        for (JsonNode l : hnsw.lines()) {
            assertEquals(List.of("query", "model_version", "neighbours"), iterable(l.fieldNames()));
            assertEquals(io.dimstream.core.encoder.ModelMetadata.read(BASE.resolve("model.json")).version(),
                    l.get("model_version").asInt(), "the base model's version");
            assertEquals(10, l.get("neighbours").size());
            double prev = -1;
            for (JsonNode n : l.get("neighbours")) {
                assertEquals(List.of("id", "distance"), iterable(n.fieldNames()));
                assertTrue(n.get("distance").asDouble() >= prev);
                prev = n.get("distance").asDouble();
                assertTrue(cifs.containsKey(n.get("id").asText()));
            }
            byQuery.put(l.get("query").asText(), l);
        }
        for (JsonNode n : byQuery.get("mp-348").get("neighbours")) {
            assertTrue(!n.get("id").asText().equals("mp-348"), "the query itself is excluded");
        }
        JsonNode dup = byQuery.get("copy-of-mp-631").get("neighbours").get(0);
        assertEquals("mp-631", dup.get("id").asText());
        assertEquals(0.0, dup.get("distance").asDouble(), 1e-5);

        Run exact = run("--model", BASE.toString(), "--corpus", SAMPLE.toString(), "--query", queries.toString(),
                "--k", "10", "--index", "exact");
        assertEquals(hnsw.lines().size(), exact.lines().size());
        for (int i = 0; i < exact.lines().size(); i++) { // 200 vectors: HNSW finds the exact neighbours
            JsonNode a = hnsw.lines().get(i).get("neighbours");
            JsonNode b = exact.lines().get(i).get("neighbours");
            for (int j = 0; j < b.size(); j++) {
                assertEquals(b.get(j).get("id").asText(), a.get(j).get("id").asText());
                assertEquals(b.get(j).get("distance").asDouble(), a.get(j).get("distance").asDouble(), 1e-6);
            }
        }
    }

    @Test
    void badArgumentsAreOneLine() throws Exception {
        Run r = run("--model", BASE.toString(), "--corpus", SAMPLE.toString(), "--query", SAMPLE.toString(), "--k", "0");
        assertEquals(2, r.code());
        assertEquals("similar: search.bad_request: --k must be >= 1, got 0", r.err().strip());
    }

    static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }
}
