package io.dimstream.eval;

import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.encoder.Precision;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.onnx.OnnxExporter;
import java.util.List;
import java.util.Map;

/**
 * Bulk embeddings for the evaluation through the product's inference path: the weights are exported
 * to ONNX (the same exporter as {@code dimstream pretrain}) and run on ONNX Runtime (CPU), which is
 * several times faster than the DJL forward pass for large sets.
 */
final class OnnxEmbedding {

    private OnnxEmbedding() {
    }

    static float[][] embed(SiteNetConfig arch, Map<String, Params.Tensor> weights, List<FeaturizedCrystal> crystals) {
        return run(arch, weights, crystals, false, Precision.FP32);
    }

    static float[][] embed(SiteNetConfig arch, Map<String, Params.Tensor> weights, List<FeaturizedCrystal> crystals,
            Precision precision) {
        return run(arch, weights, crystals, false, precision);
    }

    /**
     * The global embedding joined with the mean and the standard deviation over real sites of the local
     * site vectors mu_i (the graph's second output): E + 2L values per crystal (64 + 2 x 32 = 128).
     */
    static float[][] embedWithPooledLocal(SiteNetConfig arch, Map<String, Params.Tensor> weights,
            List<FeaturizedCrystal> crystals, Precision precision) {
        return run(arch, weights, crystals, true, precision);
    }

    /** Mean and standard deviation over the rows (sites) of one crystal's local vectors, appended to its embedding. */
    static float[] pool(float[] embedding, float[][] local) {
        int l = local[0].length;
        float[] out = java.util.Arrays.copyOf(embedding, embedding.length + 2 * l);
        for (int k = 0; k < l; k++) {
            double m = 0;
            for (float[] site : local) {
                m += site[k];
            }
            m /= local.length;
            double v = 0;
            for (float[] site : local) {
                v += (site[k] - m) * (site[k] - m);
            }
            out[embedding.length + k] = (float) m;
            out[embedding.length + l + k] = (float) Math.sqrt(v / local.length);
        }
        return out;
    }

    private static float[][] run(SiteNetConfig arch, Map<String, Params.Tensor> weights, List<FeaturizedCrystal> crystals,
            boolean pooledLocal, Precision precision) {
        if (crystals.isEmpty()) {
            return new float[0][];
        }
        byte[] onnx = OnnxExporter.export(arch, weights, "sitenet-eval", 1);
        ModelMetadata meta = new ModelMetadata("sitenet-eval", 1, crystals.get(0).featurizerVersion(), arch.featureDim(),
                arch.embeddingDim(), arch.localDim(), OnnxExporter.inputs(arch), OnnxExporter.outputs(arch), Map.of(),
                io.dimstream.core.Sha256.hex(onnx), null, arch.toMap());
        int threads = Integer.getInteger("ai.djl.pytorch.num_threads", OnnxEncoder.Options.defaults().intraOpThreads());
        try (OnnxEncoder enc = OnnxEncoder.fromBytes(onnx, meta,
                OnnxEncoder.Options.defaults().withDevice("cpu").withThreads(threads).withPrecision(precision))) {
            if (!pooledLocal) {
                return enc.embed(crystals);
            }
            OnnxEncoder.Output o = enc.embedWithLocal(crystals);
            float[][] out = new float[crystals.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = pool(o.embeddings()[i], o.localVectors()[i]);
            }
            return out;
        }
    }
}
