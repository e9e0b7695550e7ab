package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.encoder.PaddedBatch;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.model.SiteNetModel;
import io.dimstream.trainer.onnx.OnnxExporter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Padding and batching never change a crystal's embedding. */
class MaskingTest {
    static final SiteNetConfig CFG = SiteNetConfig.defaults();
    static NDManager manager;
    static Params params;
    static SiteNetModel model;
    static final List<FeaturizedCrystal> CRYSTALS = SyntheticCrystals.generateMixed(20, 11, 7, 12);

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        params = Params.init(manager, CFG, 21);
        model = new SiteNetModel(CFG, params);
    }

    @AfterAll
    static void tearDown() {
        params.close();
        manager.close();
    }

    static float[] embed(PaddedBatch pb) {
        try (NDManager m = manager.newSubManager()) {
            return model.infer(SiteNetModel.Inputs.of(m, pb))[0].toFloatArray();
        }
    }

    /** Fills every padded slot with large random garbage (finite), masks untouched. */
    static void poison(PaddedBatch pb, long seed) {
        Random r = new Random(seed);
        for (int b = 0; b < pb.batch; b++) {
            for (int i = 0; i < pb.maxSites; i++) {
                for (int j = 0; j < pb.maxAtoms; j++) {
                    if (i >= pb.sites[b] || j >= pb.atoms[b]) {
                        pb.distances[(b * pb.maxSites + i) * pb.maxAtoms + j] = 1000f * r.nextFloat();
                    }
                }
                if (i >= pb.sites[b]) {
                    for (int k = 0; k < pb.featureDim; k++) {
                        pb.siteFeatures[(b * pb.maxSites + i) * pb.featureDim + k] = 100f * (float) r.nextGaussian();
                    }
                }
            }
            for (int row = 0; row < pb.imageRows; row++) {
                for (int j = 0; j < pb.maxAtoms; j++) {
                    if (row >= pb.sites[b] || j >= pb.atoms[b]) {
                        pb.imageOf[(b * pb.imageRows + row) * pb.maxAtoms + j] = r.nextInt(pb.maxSites);
                    }
                }
            }
        }
    }

    @Test
    void paddingValuesNeverLeak() {
        int e = CFG.embeddingDim();
        for (FeaturizedCrystal c : CRYSTALS.subList(0, 6)) {
            float[] tight = embed(PaddedBatch.of(List.of(c)));
            PaddedBatch padded = PaddedBatch.of(List.of(c), c.primSites() + 5, c.supercellSites() + 40);
            poison(padded, c.id().hashCode());
            float[] loose = embed(padded);
            for (int k = 0; k < e; k++) {
                assertEquals(tight[k], loose[k], 1e-5f, c.id() + " dim " + k);
            }
        }
    }

    @Test
    void aloneEqualsInBatchDjl() {
        int e = CFG.embeddingDim();
        PaddedBatch all = PaddedBatch.of(CRYSTALS);
        poison(all, 3);
        float[] batch = embed(all);
        for (int b = 0; b < CRYSTALS.size(); b++) {
            float[] alone = embed(PaddedBatch.of(List.of(CRYSTALS.get(b))));
            for (int k = 0; k < e; k++) {
                assertEquals(alone[k], batch[b * e + k], 1e-5f);
            }
        }
    }

    @Test
    void aloneEqualsInBatchOnnxRuntime() {
        byte[] onnx = OnnxExporter.export(CFG, params.toHost(), "sitenet-dim", 1);
        List<FeaturizedCrystal> shuffled = new ArrayList<>(CRYSTALS);
        java.util.Collections.shuffle(shuffled, new Random(1));
        try (OnnxEncoder enc = OnnxEncoder.fromBytes(onnx, OnnxParityTest.meta(CFG, onnx), "cpu")) {
            float[][] batch = enc.embed(shuffled);
            double maxDiff = 0;
            for (int b = 0; b < shuffled.size(); b++) {
                float[] alone = enc.embed(List.of(shuffled.get(b)))[0];
                for (int k = 0; k < alone.length; k++) {
                    maxDiff = Math.max(maxDiff, Math.abs(alone[k] - batch[b][k]));
                }
            }
            assertTrue(maxDiff < 1e-5, "alone vs batch max diff " + maxDiff);
            // row order is input order
            float[][] again = enc.embed(List.of(shuffled.get(3), shuffled.get(0)));
            assertEquals(batch[3][0], again[0][0], 1e-5f);
            assertEquals(batch[0][0], again[1][0], 1e-5f);
        }
    }

    @Test
    void sharedAndPerSiteLayoutsOfOneSupercellEmbedTheSame() {
        // one graph, two layouts of image_of: [B,1,J] broadcast over the sites, or [B,S,J] one list per row
        int e = CFG.embeddingDim();
        for (FeaturizedCrystal c : SyntheticCrystals.generate(6, 5, 7)) {
            float[] shared = embed(PaddedBatch.of(List.of(c)));
            PaddedBatch rows = PaddedBatch.of(List.of(SyntheticCrystals.asPerSiteLayout(c)));
            assertEquals(c.primSites() > 1 ? c.primSites() : 1, rows.imageRows);
            float[] perSite = embed(rows);
            for (int k = 0; k < e; k++) {
                assertEquals(shared[k], perSite[k], 1e-5f, c.id() + " dim " + k);
            }
        }
    }

    @Test
    void embeddingsDifferBetweenCrystals() {
        float[] all = embed(PaddedBatch.of(CRYSTALS.subList(0, 2)));
        double d = 0;
        for (int k = 0; k < CFG.embeddingDim(); k++) {
            d += Math.abs(all[k] - all[CFG.embeddingDim() + k]);
        }
        assertTrue(d > 1e-3);
    }
}
