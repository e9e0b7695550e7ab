package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.model.SiteNetConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DimTrainerTest {

    static TrainConfig tiny(long seed) {
        return TrainConfig.defaults().withArch(SiteNetConfig.tiny(SyntheticCrystals.F)).withSeed(seed)
                .withLearningRate(3e-3).withBatchCaps(120, 400_000, 32).withProgressBar(false);
    }

    @Test
    void lossDecreasesAndCriticsSeparateTrueFromFalsePairs() {
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(96, 1, 6);
        List<FeaturizedCrystal> val = SyntheticCrystals.generate(32, 2, 6);
        List<Double> losses = new ArrayList<>();
        TrainResult r = new DimTrainer(tiny(5)).train(train, val, Budget.epochs(12), Optional.empty(),
                new TrainListener() {
                    @Override
                    public void onStep(Step s) {
                        losses.add(s.loss());
                    }
                });
        System.out.println("initial " + r.initialValidation());
        System.out.println("final   " + r.validation());
        System.out.printf("%d steps, %.1f structures/s%n", r.steps(), r.structuresPerSecond());
        assertEquals(12, r.history().size());
        double first = losses.subList(0, 5).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = losses.subList(losses.size() - 5, losses.size()).stream().mapToDouble(Double::doubleValue)
                .average().orElseThrow();
        assertTrue(last < first, "train loss " + first + " -> " + last);
        assertTrue(r.validation().get("val_local_dim") < r.initialValidation().get("val_local_dim"));
        assertTrue(r.validation().get("val_global_dim") < r.initialValidation().get("val_global_dim"));
        assertTrue(r.validation().get("val_local_acc") > 0.7, "local critic accuracy " + r.validation());
        assertTrue(r.validation().get("val_global_acc") > 0.7, "global critic accuracy " + r.validation());
        assertTrue(r.validation().get("val_local_true") > r.validation().get("val_local_false"));
        assertTrue(r.validation().get("val_global_true") > r.validation().get("val_global_false"));
    }

    @Test
    void trainsOnABatchMixOfSupercellsAndPerSiteNeighbourLists() {
        // featurizer v2: large cells carry per-site neighbour lists; they batch with ordinary crystals
        List<FeaturizedCrystal> train = SyntheticCrystals.generateMixed(96, 1, 6, 10);
        List<FeaturizedCrystal> val = SyntheticCrystals.generateMixed(32, 2, 6, 10);
        assertTrue(train.stream().filter(FeaturizedCrystal::perSiteNeighbours).count() >= 20);
        TrainResult r = new DimTrainer(tiny(5)).train(train, val, Budget.epochs(8), Optional.empty(), null);
        assertTrue(Double.isFinite(r.validation().get("val_total")), r.validation().toString());
        assertTrue(r.validation().get("val_local_dim") < r.initialValidation().get("val_local_dim"));
        assertTrue(r.validation().get("val_global_dim") < r.initialValidation().get("val_global_dim"));
    }

    @Test
    void weightsOfFeaturizerV1MayContinueOnV2DataButNotTheOtherWay() {
        assertTrue(DimTrainer.weightsCompatible(1, 2));
        assertTrue(DimTrainer.weightsCompatible(2, 2));
        assertFalse(DimTrainer.weightsCompatible(2, 1));
        assertFalse(DimTrainer.weightsCompatible(3, 2));
    }

    /**
     * PyTorch's grad mode is per thread (on by default; DJL turns it off only on the thread that loads the
     * engine): training must work from any thread, one after another, give the same result, and leave
     * each caller's grad mode as it found it.
     */
    @Test
    void trainsFromTwoDifferentThreadsInSequence() throws Exception {
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(24, 3, 11);
        List<FeaturizedCrystal> val = SyntheticCrystals.generate(6, 3, 12);
        List<Object> results = new ArrayList<>();
        for (String name : List.of("trainer-thread-a", "trainer-thread-b")) {
            java.util.concurrent.FutureTask<Object[]> task = new java.util.concurrent.FutureTask<>(() -> {
                ai.djl.engine.Engine.getEngine("PyTorch");
                boolean before = ai.djl.pytorch.jni.JniUtils.isGradMode();
                TrainResult r = new DimTrainer(tiny(21)).train(train, val, Budget.steps(3), Optional.empty(), null);
                return new Object[] {r, before, ai.djl.pytorch.jni.JniUtils.isGradMode()};
            });
            Thread t = new Thread(task, name);
            t.start();
            Object[] out = task.get();
            TrainResult r = (TrainResult) out[0];
            assertEquals(3, r.steps(), name);
            assertTrue(Double.isFinite(r.validation().get("val_total")), name);
            assertEquals(out[1], out[2], name + ": the caller's grad mode is restored");
            results.add(r);
        }
        TrainResult a = (TrainResult) results.get(0);
        TrainResult b = (TrainResult) results.get(1);
        assertEquals(a.validation().get("val_total"), b.validation().get("val_total"), 1e-6,
                "same seed, same result on either thread");
        // and on this (test) thread, with grad mode switched on first, which is restored afterwards
        ai.djl.pytorch.jni.JniUtils.setGradMode(true);
        try {
            TrainResult c = new DimTrainer(tiny(21)).train(train, val, Budget.steps(3), Optional.empty(), null);
            assertEquals(a.validation().get("val_total"), c.validation().get("val_total"), 1e-6);
            assertTrue(ai.djl.pytorch.jni.JniUtils.isGradMode(), "grad mode restored to on");
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        }
    }

    @Test
    void seededRunsAreReproducibleAndResumeContinuesExactly(@TempDir Path dir) {
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(40, 3, 4);
        TrainResult a = new DimTrainer(tiny(9)).train(train, List.of(), Budget.steps(6), Optional.empty(), null);
        TrainResult b = new DimTrainer(tiny(9)).train(train, List.of(), Budget.steps(6), Optional.empty(), null);
        assertArrayEquals(a.weights().get("emb.W").data(), b.weights().get("emb.W").data());
        // 3 steps, "crash", resume to 6: same weights as 6 straight
        TrainConfig ck = tiny(9).withCheckpointDir(dir).withCheckpointEverySteps(1);
        new DimTrainer(ck).train(train, List.of(), Budget.steps(3), Optional.empty(), null);
        TrainResult resumed = new DimTrainer(ck).train(train, List.of(), Budget.steps(6), Optional.empty(), null);
        assertTrue(resumed.resumed());
        assertEquals(6, resumed.steps());
        float[] x = a.weights().get("emb.W").data();
        float[] y = resumed.weights().get("emb.W").data();
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], y[i], 1e-6f);
        }
    }

    /**
     * A cosine run with warm-up over 3 epochs, stopped inside epoch 2 and "crashed" after writing a history
     * line its checkpoint does not cover (plus a torn line), then resumed: weights bit-identical, AdamW's step
     * count, the learning rates and every history field (except wall time) equal to the uninterrupted run's,
     * each epoch listed once, and the loss curve drawn.
     */
    @Test
    void interruptedCosineRunWithHistoryMatchesUninterrupted(@TempDir Path dir) throws Exception {
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(40, 3, 4);
        List<FeaturizedCrystal> val = SyntheticCrystals.generate(8, 5, 4);
        LrSchedule cosine = new LrSchedule(LrSchedule.Kind.COSINE, 2);
        Path straightDir = dir.resolve("straight");
        Path resumedDir = dir.resolve("resumed");
        TrainConfig straightCfg = tiny(13).withBatchCaps(16, 400_000, 32).withLrSchedule(cosine)
                .withCheckpointDir(straightDir).withCheckpointEverySteps(1);
        TrainConfig resumedCfg = straightCfg.withCheckpointDir(resumedDir);
        DimTrainer straightTrainer = new DimTrainer(straightCfg);
        long perEpoch = straightTrainer.epochPlan(train, 0).size();
        long horizon = straightTrainer.cumulativeEpochSteps(train, 3)[3];
        assertTrue(perEpoch >= 4, "enough batches per epoch to stop inside epoch 2: " + perEpoch);

        TrainResult straight = straightTrainer.train(train, val, Budget.epochs(3), Optional.empty(), null);

        long stopAt = perEpoch + 3;
        TrainResult first = new DimTrainer(resumedCfg).train(train, val, new Budget(3, null, stopAt, 0),
                Optional.empty(), null);
        assertEquals(stopAt, first.steps());
        assertEquals(1, first.epochs());
        // a crash between "history line of epoch 2 appended" and "epoch-2 checkpoint written"
        Path hist = resumedDir.resolve(TrainHistory.FILE_NAME);
        java.nio.file.Files.writeString(hist, "{\"epoch\":2,\"step\":99,\"train_loss\":1.0}\n{\"epoch\":3,\"st",
                java.nio.file.StandardOpenOption.APPEND);
        TrainResult resumed = new DimTrainer(resumedCfg).train(train, val, Budget.epochs(3), Optional.empty(), null);
        assertTrue(resumed.resumed());
        assertEquals(straight.steps(), resumed.steps());
        assertEquals(horizon, resumed.steps(), "the cosine horizon is the epoch budget's steps");
        assertEquals(3, resumed.epochs());

        // bit-exact in one process (same kernels, same thread count); see docs/encoder.md for other processes
        for (String k : straight.weights().keySet()) {
            assertArrayEquals(straight.weights().get(k).data(), resumed.weights().get(k).data(), k);
        }
        Checkpoint a = Checkpoint.read(straightDir.resolve(Checkpoint.FILE_NAME));
        Checkpoint b = Checkpoint.read(resumedDir.resolve(Checkpoint.FILE_NAME));
        assertEquals(a.runNumber("optimizerSteps", -1), b.runNumber("optimizerSteps", -2));
        assertEquals(horizon, (long) b.runNumber("lrHorizon", -1));
        assertEquals(cosine.toMap(), b.run().get("lrSchedule"));

        List<java.util.Map<String, Object>> ha = TrainHistory.read(straightDir.resolve(TrainHistory.FILE_NAME));
        List<java.util.Map<String, Object>> hb = TrainHistory.read(hist);
        assertEquals(3, ha.size());
        assertEquals(3, hb.size(), "each epoch once: the stale line and the torn line are gone");
        for (int e = 0; e < 3; e++) {
            java.util.Map<String, Object> ra = ha.get(e);
            java.util.Map<String, Object> rb = hb.get(e);
            assertEquals(e + 1, ((Number) rb.get("epoch")).intValue());
            assertEquals(ra.keySet(), rb.keySet());
            for (String k : ra.keySet()) {
                if (k.equals("wall_seconds")) {
                    assertTrue(((Number) rb.get(k)).doubleValue() > 0);
                } else if (ra.get(k) instanceof Number na) {
                    assertEquals(na.doubleValue(), ((Number) rb.get(k)).doubleValue(), 0.0, "epoch " + (e + 1) + " " + k);
                } else {
                    assertEquals(ra.get(k), rb.get(k), k);
                }
            }
            long lastStep = ((Number) ra.get("step")).longValue() - 1;
            assertEquals(cosine.lr(3e-3, lastStep, horizon), ((Number) ra.get("lr")).doubleValue(), 1e-15);
        }
        assertTrue(((Number) hb.get(2).get("wall_seconds")).doubleValue()
                >= ((Number) hb.get(0).get("wall_seconds")).doubleValue(), "wall time accumulates over resumes");
        assertEquals(0.0, ((Number) ha.get(2).get("lr")).doubleValue(), 3e-3 * 0.01,
                "cosine ends near 0 at the end of the epoch budget");
        byte[] png = java.nio.file.Files.readAllBytes(resumedDir.resolve(LossCurve.FILE_NAME));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }

    @Test
    void cosineScheduleIsAPureFunctionOfTheStep() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 4);
        assertEquals(0.25, s.lr(1.0, 0, 104), 1e-12);
        assertEquals(1.0, s.lr(1.0, 3, 104), 1e-12);
        assertEquals(1.0, s.lr(1.0, 4, 104), 1e-12);
        assertEquals(0.5, s.lr(1.0, 54, 104), 1e-12);
        assertEquals(0.0, s.lr(1.0, 104, 104), 1e-12);
        assertEquals(0.0, s.lr(1.0, 500, 104), 1e-12, "past the horizon the rate stays at 0");
        assertEquals(0.5, LrSchedule.parse("constant", 2).lr(1.0, 0, 0), 1e-12);
        assertEquals(1.0, LrSchedule.parse("Constant", 2).lr(1.0, 1000, 0), 1e-12);
        assertEquals(s, LrSchedule.fromMap(s.toMap()));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LrSchedule.parse("linear", 0));
        assertTrue(e.getMessage().contains("constant or cosine"));
        // cosine without an epoch or step budget cannot know its horizon
        IllegalArgumentException noHorizon = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> new DimTrainer(tiny(1).withLrSchedule(s))
                        .train(SyntheticCrystals.generate(8, 1, 3), List.of(), Budget.minutes(1), Optional.empty(), null));
        assertTrue(noHorizon.getMessage().contains("--epochs or --max-steps"), noHorizon.getMessage());
    }

    @Test
    void etaTakesTheFirstLimit() {
        // 10 steps in 10 s; 100 steps of epochs left vs 60 s of time: the time limit comes first
        assertEquals("0:00:50", DimTrainer.eta(new Budget(5, java.time.Duration.ofMinutes(1), 0, 0),
                new long[] {0, 110}, 10, 0, 100, 0, java.time.Duration.ofSeconds(10)));
        assertEquals("0:01:40", DimTrainer.eta(Budget.epochs(5), new long[] {0, 110}, 10, 0, 100, 0,
                java.time.Duration.ofSeconds(10)));
        assertEquals("?", DimTrainer.eta(Budget.epochs(5), new long[] {0, 110}, 10, 10, 100, 100,
                java.time.Duration.ofSeconds(10)));
    }

    @Test
    void bundleRoundTripAndWarmStart(@TempDir Path dir) throws Exception {
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(40, 4, 4);
        TrainConfig cfg = tiny(2);
        TrainResult r = new DimTrainer(cfg).train(train, train.subList(0, 8), Budget.steps(3), Optional.empty(), null);
        Path m1 = dir.resolve("v1");
        ModelBundle.create(ModelBundle.DEFAULT_NAME, 1, r, cfg).write(m1);
        ModelBundle back = ModelBundle.read(m1);
        assertEquals(1, back.metadata().version());
        assertEquals(io.dimstream.core.featurize.SiteNetFeaturizer.VERSION, back.metadata().featurizerVersion());
        assertEquals(3.0, back.metadata().metrics().get("train_steps"));
        assertTrue(back.metadata().metrics().containsKey("val_local_dim"));
        try (OnnxEncoder enc = OnnxEncoder.load(m1, "cpu")) {
            float[][] e = enc.embed(train.subList(0, 5));
            assertEquals(5, e.length);
            assertEquals(cfg.arch().embeddingDim(), e[0].length);
        }
        // warm start continues from v1's weights: step 0 of the new run equals v1's result
        TrainResult warm = new DimTrainer(cfg.withSeed(77)).train(train, List.of(), Budget.steps(1), Optional.of(m1),
                null);
        float[] before = r.weights().get("site.W").data();
        float[] after = warm.weights().get("site.W").data();
        double diff = 0;
        for (int i = 0; i < before.length; i++) {
            diff = Math.max(diff, Math.abs(before[i] - after[i]));
        }
        assertTrue(diff > 0 && diff < 0.05, "one step from the warm start moves weights a little: " + diff);
    }
}
