package io.dimstream.core.encoder;

/**
 * A model or an input the encoder cannot use. {@link #code()} is a short machine-readable error type
 * (e.g. {@code featurizer_version_mismatch}); the message says what was wrong for a human.
 */
public class EncoderException extends IllegalArgumentException {

    /** Input crystal made by another featurizer version than the model's. */
    public static final String FEATURIZER_VERSION_MISMATCH = "featurizer_version_mismatch";
    /** Input crystal has another feature width than the model's. */
    public static final String FEATURE_DIM_MISMATCH = "feature_dim_mismatch";
    /** The ONNX graph does not declare the inputs/outputs the metadata (and this runtime) expect. */
    public static final String MODEL_SIGNATURE_MISMATCH = "model_signature_mismatch";
    /** model.onnx bytes do not hash to the sha256 recorded in model.json. */
    public static final String CHECKSUM_MISMATCH = "checksum_mismatch";
    /** A model file is missing or unreadable, or ONNX Runtime refused it. */
    public static final String BAD_MODEL = "bad_model";
    /** The requested device (e.g. cuda:0) is not available. */
    public static final String DEVICE_UNAVAILABLE = "device_unavailable";
    /** A device string that is not auto, cpu or cuda:N. */
    public static final String BAD_DEVICE = "bad_device";

    private final String code;

    public EncoderException(String code, String message) {
        super(message);
        this.code = code;
    }

    public EncoderException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
