package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCardTest {

    /** sha256("abc"), FIPS 180-2 test vector. */
    static final String SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @Test
    @SuppressWarnings("unchecked")
    void cardFieldsArePresentAndCorrectAcrossAResume(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("train.csv");
        Files.writeString(data, "abc", StandardCharsets.US_ASCII);
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(20, 3, 4);
        List<FeaturizedCrystal> val = SyntheticCrystals.generate(6, 4, 4);
        Path out = dir.resolve("model");
        TrainConfig cfg = DimTrainerTest.tiny(3).withLrSchedule(new LrSchedule(LrSchedule.Kind.COSINE, 1))
                .withCheckpointDir(out);
        Budget budget = Budget.steps(2);
        TrainResult r = new DimTrainer(cfg).train(train, val, budget, Optional.empty(), null);
        List<String> trainIds = train.stream().map(FeaturizedCrystal::id).toList();
        List<String> valIds = val.stream().map(FeaturizedCrystal::id).toList();
        // as pretrain does: the bundle keeps the trainer's checkpoint (run state, AdamW moments)
        ModelBundle.create("card-test", 1, r, cfg, Checkpoint.read(out.resolve(Checkpoint.FILE_NAME))).write(out);
        Map<String, Object> c = ModelCard.write(out, new ModelCard.Run("card-test", 1, List.of(data), 0, 26, 3,
                trainIds, valIds, cfg, budget, r));

        Map<String, Object> back = ModelCard.read(out);
        assertEquals("card-test", back.get("name"));
        assertEquals(io.dimstream.core.featurize.SiteNetFeaturizer.VERSION, back.get("featurizerVersion"));
        List<Map<String, Object>> d = (List<Map<String, Object>>) back.get("data");
        assertEquals(1, d.size());
        assertEquals(SHA_ABC, d.get(0).get("sha256"));
        assertEquals(3, ((Number) d.get(0).get("bytes")).intValue());
        Map<String, Object> st = (Map<String, Object>) back.get("structures");
        assertEquals(26, st.get("featurized"));
        assertEquals(3, st.get("skipped"));
        assertEquals(20, st.get("train"));
        assertEquals(6, st.get("validation"));
        List<String> ids = new ArrayList<>(ModelCard.readIds(out));
        List<String> expected = new ArrayList<>(trainIds);
        expected.addAll(valIds);
        assertEquals(expected, ids);
        assertEquals(io.dimstream.core.Sha256.file(out.resolve(ModelCard.IDS_FILE)), back.get("idsSha256"));
        String commit = (String) back.get("codeCommit");
        assertTrue(commit.equals("unknown") || commit.matches("[0-9a-f]{40}"), commit);
        assertEquals(2, ((Number) back.get("steps")).intValue());
        assertEquals(r.epochs(), ((Number) back.get("epochs")).intValue());
        assertEquals(TrainHistory.read(out.resolve(TrainHistory.FILE_NAME)).size(), r.epochs(),
                "one history line per finished epoch");
        assertEquals(r.totalWallSeconds(), ((Number) back.get("wallSeconds")).doubleValue(), 1e-9);
        assertEquals(1, back.get("invocations"));
        Map<String, Object> conf = (Map<String, Object>) back.get("config");
        assertEquals("cosine", conf.get("lrSchedule"));
        assertEquals(1, conf.get("warmupSteps"));
        assertEquals(3e-3, ((Number) conf.get("learningRate")).doubleValue());
        assertEquals(2, ((Number) ((Map<String, Object>) back.get("budget")).get("maxSteps")).intValue());
        Map<String, Object> fv = (Map<String, Object>) back.get("finalValidation");
        assertEquals(r.validation().get("val_local_dim"), ((Number) fv.get("val_local_dim")).doubleValue(), 1e-12);
        assertEquals("", back.get("evaluation"));
        assertEquals(((Number) c.get("steps")).longValue(), ((Number) back.get("steps")).longValue());
        String md = Files.readString(out.resolve(ModelCard.MD_FILE));
        assertTrue(md.contains(SHA_ABC) && md.contains("Not evaluated yet"), md);

        ModelCard.setEvaluation(out, "| head | MAE |\n|---|---|\n| ridge | 0.12 |\n");
        assertTrue(Files.readString(out.resolve(ModelCard.MD_FILE)).contains("| ridge | 0.12 |"));
        assertTrue(((String) ModelCard.read(out).get("evaluation")).startsWith("| head | MAE |"));

        // a resumed invocation to step 4: invocations and wall time add up, the stale evaluation is dropped
        TrainResult r2 = new DimTrainer(cfg).train(train, val, Budget.steps(4), Optional.empty(), null);
        assertTrue(r2.resumed());
        ModelCard.write(out, new ModelCard.Run("card-test", 1, List.of(data), 0, 26, 3, trainIds, valIds, cfg,
                Budget.steps(4), r2));
        Map<String, Object> again = ModelCard.read(out);
        assertEquals(4, ((Number) again.get("steps")).intValue());
        assertEquals(2, again.get("invocations"));
        assertTrue(((Number) again.get("wallSeconds")).doubleValue() > r.totalWallSeconds());
        assertEquals("", again.get("evaluation"));
        assertFalse((Boolean) again.get("dataChanged"));

        // other data on a later resume is flagged
        Files.writeString(data, "abd", StandardCharsets.US_ASCII);
        TrainResult r3 = new DimTrainer(cfg).train(train, val, Budget.steps(5), Optional.empty(), null);
        ModelCard.write(out, new ModelCard.Run("card-test", 1, List.of(data), 0, 26, 3, trainIds, valIds, cfg,
                Budget.steps(5), r3));
        assertTrue((Boolean) ModelCard.read(out).get("dataChanged"));

        // a re-invocation that trains no further keeps the evaluation; a new run in the same folder drops it
        ModelCard.setEvaluation(out, "evaluated at step 5");
        TrainResult same = new DimTrainer(cfg).train(train, val, Budget.steps(5), Optional.empty(), null);
        assertEquals(5, same.steps());
        ModelCard.write(out, new ModelCard.Run("card-test", 1, List.of(data), 0, 26, 3, trainIds, valIds, cfg,
                Budget.steps(5), same));
        assertEquals("evaluated at step 5", ModelCard.read(out).get("evaluation"));
        assertEquals(4, ModelCard.read(out).get("invocations"));
        Files.delete(out.resolve(Checkpoint.FILE_NAME));
        TrainResult fresh = new DimTrainer(cfg).train(train, val, Budget.steps(5), Optional.empty(), null);
        assertFalse(fresh.resumed());
        ModelCard.write(out, new ModelCard.Run("card-test", 1, List.of(data), 0, 26, 3, trainIds, valIds, cfg,
                Budget.steps(5), fresh));
        Map<String, Object> newRun = ModelCard.read(out);
        assertEquals("", newRun.get("evaluation"));
        assertEquals(1, newRun.get("invocations"));
        assertFalse((Boolean) newRun.get("dataChanged"));
        assertEquals(TrainHistory.read(out.resolve(TrainHistory.FILE_NAME)).size(), fresh.epochs(),
                "the new run's history replaced the old one");
    }

    @Test
    void gitCommitOutsideACheckoutIsUnknown(@TempDir Path dir) {
        assertEquals("unknown", ModelCard.gitCommit(dir));
    }

    @Test
    void directoryInputsHashTheirFiles(@TempDir Path dir) throws Exception {
        Path d = dir.resolve("cifs");
        Files.createDirectories(d.resolve("sub"));
        Files.writeString(d.resolve("sub/a.cif"), "abc");
        Map<String, Object> m = ModelCard.describe(d);
        assertEquals("directory", m.get("kind"));
        assertEquals(1, m.get("files"));
        // sha256 of the line "sub/a.cif <sha256(abc)>\n"
        byte[] line = ("sub/a.cif " + SHA_ABC + "\n").getBytes(StandardCharsets.UTF_8);
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(line)),
                m.get("sha256"));
    }
}
