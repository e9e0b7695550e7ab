package io.dimstream.core;

/**
 * The one base of dimstream's expected failures: bad input, a refused model, a failing source. Every
 * subclass carries a machine-readable {@link #code()} of the form {@code <stage>.<reason>}
 * (e.g. {@code cif.syntax}, {@code featurize.too_many_sites}, {@code model.sha256_mismatch}) and a
 * one-line human message saying what was wrong and where. Codes are stable: they are written to
 * dead-letter topics, counters and CLI output (the list is in docs/operations.md, "Error codes").
 *
 * <p>Unchecked so it can cross stream and lambda boundaries. Callers that expect bad input print
 * {@code code() + ": " + getMessage()} in one line and no stack trace.
 *
 * <p>To add a family of errors, extend this class and pass {@code (code, message[, cause])}.
 */
public class DimstreamException extends RuntimeException {

    private final String code;

    public DimstreamException(String code, String message) {
        this(code, message, null);
    }

    public DimstreamException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = requireCode(code);
    }

    /**
     * For expected bad input that is only ever logged in one line: no stack trace is recorded (cheap
     * to throw per record) when {@code stackTrace} is false.
     */
    protected DimstreamException(String code, String message, Throwable cause, boolean stackTrace) {
        super(message, cause, false, stackTrace);
        this.code = requireCode(code);
    }

    private static String requireCode(String code) {
        if (code == null || code.isBlank()) {
            throw new IllegalArgumentException("an error code is required");
        }
        return code;
    }

    /** Machine-readable {@code <stage>.<reason>} code, e.g. {@code cif.missing_cell}. */
    public String code() {
        return code;
    }
}
