package io.dimstream.ingest;

import java.util.Optional;

/**
 * Durable ingestion state: one watermark per state key, and the content hash last produced per hash key
 * (so that the same id with the same content is never produced twice to the same topic, across sources
 * and restarts). The keys are made by {@link Ingestor#stateKey} and {@link Ingestor#hashKey}: both name
 * the destination topic.
 */
public interface IngestState extends AutoCloseable {

    Optional<Watermark> watermark(String stateKey);

    /** Records produced by the source over all runs (as last stored). */
    long recordsProduced(String sourceKey);

    /** The content hash last produced under a hash key ({@link Ingestor#hashKey}: topic and id). */
    Optional<String> contentHash(String hashKey);

    /** Remember a content hash (made durable by {@link #commit}). */
    void putContentHash(String hashKey, String sha256);

    /** Durably store the hashes put so far and the watermark (null = keep the watermark). */
    void commit(String sourceKey, Watermark watermark, long recordsProduced);

    /**
     * Forgets the content hashes put since the last {@link #commit} (their batch failed and will be read
     * again), and aborts what a transactional state has open.
     */
    void rollback();

    @Override
    default void close() {
    }
}
