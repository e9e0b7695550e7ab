package io.dimstream.trainer.dim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.SyntheticCrystals;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.model.SiteNetModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * DJL's {@code array.mul(0.5f)} (and add/sub/div/pow with a Number) wraps the number in a 0-d tensor whose
 * storage is a Java direct buffer (torch::from_blob, not owned by PyTorch), runs the op and closes that
 * tensor at once. Autograd keeps the scalar for the backward pass (d(x*c)/dx = c), but after the close only
 * native code refers to the buffer, so the garbage collector may free it (and malloc reuse it) between the
 * forward and the backward pass: the gradient then reads whatever lies there. This is the intermittent
 * non-finite loss in training (GC timing). The objective must keep every constant it feeds to autograd alive
 * until the step's manager closes; this test fills freed native memory with NaN between forward and
 * backward and requires the gradients to be finite and identical to an undisturbed pass.
 */
class ScalarOperandLifetimeTest {

    /** Frees what the GC can, then fills small malloc chunks with NaN (reusing the freed ones). */
    static List<ByteBuffer> churn() throws InterruptedException {
        List<ByteBuffer> keep = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(30);
            for (int k = 0; k < 20_000; k++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
                b.putFloat(0, Float.NaN);
                keep.add(b);
            }
        }
        return keep;
    }

    /**
     * x.mul(c) with c owned by the manager keeps d/dx = c exactly through a GC + NaN refill; the raw DJL
     * pattern x.mul(0.5f) is run alongside and its outcome printed (on this machine: NaN 20/20 times before
     * the fix; how often depends on the allocator, so it is reported, not asserted).
     */
    @Test
    void managerOwnedConstantSurvivesGcBeforeBackward() throws Exception {
        Engine.getEngine("PyTorch");
        int corrupted = 0;
        int trials = 5;
        for (int t = 0; t < trials; t++) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray x = m.create(new float[] {1f, 2f, 3f});
                NDArray raw = m.create(new float[] {1f, 2f, 3f});
                x.setRequiresGradient(true);
                raw.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = x.mul(DimObjective.c(m, 0.5f)).sum().add(raw.mul(0.5f).sum());
                    List<ByteBuffer> keep = churn();
                    gc.backward(y);
                    keep.clear();
                }
                assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, x.getGradient().toFloatArray());
                float[] g = raw.getGradient().toFloatArray();
                if (g[0] != 0.5f || g[1] != 0.5f || g[2] != 0.5f) {
                    corrupted++;
                }
            }
        }
        System.out.println("raw DJL x.mul(0.5f): gradient corrupted in " + corrupted + "/" + trials + " trials");
    }

    @Test
    void objectiveGradientsSurviveGcBetweenForwardAndBackward() throws Exception {
        Engine.getEngine("PyTorch");
        List<FeaturizedCrystal> cs = SyntheticCrystals.generate(6, 9, 5);
        SiteNetConfig cfg = SiteNetConfig.tiny(SyntheticCrystals.F);
        Map<String, float[]> base = null;
        for (int run = 0; run < 6; run++) {
            boolean disturb = run > 0;
            try (NDManager m = NDManager.newBaseManager(); Params p = Params.init(m, cfg, 11)) {
                p.attachGradients();
                DimObjective obj = new DimObjective(new SiteNetModel(cfg, p), DimObjective.DimWeights.defaults());
                DimBatch batch = DimBatch.of(cs, new Random(5));
                try (NDManager step = m.newSubManager()) {
                    DimObjective.Engineered eng = obj.engineered(step, batch);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        DimObjective.Terms terms = obj.loss(step, batch, eng, new Random(3));
                        assertTrue(Float.isFinite(terms.total().getFloat()));
                        List<ByteBuffer> keep = disturb ? churn() : List.of();
                        gc.backward(terms.total());
                        keep.size();
                    }
                    Map<String, float[]> grads = new LinkedHashMap<>();
                    for (Map.Entry<String, NDArray> e : p.all().entrySet()) {
                        float[] g = e.getValue().getGradient().toFloatArray();
                        for (float v : g) {
                            assertTrue(Float.isFinite(v), "run " + run + ": non-finite gradient of " + e.getKey());
                        }
                        grads.put(e.getKey(), g);
                    }
                    if (base == null) {
                        base = grads;
                    } else {
                        for (String k : base.keySet()) {
                            assertArrayEquals(base.get(k), grads.get(k), "run " + run + ": gradient of " + k);
                        }
                    }
                }
            }
        }
    }
}
