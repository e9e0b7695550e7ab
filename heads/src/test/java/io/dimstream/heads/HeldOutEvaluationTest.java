package io.dimstream.heads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HeldOutEvaluationTest {
    @Test
    void splitsStablyAndBeatsTheMeanBaselineOnALinearSignal() {
        Random r = new Random(5);
        Map<String, float[]> emb = new HashMap<>();
        Map<String, Double> lab = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            float[] v = new float[6];
            for (int k = 0; k < 6; k++) {
                v[k] = (float) r.nextGaussian();
            }
            emb.put("mp-" + i, v);
            lab.put("mp-" + i, 2.0 * v[0] + 0.1 * r.nextGaussian());
        }
        HeldOutEvaluation.Result res = HeldOutEvaluation.evaluate(emb, lab, 0.2, new RidgeLooTrainer());
        assertEquals(400, res.nTrain() + res.nTest());
        assertTrue(res.nTest() > 50 && res.nTest() < 110, "test size " + res.nTest());
        assertTrue(res.mae() < 0.1, "mae " + res.mae());
        assertTrue(res.baselineMae() > 1.2, "baseline " + res.baselineMae()); // E|2N(0,1)| = 1.6
        assertEquals(io.dimstream.core.HeldOutSplit.isHeldOut("mp-149", 0.2), io.dimstream.core.HeldOutSplit.isHeldOut("mp-149", 0.2));
    }
}
