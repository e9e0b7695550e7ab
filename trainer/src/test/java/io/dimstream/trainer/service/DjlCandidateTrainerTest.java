package io.dimstream.trainer.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.SyntheticCrystals;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.model.SiteNetConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The production candidate trainer on real (tiny) DIM training. */
class DjlCandidateTrainerTest {

    @Test
    void trainsWarmStartsScoresDeterministicallyAndExportsAFaithfulOnnxGraph() throws Exception {
        List<FeaturizedCrystal> data = SyntheticCrystals.generate(36, 3, 5);
        List<FeaturizedCrystal> train = data.subList(0, 28);
        List<FeaturizedCrystal> val = data.subList(28, 36);
        DjlCandidateTrainer t = new DjlCandidateTrainer(TrainConfig.defaults().withArch(SiteNetConfig.tiny(9))
                .withSeed(1).withProgressBar(false));
        var budget = new CandidateTrainer.Budget(Duration.ofMinutes(2), 4);
        TrainedModel v1 = t.train("sitenet-dim", 1, train, val, Optional.empty(), budget);
        assertEquals(1, v1.version());
        assertNotNull(v1.state());
        assertEquals(v1.metadata().onnxSha256(), io.dimstream.core.encoder.ModelMetadata.sha256(v1.onnx()));
        double l1 = t.validationLoss(v1, val);
        assertTrue(Double.isFinite(l1));
        assertEquals(l1, t.validationLoss(v1, val), 1e-9, "the gate's score is deterministic");
        assertTrue(t.onnxParity(v1, val) < 1e-3);

        TrainedModel v2 = t.train("sitenet-dim", 2, train, val, Optional.of(v1), budget);
        assertEquals(2, v2.version());
        assertEquals(4.0, v2.metadata().metrics().get("train_steps"));
        assertTrue(Double.isFinite(t.validationLoss(v2, val)));
        // training is deterministic: the same run without the parent gives other weights, so v2 did start from v1
        TrainedModel cold = t.train("sitenet-dim", 2, train, val, Optional.empty(), budget);
        assertEquals(cold.metadata().onnxSha256(),
                t.train("sitenet-dim", 2, train, val, Optional.empty(), budget).metadata().onnxSha256());
        assertTrue(!cold.metadata().onnxSha256().equals(v2.metadata().onnxSha256()), "warm start changed the result");
    }
}
