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

    private static <T> T onFreshThread(java.util.concurrent.Callable<T> body) throws Exception {
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(body);
        Thread th = new Thread(task, "fresh-caller");
        th.start();
        try {
            return task.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

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
        assertEquals(v1.metadata().onnxSha256(), io.dimstream.core.Sha256.hex(v1.onnx()));
        double l1 = t.validationLoss(v1, val);
        assertTrue(Double.isFinite(l1));
        assertEquals(l1, t.validationLoss(v1, val), 1e-9, "the gate's score is deterministic");
        assertTrue(t.onnxParity(v1, val) < 1e-3);

        // v2 on a fresh thread (PyTorch grad mode is per thread and on by default there): train, gate, parity
        TrainedModel v2 = onFreshThread(() -> t.train("sitenet-dim", 2, train, val, Optional.of(v1), budget));
        assertEquals(2, v2.version());
        assertEquals(4.0, v2.metadata().metrics().get("train_steps"));
        assertTrue(Double.isFinite(onFreshThread(() -> t.validationLoss(v2, val))));
        assertEquals(l1, onFreshThread(() -> t.validationLoss(v1, val)), 1e-9, "same score on any thread");
        assertTrue(onFreshThread(() -> t.onnxParity(v2, val)) < 1e-3);
        // training is deterministic: the same run without the parent gives other weights, so v2 did start from v1
        TrainedModel cold = t.train("sitenet-dim", 2, train, val, Optional.empty(), budget);
        assertEquals(cold.metadata().onnxSha256(),
                t.train("sitenet-dim", 2, train, val, Optional.empty(), budget).metadata().onnxSha256());
        assertTrue(!cold.metadata().onnxSha256().equals(v2.metadata().onnxSha256()), "warm start changed the result");
    }
}
