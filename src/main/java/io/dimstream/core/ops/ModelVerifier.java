package io.dimstream.core.ops;

import io.dimstream.core.Sha256;
import io.dimstream.schemas.ModelVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Map;

/**
 * The one model-verification path. Checks a model's bytes before anything loads them: the size cap,
 * the sha256 the record (or model.json) declares, the featurizer version it was trained on, and, when a
 * public key is configured, an Ed25519 signature over the ONNX bytes (a record without one is then
 * refused too, unless {@code model.signature.required=false}). Each failure is a
 * {@link ModelVerificationException} with code {@code model.<reason>}. Used by the streams app's
 * model manager, the encoder ({@link #checkSha256} on model.json), the trainer's model directories and
 * the {@code model sign/verify} commands.
 *
 * <p>Config keys (shared by streams app, trainer and predictor):
 * <ul>
 *   <li>{@code model.max.bytes}: size cap (default 64 MiB);</li>
 *   <li>{@code model.signing.public.key}: Ed25519 public key, PEM text or bare base64 (X.509);</li>
 *   <li>{@code model.signing.public.key.file}: the same, from a PEM file;</li>
 *   <li>{@code model.signature.required}: refuse unsigned records (default: true when a key is set).</li>
 * </ul>
 */
public final class ModelVerifier {

    public static final String MAX_BYTES = "model.max.bytes";
    public static final String PUBLIC_KEY = "model.signing.public.key";
    public static final String PUBLIC_KEY_FILE = "model.signing.public.key.file";
    public static final String SIGNATURE_REQUIRED = "model.signature.required";
    public static final long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;

    private final long maxBytes;
    private final PublicKey publicKey;
    private final boolean signatureRequired;

    /**
     * @param maxBytes          largest accepted model
     * @param publicKey         Ed25519 key that must have signed the bytes, or null for no signature check
     * @param signatureRequired with a key: refuse records that carry no signature
     */
    public ModelVerifier(long maxBytes, PublicKey publicKey, boolean signatureRequired) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException(MAX_BYTES + " must be positive");
        }
        this.maxBytes = maxBytes;
        this.publicKey = publicKey;
        this.signatureRequired = publicKey != null && signatureRequired;
    }

    /** Size cap and sha256 only. */
    public static ModelVerifier unsigned(long maxBytes) {
        return new ModelVerifier(maxBytes, null, false);
    }

    /** Builds a verifier from a service's config map (keys above). */
    public static ModelVerifier fromConfig(Map<?, ?> config) {
        Object max = config.get(MAX_BYTES);
        long maxBytes = max == null ? DEFAULT_MAX_BYTES : Long.parseLong(max.toString().trim());
        PublicKey key = null;
        Object inline = config.get(PUBLIC_KEY);
        Object file = config.get(PUBLIC_KEY_FILE);
        if (inline != null && !inline.toString().isBlank()) {
            try {
                key = ModelSigning.parsePublicKey(inline.toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PUBLIC_KEY + ": " + e.getMessage());
            }
        } else if (file != null && !file.toString().isBlank()) {
            try {
                key = ModelSigning.readPublicKey(Path.of(file.toString().trim()));
            } catch (IOException e) {
                throw new UncheckedIOException(PUBLIC_KEY_FILE + ": cannot read " + file + ": " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PUBLIC_KEY_FILE + " " + file + ": " + e.getMessage());
            }
        }
        Object req = config.get(SIGNATURE_REQUIRED);
        boolean required = req == null || Boolean.parseBoolean(req.toString().trim());
        return new ModelVerifier(maxBytes, key, required);
    }

    public long maxBytes() {
        return maxBytes;
    }

    public boolean checksSignatures() {
        return publicKey != null;
    }

    /** Refuses a model of {@code size} bytes before it is even read. */
    public void checkSize(long size) throws ModelVerificationException {
        if (size > maxBytes) {
            throw new ModelVerificationException(ModelVerificationException.TOO_LARGE,
                    "model is " + size + " bytes, cap is " + maxBytes + " (" + MAX_BYTES + ")");
        }
    }

    /**
     * Verifies {@code onnx} against the declared sha256 and (if configured) the signature.
     *
     * @param declaredSha256 hex sha256 the record declares
     * @param signature      Ed25519 signature bytes, or null
     */
    public void verify(byte[] onnx, String declaredSha256, byte[] signature) throws ModelVerificationException {
        checkSize(onnx.length);
        if (declaredSha256 == null || declaredSha256.isBlank()) {
            throw new ModelVerificationException(ModelVerificationException.SHA256_MISSING,
                    "record declares no sha256 for its " + onnx.length + " bytes");
        }
        checkSha256(onnx, declaredSha256);
        if (publicKey == null) {
            return;
        }
        if (signature == null || signature.length == 0) {
            if (signatureRequired) {
                throw new ModelVerificationException(ModelVerificationException.SIGNATURE_MISSING,
                        "record is unsigned and a signing key is configured (" + SIGNATURE_REQUIRED + "=true)");
            }
            return;
        }
        if (signature.length != 64) {
            throw new ModelVerificationException(ModelVerificationException.SIGNATURE_MALFORMED,
                    "an Ed25519 signature has 64 bytes, record carries " + signature.length);
        }
        if (!ModelSigning.verify(publicKey, onnx, signature)) {
            throw new ModelVerificationException(ModelVerificationException.SIGNATURE_INVALID,
                    "Ed25519 signature does not match the model bytes under the configured public key");
        }
    }

    /** Verifies a registry record whose ONNX bytes were already fetched (inline or from its uri). */
    public void verify(ModelVersion record, byte[] onnx) throws ModelVerificationException {
        ByteBuffer sig = record.getSignature();
        byte[] s = null;
        if (sig != null) {
            ByteBuffer d = sig.duplicate();
            s = new byte[d.remaining()];
            d.get(s);
        }
        verify(onnx, record.getSha256() == null ? null : record.getSha256().toString(), s);
    }

    /**
     * The sha256 check: {@code onnx} must hash to {@code declaredSha256} (hex, any case).
     *
     * @throws ModelVerificationException {@code model.sha256_mismatch}
     */
    public static void checkSha256(byte[] onnx, String declaredSha256) throws ModelVerificationException {
        String actual = Sha256.hex(onnx);
        if (declaredSha256 == null || !actual.equalsIgnoreCase(declaredSha256.strip())) {
            throw new ModelVerificationException(ModelVerificationException.SHA256_MISMATCH,
                    "sha256 of the " + onnx.length + " model bytes is " + actual + ", record declares " + declaredSha256);
        }
    }

    /**
     * The featurizer-version check: a model trained on features of one featurizer version cannot embed
     * another's.
     *
     * @throws ModelVerificationException {@code model.featurizer_version}
     */
    public static void checkFeaturizerVersion(int modelFeaturizerVersion, int appFeaturizerVersion)
            throws ModelVerificationException {
        if (modelFeaturizerVersion != appFeaturizerVersion) {
            throw new ModelVerificationException(ModelVerificationException.FEATURIZER_VERSION, "model was trained on "
                    + "featurizer v" + modelFeaturizerVersion + ", this app featurizes with v" + appFeaturizerVersion);
        }
    }
}
