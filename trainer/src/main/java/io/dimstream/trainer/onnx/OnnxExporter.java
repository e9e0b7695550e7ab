package io.dimstream.trainer.onnx;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.TensorSpec;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.model.SiteNetModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the ONNX inference graph of the Site-Net encoder in Java from trained weights (DJL cannot
 * export ONNX). The graph computes exactly {@link SiteNetModel#infer}: inputs
 * {@code site_features [B,S,F]}, {@code distances [B,S,J]}, {@code image_of [B,R,J] int64} (R = 1 or S),
 * {@code site_mask [B,S]}, {@code atom_mask [B,J]}; outputs {@code embedding [B,E]} and
 * {@code local [B,S,L]}, with B, S, J dynamic. Opset 17 (LayerNormalization), plain ops otherwise.
 */
public final class OnnxExporter {
    public static final int OPSET = 17;

    private final SiteNetConfig cfg;
    private final Map<String, Params.Tensor> w;
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> inits = new ArrayList<>();
    private int counter;

    private OnnxExporter(SiteNetConfig cfg, Map<String, Params.Tensor> weights) {
        this.cfg = cfg;
        this.w = weights;
    }

    /** The serialized ONNX model for these weights. */
    public static byte[] export(SiteNetConfig cfg, Map<String, Params.Tensor> weights, String modelName, int version) {
        return new OnnxExporter(cfg, weights).build(modelName, version).toByteArray();
    }

    /** The graph's inputs with concrete feature width (as recorded in model.json). */
    public static List<TensorSpec> inputs(SiteNetConfig cfg) {
        return concrete(ModelMetadata.STANDARD_INPUTS, cfg);
    }

    /** The graph's outputs with concrete widths. */
    public static List<TensorSpec> outputs(SiteNetConfig cfg) {
        return concrete(ModelMetadata.STANDARD_OUTPUTS, cfg);
    }

    private static List<TensorSpec> concrete(List<TensorSpec> specs, SiteNetConfig cfg) {
        return specs.stream().map(s -> new TensorSpec(s.name(), s.type(), s.shape().stream().map(dim -> switch (dim) {
            case "F" -> String.valueOf(cfg.featureDim());
            case "E" -> String.valueOf(cfg.embeddingDim());
            case "L" -> String.valueOf(cfg.localDim());
            default -> dim;
        }).toList())).toList();
    }

    private OnnxMl.ModelProto build(String modelName, int version) {
        String sf = "site_features";
        String d = "distances";
        String img = "image_of";
        String sm = "site_mask";
        String am = "atom_mask";

        String x = hidden(sf, "site");                                       // [B,S,H]
        // 1-wide Linear on the distance as a broadcast multiply: [B,S,J,1] * [1,I]
        String e = layerNorm(mish(op("Add", op("Mul", op("Unsqueeze", d, constLong("axes_last", -1)),
                weight("int.W")), weight("int.b"))), "int");                    // [B,S,J,I]
        String att = linear(pairHidden(x, e, img, "att"), "att.out");        // [B,S,J,1]
        String logits = op("Squeeze", att, constLong("axes_last", -1));        // [B,S,J]
        String maskAdd = op("Unsqueeze",
                op("Mul", op("Sub", am, scalar("one", 1f)), scalar("big", -SiteNetModel.MASK_NEG)),
                constLong("axes_1", 1));                                     // [B,1,J]
        String alpha = node("Softmax", List.of(op("Add", logits, maskAdd)), List.of(attrInt("axis", -1)));
        String hv = pairHidden(x, e, img, "val");                           // [B,S,J,P]
        String hbar = node("ReduceSum", List.of(op("Mul", hv, op("Unsqueeze", alpha, constLong("axes_last", -1))),
                constLong("axes_2", 2)), List.of(attrInt("keepdims", 0)));   // [B,S,P]
        String u = linear(hbar, "val.out");                                  // [B,S,V]
        String mu = linear(u, "mu");                                         // [B,S,L]
        String g = mu;
        for (int k = 0; k < cfg.globalHidden().size(); k++) {
            g = hidden(g, "glob." + k);
        }
        String smU = op("Unsqueeze", sm, constLong("axes_last", -1));        // [B,S,1]
        String num = node("ReduceSum", List.of(op("Mul", g, smU), constLong("axes_1", 1)),
                List.of(attrInt("keepdims", 0)));
        String den = node("ReduceSum", List.of(smU, constLong("axes_1", 1)), List.of(attrInt("keepdims", 0)));
        String pooled = op("Div", num, den);
        String h = hidden(pooled, "glob.pool");
        String emb = linear(h, "emb");
        String local = op("Mul", mu, smU);
        nodes.add(NodeProto.newBuilder().setOpType("Identity").addInput(emb).addOutput("embedding")
                .setName("out_embedding").build());
        nodes.add(NodeProto.newBuilder().setOpType("Identity").addInput(local).addOutput("local")
                .setName("out_local").build());

        OnnxMl.GraphProto.Builder gb = OnnxMl.GraphProto.newBuilder().setName("sitenet_dim_encoder");
        gb.addAllNode(nodes).addAllInitializer(inits);
        for (TensorSpec s : inputs(cfg)) {
            gb.addInput(valueInfo(s.name(), s.type(), s.shape()));
        }
        for (TensorSpec s : outputs(cfg)) {
            gb.addOutput(valueInfo(s.name(), s.type(), s.shape()));
        }
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("dimstream")
                .setProducerVersion("1")
                .setDomain("io.dimstream")
                .setModelVersion(version)
                .setDocString(modelName + " Site-Net DIM encoder")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(gb)
                .build();
    }

    private String hidden(String x, String n) {
        return layerNorm(mish(linear(x, n)), n);
    }

    private String linear(String x, String n) {
        return op("Add", op("MatMul", x, weight(n + ".W")), weight(n + ".b"));
    }

    /**
     * Mish(x) = x tanh(softplus(x)), written with one exponential: with n = e^x, tanh(ln(1 + n)) =
     * n(n+2) / (n(n+2) + 2). x is clamped at 20 inside the exponential (beyond it the factor is 1 in
     * float32). ONNX Runtime's Softplus is scalar code; Exp/Mul/Div are vectorised, so this is several
     * times faster on the [B,S,J,64] pair tensors.
     */
    private String mish(String x) {
        String n = op("Exp", op("Min", x, scalar("mish_clamp", 20f)));
        String n2 = op("Mul", n, op("Add", n, scalar("two", 2f)));
        return op("Mul", x, op("Div", n2, op("Add", n2, scalar("two", 2f))));
    }

    private String layerNorm(String x, String n) {
        return node("LayerNormalization", List.of(x, weight(n + ".g"), weight(n + ".beta")),
                List.of(attrInt("axis", -1), attrFloat("epsilon", cfg.layerNormEps())));
    }

    /**
     * The split first pair layer: W_a x_i + b + W_b x_imageOf(i,j) + W_c e_ij. image_of is [B,R,J] with
     * R = 1 (one supercell shared by every row: the gathered [B,1,J,P] term broadcasts over the sites, as
     * cheap as before featurizer v2) or R = S (per-site neighbour lists: one gathered row per site).
     */
    private String pairHidden(String x, String e, String img, String n) {
        String a = op("MatMul", x, weight(n + ".Wa"));                       // [B,S,P]
        String bs = op("MatMul", x, weight(n + ".Wb"));                      // [B,S,P]
        long p = w.get(n + ".Wb").shape()[1];
        String flat = op("Reshape", img, constLongs("shape_b_flat", 0, -1));  // [B,R*J]
        String shape = node("Concat", List.of(op("Shape", flat), constLong("dim_" + p, p)), List.of(attrInt("axis", 0)));
        String idx = op("Expand", op("Unsqueeze", flat, constLong("axes_last", -1)), shape); // [B,R*J,P]
        String gathered = node("GatherElements", List.of(bs, idx), List.of(attrInt("axis", 1)));  // [B,R*J,P]
        String outShape = node("Concat", List.of(op("Shape", img), constLong("dim_" + p, p)),
                List.of(attrInt("axis", 0)));
        String bj = op("Reshape", gathered, outShape);                       // [B,R,J,P]
        String ab = op("Add", a, weight(n + ".b"));                          // bias folded per site
        String pre = op("Add", op("Add", op("MatMul", e, weight(n + ".Wc")),
                op("Unsqueeze", ab, constLong("axes_2", 2))), bj);
        return layerNorm(mish(pre), n);
    }

    private String op(String type, String... inputs) {
        return node(type, List.of(inputs), List.of());
    }

    private String node(String type, List<String> inputs, List<AttributeProto> attrs) {
        String out = type.toLowerCase() + "_" + (counter++);
        nodes.add(NodeProto.newBuilder().setOpType(type).setName("n_" + out).addAllInput(inputs).addOutput(out)
                .addAllAttribute(attrs).build());
        return out;
    }

    private final java.util.Set<String> declared = new java.util.HashSet<>();

    private String weight(String name) {
        if (declared.add(name)) {
            Params.Tensor t = w.get(name);
            if (t == null) {
                throw new IllegalArgumentException("weights lack " + name);
            }
            ByteBuffer bb = ByteBuffer.allocate(t.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(t.data());
            TensorProto.Builder tb = TensorProto.newBuilder().setName(name)
                    .setDataType(TensorProto.DataType.FLOAT.getNumber()).setRawData(ByteString.copyFrom(bb.array()));
            for (long dim : t.shape()) {
                tb.addDims(dim);
            }
            inits.add(tb.build());
        }
        return name;
    }

    private String constLong(String name, long value) {
        if (declared.add(name)) {
            inits.add(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber())
                    .addDims(1).addInt64Data(value).build());
        }
        return name;
    }

    private String constLongs(String name, long... values) {
        if (declared.add(name)) {
            TensorProto.Builder t = TensorProto.newBuilder().setName(name)
                    .setDataType(TensorProto.DataType.INT64.getNumber()).addDims(values.length);
            for (long v : values) {
                t.addInt64Data(v);
            }
            inits.add(t.build());
        }
        return name;
    }

    private String scalar(String name, float value) {
        if (declared.add(name)) {
            inits.add(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber())
                    .addFloatData(value).build());
        }
        return name;
    }

    private static AttributeProto attrInt(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto attrFloat(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static ValueInfoProto valueInfo(String name, String type, List<String> dims) {
        TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
        for (String dim : dims) {
            if (dim.chars().allMatch(Character::isDigit)) {
                sb.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(Long.parseLong(dim)));
            } else {
                sb.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(dim));
            }
        }
        int et = type.equals("int64") ? TensorProto.DataType.INT64.getNumber() : TensorProto.DataType.FLOAT.getNumber();
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(et).setShape(sb)))
                .build();
    }
}
