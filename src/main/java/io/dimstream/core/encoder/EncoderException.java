package io.dimstream.core.encoder;

import io.dimstream.core.DimstreamException;

/**
 * A model or an input the encoder cannot use. {@link #code()} is a machine-readable
 * {@code <stage>.<reason>} code (e.g. {@code embed.featurizer_version_mismatch},
 * {@code model.sha256_mismatch}); the message says what was wrong for a human.
 */
public class EncoderException extends DimstreamException {

    /** Input crystal made by another featurizer version than the model's. */
    public static final String FEATURIZER_VERSION_MISMATCH = "embed.featurizer_version_mismatch";
    /** Input crystal has another feature width than the model's. */
    public static final String FEATURE_DIM_MISMATCH = "embed.feature_dim_mismatch";
    /** The ONNX graph does not declare the inputs/outputs the metadata (and this runtime) expect. */
    public static final String MODEL_SIGNATURE_MISMATCH = "model.signature_mismatch";
    /** model.onnx bytes do not hash to the sha256 recorded in model.json (the verifier's code). */
    public static final String CHECKSUM_MISMATCH = "model.sha256_mismatch";
    /** A model file is missing or unreadable, or ONNX Runtime refused it. */
    public static final String BAD_MODEL = "model.bad_model";
    /** The requested device (e.g. cuda:0) is not available. */
    public static final String DEVICE_UNAVAILABLE = "device.unavailable";
    /** A device string that is not auto, cpu or cuda:N. */
    public static final String BAD_DEVICE = "device.bad_device";
    /** A precision that is not fp32, int8, fp16 or bf16, or one the chosen device has no kernels for. */
    public static final String PRECISION_UNSUPPORTED = "encoder.precision_unsupported";

    public EncoderException(String code, String message) {
        super(code, message);
    }

    public EncoderException(String code, String message, Throwable cause) {
        super(code, message, cause);
    }
}
