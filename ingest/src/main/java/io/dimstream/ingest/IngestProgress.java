package io.dimstream.ingest;

/** Receives progress of an ingestion (the CLI shows a progress bar; tests use {@link #NONE}). */
public interface IngestProgress extends AutoCloseable {
    IngestProgress NONE = new IngestProgress() {
    };

    /** A pass starts; remaining is the expected record count or -1. */
    default void passStarted(long remaining) {
    }

    /** After every batch. */
    default void update(IngestStats stats) {
    }

    @Override
    default void close() {
    }
}
