package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.SyntheticCrystals;
import io.dimstream.trainer.model.SiteNetConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class FineTunerTest {

    /** A target mixing species (site feature 0) and structure (nearest-neighbour distance). */
    static double target(FeaturizedCrystal c) {
        double s = 0;
        for (int i = 0; i < c.primSites(); i++) {
            s += c.siteFeature(i, 0) / c.primSites();
        }
        return s + 0.3 * nearestNeighbour(c);
    }

    static double nearestNeighbour(FeaturizedCrystal c) {
        double s = 0;
        for (int i = 0; i < c.primSites(); i++) {
            double nn = Double.MAX_VALUE;
            for (int j = 0; j < c.supercellSites(); j++) {
                double d = c.distance(i, j);
                if (d > 1e-6) {
                    nn = Math.min(nn, d);
                }
            }
            s += nn;
        }
        return s / c.primSites();
    }

    static double[] targets(List<FeaturizedCrystal> cs) {
        return cs.stream().mapToDouble(FineTunerTest::target).toArray();
    }

    @Test
    void fineTuningLearnsAStructuralTargetReproduciblyWithoutTouchingTheBaseWeights() {
        SiteNetConfig cfg = SiteNetConfig.tiny(SyntheticCrystals.F);
        List<FeaturizedCrystal> all = SyntheticCrystals.generate(140, 5, 4);
        List<FeaturizedCrystal> fit = all.subList(0, 80);
        List<FeaturizedCrystal> val = all.subList(80, 100);
        List<FeaturizedCrystal> test = all.subList(100, 140);
        DjlEncoder base = DjlEncoder.random(cfg, 1);
        float[][] before = base.embed(test);
        RepresentationModel.FineTuneTask task = new RepresentationModel.FineTuneTask(fit, targets(fit), val, targets(val),
                test, 120, 16, 1e-3, 20, 0);
        FineTuner ft = new FineTuner(cfg, base.weights());
        ft.run(task);
        System.out.println("fine-tune trace: " + ft.lastTrace().trainSeconds() + " s train, " + ft.lastTrace().validationSeconds()
                + " s validation, " + ft.lastTrace().predictSeconds() + " s predict; best step " + ft.lastTrace().bestStep());
        List<Double> l = ft.lastTrace().trainLoss();
        System.out.println("loss " + l.subList(0, 5) + " ... " + l.subList(l.size() - 5, l.size()));
        long t0 = System.nanoTime();
        double[] pred = base.fineTune(task);
        System.out.println("first fine-tune " + (System.nanoTime() - t0) / 1e9 + " s");
        double[] y = targets(test);
        double mean = java.util.Arrays.stream(targets(fit)).average().orElseThrow();
        double constMae = Metrics.mae(java.util.Arrays.stream(y).map(v -> mean).toArray(), y);
        double mae = Metrics.mae(pred, y);
        assertTrue(mae < 0.6 * constMae, "fine-tuned MAE " + mae + " vs predicting the mean " + constMae);
        assertArrayEquals(pred, base.fineTune(task), 1e-5, "same seed, same predictions");
        float[][] after = base.embed(test);
        for (int i = 0; i < before.length; i++) {
            assertArrayEquals(before[i], after[i], 0f, "fine-tuning must work on a copy");
        }
        assertEquals(120, ft.lastTrace().trainLoss().size());
        assertTrue(ft.lastTrace().bestStep() % 20 == 0 && ft.lastTrace().bestStep() > 0);
    }

    @Test
    void withPatienceTrainingStopsAfterTheValidationMaeStopsImprovingAndKeepsTheBestCheckpoint() {
        SiteNetConfig cfg = SiteNetConfig.tiny(SyntheticCrystals.F);
        List<FeaturizedCrystal> all = SyntheticCrystals.generate(90, 5, 6);
        List<FeaturizedCrystal> fit = all.subList(0, 50);
        List<FeaturizedCrystal> val = all.subList(50, 60);
        List<FeaturizedCrystal> test = all.subList(60, 90);
        DjlEncoder base = DjlEncoder.random(cfg, 3);
        int cap = 3000;
        RepresentationModel.FineTuneTask task = new RepresentationModel.FineTuneTask(fit, targets(fit), val, targets(val),
                test, cap, 16, 1e-2, 5, 1, 4);
        FineTuner ft = new FineTuner(cfg, base.weights());
        ft.run(task);
        FineTuner.Trace t = ft.lastTrace();
        assertTrue(t.stepsRun() < cap, "a lr of 1e-2 on 50 crystals overfits long before " + cap + " steps; ran " + t.stepsRun());
        // it stopped exactly 4 checks (of 5 steps) after the best one
        assertEquals(t.bestStep() + 4 * 5, t.stepsRun());
        assertEquals(t.stepsRun(), t.trainLoss().size());
        // the fixed-budget run of the same task (patience 0) runs to the cap
        RepresentationModel.FineTuneTask fixed = new RepresentationModel.FineTuneTask(fit, targets(fit), val, targets(val),
                test, 40, 16, 1e-2, 5, 1);
        ft.run(fixed);
        assertEquals(40, ft.lastTrace().stepsRun());
    }

    @Test
    void onnxPredictionPathMatchesTheDjlForwardPass() {
        SiteNetConfig cfg = SiteNetConfig.tiny(SyntheticCrystals.F);
        List<FeaturizedCrystal> cs = SyntheticCrystals.generate(20, 3, 5);
        java.util.Map<String, io.dimstream.trainer.model.Params.Tensor> w =
                new java.util.LinkedHashMap<>(DjlEncoder.random(cfg, 2).weights());
        w.putAll(FineTuner.headInit(cfg.embeddingDim(), 5));
        double[] viaOnnx = new FineTuner(cfg, w).predictOnnx(w, cs, 1.5, 2.0);
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                io.dimstream.trainer.model.Params p = io.dimstream.trainer.model.Params.fromHost(m, w)) {
            double[] viaDjl = FineTuner.predict(new io.dimstream.trainer.model.SiteNetModel(cfg, p), p, m, cs, 1.5, 2.0);
            assertArrayEquals(viaDjl, viaOnnx, 1e-4);
        }
    }

    @Test
    void embeddingsDoNotDependOnBatchComposition() {
        SiteNetConfig cfg = SiteNetConfig.tiny(SyntheticCrystals.F);
        List<FeaturizedCrystal> all = SyntheticCrystals.generate(30, 9, 6);
        DjlEncoder enc = DjlEncoder.random(cfg, 4);
        float[][] batch = enc.embed(all);
        float[][] alone = enc.embed(List.of(all.get(17)));
        assertArrayEquals(alone[0], batch[17], 1e-5f);
        float[][] djl = enc.embedDjl(all);
        for (int i = 0; i < all.size(); i++) {
            assertArrayEquals(djl[i], batch[i], 1e-4f, "ONNX Runtime and DJL embeddings agree");
        }
    }
}
