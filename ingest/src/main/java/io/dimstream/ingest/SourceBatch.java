package io.dimstream.ingest;

import java.util.List;

/**
 * What one {@link IngestSource#next()} call returned.
 *
 * @param records  structures read
 * @param bad      input skipped, with reasons
 * @param commit   the watermark that is safe to store once {@code records} are durably produced, or
 *                 {@code null} when this batch does not move it (e.g. the middle of an unsorted OPTIMADE pass)
 * @param caughtUp true when the source has nothing more right now; the next {@code next()} call polls again
 */
public record SourceBatch(List<SourceRecord> records, List<BadRecord> bad, Watermark commit, boolean caughtUp) {
    public SourceBatch {
        records = List.copyOf(records);
        bad = List.copyOf(bad);
    }

    public static SourceBatch empty(Watermark commit) {
        return new SourceBatch(List.of(), List.of(), commit, true);
    }
}
