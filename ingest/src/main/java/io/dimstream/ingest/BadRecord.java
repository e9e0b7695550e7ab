package io.dimstream.ingest;

import io.dimstream.core.LogSafe;

/**
 * Input that was skipped, with the reason. {@link #toString()} is the one log line
 * ({@code where: error_type: message}) with control characters escaped ({@link LogSafe}).
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
        return LogSafe.escape(where) + ": " + errorType + ": " + LogSafe.escape(message);
    }
}
