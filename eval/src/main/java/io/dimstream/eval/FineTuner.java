package io.dimstream.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import io.dimstream.core.encoder.PaddedBatch;
import io.dimstream.core.encoder.SizeBatcher;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.model.SiteNetModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Transfer learning for the evaluation: the Site-Net encoder (from given weights: DIM-pretrained or
 * random) plus a fresh head (embedding → 64 → Mish → 1) trained end to end on the labelled fit part
 * with Adam on the L1 loss of the standardised target. Every {@code evalEvery} steps the validation
 * MAE is measured; the weights of the best validation step are the ones that predict. The same step
 * budget is used whatever the initial weights, so DIM and random starts are compared fairly.
 *
 * <p>With {@code patience} &gt; 0 the run trains to convergence as the paper does: {@code steps} is only a
 * cap, the learning rate is halved after {@code patience / 2} validation checks without improvement
 * (at most {@value #MAX_HALVINGS} times: reduce-on-plateau), and training stops after {@code patience}
 * checks without improvement.
 */
public final class FineTuner {

    static final int HEAD_HIDDEN = 64;
    /** Padded-pair budget per crystal of a fine-tuning batch (a median MP crystal has S·J ≈ 500). */
    static final long PAIRS_PER_CRYSTAL = 1000;
    static final int MAX_HALVINGS = 4;

    private final SiteNetConfig config;
    private final Map<String, Params.Tensor> initial;

    public FineTuner(SiteNetConfig config, Map<String, Params.Tensor> initialWeights) {
        this.config = config;
        this.initial = initialWeights;
    }

    /** Result details for tests and logs. */
    public record Trace(int bestStep, double bestValidationMae, List<Double> trainLoss, double trainSeconds,
            double validationSeconds, double predictSeconds, int stepsRun) {
    }

    private Trace lastTrace;

    public Trace lastTrace() {
        return lastTrace;
    }

    public double[] run(RepresentationModel.FineTuneTask task) {
        int n = task.fit().size();
        if (n < 1 || task.validation().isEmpty()) {
            throw new EvalException("too-few-labels", "fine-tuning needs fit and validation structures, got "
                    + n + " + " + task.validation().size());
        }
        double ym = 0;
        for (double v : task.fitY()) {
            ym += v;
        }
        ym /= n;
        double var = 0;
        for (double v : task.fitY()) {
            var += (v - ym) * (v - ym);
        }
        double ys = Math.max(1e-6, Math.sqrt(var / n));

        Map<String, Params.Tensor> start = new LinkedHashMap<>();
        initial.forEach((k, v) -> {
            if (!k.startsWith("lc.") && !k.startsWith("gc.")) { // DIM critics play no part here
                start.put(k, v);
            }
        });
        start.putAll(headInit(config.embeddingDim(), task.seed()));

        try (NDManager root = NDManager.newBaseManager(); Params p = Params.fromHost(root, start)) {
            p.attachGradients();
            SiteNetModel model = new SiteNetModel(config, p);
            float[] lr = {(float) task.learningRate()};
            Tracker plateau = new Tracker() {
                @Override
                public float getNewValue(int numUpdate) {
                    return lr[0];
                }
            };
            Optimizer adam = Optimizer.adam().optLearningRateTracker(plateau)
                    .optWeightDecays(1e-4f).optClipGrad(5f).build();
            int checksSinceBest = 0;
            int halvings = 0;
            int stepsRun = 0;
            SplittableRandom rnd = new SplittableRandom(task.seed() * 1_000_003L + 17);
            int bs = Math.min(task.batchSize(), n);
            Map<String, Params.Tensor> best = null;
            double bestMae = Double.POSITIVE_INFINITY;
            int bestStep = -1;
            List<Double> losses = new ArrayList<>();
            long tTrain = 0;
            long tVal = 0;
            // size-grouped batches (similar S and J together, capped in crystals and padded pairs) so
            // padding does not dominate; the batch order is reshuffled every pass over the fit set
            List<int[]> plan = SizeBatcher.plan(task.fit(), Integer.MAX_VALUE, (long) bs * PAIRS_PER_CRYSTAL, bs);
            int[] order = shuffled(plan.size(), rnd);
            int cursor = 0;
            for (int step = 1; step <= task.steps(); step++) {
                stepsRun = step;
                long t0 = System.nanoTime();
                if (cursor == order.length) {
                    order = shuffled(plan.size(), rnd);
                    cursor = 0;
                }
                int[] idx = plan.get(order[cursor++]);
                List<FeaturizedCrystal> batch = new ArrayList<>(idx.length);
                float[] target = new float[idx.length];
                for (int k = 0; k < idx.length; k++) {
                    batch.add(task.fit().get(idx[k]));
                    target[k] = (float) ((task.fitY()[idx[k]] - ym) / ys);
                }
                try (NDManager sm = root.newSubManager()) {
                    NDArray y = sm.create(target, new Shape(idx.length));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray pred = forward(model, p, sm, batch);
                        NDArray loss = pred.sub(y).abs().mean();
                        gc.backward(loss);
                        losses.add((double) loss.getFloat());
                    }
                    for (Map.Entry<String, NDArray> e : p.all().entrySet()) {
                        NDArray w = e.getValue();
                        NDArray g = w.getGradient();
                        adam.update(e.getKey(), w, g);
                        g.subi(g);
                        g.close(); // the handle only; the gradient buffer stays with the weight
                    }
                }
                long t1 = System.nanoTime();
                tTrain += t1 - t0;
                if (step % task.evalEvery() == 0 || step == task.steps()) {
                    double[] vp = predict(model, p, root, task.validation(), ym, ys);
                    double mae = Metrics.mae(vp, task.validationY());
                    if (mae < bestMae) {
                        bestMae = mae;
                        bestStep = step;
                        best = p.toHost();
                        checksSinceBest = 0;
                    } else {
                        checksSinceBest++;
                    }
                    tVal += System.nanoTime() - t1;
                    if (task.patience() > 0) {
                        if (checksSinceBest >= task.patience()) {
                            break;
                        }
                        if (checksSinceBest > 0 && checksSinceBest % Math.max(1, task.patience() / 2) == 0
                                && halvings < MAX_HALVINGS) {
                            lr[0] *= 0.5f;
                            halvings++;
                        }
                    }
                }
            }
            long t2 = System.nanoTime();
            {
                double[] out = predictOnnx(best, task.predict(), ym, ys);
                lastTrace = new Trace(bestStep, bestMae, losses, tTrain / 1e9, tVal / 1e9, (System.nanoTime() - t2) / 1e9,
                        stepsRun);
                return out;
            }
        }
    }

    /** Standardised prediction [B] of a batch. */
    static NDArray forward(SiteNetModel model, Params p, NDManager m, List<FeaturizedCrystal> batch) {
        SiteNetModel.Inputs in = SiteNetModel.Inputs.of(m, PaddedBatch.of(batch));
        NDArray emb = model.infer(in)[0];
        NDArray h = SiteNetModel.mish(emb.matMul(p.get("head.1.W")).add(p.get("head.1.b")));
        return h.matMul(p.get("head.2.W")).add(p.get("head.2.b")).reshape(batch.size());
    }

    static double[] predict(SiteNetModel model, Params p, NDManager root, List<FeaturizedCrystal> crystals, double ym,
            double ys) {
        double[] out = new double[crystals.size()];
        for (int[] b : SizeBatcher.plan(crystals, DjlEncoder.MAX_SITES, DjlEncoder.MAX_PAIRS, 512)) {
            List<FeaturizedCrystal> part = new ArrayList<>(b.length);
            for (int i : b) {
                part.add(crystals.get(i));
            }
            try (NDManager sm = root.newSubManager()) {
                float[] v = forward(model, p, sm, part).toFloatArray();
                for (int k = 0; k < b.length; k++) {
                    out[b[k]] = ym + ys * v[k];
                }
            }
        }
        return out;
    }

    /** Predictions of fine-tuned weights: ONNX Runtime embeddings, then the head on the host. */
    double[] predictOnnx(Map<String, Params.Tensor> w, List<FeaturizedCrystal> crystals, double ym, double ys) {
        float[][] emb = OnnxEmbedding.embed(config, w, crystals);
        float[] w1 = w.get("head.1.W").data();
        float[] b1 = w.get("head.1.b").data();
        float[] w2 = w.get("head.2.W").data();
        float b2 = w.get("head.2.b").data()[0];
        int e = config.embeddingDim();
        double[] out = new double[crystals.size()];
        for (int i = 0; i < emb.length; i++) {
            double o = b2;
            for (int h = 0; h < HEAD_HIDDEN; h++) {
                double s = b1[h];
                for (int k = 0; k < e; k++) {
                    s += emb[i][k] * w1[k * HEAD_HIDDEN + h];
                }
                double sp = s > 20 ? s : Math.log1p(Math.exp(s));
                o += s * Math.tanh(sp) * w2[h];
            }
            out[i] = ym + ys * o;
        }
        return out;
    }

    static Map<String, Params.Tensor> headInit(int in, long seed) {
        Random r = new Random(seed * 7919L + 1);
        Map<String, Params.Tensor> h = new LinkedHashMap<>();
        h.put("head.1.W", Params.uniform(r, in, in, HEAD_HIDDEN));
        h.put("head.1.b", Params.uniform(r, in, HEAD_HIDDEN));
        h.put("head.2.W", Params.uniform(r, HEAD_HIDDEN, HEAD_HIDDEN, 1));
        h.put("head.2.b", Params.uniform(r, HEAD_HIDDEN, 1));
        return h;
    }

    private static int[] shuffled(int n, SplittableRandom rnd) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }
}
