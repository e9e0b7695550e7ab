package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.dim.DimObjective.DimWeights;
import io.dimstream.trainer.model.SiteNetConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code --preset paper}: the authors' compact_dim_nocomp_klnorm.yaml settings. */
class PresetTest {

    @Test
    void paperPresetHasTheAuthorsSettings() {
        TrainConfig p = TrainConfig.preset("paper");
        assertEquals(TrainConfig.paper(), p);
        assertEquals(1e-4, p.learningRate());
        assertEquals(1e-7, p.adamEps());
        assertEquals(1e-4, p.weightDecay());
        assertTrue(p.amsgrad());
        assertEquals(1200, p.maxSitesPerBatch());
        assertEquals(TrainConfig.NO_PAIR_CAP, p.maxPairsPerBatch());
        assertEquals(Integer.MAX_VALUE, p.maxBatch());
        assertEquals(new DimWeights(1.0, 1.0, 0.1, 0.1), p.weights());
        SiteNetConfig a = p.arch();
        assertEquals(List.of(64, 128), a.globalHidden(), "pre-pool [64, 128]");
        assertEquals(64, a.globalDim(), "post-pool [64, 64]");
        assertEquals(64, a.embeddingDim(), "post-pool [64, 64]");
        assertEquals(128, a.criticDim(), "dot spaces 128");
        assertEquals(LrSchedule.constant(), p.lrSchedule());
        Map<String, Object> m = p.toMap();
        assertEquals("none", m.get("maxPairsPerBatch"));
        assertEquals("none", m.get("maxBatch"));
        assertEquals(1e-7, m.get("adamEps"));

        TrainConfig d = TrainConfig.preset("DEFAULT");
        assertEquals(TrainConfig.defaults(), d);
        assertEquals(1e-8, d.adamEps());
        assertEquals(12_000L, d.maxPairsPerBatch());
        assertEquals(12_000L, d.toMap().get("maxPairsPerBatch"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.preset("gpu"));
        assertEquals("unknown preset 'gpu' (expected default, paper or paper-comp)", e.getMessage());
    }

    /** Without the pair cap, one epoch of small crystals is cut by sites only: fewer, larger batches. */
    @Test
    void paperBatchingCutsBySitesOnlyAndTrains() {
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(60, 7, 6);
        SiteNetConfig tiny = SiteNetConfig.tiny(SyntheticCrystals.F);
        TrainConfig paper = TrainConfig.paper().withArch(tiny).withProgressBar(false)
                .withBatchCaps(40, TrainConfig.NO_PAIR_CAP, Integer.MAX_VALUE);
        TrainConfig capped = paper.withBatchCaps(40, 300, Integer.MAX_VALUE);
        List<int[]> sitesOnly = new DimTrainer(paper).epochPlan(train, 0);
        List<int[]> pairCapped = new DimTrainer(capped).epochPlan(train, 0);
        assertTrue(sitesOnly.size() < pairCapped.size(), sitesOnly.size() + " vs " + pairCapped.size());
        for (int[] b : sitesOnly) {
            int sites = 0;
            for (int i : b) {
                sites += train.get(i).primSites();
            }
            assertTrue(sites <= 40 || b.length == 1, "site cap holds: " + sites);
        }
        TrainResult r = new DimTrainer(paper).train(train, List.of(), Budget.steps(2), Optional.empty(), null);
        assertEquals(2, r.steps());
        assertTrue(r.weights().values().stream().allMatch(t -> {
            for (float f : t.data()) {
                if (!Float.isFinite(f)) {
                    return false;
                }
            }
            return true;
        }));
    }
}
