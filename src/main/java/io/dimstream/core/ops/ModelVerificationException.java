package io.dimstream.core.ops;

import io.dimstream.core.DimstreamException;

/**
 * A model that must not be loaded. {@link #code()} is {@code model.<reason>}; {@link #reason()} is the
 * short reason alone ({@code too_large}, {@code sha256_missing}, {@code sha256_mismatch},
 * {@code signature_missing}, {@code signature_invalid}, {@code signature_malformed},
 * {@code featurizer_version}), used as the {@code reason} label of the rejection counters. The message
 * says what was wrong in one line; no stack trace is recorded (expected bad input).
 */
public final class ModelVerificationException extends DimstreamException {

    public static final String TOO_LARGE = "too_large";
    public static final String SHA256_MISSING = "sha256_missing";
    public static final String SHA256_MISMATCH = "sha256_mismatch";
    public static final String SIGNATURE_MISSING = "signature_missing";
    public static final String SIGNATURE_INVALID = "signature_invalid";
    public static final String SIGNATURE_MALFORMED = "signature_malformed";
    public static final String FEATURIZER_VERSION = "featurizer_version";

    /** @param reason one of the short reasons above (the code is {@code model.<reason>}) */
    public ModelVerificationException(String reason, String message) {
        super("model." + reason, message, null, false);
    }

    /** The short reason: {@link #code()} without the {@code model.} prefix. */
    public String reason() {
        return code().substring("model.".length());
    }
}
