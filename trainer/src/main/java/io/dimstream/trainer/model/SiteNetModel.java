package io.dimstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import io.dimstream.core.encoder.PaddedBatch;

/**
 * The Site-Net encoder forward pass on DJL arrays (training and the reference for the ONNX export).
 *
 * <p>Shapes: B crystals, S padded primitive sites, J padded supercell atoms. Every result is a function
 * of the crystal's own unpadded entries only: attention logits of padded atoms get -1e9 (their softmax
 * weight is exactly 0), the pooled mean runs over real sites, and padded local rows are zeroed.
 *
 * <p>Pair MLP first layers use the split form W_a x_i + W_b x_j + W_c e_ij + b: the site parts are
 * computed once per site (and gathered to the supercell atoms through imageOf), not once per pair.
 *
 * <p>Operand order matters for memory: every op starts from an activation (which lives in the per-step
 * manager), never from a weight, so intermediates are freed with the step.
 */
public final class SiteNetModel {
    /** Additive attention mask for padded atoms. */
    public static final float MASK_NEG = -1e9f;

    private final SiteNetConfig cfg;
    private final Params p;

    public SiteNetModel(SiteNetConfig cfg, Params params) {
        this.cfg = cfg;
        this.p = params;
    }

    public SiteNetConfig config() {
        return cfg;
    }

    public Params params() {
        return p;
    }

    /** The padded batch as arrays in {@code m}. */
    public record Inputs(NDArray siteFeatures, NDArray distances, NDArray imageOf, NDArray siteMask,
            NDArray atomMask) {
        public static Inputs of(NDManager m, PaddedBatch b) {
            return new Inputs(
                    m.create(b.siteFeatures, new Shape(b.batch, b.maxSites, b.featureDim)),
                    m.create(b.distances, new Shape(b.batch, b.maxSites, b.maxAtoms)),
                    m.create(b.imageOf, new Shape(b.batch, b.imageRows, b.maxAtoms)),
                    m.create(b.siteMask, new Shape(b.batch, b.maxSites)),
                    m.create(b.atomMask, new Shape(b.batch, b.maxAtoms)));
        }
    }

    /** Local encoder output: mu [B,S,L], log-variance [B,S,L]. */
    public record Local(NDArray mu, NDArray logVar) {}

    /** Global encoder output: embedding [B,E], log-variance [B,E]. */
    public record Global(NDArray embedding, NDArray logVar) {}

    public static NDArray mish(NDArray x) {
        return x.mul(Activation.softPlus(x).tanh());
    }

    NDArray layerNorm(NDArray y, String n) {
        // fused native layer_norm (biased variance, like ONNX LayerNormalization)
        long w = y.getShape().get(y.getShape().dimension() - 1);
        return LayerNorm.layerNorm(y, new Shape(w), p.get(n + ".g"), p.get(n + ".beta"), cfg.layerNormEps())
                .singletonOrThrow();
    }

    /** Linear -> Mish -> LayerNorm. */
    NDArray hidden(NDArray x, String n) {
        return layerNorm(mish(x.matMul(p.get(n + ".W")).add(p.get(n + ".b"))), n);
    }

    NDArray linear(NDArray x, String n) {
        return x.matMul(p.get(n + ".W")).add(p.get(n + ".b"));
    }

    /**
     * x[b, imageOf[b, r, j], :] for every row r and atom j: [B,S,D] with imageOf [B,R,J] -> [B,R,J,D]
     * (R = 1: one supercell shared by the rows; R = S: per-site neighbour lists).
     */
    public static NDArray gatherAtoms(NDArray perSite, NDArray imageOf) {
        long d = perSite.getShape().get(2);
        Shape is = imageOf.getShape();
        NDArray flat = imageOf.reshape(is.get(0), is.get(1) * is.get(2));
        NDArray idx = flat.expandDims(-1).repeat(2, d);
        return perSite.gather(idx, 1).reshape(is.get(0), is.get(1), is.get(2), d);
    }

    /** The first pair layer in split form, then Mish + LayerNorm: [B,S,J,P]. */
    NDArray pairHidden(NDArray x, NDArray e, NDArray imageOf, String n) {
        NDArray a = x.matMul(p.get(n + ".Wa")).add(p.get(n + ".b"));   // [B,S,P], bias folded per site
        NDArray bj = gatherAtoms(x.matMul(p.get(n + ".Wb")), imageOf);  // [B,R,J,P]
        NDArray pre = e.matMul(p.get(n + ".Wc"))                        // [B,S,J,P]
                .add(a.expandDims(2))
                .add(bj);
        return layerNorm(mish(pre), n);
    }

    /** Local encoder: site representations mu_i and their log-variance. */
    public Local local(Inputs in) {
        NDArray x = hidden(in.siteFeatures(), "site");                   // [B,S,H]
        // interaction projection of the scalar distance: d * w + b (a 1-wide Linear, done as a broadcast)
        NDArray e = layerNorm(mish(in.distances().expandDims(-1).mul(p.get("int.W"))
                .add(p.get("int.b"))), "int");                           // [B,S,J,I]
        NDArray logits = linear(pairHidden(x, e, in.imageOf(), "att"), "att.out").squeeze(-1); // [B,S,J]
        NDManager mm = in.atomMask().getManager();
        // constants as arrays owned by the step's manager, never Java numbers (see DimObjective#c)
        logits = logits.add(in.atomMask().sub(mm.create(1f)).mul(mm.create(-MASK_NEG)).expandDims(1));
        NDArray alpha = logits.softmax(-1);
        // sum_j alpha_ij (h_ij W + b) = (sum_j alpha_ij h_ij) W + b, as sum_j alpha_ij = 1: the value
        // output layer runs once per site instead of once per pair
        NDArray h = pairHidden(x, e, in.imageOf(), "val");                       // [B,S,J,P]
        NDArray u = linear(h.mul(alpha.expandDims(-1)).sum(new int[] {2}), "val.out"); // [B,S,V]
        return new Local(linear(u, "mu"), linear(u, "lv"));
    }

    /** Global encoder over local vectors [B,S,L] (masked mean over real sites). */
    public Global global(NDArray localVectors, NDArray siteMask) {
        NDArray g = localVectors;
        for (int k = 0; k < cfg.globalHidden().size(); k++) {
            g = hidden(g, "glob." + k);
        }
        NDArray sm = siteMask.expandDims(-1);
        NDArray pooled = g.mul(sm).sum(new int[] {1}).div(sm.sum(new int[] {1}));
        NDArray h = hidden(pooled, "glob.pool");
        return new Global(linear(h, "emb"), linear(h, "glv"));
    }

    /** Inference: embedding [B,E] and masked local vectors [B,S,L] (what the ONNX graph computes). */
    public NDArray[] infer(Inputs in) {
        Local l = local(in);
        Global g = global(l.mu(), in.siteMask());
        return new NDArray[] {g.embedding(), l.mu().mul(in.siteMask().expandDims(-1))};
    }
}
