package io.dimstream.streams.ops;

import io.dimstream.core.ops.ModelVerificationException;
import io.dimstream.core.ops.ModelVerifier;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.streams.ModelManager;
import io.dimstream.streams.ModelRejectedException;
import java.util.Map;

/**
 * The model manager's check with core's {@link ModelVerifier}: size cap, declared sha256 and, when
 * {@code model.signing.public.key[.file]} is configured, the Ed25519 signature over the ONNX bytes.
 * Runs on the loader thread before the bytes reach ONNX Runtime; a refusal keeps the serving model
 * and is counted as {@code dimstream_model_rejections_total{reason=...}}.
 */
public final class VerifierCheck implements ModelManager.ModelCheck {

    private final ModelVerifier verifier;

    public VerifierCheck(ModelVerifier verifier) {
        this.verifier = verifier;
    }

    /** From a service config map ({@code model.max.bytes}, {@code model.signing.public.key[.file]}, ...). */
    public static VerifierCheck fromConfig(Map<?, ?> config) {
        return new VerifierCheck(ModelVerifier.fromConfig(config));
    }

    public ModelVerifier verifier() {
        return verifier;
    }

    @Override
    public void check(ModelVersion version, byte[] onnx) throws ModelRejectedException {
        try {
            verifier.verify(version, onnx);
        } catch (ModelVerificationException e) {
            throw new ModelRejectedException(e.reason(), e.getMessage());
        }
    }
}
