package io.dimstream.ingest;

import io.dimstream.core.DimstreamException;

/**
 * Bad input or a failing source, with a short machine-readable error type (e.g. {@code jdbc.empty_cif},
 * {@code optimade.http_status}) and a one-line human message saying what was wrong and where.
 */
public class IngestException extends DimstreamException {
    public IngestException(String errorType, String message) {
        super(errorType, message);
    }

    public IngestException(String errorType, String message, Throwable cause) {
        super(errorType, message, cause);
    }

    @Override
    public String toString() {
        return code() + ": " + getMessage();
    }
}
