package io.dimstream.core.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The ONNX Runtime encoder on the tiny model fixture (made by the trainer's TinyModelFixture tool). */
class OnnxEncoderTest {

    static Path fixture() {
        try {
            return Path.of(OnnxEncoderTest.class.getResource("/encoder/tiny-model/model.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Random point sets: S sites, J = 8S atoms, distances 1..7 A. */
    static List<FeaturizedCrystal> crystals(int n, int version, int f, long seed) {
        Random r = new Random(seed);
        List<FeaturizedCrystal> out = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            int s = 1 + r.nextInt(6);
            int j = 8 * s;
            float[] sf = new float[s * f];
            for (int i = 0; i < sf.length; i++) {
                sf[i] = (float) r.nextGaussian();
            }
            float[] d = new float[s * j];
            for (int i = 0; i < d.length; i++) {
                d[i] = 1f + 6f * r.nextFloat();
            }
            int[] img = new int[j];
            for (int a = 0; a < j; a++) {
                img[a] = a % s;
            }
            out.add(new FeaturizedCrystal("c" + c, version, s, j, f, sf, d, img, "X", "test"));
        }
        return out;
    }

    @Test
    void embedsInInputOrderWithModelDims() {
        try (OnnxEncoder enc = OnnxEncoder.load(fixture(), "cpu")) {
            assertEquals("sitenet-dim", enc.modelName());
            assertEquals(1, enc.modelVersion());
            assertEquals(SiteNetFeaturizer.VERSION, enc.featurizerVersion());
            assertEquals("cpu", enc.device());
            List<FeaturizedCrystal> cs = crystals(30, SiteNetFeaturizer.VERSION, 9, 1);
            float[][] all = enc.embed(cs);
            assertEquals(30, all.length);
            assertEquals(enc.embeddingDim(), all[0].length);
            for (int k = 0; k < cs.size(); k += 7) {
                float[] alone = enc.embed(List.of(cs.get(k)))[0];
                assertArrayEquals(alone, all[k], 1e-5f);
            }
            OnnxEncoder.Output o = enc.embedWithLocal(cs.subList(0, 3));
            assertEquals(cs.get(2).primSites(), o.localVectors()[2].length);
            assertEquals(8, o.localVectors()[2][0].length);
            assertEquals(0, enc.embed(List.of()).length);
        }
    }

    @Test
    void autoFallsBackToCpuWithoutCuda() {
        assumeFalse(OnnxEncoder.cudaDevicePresent(), "a CUDA device is present");
        try (OnnxEncoder enc = OnnxEncoder.load(fixture(), "auto")) {
            assertEquals("cpu", enc.device());
            assertEquals(3, enc.embed(crystals(3, SiteNetFeaturizer.VERSION, 9, 2)).length);
        }
    }

    @Test
    void explicitCudaWithoutCudaIsAClearError() {
        assumeFalse(OnnxEncoder.cudaDevicePresent(), "a CUDA device is present");
        EncoderException e = assertThrows(EncoderException.class, () -> OnnxEncoder.load(fixture(), "cuda:0"));
        assertEquals(EncoderException.DEVICE_UNAVAILABLE, e.code());
        EncoderException bad = assertThrows(EncoderException.class, () -> OnnxEncoder.load(fixture(), "gpu"));
        assertEquals(EncoderException.BAD_DEVICE, bad.code());
    }

    @Test
    void refusesOtherFeaturizerVersionsAndWidths() {
        try (OnnxEncoder enc = OnnxEncoder.load(fixture(), "cpu")) {
            EncoderException v = assertThrows(EncoderException.class, () -> enc.embed(crystals(2, SiteNetFeaturizer.VERSION - 1, 9, 3)));
            assertEquals(EncoderException.FEATURIZER_VERSION_MISMATCH, v.code());
            EncoderException f = assertThrows(EncoderException.class, () -> enc.embed(crystals(2, SiteNetFeaturizer.VERSION, 7, 3)));
            assertEquals(EncoderException.FEATURE_DIM_MISMATCH, f.code());
        }
    }

    @Test
    void validatesModelBeforeUse() throws Exception {
        Path dir = fixture();
        byte[] onnx = Files.readAllBytes(dir.resolve("model.onnx"));
        ModelMetadata meta = ModelMetadata.read(dir.resolve("model.json"));
        EncoderException sum = assertThrows(EncoderException.class,
                () -> OnnxEncoder.fromBytes(onnx, meta.withOnnxSha256("00".repeat(32)), "cpu"));
        assertEquals(EncoderException.CHECKSUM_MISMATCH, sum.code());
        List<TensorSpec> renamed = new ArrayList<>(meta.inputs());
        renamed.set(2, new TensorSpec("neighbour_index", "int64", List.of("B", "J")));
        ModelMetadata wrongInputs = new ModelMetadata(meta.name(), meta.version(), meta.featurizerVersion(),
                meta.featureDim(), meta.embeddingDim(), meta.localDim(), renamed, meta.outputs(), meta.metrics(),
                meta.onnxSha256(), meta.createdAt(), meta.config());
        EncoderException sig = assertThrows(EncoderException.class, () -> OnnxEncoder.fromBytes(onnx, wrongInputs, "cpu"));
        assertEquals(EncoderException.MODEL_SIGNATURE_MISMATCH, sig.code());
        // a model exported before featurizer v2 declares image_of [B,J]: refused with a hint, not a runtime error
        List<TensorSpec> legacy = new ArrayList<>(meta.inputs());
        legacy.set(2, new TensorSpec("image_of", "int64", List.of("B", "J")));
        ModelMetadata legacyMeta = new ModelMetadata(meta.name(), meta.version(), meta.featurizerVersion(),
                meta.featureDim(), meta.embeddingDim(), meta.localDim(), legacy, meta.outputs(), meta.metrics(),
                meta.onnxSha256(), meta.createdAt(), meta.config());
        EncoderException old = assertThrows(EncoderException.class, () -> OnnxEncoder.fromBytes(onnx, legacyMeta, "cpu"));
        assertEquals(EncoderException.MODEL_SIGNATURE_MISMATCH, old.code());
        assertTrue(old.getMessage().contains("before featurizer v2"), old.getMessage());
        ModelMetadata wrongF = new ModelMetadata(meta.name(), meta.version(), meta.featurizerVersion(), 12,
                meta.embeddingDim(), meta.localDim(), meta.inputs(), meta.outputs(), meta.metrics(), meta.onnxSha256(),
                meta.createdAt(), meta.config());
        EncoderException fd = assertThrows(EncoderException.class, () -> OnnxEncoder.fromBytes(onnx, wrongF, "cpu"));
        assertEquals(EncoderException.MODEL_SIGNATURE_MISMATCH, fd.code());
        EncoderException garbage = assertThrows(EncoderException.class,
                () -> OnnxEncoder.fromBytes(new byte[] {1, 2, 3}, meta.withOnnxSha256(null), "cpu"));
        assertEquals(EncoderException.BAD_MODEL, garbage.code());
        // bytes + metadata (as the streams app gets them from Kafka) work
        try (OnnxEncoder enc = OnnxEncoder.fromBytes(onnx, ModelMetadata.fromJson(meta.toJson()), "cpu")) {
            assertEquals(2, enc.embed(crystals(2, SiteNetFeaturizer.VERSION, 9, 4)).length);
        }
    }

    @Test
    void threadSafeAndClosable() throws Exception {
        List<FeaturizedCrystal> cs = crystals(40, SiteNetFeaturizer.VERSION, 9, 5);
        OnnxEncoder enc = OnnxEncoder.load(fixture(), OnnxEncoder.Options.defaults().withDevice("cpu").withThreads(1));
        float[][] ref = enc.embed(cs);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[][]>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                fs.add(pool.submit(() -> enc.embed(cs)));
            }
            for (Future<float[][]> f : fs) {
                float[][] got = f.get();
                for (int b = 0; b < ref.length; b++) {
                    assertArrayEquals(ref[b], got[b], 1e-6f);
                }
            }
        } finally {
            pool.shutdown();
        }
        enc.close();
        enc.close();
        assertThrows(IllegalStateException.class, () -> enc.embed(cs));
    }

    @Test
    void sizeBatcherRespectsCaps() {
        List<FeaturizedCrystal> cs = crystals(50, SiteNetFeaturizer.VERSION, 9, 6);
        List<int[]> plan = SizeBatcher.plan(cs, 20, 100_000, 8);
        boolean[] seen = new boolean[cs.size()];
        for (int[] g : plan) {
            int sites = 0;
            for (int i : g) {
                sites += cs.get(i).primSites();
                seen[i] = true;
            }
            assertEquals(true, g.length <= 8 && (sites <= 20 || g.length == 1));
        }
        for (boolean s : seen) {
            assertEquals(true, s);
        }
    }
}
