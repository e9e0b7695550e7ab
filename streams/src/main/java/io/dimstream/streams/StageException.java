package io.dimstream.streams;

import io.dimstream.core.DimstreamException;

/**
 * Expected bad input at one pipeline stage: becomes a {@code DeadLetter} (never a crash, never a
 * stack trace in the log). {@link #code()} is the dead letter's {@code errorType}, written as is.
 */
public class StageException extends DimstreamException {

    private final String stage;

    /**
     * @param stage     parse | featurize | embed | ingest
     * @param code      machine-readable reason written to the dead letter (e.g. cif.missing_cell)
     * @param message   one human line: what was wrong and where
     */
    public StageException(String stage, String code, String message) {
        super(code, message, null, false);
        this.stage = stage;
    }

    /** The pipeline stage that refused the record (the dead letter's {@code stage}). */
    public String stage() {
        return stage;
    }
}
