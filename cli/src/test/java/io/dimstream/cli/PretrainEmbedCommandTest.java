package io.dimstream.cli;

import io.dimstream.core.Sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.core.encoder.ModelMetadata;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** pretrain -> model dir -> embed, on the real CIFs bundled in core's test resources. */
class PretrainEmbedCommandTest {

    static Path samples() {
        Path dir = Path.of("..", "src", "test", "resources", "cif_samples");
        Assumptions.assumeTrue(Files.isDirectory(dir), "core's cif_samples not found at " + dir.toAbsolutePath());
        return dir;
    }

    @Test
    void pretrainThenEmbed(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        int code = Main.commandLine().execute("pretrain", "--data", samples().toString(), "--out", model.toString(),
                "--max-steps", "2", "--seed", "3", "--no-progress", "--val-fraction", "0.25", "--threads", "1");
        assertEquals(0, code);
        for (String f : List.of("model.onnx", "model.json", "checkpoint.bin")) {
            assertTrue(Files.isRegularFile(model.resolve(f)), f);
        }
        ModelMetadata meta = ModelMetadata.read(model.resolve("model.json"));
        assertEquals(1, meta.version());
        assertEquals(64, meta.embeddingDim());
        assertEquals(2.0, meta.metrics().get("train_steps"));
        assertEquals(Sha256.hex(Files.readAllBytes(model.resolve("model.onnx"))), meta.onnxSha256());

        EmbedCommand embed = new EmbedCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        embed.stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
        embed.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int ec = new CommandLine(embed).execute("--model", model.toString(), "--device", "auto", samples().toString());
        assertEquals(1, ec, "a bundled CIF is invalid: exit 1 with one line for it");
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(36, lines.size(), "every bundled CIF that parses (36 of 37) is embedded");
        assertEquals(1, err.toString(StandardCharsets.UTF_8).lines().count(), err.toString(StandardCharsets.UTF_8));
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals(1, first.get("model_version").asInt());
        assertEquals(64, first.get("embedding").size());
        assertTrue(first.get("id").asText().length() > 0);
        // large cells are embedded too (featurizer v2); only the CIF that does not parse is an error line
        assertFalse(err.toString(StandardCharsets.UTF_8).contains("too_many_sites"), err.toString(StandardCharsets.UTF_8));
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"cod-tools_1000039\"")), "the 264-site COD cell is embedded");

        // warm start: version 2, from v1's checkpoint
        Path v2 = tmp.resolve("v2");
        assertEquals(0, Main.commandLine().execute("pretrain", "--data", samples().toString(), "--out", v2.toString(),
                "--max-steps", "1", "--warm-start", model.toString(), "--no-progress", "--threads", "1"));
        assertEquals(2, ModelMetadata.read(v2.resolve("model.json")).version());
    }

    @Test
    void explicitCudaWithoutCudaFailsClearly(@TempDir Path tmp) throws Exception {
        Assumptions.assumeFalse(Files.exists(Path.of("/dev/nvidia0")), "CUDA present");
        Path fixture = Path.of("..", "src", "test", "resources", "encoder", "tiny-model");
        Assumptions.assumeTrue(Files.isDirectory(fixture));
        EmbedCommand embed = new EmbedCommand();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        embed.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        embed.stdout = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        int ec = new CommandLine(embed).execute("--model", fixture.toString(), "--device", "cuda:0",
                samples().toString());
        assertEquals(2, ec);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("embed: " + io.dimstream.core.encoder.EncoderException.DEVICE_UNAVAILABLE), err.toString());
    }
}
