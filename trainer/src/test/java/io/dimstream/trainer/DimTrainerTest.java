package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

    @Test
    void bundleRoundTripAndWarmStart(@TempDir Path dir) throws Exception {
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(40, 4, 4);
        TrainConfig cfg = tiny(2);
        TrainResult r = new DimTrainer(cfg).train(train, train.subList(0, 8), Budget.steps(3), Optional.empty(), null);
        Path m1 = dir.resolve("v1");
        ModelBundle.create(ModelBundle.DEFAULT_NAME, 1, r, cfg).write(m1);
        ModelBundle back = ModelBundle.read(m1);
        assertEquals(1, back.metadata().version());
        assertEquals(1, back.metadata().featurizerVersion());
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
