package io.dimstream.ingest;

import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.Label;

/**
 * Where ingested records go (Kafka in production, a list in tests). {@link #flush()} returns only when
 * everything sent so far is durable (or throws).
 */
public interface SubmissionSink extends AutoCloseable {

    void submit(CrystalSubmission submission);

    default void submitLabel(Label label) {
        throw new UnsupportedOperationException("this sink does not take labels");
    }

    void flush();

    @Override
    default void close() {
        flush();
    }
}
