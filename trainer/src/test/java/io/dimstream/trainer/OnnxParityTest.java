package io.dimstream.trainer;

import io.dimstream.core.Sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.encoder.PaddedBatch;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.model.SiteNetModel;
import io.dimstream.trainer.onnx.OnnxExporter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OnnxParityTest {

    static ModelMetadata meta(SiteNetConfig cfg, byte[] onnx) {
        return new ModelMetadata("sitenet-dim", 1, io.dimstream.core.featurize.SiteNetFeaturizer.VERSION, cfg.featureDim(), cfg.embeddingDim(), cfg.localDim(),
                OnnxExporter.inputs(cfg), OnnxExporter.outputs(cfg), Map.of(), Sha256.hex(onnx), null,
                cfg.toMap());
    }

    @Test
    void djlAndOnnxRuntimeAgreeOnMixedSizes() {
        SiteNetConfig cfg = SiteNetConfig.defaults();
        // a third of them with per-site neighbour lists (featurizer v2's large-cell layout): batches of
        // shared supercells only (image_of [B,1,J]) and mixed ones ([B,S,J]) both occur
        List<FeaturizedCrystal> crystals = SyntheticCrystals.generateMixed(24, 7, 8, 12);
        assertTrue(crystals.stream().anyMatch(FeaturizedCrystal::perSiteNeighbours));
        try (NDManager m = NDManager.newBaseManager(); Params p = Params.init(m, cfg, 3)) {
            SiteNetModel model = new SiteNetModel(cfg, p);
            PaddedBatch pb = PaddedBatch.of(crystals);
            float[] djlEmb;
            float[] djlLocal;
            try (NDManager step = m.newSubManager()) {
                NDArray[] out = model.infer(SiteNetModel.Inputs.of(step, pb));
                djlEmb = out[0].toFloatArray();
                djlLocal = out[1].toFloatArray();
            }
            byte[] onnx = OnnxExporter.export(cfg, p.toHost(), "sitenet-dim", 1);
            try (OnnxEncoder enc = OnnxEncoder.fromBytes(onnx, meta(cfg, onnx), "cpu")) {
                OnnxEncoder.Output o = enc.embedWithLocal(crystals);
                double maxDiff = 0;
                for (int b = 0; b < crystals.size(); b++) {
                    for (int k = 0; k < cfg.embeddingDim(); k++) {
                        maxDiff = Math.max(maxDiff, Math.abs(o.embeddings()[b][k] - djlEmb[b * cfg.embeddingDim() + k]));
                    }
                    for (int i = 0; i < crystals.get(b).primSites(); i++) {
                        for (int k = 0; k < cfg.localDim(); k++) {
                            float ref = djlLocal[(b * pb.maxSites + i) * cfg.localDim() + k];
                            maxDiff = Math.max(maxDiff, Math.abs(o.localVectors()[b][i][k] - ref));
                        }
                    }
                }
                System.out.println("max |DJL - ORT| = " + maxDiff);
                assertTrue(maxDiff <= 1e-4, "max abs diff " + maxDiff);
                assertEquals(64, o.embeddings()[0].length);
            }
        }
    }
}
