package io.dimstream.ingest;

/**
 * Input that was skipped, with the reason.
 *
 * @param where     where it was (file:line, table row id, URL + entry id)
 * @param errorType short machine-readable reason class
 * @param message   one human-readable line
 */
public record BadRecord(String where, String errorType, String message) {
    public static BadRecord of(String where, IngestException e) {
        return new BadRecord(where, e.code(), e.getMessage());
    }

    @Override
    public String toString() {
        return where + ": " + errorType + ": " + message;
    }
}
