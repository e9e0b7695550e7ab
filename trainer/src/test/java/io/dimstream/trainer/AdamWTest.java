package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.dimstream.trainer.dim.AdamW;
import io.dimstream.trainer.model.Params;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AdamW + AMSGrad against the torch.optim.AdamW update written out by hand. */
class AdamWTest {
    @Test
    void matchesReferenceUpdate() {
        double lr = 0.01;
        double wd = 0.1;
        try (NDManager m = NDManager.newBaseManager();
                Params p = Params.fromHost(m, Map.of("w", new Params.Tensor(new long[] {3}, new float[] {1f, -2f, 0.5f})));
                AdamW opt = new AdamW(m, lr, wd, true)) {
            p.attachGradients();
            double[] w = {1, -2, 0.5};
            double[] mm = new double[3];
            double[] v = new double[3];
            double[] vmax = new double[3];
            for (int t = 1; t <= 3; t++) {
                try (NDManager s = m.newSubManager()) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        // loss = sum(w^3): gradient 3 w^2
                        gc.backward(p.get("w").pow(s.create(3f)).sum()); // constant owned by s (see DimObjective#c)
                    }
                    opt.step(p, s);
                }
                for (int i = 0; i < 3; i++) {
                    double g = 3 * w[i] * w[i];
                    w[i] *= 1 - lr * wd;
                    mm[i] = 0.9 * mm[i] + 0.1 * g;
                    v[i] = 0.999 * v[i] + 0.001 * g * g;
                    vmax[i] = Math.max(vmax[i], v[i]);
                    double mhat = mm[i] / (1 - Math.pow(0.9, t));
                    double vhat = vmax[i] / (1 - Math.pow(0.999, t));
                    w[i] -= lr * mhat / (Math.sqrt(vhat) + 1e-8);
                }
            }
            float[] got = p.get("w").toFloatArray();
            for (int i = 0; i < 3; i++) {
                assertEquals(w[i], got[i], 1e-5);
            }
            assertEquals(3, opt.steps());
        }
    }

    /** A NaN gradient is detected, and zeroing really clears it (g - g would leave NaN in place). */
    @Test
    void nonFiniteGradientIsDetectedAndCleared() {
        try (NDManager m = NDManager.newBaseManager();
                Params p = Params.fromHost(m, Map.of("w", new Params.Tensor(new long[] {2}, new float[] {1f, 2f})))) {
            p.attachGradients();
            try (NDManager s = m.newSubManager()) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(p.get("w").mul(s.create(new float[] {Float.NaN, 1f})).sum());
                }
                assertFalse(AdamW.gradientsFinite(p, s));
                AdamW.zeroGradients(p);
                assertArrayEquals(new float[] {0f, 0f}, p.get("w").getGradient().toFloatArray());
                assertTrue(AdamW.gradientsFinite(p, s));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(p.get("w").mul(s.create(new float[] {3f, 4f})).sum());
                }
                assertTrue(AdamW.gradientsFinite(p, s));
                assertArrayEquals(new float[] {3f, 4f}, p.get("w").getGradient().toFloatArray());
            }
        }
    }
}
