package io.dimstream.core.encoder;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a verified fp32 encoder graph into a reduced-precision one (see {@link Precision}). Pure
 * graph surgery on the ONNX protobuf: no new weights are learned, the quantized weights are computed
 * from the fp32 ones.
 *
 * <p>int8: each {@code MatMul(X, W)} whose W is a 2-D float initializer becomes
 * {@code com.microsoft.DynamicQuantizeMatMul(X, Wq, scale, zero)} with {@code scale[c] = max_k |W[k,c]| / 127}
 * and {@code Wq = round(W / scale)} (symmetric, per output column, zero point 0).
 *
 * <p>fp16 / bf16: every float initializer is converted (round to nearest even); float graph inputs get a
 * Cast to the reduced type and float outputs a Cast back, so callers feed and read fp32 as before. Two
 * constants are adapted to half precision's range (max 65,504): the attention mask's large negative is
 * clamped to −65,504 (exp of it is still exactly 0), and Mish's clamp on the exponent drops from 20 to 5
 * (e^5 (e^5 + 2) ≈ 22,000 stays finite; at x = 5 the Mish factor is 1 − 2·10⁻⁵, below half precision's
 * resolution at 1).
 */
public final class PrecisionRewriter {
    static final float HALF_MAX = 65504f;
    static final String MISH_CLAMP = "mish_clamp";
    static final float MISH_CLAMP_HALF = 5f;

    /**
     * The weights int8 applies to: those multiplied with per-pair [B,S,J,·] tensors (the interaction
     * weights {@code *.Wc} of the attention and value pair layers, and the attention logit {@code att.out.W}),
     * where the time goes. Site- and crystal-level matmuls stay fp32: quantizing them too cost accuracy
     * (min cosine to fp32 0.9984 on 2,048 MP crystals) for no measurable speed.
     */
    static final java.util.regex.Pattern INT8_WEIGHTS =
            java.util.regex.Pattern.compile(".*\\.Wc|att\\.out\\.W");

    private PrecisionRewriter() {}

    /** The graph at {@code precision}; fp32 returns the input unchanged. */
    public static byte[] rewrite(byte[] onnx, Precision precision) {
        if (precision == Precision.FP32) {
            return onnx;
        }
        ModelProto model;
        try {
            model = ModelProto.parseFrom(onnx);
        } catch (InvalidProtocolBufferException e) {
            throw new EncoderException(EncoderException.BAD_MODEL, "model.onnx is not an ONNX model: " + e.getMessage(), e);
        }
        ModelProto out = switch (precision) {
            case INT8 -> int8(model);
            case FP16 -> reduced(model, TensorProto.DataType.FLOAT16_VALUE);
            case BF16 -> reduced(model, TensorProto.DataType.BFLOAT16_VALUE);
            case FP32 -> model;
        };
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- int8

    private static ModelProto int8(ModelProto model) {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> inits = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            inits.put(t.getName(), t);
        }
        Map<String, Integer> uses = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) {
                uses.merge(in, 1, Integer::sum);
            }
        }
        List<NodeProto> nodes = new ArrayList<>();
        List<TensorProto> added = new ArrayList<>();
        Set<String> quantized = new HashSet<>();
        Set<String> dropped = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            TensorProto w = n.getOpType().equals("MatMul") && n.getInputCount() == 2 ? inits.get(n.getInput(1)) : null;
            if (w == null || w.getDataType() != TensorProto.DataType.FLOAT_VALUE || w.getDimsCount() != 2
                    || !INT8_WEIGHTS.matcher(w.getName()).matches()) {
                nodes.add(n);
                continue;
            }
            String name = w.getName();
            if (quantized.add(name)) {
                int rows = (int) w.getDims(0);
                int cols = (int) w.getDims(1);
                float[] v = floats(w);
                float[] scale = new float[cols];
                byte[] q = new byte[rows * cols];
                for (int c = 0; c < cols; c++) {
                    float max = 0;
                    for (int r = 0; r < rows; r++) {
                        max = Math.max(max, Math.abs(v[r * cols + c]));
                    }
                    scale[c] = max > 0 ? max / 127f : 1f;
                    for (int r = 0; r < rows; r++) {
                        long k = Math.round(v[r * cols + c] / scale[c]);
                        q[r * cols + c] = (byte) Math.max(-127, Math.min(127, k));
                    }
                }
                added.add(TensorProto.newBuilder().setName(name + "_int8").setDataType(TensorProto.DataType.INT8_VALUE)
                        .addDims(rows).addDims(cols).setRawData(ByteString.copyFrom(q)).build());
                added.add(floatTensor(name + "_scale", scale));
                added.add(TensorProto.newBuilder().setName(name + "_zero").setDataType(TensorProto.DataType.INT8_VALUE)
                        .addDims(cols).setRawData(ByteString.copyFrom(new byte[cols])).build());
            }
            if (uses.merge(name, -1, Integer::sum) == 0) {
                dropped.add(name);
            }
            nodes.add(NodeProto.newBuilder().setOpType("DynamicQuantizeMatMul").setDomain("com.microsoft")
                    .setName(n.getName().isEmpty() ? n.getOutput(0) + "_dqmm" : n.getName())
                    .addInput(n.getInput(0)).addInput(name + "_int8").addInput(name + "_scale").addInput(name + "_zero")
                    .addOutput(n.getOutput(0)).build());
        }
        GraphProto.Builder gb = g.toBuilder().clearNode().addAllNode(nodes).clearInitializer();
        for (TensorProto t : g.getInitializerList()) {
            if (!dropped.contains(t.getName())) {
                gb.addInitializer(t);
            }
        }
        gb.addAllInitializer(added);
        return withMicrosoftDomain(model.toBuilder().setGraph(gb)).build();
    }

    private static ModelProto.Builder withMicrosoftDomain(ModelProto.Builder m) {
        for (OperatorSetIdProto o : m.getOpsetImportList()) {
            if (o.getDomain().equals("com.microsoft")) {
                return m;
            }
        }
        return m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1));
    }

    // ---------------------------------------------------------------- fp16 / bf16

    private static ModelProto reduced(ModelProto model, int type) {
        GraphProto g = model.getGraph();
        Set<String> floatInputs = new HashSet<>();
        for (ValueInfoProto v : g.getInputList()) {
            if (v.getType().getTensorType().getElemType() == TensorProto.DataType.FLOAT_VALUE) {
                floatInputs.add(v.getName());
            }
        }
        Set<String> floatOutputs = new HashSet<>();
        for (ValueInfoProto v : g.getOutputList()) {
            if (v.getType().getTensorType().getElemType() == TensorProto.DataType.FLOAT_VALUE) {
                floatOutputs.add(v.getName());
            }
        }
        String suffix = type == TensorProto.DataType.FLOAT16_VALUE ? "_fp16" : "_bf16";
        List<NodeProto> nodes = new ArrayList<>();
        for (String in : g.getInputList().stream().map(ValueInfoProto::getName).toList()) {
            if (floatInputs.contains(in)) {
                nodes.add(cast(in, in + suffix, type));
            }
        }
        List<NodeProto> tail = new ArrayList<>();
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Cast")) {
                throw new EncoderException(EncoderException.PRECISION_UNSUPPORTED,
                        "the graph already contains Cast nodes; it was not exported by dimstream's exporter");
            }
            NodeProto.Builder b = n.toBuilder().clearInput();
            for (String in : n.getInputList()) {
                b.addInput(floatInputs.contains(in) ? in + suffix : in);
            }
            b.clearOutput();
            for (String o : n.getOutputList()) {
                if (floatOutputs.contains(o)) {
                    b.addOutput(o + suffix);
                    tail.add(cast(o + suffix, o, TensorProto.DataType.FLOAT_VALUE));
                } else {
                    b.addOutput(o);
                }
            }
            nodes.add(b.build());
        }
        nodes.addAll(tail);
        GraphProto.Builder gb = g.toBuilder().clearNode().addAllNode(nodes).clearInitializer().clearValueInfo();
        for (TensorProto t : g.getInitializerList()) {
            gb.addInitializer(t.getDataType() == TensorProto.DataType.FLOAT_VALUE ? convert(t, type) : t);
        }
        return model.toBuilder().setGraph(gb).build();
    }

    private static NodeProto cast(String in, String out, int to) {
        return NodeProto.newBuilder().setOpType("Cast").setName("cast_" + out).addInput(in).addOutput(out)
                .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(to))
                .build();
    }

    private static TensorProto convert(TensorProto t, int type) {
        float[] v = floats(t);
        boolean half = type == TensorProto.DataType.FLOAT16_VALUE;
        ByteBuffer bb = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            if (half) {
                if (t.getName().equals(MISH_CLAMP)) {
                    x = Math.min(x, MISH_CLAMP_HALF);
                }
                x = Math.max(-HALF_MAX, Math.min(HALF_MAX, x));
                bb.putShort(toHalf(x));
            } else {
                bb.putShort(toBfloat16(x));
            }
        }
        return TensorProto.newBuilder().setName(t.getName()).setDataType(type).addAllDims(t.getDimsList())
                .setRawData(ByteString.copyFrom(bb.array())).build();
    }

    /** IEEE 754 binary16, round to nearest even; overflow to ±inf, subnormals kept. */
    static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++; // may carry into the exponent, which is the correct rounding (up to inf)
        }
        return (short) (sign | half);
    }

    /** bfloat16: the upper 16 bits of the float, rounded to nearest even. */
    static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** binary16 → float (for tests and reports). */
    static float fromHalf(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant / 1024f * (float) Math.pow(2, -14);
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    private static float[] floats(TensorProto t) {
        if (!t.getRawData().isEmpty()) {
            ByteBuffer bb = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[bb.remaining() / 4];
            bb.asFloatBuffer().get(v);
            return v;
        }
        float[] v = new float[t.getFloatDataCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.getFloatData(i);
        }
        return v;
    }

    private static TensorProto floatTensor(String name, float[] v) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(v.length)
                .setRawData(ByteString.copyFrom(bb.array())).build();
    }
}
