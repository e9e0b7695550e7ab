package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.dim.DimObjective.DimWeights;
import io.dimstream.trainer.dim.ElementFractions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The composition loss of the authors' second configuration (preset paper-comp). */
class CompositionLossTest {

    @Test
    void elementFractionsFromReducedFormulas() {
        float[] tio2 = ElementFractions.of("O2Ti").orElseThrow();
        assertEquals(2f / 3, tio2[8 - 1], 1e-6f);   // O
        assertEquals(1f / 3, tio2[22 - 1], 1e-6f);  // Ti
        float[] dis = ElementFractions.of("O36Al8.73Si9K3Fe0.27").orElseThrow();
        double sum = 0;
        for (float v : dis) {
            sum += v;
        }
        assertEquals(1.0, sum, 1e-5);
        assertEquals(0.27f / 57f, dis[26 - 1], 1e-6f);
        assertFalse(ElementFractions.of("").isPresent());
        assertFalse(ElementFractions.of("Xx3Qq4").isPresent(), "no known element");
    }

    /** Synthetic crystals whose formula follows their species (element A or B), so composition is learnable. */
    private static List<FeaturizedCrystal> withFormulas(List<FeaturizedCrystal> cs) {
        String[] els = {"Li", "Fe", "O", "Na", "Cl", "Si"};
        List<FeaturizedCrystal> out = new ArrayList<>();
        for (FeaturizedCrystal c : cs) {
            // "X<e1>Y<e2>" from SyntheticCrystals: the two species indices
            String f = c.formula();
            int e1 = f.charAt(1) - '0';
            int e2 = f.charAt(3) - '0';
            String formula = e1 == e2 ? els[e1] : els[e1] + "1" + els[e2] + "1";
            out.add(new FeaturizedCrystal(c.id(), c.featurizerVersion(), c.primSites(), c.supercellSites(),
                    c.featureDim(), c.siteFeatures(), c.distances(), c.imageOf(), formula, c.source()));
        }
        return out;
    }

    @Test
    void compositionLossTrainsTheDecoderAndIsReportedInValidation() {
        List<FeaturizedCrystal> train = withFormulas(SyntheticCrystals.generate(96, 1, 6));
        List<FeaturizedCrystal> val = withFormulas(SyntheticCrystals.generate(32, 2, 6));
        TrainConfig cfg = DimTrainerTest.tiny(5).withWeights(DimWeights.defaults().withComposition(1.0));
        TrainResult r = new DimTrainer(cfg).train(train, val, Budget.epochs(10), Optional.empty(), null);
        double before = r.initialValidation().get("val_composition");
        double after = r.validation().get("val_composition");
        assertTrue(before > 0.3, "an untrained decoder is far from the fractions: " + before);
        assertTrue(after < 0.7 * before, "composition loss " + before + " -> " + after);
        assertTrue(r.weights().containsKey("comp.1.W") && r.weights().containsKey("comp.2.W"));
        // off by default: no decoder, no metric
        TrainResult plain = new DimTrainer(DimTrainerTest.tiny(5)).train(train, val, Budget.steps(2), Optional.empty(), null);
        assertFalse(plain.weights().containsKey("comp.1.W"));
        assertFalse(plain.validation().containsKey("val_composition"));
        // the loss reads the global embedding only: after the same steps the local encoder is identical with
        // and without it (the global side reads detached local vectors), the global encoder is not
        TrainResult withComp = new DimTrainer(cfg).train(train, val, Budget.steps(2), Optional.empty(), null);
        assertArrayEquals(plain.weights().get("site.W").data(), withComp.weights().get("site.W").data());
        assertFalse(java.util.Arrays.equals(plain.weights().get("emb.W").data(), withComp.weights().get("emb.W").data()));
        assertEquals(1.0, TrainConfig.preset("paper-comp").weights().composition());
        assertEquals(0.0, TrainConfig.preset("paper").weights().composition());
    }
}
