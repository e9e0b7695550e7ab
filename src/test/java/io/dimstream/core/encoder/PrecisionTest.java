package io.dimstream.core.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.dimstream.core.cif.CifException;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.FeaturizerException;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.CifInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Reduced-precision graphs and the load-time LayerNorm fusion, on the shipped base model (real weights) and
 * real MP structures: the bundled sample always, the shared validation split when ../shared is present.
 */
class PrecisionTest {
    static final Path BASE = Path.of("..", "models", "base");
    static final Path SHARED_VAL = Path.of("..", "..", "shared", "data", "val.csv.gz");

    static List<FeaturizedCrystal> load(Path csv, int limit) throws Exception {
        SiteNetFeaturizer f = new SiteNetFeaturizer();
        List<FeaturizedCrystal> out = new ArrayList<>();
        try (Stream<CifInputs.Entry> entries = CifInputs.entries(csv, false)) {
            for (CifInputs.Entry e : (Iterable<CifInputs.Entry>) entries::iterator) {
                if (!e.ok() || out.size() >= limit) {
                    continue;
                }
                try {
                    for (Structure s : CifInputs.parse(e.raw())) {
                        out.add(f.featurize(s, s.id(), "test"));
                    }
                } catch (CifException | FeaturizerException ignored) {
                    // the contract is about crystals that embed
                }
            }
        }
        return out;
    }

    static Path sample() throws Exception {
        return Path.of(PrecisionTest.class.getResource("/mp-sample.csv.gz").toURI());
    }

    static float[][] embed(List<FeaturizedCrystal> cs, OnnxEncoder.Options o) {
        try (OnnxEncoder enc = OnnxEncoder.load(BASE, o.withDevice("cpu").withThreads(1))) {
            return enc.embed(cs);
        }
    }

    /** The contract on one data set: every crystal's int8 and fp16 embedding within cosine 0.999 of fp32. */
    static void checkContract(List<FeaturizedCrystal> cs) {
        OnnxEncoder.Options d = OnnxEncoder.Options.defaults();
        float[][] fp32 = embed(cs, d.withFusedLayerNorm(false));
        for (Precision p : List.of(Precision.INT8, Precision.FP16)) {
            double[] cos = PrecisionContract.cosines(fp32, embed(cs, d.withPrecision(p)));
            assertTrue(cos[0] >= PrecisionContract.MIN_COSINE, p + ": worst crystal cosine " + cos[0] + " over " + cs.size());
            assertTrue(cos[cos.length / 2] > 0.9999, p + ": median cosine " + cos[cos.length / 2]);
        }
    }

    @Test
    void reducedPrecisionsKeepTheContractOnTheBundledSample() throws Exception {
        List<FeaturizedCrystal> cs = load(sample(), 400);
        assertTrue(cs.size() >= 100, "sample crystals: " + cs.size());
        checkContract(cs);
    }

    @Test
    void reducedPrecisionsKeepTheContractOnTheSharedValidationSplit() throws Exception {
        assumeTrue(Files.exists(SHARED_VAL), "../shared/data/val.csv.gz absent: the shared-data contract check is skipped");
        List<FeaturizedCrystal> cs = load(SHARED_VAL, Integer.MAX_VALUE);
        assertTrue(cs.size() > 3000, "val crystals: " + cs.size());
        checkContract(cs);
    }

    @Test
    void fusedLayerNormComputesTheSameEmbeddings() throws Exception {
        List<FeaturizedCrystal> cs = load(sample(), 200);
        OnnxEncoder.Options d = OnnxEncoder.Options.defaults();
        float[][] plain = embed(cs, d.withFusedLayerNorm(false));
        float[][] fused = embed(cs, d);
        float max = 0;
        for (int i = 0; i < cs.size(); i++) {
            for (int k = 0; k < plain[i].length; k++) {
                max = Math.max(max, Math.abs(plain[i][k] - fused[i][k]));
            }
        }
        assertTrue(max < 1e-4f, "max |fused - plain| = " + max);
        // local vectors too (the search and the prototype check use them)
        try (OnnxEncoder a = OnnxEncoder.load(BASE, d.withDevice("cpu").withFusedLayerNorm(false));
                OnnxEncoder b = OnnxEncoder.load(BASE, d.withDevice("cpu"))) {
            float[][][] la = a.embedWithLocal(cs.subList(0, 20)).localVectors();
            float[][][] lb = b.embedWithLocal(cs.subList(0, 20)).localVectors();
            for (int i = 0; i < 20; i++) {
                for (int s = 0; s < la[i].length; s++) {
                    for (int k = 0; k < la[i][s].length; k++) {
                        assertEquals(la[i][s][k], lb[i][s][k], 1e-4f);
                    }
                }
            }
        }
    }

    @Test
    void fusionReplacesEveryLayerNormOfTheExportedGraph() throws Exception {
        byte[] onnx = Files.readAllBytes(BASE.resolve("model.onnx"));
        ModelProto before = ModelProto.parseFrom(onnx);
        ModelProto after = ModelProto.parseFrom(GraphOptimizer.fuseLayerNorm(onnx));
        long lnBefore = count(before, "LayerNormalization");
        assertTrue(lnBefore >= 6, "layer norms in the base model: " + lnBefore);
        assertEquals(0, count(after, "LayerNormalization"));
        assertEquals(lnBefore, count(after, "SkipLayerNormalization"));
        // each fused Mish loses its final multiply and Div's consumer; no dangling inputs
        java.util.Set<String> produced = new java.util.HashSet<>();
        after.getGraph().getInputList().forEach(v -> produced.add(v.getName()));
        after.getGraph().getInitializerList().forEach(t -> produced.add(t.getName()));
        after.getGraph().getNodeList().forEach(n -> produced.addAll(n.getOutputList()));
        for (NodeProto n : after.getGraph().getNodeList()) {
            for (String in : n.getInputList()) {
                assertTrue(in.isEmpty() || produced.contains(in), n.getName() + " reads undefined " + in);
            }
        }
    }

    static long count(ModelProto m, String op) {
        return m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).count();
    }

    @Test
    void int8QuantizesThePairWeightsPerColumn() throws Exception {
        byte[] onnx = Files.readAllBytes(BASE.resolve("model.onnx"));
        ModelProto q = ModelProto.parseFrom(PrecisionRewriter.rewrite(onnx, Precision.INT8));
        List<String> quantized = q.getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("DynamicQuantizeMatMul")).map(n -> n.getInput(1)).sorted().toList();
        assertEquals(List.of("att.Wc_int8", "att.out.W_int8", "val.Wc_int8"), quantized);
        TensorProto scale = q.getGraph().getInitializerList().stream().filter(t -> t.getName().equals("att.Wc_scale"))
                .findFirst().orElseThrow();
        assertEquals(1, scale.getDimsCount());
        TensorProto w = ModelProto.parseFrom(onnx).getGraph().getInitializerList().stream()
                .filter(t -> t.getName().equals("att.Wc")).findFirst().orElseThrow();
        assertEquals(w.getDims(1), scale.getDims(0), "one scale per output column");
        assertFalse(q.getGraph().getInitializerList().stream().anyMatch(t -> t.getName().equals("att.Wc")),
                "the fp32 copy of a quantized weight is dropped");
    }

    @Test
    void bf16HasNoCpuKernelsAndSaysSo() {
        EncoderException e = assertThrows(EncoderException.class, () -> OnnxEncoder.load(BASE,
                OnnxEncoder.Options.defaults().withDevice("cpu").withPrecision(Precision.BF16)));
        assertEquals(EncoderException.PRECISION_UNSUPPORTED, e.code());
        assertTrue(e.getMessage().contains("bf16"), e.getMessage());
    }

    @Test
    void parsesPrecisionNames() {
        assertEquals(Precision.INT8, Precision.parse(" Int8 "));
        assertEquals(Precision.FP32, Precision.parse(null));
        EncoderException e = assertThrows(EncoderException.class, () -> Precision.parse("fp8"));
        assertEquals(EncoderException.PRECISION_UNSUPPORTED, e.code());
    }

    @Test
    void halfAndBfloat16ConversionsRoundToNearestEven() {
        assertEquals(1f, PrecisionRewriter.fromHalf(PrecisionRewriter.toHalf(1f)));
        assertEquals(65504f, PrecisionRewriter.fromHalf(PrecisionRewriter.toHalf(65504f)));
        assertTrue(Float.isInfinite(PrecisionRewriter.fromHalf(PrecisionRewriter.toHalf(70000f))));
        assertEquals(-2f, PrecisionRewriter.fromHalf(PrecisionRewriter.toHalf(-2f)));
        // 1 + 2^-11 is exactly half-way between 1 and the next half (1 + 2^-10): ties to even (1)
        assertEquals(1f, PrecisionRewriter.fromHalf(PrecisionRewriter.toHalf(1f + (float) Math.pow(2, -11))));
        assertEquals(1f + (float) Math.pow(2, -10) * 2, PrecisionRewriter.fromHalf(
                PrecisionRewriter.toHalf(1f + 3 * (float) Math.pow(2, -11))));
        // subnormal: 2^-24 is the smallest half
        assertEquals((float) Math.pow(2, -24), PrecisionRewriter.fromHalf(PrecisionRewriter.toHalf((float) Math.pow(2, -24))));
        for (float x : new float[] {0.1f, -3.14159f, 1234.5f, 1e-3f}) {
            float back = PrecisionRewriter.fromHalf(PrecisionRewriter.toHalf(x));
            assertEquals(x, back, Math.abs(x) * 1e-3f, "half of " + x);
            float bf = Float.intBitsToFloat(PrecisionRewriter.toBfloat16(x) << 16);
            assertEquals(x, bf, Math.abs(x) * 8e-3f, "bf16 of " + x);
        }
        // bf16 ties to even: 1 + 2^-8 is half-way between 1 and 1 + 2^-7
        assertEquals(1f, Float.intBitsToFloat(PrecisionRewriter.toBfloat16(1f + (float) Math.pow(2, -8)) << 16));
    }
}
