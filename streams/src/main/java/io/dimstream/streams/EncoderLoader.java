package io.dimstream.streams;

import io.dimstream.core.encoder.CrystalEncoder;
import io.dimstream.schemas.ModelVersion;

/**
 * Turns a verified model record (sha256 already checked) into a ready {@link CrystalEncoder}, checking
 * that the model's graph matches the record's input spec. Runs off the processing threads.
 */
@FunctionalInterface
public interface EncoderLoader {

    CrystalEncoder load(ModelVersion version, byte[] onnx) throws ModelRejectedException;
}
