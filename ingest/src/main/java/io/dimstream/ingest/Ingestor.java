package io.dimstream.ingest;

import io.dimstream.schemas.CrystalSubmission;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one {@link IngestSource} into a {@link SubmissionSink}: de-duplicates by content hash, reports
 * bad records, and stores the watermark only after the batch it covers is durably produced (the sink is
 * flushed first), so a crash re-reads at most one batch and never loses one. Re-read records that have
 * not changed are not produced again (same id + same content hash).
 */
public final class Ingestor {
    private static final Logger LOG = LoggerFactory.getLogger(Ingestor.class);
    /** How many bad records are logged one per line before only counting. */
    private static final int MAX_LOGGED_BAD = 50;

    private final IngestSource source;
    private final SubmissionSink sink;
    private final IngestState state;
    private final IngestProgress progress;
    private final IngestStats stats = new IngestStats();
    private final Map<String, String> extraMetadata = new HashMap<>();
    private long producedTotal;
    private boolean started;

    public Ingestor(IngestSource source, SubmissionSink sink, IngestState state, IngestProgress progress) {
        this.source = source;
        this.sink = sink;
        this.state = state;
        this.progress = progress == null ? IngestProgress.NONE : progress;
    }

    public IngestStats stats() {
        return stats;
    }

    private void ensureStarted() throws IngestException {
        if (!started) {
            Watermark from = state.watermark(source.key()).orElse(Watermark.NONE);
            producedTotal = state.recordsProduced(source.key());
            LOG.info("ingest {}: starting from {}", source.key(), from);
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
                LOG.warn("ingest {}: pass failed ({}), retrying in {} s", source.key(), e, pollInterval.toSeconds());
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

    private void handle(SourceBatch batch) {
        long now = System.currentTimeMillis();
        for (SourceRecord r : batch.records()) {
            stats.read.incrementAndGet();
            String hash = ContentHash.of(r.format(), r.payload());
            String prev = state.contentHash(r.id()).orElse(null);
            if (hash.equals(prev)) {
                stats.unchanged.incrementAndGet();
                continue;
            }
            Map<String, String> md = new HashMap<>(r.metadata());
            md.putAll(extraMetadata);
            md.put("sha256", hash);
            sink.submit(CrystalSubmission.newBuilder()
                    .setId(r.id())
                    .setSource(source.key())
                    .setFormat(r.format())
                    .setPayload(r.payload())
                    .setSubmittedAt(java.time.Instant.ofEpochMilli(now))
                    .setMetadata(md)
                    .build());
            state.putContentHash(r.id(), hash);
            stats.produced.incrementAndGet();
            producedTotal++;
        }
        for (BadRecord b : batch.bad()) {
            stats.countBad(b.errorType());
            if (stats.bad() <= MAX_LOGGED_BAD) {
                LOG.warn("bad record skipped: {}", b);
            } else if (stats.bad() == MAX_LOGGED_BAD + 1) {
                LOG.warn("more bad records: counting only (see the summary)");
            }
        }
        sink.flush();
        state.commit(source.key(), batch.commit(), producedTotal);
        progress.update(stats);
    }
}
