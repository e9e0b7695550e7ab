package io.dimstream.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dimstream.core.encoder.PaddedBatch;
import io.dimstream.core.encoder.Precision;
import io.dimstream.core.encoder.SizeBatcher;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.model.SiteNetModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Site-Net encoder held as host weights (pretrained by DIM or freshly initialised), used by the
 * evaluation for frozen embeddings (DJL forward pass, size-grouped batches) and as the starting
 * point of fine-tuning ({@link FineTuner} works on a copy; these weights never change).
 */
public final class DjlEncoder implements RepresentationModel {

    /** Batch caps for inference (real primitive sites per batch, padded pairs per batch). */
    static final int MAX_SITES = 2048;
    static final long MAX_PAIRS = 400_000;

    private final SiteNetConfig config;
    private final Map<String, Params.Tensor> weights;
    private final String description;
    private final Precision precision;

    public DjlEncoder(SiteNetConfig config, Map<String, Params.Tensor> weights, String description) {
        this(config, weights, description, Precision.FP32);
    }

    private DjlEncoder(SiteNetConfig config, Map<String, Params.Tensor> weights, String description, Precision precision) {
        this.config = config;
        this.weights = Map.copyOf(weights);
        this.description = description;
        this.precision = precision;
    }

    /** The same weights, frozen embeddings computed by the {@code precision} graph (fine-tuning is unaffected). */
    public DjlEncoder withPrecision(Precision p) {
        return p == precision ? this : new DjlEncoder(config, weights,
                p == Precision.FP32 ? description : description + ", " + p.label() + " inference", p);
    }

    /** A randomly initialised encoder (the control): same architecture and init scheme as DIM's start. */
    public static DjlEncoder random(SiteNetConfig config, long seed) {
        try (NDManager m = NDManager.newBaseManager(); Params p = Params.init(m, config, seed)) {
            return new DjlEncoder(config, p.toHost(), "random init (seed " + seed + "), untrained");
        }
    }

    public SiteNetConfig config() {
        return config;
    }

    public Map<String, Params.Tensor> weights() {
        return weights;
    }

    @Override
    public String describe() {
        return description;
    }

    /** Frozen embeddings (ONNX Runtime on CPU, from these weights). */
    @Override
    public float[][] embed(List<FeaturizedCrystal> crystals) {
        return OnnxEmbedding.embed(config, weights, crystals, precision);
    }

    @Override
    public float[][] embedWithPooledLocal(List<FeaturizedCrystal> crystals) {
        return OnnxEmbedding.embedWithPooledLocal(config, weights, crystals, precision);
    }

    /** The same embeddings through the DJL forward pass (reference for tests). */
    public float[][] embedDjl(List<FeaturizedCrystal> crystals) {
        float[][] out = new float[crystals.size()][];
        if (crystals.isEmpty()) {
            return out;
        }
        try (NDManager m = NDManager.newBaseManager(); Params p = Params.fromHost(m, weights)) {
            SiteNetModel model = new SiteNetModel(config, p);
            for (int[] batch : SizeBatcher.plan(crystals, MAX_SITES, MAX_PAIRS, 512)) {
                List<FeaturizedCrystal> part = new ArrayList<>(batch.length);
                for (int i : batch) {
                    part.add(crystals.get(i));
                }
                try (NDManager step = m.newSubManager()) {
                    NDArray emb = model.infer(SiteNetModel.Inputs.of(step, PaddedBatch.of(part)))[0];
                    float[] flat = emb.toFloatArray();
                    int e = config.embeddingDim();
                    for (int b = 0; b < batch.length; b++) {
                        float[] row = new float[e];
                        System.arraycopy(flat, b * e, row, 0, e);
                        out[batch[b]] = row;
                    }
                }
            }
        }
        return out;
    }

    @Override
    public double[] fineTune(FineTuneTask task) {
        return new FineTuner(config, weights).run(task);
    }

    @Override
    public void close() {
    }
}
