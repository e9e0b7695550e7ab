package io.dimstream.ingest;

/**
 * Bad input or a failing source, with a short machine-readable error type (e.g. {@code jdbc.empty_cif},
 * {@code optimade.http_status}) and a one-line human message saying what was wrong and where.
 */
public class IngestException extends Exception {
    private final String errorType;

    public IngestException(String errorType, String message) {
        super(message);
        this.errorType = errorType;
    }

    public IngestException(String errorType, String message, Throwable cause) {
        super(message, cause);
        this.errorType = errorType;
    }

    /** Short machine-readable reason class. */
    public String errorType() {
        return errorType;
    }

    @Override
    public String toString() {
        return errorType + ": " + getMessage();
    }
}
