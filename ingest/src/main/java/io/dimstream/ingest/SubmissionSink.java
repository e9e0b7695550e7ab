package io.dimstream.ingest;

import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.Label;

/**
 * Where ingested records go (Kafka in production, a list in tests). {@link #flush()} returns only when
 * everything sent so far is durable (or throws).
 */
public interface SubmissionSink extends AutoCloseable {

    /** Code of a submission too large for the destination (a bad record, not a failure of the run). */
    String TOO_LARGE = "ingest.too_large";

    /**
     * Sends one submission.
     *
     * @throws IngestException with code {@link #TOO_LARGE} when the serialized record is larger than the
     *                         destination takes (nothing is sent; the caller reports a bad record and goes on)
     */
    void submit(CrystalSubmission submission);

    /**
     * The topic structures go to. It is part of the keys of the content hashes and watermarks, so data
     * already sent to one topic is still produced to another.
     */
    String rawTopic();

    default void submitLabel(Label label) {
        throw new UnsupportedOperationException("this sink does not take labels");
    }

    void flush();

    @Override
    default void close() {
        flush();
    }
}
