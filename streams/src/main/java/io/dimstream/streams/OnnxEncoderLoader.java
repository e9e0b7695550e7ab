package io.dimstream.streams;

import io.dimstream.core.encoder.CrystalEncoder;
import io.dimstream.core.encoder.EncoderException;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.schemas.ModelVersion;

/**
 * Loads registry records with ONNX Runtime ({@link OnnxEncoder}): the record's input/output spec
 * becomes the model metadata, and the runtime checks the graph's inputs, types and feature width
 * against it (mismatch → {@code input_spec}; unloadable graph → {@code onnx_load}).
 */
public final class OnnxEncoderLoader implements EncoderLoader {

    private final OnnxEncoder.Options options;

    public OnnxEncoderLoader(OnnxEncoder.Options options) {
        this.options = options;
    }

    @Override
    public CrystalEncoder load(ModelVersion version, byte[] onnx) throws ModelRejectedException {
        ModelMetadata meta;
        try {
            meta = ModelRecords.metadata(version);
        } catch (IllegalArgumentException e) {
            throw new ModelRejectedException("input_spec", e.getMessage());
        }
        try {
            return OnnxEncoder.fromBytes(onnx, meta, options);
        } catch (EncoderException e) {
            String reason = switch (e.code()) {
                case EncoderException.MODEL_SIGNATURE_MISMATCH, EncoderException.FEATURE_DIM_MISMATCH -> "input_spec";
                case EncoderException.CHECKSUM_MISMATCH -> "sha256_mismatch";
                case EncoderException.FEATURIZER_VERSION_MISMATCH -> "featurizer_version";
                default -> "onnx_load";
            };
            throw new ModelRejectedException(reason, e.getMessage());
        }
    }
}
