package io.dimstream.core.encoder;

import java.util.Locale;

/**
 * Numeric precision of the inference graph ({@code encoder.precision}, {@code --precision}). The model
 * directory always holds the fp32 graph (the one that is hashed and signed); the other precisions are
 * rewritten from it in memory when the encoder loads ({@link PrecisionRewriter}), so they need no
 * separate files, signatures or exports.
 *
 * <ul>
 *   <li>{@link #FP32}: the graph as exported (default).
 *   <li>{@link #INT8}: every weight MatMul becomes ONNX Runtime's {@code DynamicQuantizeMatMul}: int8
 *       weights quantized symmetrically per output column, activations quantized to uint8 per call;
 *       everything else stays fp32.
 *   <li>{@link #FP16}: weights, activations and arithmetic in IEEE half precision; inputs and outputs
 *       stay fp32 (Cast nodes at the edges). Meant for GPUs (tensor cores); ONNX Runtime's CPU provider
 *       runs it too.
 *   <li>{@link #BF16}: the same in bfloat16. ONNX Runtime's CPU provider has no bf16 kernels (measured:
 *       MatMul, Add, Mul, Exp … all report ORT_NOT_IMPLEMENTED), so it needs the CUDA provider; on CPU
 *       loading fails with {@link EncoderException#PRECISION_UNSUPPORTED}.
 * </ul>
 */
public enum Precision {
    FP32, INT8, FP16, BF16;

    /** Parses {@code fp32|int8|fp16|bf16} (case-insensitive). */
    public static Precision parse(String s) {
        if (s == null || s.isBlank()) {
            return FP32;
        }
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new EncoderException(EncoderException.PRECISION_UNSUPPORTED, "precision '" + s
                    + "' is not one of fp32, int8, fp16, bf16");
        }
    }

    /** The lower-case name used in configuration and reports. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
