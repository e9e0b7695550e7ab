package io.dimstream.ingest;

import io.dimstream.core.LogSafe;
import io.dimstream.schemas.CrystalSubmission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one {@link IngestSource} into a {@link SubmissionSink}: de-duplicates by content hash, reports
 * bad records, and stores the watermark only after the batch it covers is durably produced (the sink is
 * flushed first), so a crash re-reads at most one batch and never loses one. Re-read records that have
 * not changed are not produced again (same destination topic + same id + same content hash).
 *
 * <p>Watermarks are kept under {@link #stateKey} (source key + destination topic) and content hashes
 * under {@link #hashKey} (topic + id): the same data sent to another raw topic is produced there too.
 * A submission the sink refuses as too large ({@link SubmissionSink#TOO_LARGE}) is a bad record and the
 * batch goes on. A batch that cannot be produced (the sink or the state fails) is rolled back: its
 * content hashes are forgotten and the next pass restarts the source from the stored watermark, so the
 * batch is read again rather than skipped; the failure surfaces as an {@link IngestException}
 * {@code ingest.produce_failed} with the cause in its one-line message.
 */
public final class Ingestor {
    private static final Logger LOG = LoggerFactory.getLogger(Ingestor.class);
    /** How many bad records are logged one per line before only counting. */
    private static final int MAX_LOGGED_BAD = 50;
    /** Code of a batch that could not be produced or committed. */
    public static final String PRODUCE_FAILED = "ingest.produce_failed";

    private final IngestSource source;
    private final SubmissionSink sink;
    private final IngestState state;
    private final IngestProgress progress;
    private final IngestStats stats = new IngestStats();
    private final Map<String, String> extraMetadata = new HashMap<>();
    private final String stateKey;
    private long producedTotal;
    private boolean started;

    public Ingestor(IngestSource source, SubmissionSink sink, IngestState state, IngestProgress progress) {
        this.source = source;
        this.sink = sink;
        this.state = state;
        this.progress = progress == null ? IngestProgress.NONE : progress;
        this.stateKey = stateKey(source.key(), sink.rawTopic());
    }

    /**
     * The key of a source's watermark (and transactional id): the source key (which names the id prefix,
     * when the source has one) and the destination topic, so re-ingesting a source into another topic or
     * under another prefix starts from the beginning.
     */
    public static String stateKey(String sourceKey, String rawTopic) {
        return sourceKey + " -> " + rawTopic;
    }

    /** The key of a content hash: the destination topic and the structure id (a topic name has no '/'). */
    public static String hashKey(String rawTopic, String id) {
        return rawTopic + "/" + id;
    }

    public IngestStats stats() {
        return stats;
    }

    /** The key this ingester's watermark is stored under ({@link #stateKey}). */
    public String stateKey() {
        return stateKey;
    }

    private void ensureStarted() throws IngestException {
        if (!started) {
            Watermark from = state.watermark(stateKey).orElse(Watermark.NONE);
            producedTotal = state.recordsProduced(stateKey);
            LOG.info("ingest {}: starting from {}", LogSafe.escape(stateKey), LogSafe.escape(from));
            source.start(from);
            started = true;
        }
    }

    /** One full pass: reads until the source is caught up. */
    public IngestStats runOnce() throws IngestException {
        ensureStarted();
        progress.passStarted(source.estimateRemaining());
        while (true) {
            SourceBatch batch = source.next();
            handle(batch);
            if (batch.caughtUp()) {
                stats.passes.incrementAndGet();
                return stats;
            }
        }
    }

    /**
     * Passes until {@code stop} says so, sleeping {@code pollInterval} between them. A pass that fails as
     * a whole is logged and counted, and retried after the interval.
     */
    public IngestStats follow(Duration pollInterval, BooleanSupplier stop) {
        while (!stop.getAsBoolean()) {
            try {
                runOnce();
            } catch (IngestException e) {
                stats.sourceErrors.incrementAndGet();
                LOG.warn("ingest {}: pass failed ({}), retrying in {} s", LogSafe.escape(stateKey), LogSafe.escape(e),
                        pollInterval.toSeconds());
            }
            long until = System.nanoTime() + pollInterval.toNanos();
            while (!stop.getAsBoolean() && System.nanoTime() < until) {
                try {
                    Thread.sleep(Math.min(200, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return stats;
                }
            }
        }
        return stats;
    }

    private void handle(SourceBatch batch) throws IngestException {
        long now = System.currentTimeMillis();
        String topic = sink.rawTopic();
        List<BadRecord> bad = new ArrayList<>(batch.bad());
        long produced = 0;
        try {
            for (SourceRecord r : batch.records()) {
                String hash = ContentHash.of(r.format(), r.payload());
                String hashKey = hashKey(topic, r.id());
                String prev = state.contentHash(hashKey).orElse(null);
                if (hash.equals(prev)) {
                    stats.read.incrementAndGet();
                    stats.unchanged.incrementAndGet();
                    continue;
                }
                Map<String, String> md = new HashMap<>(r.metadata());
                md.putAll(extraMetadata);
                md.put("sha256", hash);
                try {
                    sink.submit(CrystalSubmission.newBuilder()
                            .setId(r.id())
                            .setSource(source.key())
                            .setFormat(r.format())
                            .setPayload(r.payload())
                            .setSubmittedAt(java.time.Instant.ofEpochMilli(now))
                            .setMetadata(md)
                            .build());
                } catch (IngestException e) {
                    if (!SubmissionSink.TOO_LARGE.equals(e.code())) {
                        throw e;
                    }
                    bad.add(new BadRecord(source.key() + " record " + r.id(), e.code(), e.getMessage()));
                    continue; // counted as bad, not as read
                }
                stats.read.incrementAndGet();
                state.putContentHash(hashKey, hash);
                produced++;
            }
            sink.flush();
            state.commit(stateKey, batch.commit(), producedTotal + produced);
        } catch (RuntimeException e) {
            // nothing of this batch is known to be durable: forget its hashes and re-read it from the
            // stored watermark on the next pass
            state.rollback();
            started = false;
            throw new IngestException(PRODUCE_FAILED, "ingest " + LogSafe.escape(stateKey) + ": "
                    + LogSafe.escape(e instanceof IngestException ie ? ie.toString() : e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        producedTotal += produced;
        stats.produced.addAndGet(produced);
        for (BadRecord b : bad) {
            stats.countBad(b.errorType());
            if (stats.bad() <= MAX_LOGGED_BAD) {
                LOG.warn("bad record skipped: {}", b);
            } else if (stats.bad() == MAX_LOGGED_BAD + 1) {
                LOG.warn("more bad records: counting only (see the summary)");
            }
        }
        progress.update(stats);
    }
}
