package io.dimstream.streams;

/** A model record that must not serve: wrong hash, unloadable ONNX, spec mismatch, ... */
public class ModelRejectedException extends Exception {

    private final String reason;

    /**
     * @param reason  short code: sha256_mismatch, too_large, featurizer_version, not_promoted,
     *                stale_version, onnx_load, input_spec, no_bytes, undecodable
     * @param message one human line
     */
    public ModelRejectedException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
