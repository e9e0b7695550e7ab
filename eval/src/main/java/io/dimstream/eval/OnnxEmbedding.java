package io.dimstream.eval;

import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.OnnxEncoder;
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
        if (crystals.isEmpty()) {
            return new float[0][];
        }
        byte[] onnx = OnnxExporter.export(arch, weights, "sitenet-eval", 1);
        ModelMetadata meta = new ModelMetadata("sitenet-eval", 1, crystals.get(0).featurizerVersion(), arch.featureDim(),
                arch.embeddingDim(), arch.localDim(), OnnxExporter.inputs(arch), OnnxExporter.outputs(arch), Map.of(),
                io.dimstream.core.Sha256.hex(onnx), null, arch.toMap());
        int threads = Integer.getInteger("ai.djl.pytorch.num_threads", 0);
        try (OnnxEncoder enc = OnnxEncoder.fromBytes(onnx, meta,
                OnnxEncoder.Options.defaults().withDevice("cpu").withThreads(threads))) {
            return enc.embed(crystals);
        }
    }
}
