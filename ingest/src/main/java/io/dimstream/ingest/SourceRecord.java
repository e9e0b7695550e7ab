package io.dimstream.ingest;

import java.util.Map;
import java.util.Objects;

/**
 * One structure read from a source, before it becomes a {@code CrystalSubmission}.
 *
 * @param id       stable structure id (the Kafka key)
 * @param format   payload format ({@code cif} or {@code optimade-json})
 * @param payload  the structure text
 * @param metadata source metadata (e.g. last_modified, change column value)
 */
public record SourceRecord(String id, String format, String payload, Map<String, String> metadata) {
    public SourceRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(payload, "payload");
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}
