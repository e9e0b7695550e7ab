package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.encoder.PaddedBatch;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.data.Corpus;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.model.SiteNetModel;
import io.dimstream.trainer.onnx.OnnxExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Real crystals: the 37 CIFs bundled in core's test resources (COD public domain, Materials Project
 * CC BY 4.0; see SOURCES.txt there), and the shared MP training set when present.
 */
class RealCorpusTest {

    static List<FeaturizedCrystal> cifSamples() throws Exception {
        Path dir = Path.of("..", "src", "test", "resources", "cif_samples");
        Assumptions.assumeTrue(Files.isDirectory(dir), "core's cif_samples not found at " + dir.toAbsolutePath());
        return Corpus.load(List.of(dir), 0, new SiteNetFeaturizer()).crystals();
    }

    @Test
    void onnxParityOnRealCrystalsOfMixedSizes() throws Exception {
        List<FeaturizedCrystal> real = cifSamples();
        assertTrue(real.size() >= 20, "featurized " + real.size() + " real CIFs");
        SiteNetConfig cfg = SiteNetConfig.defaults();
        try (NDManager m = NDManager.newBaseManager(); Params p = Params.init(m, cfg, 17)) {
            SiteNetModel model = new SiteNetModel(cfg, p);
            byte[] onnx = OnnxExporter.export(cfg, p.toHost(), "sitenet-dim", 1);
            try (OnnxEncoder enc = OnnxEncoder.fromBytes(onnx, OnnxParityTest.meta(cfg, onnx), "cpu")) {
                float[][] ort = enc.embed(real);
                PaddedBatch pb = PaddedBatch.of(real);
                float[] djl;
                try (NDManager s = m.newSubManager()) {
                    NDArray[] out = model.infer(SiteNetModel.Inputs.of(s, pb));
                    djl = out[0].toFloatArray();
                }
                double max = 0;
                for (int b = 0; b < real.size(); b++) {
                    for (int k = 0; k < cfg.embeddingDim(); k++) {
                        max = Math.max(max, Math.abs(ort[b][k] - djl[b * cfg.embeddingDim() + k]));
                    }
                }
                System.out.printf("real parity: %d crystals, S up to %d, J up to %d, max |diff| %.2e%n", real.size(),
                        pb.maxSites, pb.maxAtoms, max);
                assertTrue(max <= 1e-4, "max abs diff " + max);
            }
        }
    }

    @Test
    void dimOnSharedMaterialsProjectSlice() throws Exception {
        Path csv = Path.of(System.getProperty("dimstream.shared.dir", "../shared/data"), "train.csv.gz");
        Assumptions.assumeTrue(Files.isRegularFile(csv), "shared data " + csv + " absent: skipping the MP slice test");
        List<FeaturizedCrystal> all = Corpus.load(List.of(csv), 240, new SiteNetFeaturizer()).crystals();
        List<List<FeaturizedCrystal>> split = Corpus.split(all, 0.2, 1);
        TrainResult r = new DimTrainer(DimTrainerTest.tiny(3)).train(split.get(0), split.get(1), Budget.epochs(5),
                Optional.empty(), null);
        System.out.println("MP slice initial " + r.initialValidation());
        System.out.println("MP slice final   " + r.validation());
        System.out.printf("MP slice: %d train, %d steps, %.1f structures/s%n", split.get(0).size(), r.steps(),
                r.structuresPerSecond());
        assertTrue(r.validation().get("val_total") < r.initialValidation().get("val_total"));
        assertTrue(r.validation().get("val_local_dim") < r.initialValidation().get("val_local_dim"));
        assertTrue(r.validation().get("val_local_acc") > 0.6, r.validation().toString());
        assertTrue(r.validation().get("val_global_acc") > 0.6, r.validation().toString());
    }
}
