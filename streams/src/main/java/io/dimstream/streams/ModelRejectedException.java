package io.dimstream.streams;

import io.dimstream.core.DimstreamException;

/**
 * A model record that must not serve: wrong hash, unloadable ONNX, spec mismatch, ... {@link #code()}
 * is {@code model.<reason>}; {@link #reason()} is the short reason alone, the label of the
 * {@code models.rejected.<reason>} counters.
 */
public class ModelRejectedException extends DimstreamException {

    /**
     * @param reason  short reason: the verifier's (sha256_mismatch, too_large, featurizer_version, ...)
     *                or onnx_load, input_spec, no_bytes, uri
     * @param message one human line
     */
    public ModelRejectedException(String reason, String message) {
        super("model." + reason, message, null, false);
    }

    /** The short reason: {@link #code()} without the {@code model.} prefix. */
    public String reason() {
        return code().substring("model.".length());
    }
}
