package io.dimstream.ingest;

import java.util.Optional;

/**
 * Durable ingestion state: one watermark per source, and the content hash last produced per structure
 * id (so that the same id with the same content is never produced twice, across sources and restarts).
 */
public interface IngestState extends AutoCloseable {

    Optional<Watermark> watermark(String sourceKey);

    /** Records produced by the source over all runs (as last stored). */
    long recordsProduced(String sourceKey);

    /** The content hash last produced for an id. */
    Optional<String> contentHash(String id);

    /** Remember a content hash (made durable by {@link #commit}). */
    void putContentHash(String id, String sha256);

    /** Durably store the hashes put so far and the watermark (null = keep the watermark). */
    void commit(String sourceKey, Watermark watermark, long recordsProduced);

    @Override
    default void close() {
    }
}
