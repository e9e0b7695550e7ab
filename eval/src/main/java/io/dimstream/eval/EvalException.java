package io.dimstream.eval;

/**
 * Bad input or configuration of an evaluation run. {@link #code()} is a short machine-readable
 * error type (e.g. {@code no-labels}, {@code too-few-labels}, {@code bad-input}); the message says
 * what was wrong and where, for a one-line report without a stack trace.
 */
public final class EvalException extends RuntimeException {

    private final String code;

    public EvalException(String code, String message) {
        super(message);
        this.code = code;
    }

    public EvalException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
