package io.dimstream.ingest;

/**
 * A source of structures read in batches from a resume position.
 *
 * <p>Contract: {@link #start} once with the stored watermark, then {@link #next} repeatedly. A batch with
 * {@code caughtUp} ends one pass; calling {@code next()} again polls the source again from where it got
 * (that is how {@code --follow} works). Structural failures of the whole source (unreachable database,
 * HTTP errors after retries) are thrown as {@link IngestException}; single bad records come back in
 * {@link SourceBatch#bad()} and never stop the pass.
 */
public interface IngestSource extends AutoCloseable {

    /** Stable key of this source for its watermark (no credentials in it). */
    String key();

    /** Start (or restart) from a stored position ({@link Watermark#NONE} for the beginning). */
    void start(Watermark from) throws IngestException;

    /** The next batch. */
    SourceBatch next() throws IngestException;

    /** Records still to read in this pass when cheap to know, else -1 (used for the progress bar). */
    default long estimateRemaining() {
        return -1;
    }

    @Override
    default void close() throws Exception {
    }
}
