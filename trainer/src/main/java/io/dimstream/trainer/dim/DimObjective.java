package io.dimstream.trainer.dim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.dimstream.core.encoder.PaddedBatch;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The Deep InfoMax objective (Jensen-Shannon form: softplus(-T) on true pairs + softplus(T) on false
 * pairs), local and global, plus the KL regularisers.
 *
 * <p>Local critic T_ij = f(z_i) . g([site features of j ; d_ij]), pair terms weighted by (d_ij+1)^-2
 * normalised over j. Computed without materialising g per pair: with m_ij = Mish(first layer of g),
 * T_ij = (W2 f(z_i)) . m_ij + b2 . f(z_i). False pairs: the batch rolled by half gives each crystal a
 * partner c'; kinds (1) partner's species and distances, (2) own species with partner's distances, (3)
 * partner's species with own distances.
 *
 * <p>Global critic T = a(G_c) . b(l_i) on detached local vectors l_i = mu_i (the global loss never trains
 * the local encoder; the global encoder reads detached mu too). False pairs: sites with the partner's G,
 * and engineered false environments (local encoder without gradient on composition-swapped,
 * structure-swapped and neighbour-permuted inputs) with the true G.
 */
public final class DimObjective {
    private final SiteNetModel model;
    private final Params p;
    private final DimWeights weights;

    /** Loss weights. */
    /**
     * Loss weights. {@code composition} weights the composition loss of the authors' second configuration
     * (0 = off, the default): a decoder on the global embedding predicts the element fractions and pays
     * 1 − Σ_e min(predicted_e, true_e) (half the L1 distance between the two distributions).
     */
    public record DimWeights(double localDim, double globalDim, double klLocal, double klGlobal, double composition) {
        public DimWeights(double localDim, double globalDim, double klLocal, double klGlobal) {
            this(localDim, globalDim, klLocal, klGlobal, 0.0);
        }

        public static DimWeights defaults() {
            return new DimWeights(1.0, 1.0, 0.1, 0.1, 0.0);
        }

        public DimWeights withComposition(double w) {
            return new DimWeights(localDim, globalDim, klLocal, klGlobal, w);
        }
    }

    /** Scalar results of one batch (also the validation metrics, summed and averaged by the trainer). */
    public record Terms(NDArray total, NDArray localDim, NDArray globalDim, NDArray klLocal, NDArray klGlobal,
            Map<String, float[]> stats) {}

    public DimObjective(SiteNetModel model, DimWeights weights) {
        this.model = model;
        this.p = model.params();
        this.weights = weights;
    }

    /** Local vectors of the engineered false environments, computed without gradient. */
    public record Engineered(List<NDArray> mus, List<NDArray> masks) {}

    /** Run outside a gradient collector (no graph is recorded). */
    public Engineered engineered(NDManager m, DimBatch b) {
        List<NDArray> mus = new ArrayList<>();
        List<NDArray> masks = new ArrayList<>();
        for (PaddedBatch pb : new PaddedBatch[] {b.compositionSwapped, b.structureSwapped, b.permuted}) {
            if (pb == null) {
                continue;
            }
            SiteNetModel.Inputs in = SiteNetModel.Inputs.of(m, pb);
            mus.add(model.local(in).mu().stopGradient());
            masks.add(in.siteMask());
        }
        return new Engineered(mus, masks);
    }

    /**
     * The loss of one batch. {@code rnd} draws the VAE noise; null means no noise (validation: z = mu,
     * G = embedding).
     */
    public Terms loss(NDManager m, DimBatch b, Engineered eng, Random rnd) {
        SiteNetModel.Inputs in = SiteNetModel.Inputs.of(m, b.real);
        SiteNetModel.Local loc = model.local(in);
        NDArray mu = loc.mu();
        NDArray lv = loc.logVar();
        NDArray z = rnd == null ? mu : mu.add(lv.mul(c(m, 0.5f)).exp().mul(noise(m, rnd, mu.getShape())));
        NDArray sm = in.siteMask();

        // ---------- local DIM ----------
        NDArray fz = mlp2(z, "lc.f1", "lc.f2", m);                                   // [B,S,Cd]
        NDArray fW = fz.matMul(tmp(p.get("lc.g2.W").transpose(), m));               // [B,S,Ch]
        NDArray fb = fz.mul(p.get("lc.g2.b")).sum(new int[] {-1});                  // [B,S]
        NDArray sfJ = SiteNetModel.gatherAtoms(in.siteFeatures(), in.imageOf());    // [B,R,J,F]
        NDArray d = in.distances();
        NDArray am = in.atomMask();
        NDArray pairMask = sm.expandDims(-1).mul(am.expandDims(1));                // [B,S,J]
        Map<String, float[]> stats = new LinkedHashMap<>();
        NDArray[] tTrue = localCritic(fW, fb, sfJ, d);
        NDArray localTrue = weightedSiteMean(tTrue[0].neg(), d, pairMask, stats, "local_true", tTrue[0]);
        List<NDArray> localFalse = new ArrayList<>();
        if (b.rolled != null) {
            SiteNetModel.Inputs r = SiteNetModel.Inputs.of(m, b.rolled);
            NDArray sfJr = SiteNetModel.gatherAtoms(r.siteFeatures(), r.imageOf());
            NDArray smr = r.siteMask().mul(sm);                                     // both rows real
            NDArray amBoth = am.mul(r.atomMask());
            NDArray[] t1 = localCritic(fW, fb, sfJr, r.distances());
            localFalse.add(weightedSiteMean(t1[0], r.distances(),
                    smr.expandDims(-1).mul(r.atomMask().expandDims(1)), stats, "local_false", t1[0]));
            NDArray[] t2 = localCritic(fW, fb, sfJ, r.distances());
            localFalse.add(weightedSiteMean(t2[0], r.distances(),
                    smr.expandDims(-1).mul(amBoth.expandDims(1)), null, null, null));
            NDArray[] t3 = localCritic(fW, fb, sfJr, d);
            localFalse.add(weightedSiteMean(t3[0], d, sm.expandDims(-1).mul(amBoth.expandDims(1)), null, null, null));
        }
        NDArray localDim = localFalse.isEmpty() ? localTrue : localTrue.add(mean(localFalse));

        // ---------- global DIM ----------
        NDArray muD = mu.stopGradient();
        SiteNetModel.Global glob = model.global(muD, sm);
        NDArray emb = glob.embedding();
        NDArray glv = glob.logVar();
        NDArray g = rnd == null ? emb : emb.add(glv.mul(c(m, 0.5f)).exp().mul(noise(m, rnd, emb.getShape())));
        NDArray aG = mlp2(g, "gc.a1", "gc.a2", m);                                    // [B,Cd]
        NDArray bl = mlp2(muD, "gc.b1", "gc.b2", m);                                  // [B,S,Cd]
        NDArray gTrue = bl.mul(aG.expandDims(1)).sum(new int[] {-1});                // [B,S]
        NDArray globalTrue = maskedMean(Activation.softPlus(gTrue.neg()), sm);
        List<NDArray> globalFalse = new ArrayList<>();
        if (b.rolled != null) {
            int n = b.structures;
            int h = n / 2;
            NDArray aRolled = NDArrays.concat(new ai.djl.ndarray.NDList(aG.get(h + ":"), aG.get(":" + h)), 0);
            NDArray gFalse = bl.mul(aRolled.expandDims(1)).sum(new int[] {-1});
            globalFalse.add(maskedMean(Activation.softPlus(gFalse), sm));
            stats.put("global_acc", new float[] {
                maskedMean(gTrue.gt(gFalse).toType(ai.djl.ndarray.types.DataType.FLOAT32, false), sm).getFloat(),
                sm.sum().getFloat()});
            stats.put("global_true", new float[] {maskedMean(gTrue, sm).getFloat(), sm.sum().getFloat()});
            stats.put("global_false", new float[] {maskedMean(gFalse, sm).getFloat(), sm.sum().getFloat()});
        }
        if (eng != null) {
            for (int k = 0; k < eng.mus().size(); k++) {
                NDArray bx = mlp2(eng.mus().get(k), "gc.b1", "gc.b2", m);
                NDArray tx = bx.mul(aG.expandDims(1)).sum(new int[] {-1});
                globalFalse.add(maskedMean(Activation.softPlus(tx), eng.masks().get(k)));
            }
        }
        NDArray globalDim = globalFalse.isEmpty() ? globalTrue : globalTrue.add(mean(globalFalse));

        // ---------- KL ----------
        NDArray klSite = lv.add(c(m, 1f)).sub(mu.square()).sub(lv.exp()).mean(new int[] {-1}).mul(c(m, -0.5f)); // [B,S]
        NDArray klLocal = maskedMean(klSite, sm);
        NDArray klGlobal = glv.add(c(m, 1f)).sub(emb.square()).sub(glv.exp()).mean().mul(c(m, -0.5f));

        NDArray total = localDim.mul(c(m, (float) weights.localDim()))
                .add(globalDim.mul(c(m, (float) weights.globalDim())))
                .add(klLocal.mul(c(m, (float) weights.klLocal())))
                .add(klGlobal.mul(c(m, (float) weights.klGlobal())));
        if (weights.composition() > 0 && b.compositionMask != null) {
            NDArray comp = compositionLoss(m, g, b);
            total = total.add(comp.mul(c(m, (float) weights.composition())));
            stats.put("composition", new float[] {comp.getFloat(), (float) b.compositionCount});
        }
        return new Terms(total, localDim, globalDim, klLocal, klGlobal, stats);
    }

    /**
     * 1 − Σ_e min(p_e, t_e), mean over the crystals with a composition target: p = the decoder's
     * non-negative outputs on the global embedding g, normalised to sum 1 (the authors' composition loss).
     */
    private NDArray compositionLoss(NDManager m, NDArray g, DimBatch b) {
        NDArray raw = mlp2(g, "comp.1", "comp.2", m).maximum(c(m, 0f));                   // [B,118]
        NDArray pred = raw.div(raw.sum(new int[] {1}, true).add(c(m, 1e-5f)));
        NDArray target = m.create(b.composition, new Shape(b.structures, ElementFractions.ELEMENTS));
        NDArray mask = m.create(b.compositionMask, new Shape(b.structures));
        NDArray overlap = pred.minimum(target).sum(new int[] {1});                          // [B]
        NDArray perCrystal = c(m, 1f).sub(overlap);
        return perCrystal.mul(mask).sum().div(mask.sum().maximum(c(m, 1f)));
    }

    /**
     * A constant operand owned by {@code m}. Never pass a Java number to an NDArray op on the gradient path
     * (e.g. {@code x.mul(0.5f)}): DJL wraps it in a 0-d tensor over a Java direct buffer and closes it right
     * after the op, yet autograd keeps that tensor for the backward pass, so the garbage collector can free
     * (and malloc reuse) its memory before {@code backward()} reads it: random, often NaN, gradients
     * depending on GC timing. Constants made here live until the step's manager closes, after the update.
     */
    static NDArray c(NDManager m, float v) {
        return m.create(v);
    }

    private static NDArray mean(List<NDArray> xs) {
        NDArray s = xs.get(0);
        for (int k = 1; k < xs.size(); k++) {
            s = s.add(xs.get(k));
        }
        return s.div(c(s.getManager(), xs.size()));
    }

    private NDArray noise(NDManager m, Random rnd, Shape shape) {
        float[] e = new float[(int) shape.size()];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) rnd.nextGaussian();
        }
        return m.create(e, shape);
    }

    private static NDArray tmp(NDArray a, NDManager m) {
        a.attach(m);
        return a;
    }

    private NDArray mlp2(NDArray x, String l1, String l2, NDManager m) {
        NDArray h = SiteNetModel.mish(x.matMul(p.get(l1 + ".W")).add(p.get(l1 + ".b")));
        return h.matMul(p.get(l2 + ".W")).add(p.get(l2 + ".b"));
    }

    /** T [B,S,J] for environments (sfJ [B,J,F], d [B,S,J]). */
    private NDArray[] localCritic(NDArray fW, NDArray fb, NDArray sfJ, NDArray d) {
        NDArray hs = sfJ.matMul(p.get("lc.g1s.W"));                               // [B,R,J,Ch]
        NDArray pre = d.expandDims(-1).mul(p.get("lc.g1d.W"))                  // [B,S,J,Ch]
                .add(hs).add(p.get("lc.g1.b"));
        NDArray mm = SiteNetModel.mish(pre);
        NDArray t = mm.mul(fW.expandDims(2)).sum(new int[] {-1}).add(fb.expandDims(-1)); // [B,S,J]
        return new NDArray[] {t};
    }

    /**
     * Mean over sites (with at least one valid pair) of sum_j w_ij softplus(x_ij), w_ij = (d_ij+1)^-2
     * normalised over valid j. Optionally records the weighted mean critic score per site.
     */
    private static NDArray weightedSiteMean(NDArray x, NDArray d, NDArray mask, Map<String, float[]> stats,
            String key, NDArray t) {
        NDArray w = d.add(c(d.getManager(), 1f)).square().pow(c(d.getManager(), -1f)).mul(mask);
        NDArray wsum = w.sum(new int[] {-1}, true);
        NDArray valid = wsum.squeeze(-1).gt(c(wsum.getManager(), 0f)).toType(ai.djl.ndarray.types.DataType.FLOAT32, false); // [B,S]
        NDArray wn = w.div(wsum.maximum(c(wsum.getManager(), 1e-12f)));
        NDArray perSite = Activation.softPlus(x).mul(wn).sum(new int[] {-1});    // [B,S]
        if (stats != null) {
            NDArray score = t.mul(wn).sum(new int[] {-1});
            stats.put(key, new float[] {maskedMean(score, valid).getFloat(), valid.sum().getFloat()});
            stats.put(key + "_scores", score.mul(valid).toFloatArray());
            stats.put(key + "_valid", valid.toFloatArray());
        }
        return maskedMean(perSite, valid);
    }

    private static NDArray maskedMean(NDArray x, NDArray mask) {
        return x.mul(mask).sum().div(mask.sum().maximum(c(mask.getManager(), 1f)));
    }
}
