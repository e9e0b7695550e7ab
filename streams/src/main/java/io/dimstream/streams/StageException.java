package io.dimstream.streams;

/**
 * Expected bad input at one pipeline stage: becomes a {@code DeadLetter} (never a crash, never a
 * stack trace in the log).
 */
public class StageException extends Exception {

    private final String stage;
    private final String errorType;

    /**
     * @param stage     parse | featurize | embed | ingest
     * @param errorType short machine-readable reason (e.g. cif.missing_cell, unknown_element)
     * @param message   one human line: what was wrong and where
     */
    public StageException(String stage, String errorType, String message) {
        super(message, null, false, false);
        this.stage = stage;
        this.errorType = errorType;
    }

    public String stage() {
        return stage;
    }

    public String errorType() {
        return errorType;
    }
}
