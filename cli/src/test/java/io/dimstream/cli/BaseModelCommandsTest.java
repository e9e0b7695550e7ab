package io.dimstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.cli.ops.ModelCommand;
import io.dimstream.trainer.ModelCard;
import io.dimstream.trainer.TrainHistory;
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

/** pretrain's card, history and schedule options; `model card --evaluation`; embed with the base model. */
class BaseModelCommandsTest {

    @Test
    void pretrainWritesCardHistoryAndCurveAndTheEvaluationCanBeAdded(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        int code = Main.commandLine().execute("pretrain", "--data", PretrainEmbedCommandTest.samples().toString(),
                "--out", model.toString(), "--epochs", "2", "--max-steps", "1", "--lr-schedule", "cosine",
                "--warmup-steps", "1", "--seed", "3", "--no-progress", "--log-every", "1", "--val-fraction", "0.25",
                "--threads", "1");
        assertEquals(0, code);
        for (String f : List.of("model.onnx", "model.json", "checkpoint.bin", ModelCard.JSON_FILE, ModelCard.MD_FILE,
                ModelCard.IDS_FILE)) {
            assertTrue(Files.isRegularFile(model.resolve(f)), f);
        }
        JsonNode card = new ObjectMapper().readTree(model.resolve(ModelCard.JSON_FILE).toFile());
        assertEquals(1, card.get("steps").asInt());
        assertEquals("cosine", card.get("config").get("lrSchedule").asText());
        JsonNode st = card.get("structures");
        assertEquals(st.get("train").asInt() + st.get("validation").asInt(), ModelCard.readIds(model).size());
        assertEquals(st.get("featurized").asInt(), ModelCard.readIds(model).size());
        assertTrue(card.get("data").get(0).get("sha256").asText().matches("[0-9a-f]{64}"));
        JsonNode meta = new ObjectMapper().readTree(model.resolve("model.json").toFile());
        assertEquals("cosine", meta.get("config").get("lrSchedule").asText(), "model.json records the schedule");

        Path eval = tmp.resolve("eval.md");
        Files.writeString(eval, "prototype top-1: 0.31 (composition 0.24)\n");
        ModelCommand.Card cmd = new ModelCommand.Card();
        assertEquals(0, new CommandLine(cmd).execute(model.toString(), "--evaluation", eval.toString()));
        assertEquals("prototype top-1: 0.31 (composition 0.24)", ModelCard.read(model).get("evaluation"));
        assertTrue(Files.readString(model.resolve(ModelCard.MD_FILE)).contains("prototype top-1: 0.31"));

        // extending the run to its 2-epoch target: appends to the history, drops the stale evaluation
        assertEquals(0, Main.commandLine().execute("pretrain", "--data", PretrainEmbedCommandTest.samples().toString(),
                "--out", model.toString(), "--epochs", "2", "--lr-schedule", "cosine", "--warmup-steps", "1",
                "--seed", "3", "--no-progress", "--val-fraction", "0.25", "--threads", "1"));
        JsonNode again = new ObjectMapper().readTree(model.resolve(ModelCard.JSON_FILE).toFile());
        assertEquals(2, again.get("epochs").asInt());
        assertEquals(2, again.get("invocations").asInt());
        assertEquals("", again.get("evaluation").asText());
        assertEquals(2, TrainHistory.read(model.resolve(TrainHistory.FILE_NAME)).size());
        assertTrue(Files.size(model.resolve("loss_curve.png")) > 1000);
    }

    @Test
    void badScheduleOptionsFailWithOneLine(@TempDir Path tmp) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(2, Main.commandLine().execute("pretrain", "--data", "x.csv", "--out", tmp.toString(),
                    "--lr-schedule", "cosine", "--minutes", "1"));
            assertEquals(2, Main.commandLine().execute("pretrain", "--data", "x.csv", "--out", tmp.toString(),
                    "--lr-schedule", "step"));
            assertEquals(2, Main.commandLine().execute("pretrain", "--data", "x.csv", "--out", tmp.toString(),
                    "--preset", "huge"));
        } finally {
            System.setErr(old);
        }
        List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(List.of(
                "pretrain: --lr-schedule cosine needs --epochs or --max-steps (the schedule ends there)",
                "pretrain: unknown learning-rate schedule 'step' (expected constant or cosine)",
                "pretrain: unknown preset 'huge' (expected default, paper or paper-comp)"), lines);
    }

    @Test
    void embedWithoutModelUsesTheBaseModelOrSaysItIsMissing(@TempDir Path home) throws Exception {
        Path fixture = Path.of("..", "src", "test", "resources", "encoder", "tiny-model");
        Assumptions.assumeTrue(Files.isDirectory(fixture));
        String old = System.getProperty("dimstream.home");
        System.setProperty("dimstream.home", home.toString());
        try {
            EmbedCommand missing = new EmbedCommand();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            missing.err = new PrintStream(err, true, StandardCharsets.UTF_8);
            missing.stdout = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            assertEquals(2, new CommandLine(missing).execute(PretrainEmbedCommandTest.samples().toString()));
            assertEquals(List.of("embed: model_not_found: no --model given and no base model at "
                    + home.resolve("models/base") + " (model.onnx + model.json; see docs/pretraining.md)"),
                    err.toString(StandardCharsets.UTF_8).lines().toList());

            Path base = home.resolve("models/base");
            Files.createDirectories(base);
            try (var s = Files.list(fixture)) {
                for (Path f : s.toList()) {
                    Files.copy(f, base.resolve(f.getFileName()));
                }
            }
            EmbedCommand embed = new EmbedCommand();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            embed.stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
            embed.err = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            new CommandLine(embed).execute("--device", "cpu", PretrainEmbedCommandTest.samples().toString());
            List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
            assertTrue(lines.size() >= 20, lines.size() + " embeddings from the base model");
            JsonNode first = new ObjectMapper().readTree(lines.get(0));
            JsonNode meta = new ObjectMapper().readTree(base.resolve("model.json").toFile());
            assertEquals(meta.get("version").asInt(), first.get("model_version").asInt());
        } finally {
            if (old == null) {
                System.clearProperty("dimstream.home");
            } else {
                System.setProperty("dimstream.home", old);
            }
        }
    }
}
