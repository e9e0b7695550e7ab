package io.dimstream.trainer.dim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.dimstream.trainer.model.Params;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (decoupled weight decay, Loshchilov &amp; Hutter) with optional AMSGrad, as in PyTorch's
 * {@code torch.optim.AdamW}: p &lt;- p(1 - lr wd); m, v moments; v_max = max(v_max, v) when amsgrad;
 * p &lt;- p - lr m_hat / (sqrt(v_hat) + eps). State lives in its own manager and can be checkpointed.
 */
public final class AdamW implements AutoCloseable {
    private double lr;
    private final double weightDecay;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final boolean amsgrad;
    private final NDManager manager;
    private final Map<String, NDArray[]> state = new LinkedHashMap<>();
    private long t;

    public AdamW(NDManager parent, double lr, double weightDecay, boolean amsgrad) {
        this(parent, lr, weightDecay, amsgrad, 1e-8);
    }

    /** As PyTorch's {@code AdamW(lr, betas=(0.9, 0.999), eps, weight_decay, amsgrad)}. */
    public AdamW(NDManager parent, double lr, double weightDecay, boolean amsgrad, double eps) {
        this.lr = lr;
        this.weightDecay = weightDecay;
        this.beta1 = 0.9;
        this.beta2 = 0.999;
        this.eps = eps;
        this.amsgrad = amsgrad;
        this.manager = parent.newSubManager();
    }

    /** One update from the parameters' gradients, which are then zeroed. Call outside a collector. */
    public void step(Params params, NDManager scratch) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        for (Map.Entry<String, NDArray> e : params.all().entrySet()) {
            NDArray w = e.getValue();
            NDArray g = w.getGradient();
            g.attach(scratch);
            NDArray[] s = state.computeIfAbsent(e.getKey(), k -> new NDArray[] {
                manager.zeros(w.getShape()), manager.zeros(w.getShape()), manager.zeros(w.getShape())});
            s[0].muli((float) beta1).addi(g.mul((float) (1 - beta1)));
            s[1].muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
            NDArray v = s[1];
            if (amsgrad) {
                NDArray mx = s[2].maximum(s[1]);
                mx.attach(scratch);
                s[2].subi(s[2]).addi(mx);
                v = s[2];
            }
            NDArray denom = v.div((float) bc2);
            denom.attach(scratch);
            denom = denom.sqrt().addi((float) eps);
            NDArray upd = s[0].div(denom);
            upd.attach(scratch);
            w.muli((float) (1 - lr * weightDecay));
            w.subi(upd.muli((float) (lr / bc1)));
        }
        zeroGradients(params);
    }

    /**
     * True when every parameter's gradient is finite (one host sync: sum over parameters of sum(g - g), which
     * is 0 for finite g and NaN as soon as one entry is NaN or infinite, without overflow). Call outside a
     * collector, before {@link #step}.
     */
    public static boolean gradientsFinite(Params params, NDManager scratch) {
        NDArray acc = null;
        for (NDArray w : params.all().values()) {
            NDArray g = w.getGradient();
            g.attach(scratch);
            NDArray d = g.sub(g).sum();
            acc = acc == null ? d : acc.add(d);
        }
        return acc == null || Float.isFinite(acc.getFloat());
    }

    /** Sets every gradient to exactly 0 (zero_(): unlike g - g, also clears NaN/Inf). */
    public static void zeroGradients(Params params) {
        for (NDArray w : params.all().values()) {
            if (w instanceof PtNDArray pt) {
                JniUtils.zeroGrad(pt);
            } else {
                NDArray g = w.getGradient();
                g.subi(g);
                g.close();
            }
        }
    }

    /** Sets the learning rate of the following steps (a schedule calls this before each step). */
    public void setLearningRate(double lr) {
        this.lr = lr;
    }

    public double learningRate() {
        return lr;
    }

    public long steps() {
        return t;
    }

    /** State for a checkpoint: per parameter m, v, vmax. */
    public Map<String, float[][]> stateToHost() {
        Map<String, float[][]> out = new LinkedHashMap<>();
        state.forEach((k, s) -> out.put(k, new float[][] {s[0].toFloatArray(), s[1].toFloatArray(), s[2].toFloatArray()}));
        return out;
    }

    public void restore(Params params, Map<String, float[][]> host, long steps) {
        this.t = steps;
        host.forEach((k, s) -> {
            NDArray w = params.get(k);
            state.put(k, new NDArray[] {manager.create(s[0], w.getShape()), manager.create(s[1], w.getShape()),
                manager.create(s[2], w.getShape())});
        });
    }

    @Override
    public void close() {
        manager.close();
    }
}
