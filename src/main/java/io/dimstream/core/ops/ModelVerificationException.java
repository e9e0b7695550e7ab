package io.dimstream.core.ops;

/**
 * A model record that must not be loaded. {@link #reason()} is a short machine-readable code
 * ({@code too_large}, {@code sha256_missing}, {@code sha256_mismatch}, {@code signature_missing},
 * {@code signature_invalid}, {@code signature_malformed}); {@link #code()} is the namespaced error
 * type {@code model.<reason>}; the message says what was wrong in one line.
 */
public final class ModelVerificationException extends Exception {

    public static final String TOO_LARGE = "too_large";
    public static final String SHA256_MISSING = "sha256_missing";
    public static final String SHA256_MISMATCH = "sha256_mismatch";
    public static final String SIGNATURE_MISSING = "signature_missing";
    public static final String SIGNATURE_INVALID = "signature_invalid";
    public static final String SIGNATURE_MALFORMED = "signature_malformed";

    private final String reason;

    public ModelVerificationException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }

    public String code() {
        return "model." + reason;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // expected bad input: one log line, no stack trace
    }
}
