package io.dimstream.ingest;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of one ingestion run. Thread-safe. */
public final class IngestStats {
    private final long startNanos = System.nanoTime();
    final AtomicLong read = new AtomicLong();
    final AtomicLong produced = new AtomicLong();
    final AtomicLong unchanged = new AtomicLong();
    final AtomicLong bad = new AtomicLong();
    final AtomicLong passes = new AtomicLong();
    final AtomicLong sourceErrors = new AtomicLong();
    private final Map<String, AtomicLong> badByType = new ConcurrentHashMap<>();

    void countBad(String errorType) {
        bad.incrementAndGet();
        badByType.computeIfAbsent(errorType, k -> new AtomicLong()).incrementAndGet();
    }

    /** Records read from the source (good ones). */
    public long read() {
        return read.get();
    }

    /** Records produced (new id, or changed content). */
    public long produced() {
        return produced.get();
    }

    /** Records skipped because the same id was already produced with the same content. */
    public long unchanged() {
        return unchanged.get();
    }

    /** Bad records skipped (with reasons logged). */
    public long bad() {
        return bad.get();
    }

    /** Completed passes over the source. */
    public long passes() {
        return passes.get();
    }

    /** Passes that failed as a whole (source unreachable, HTTP errors after retries). */
    public long sourceErrors() {
        return sourceErrors.get();
    }

    /** Bad records by error type. */
    public Map<String, Long> badByType() {
        Map<String, Long> m = new TreeMap<>();
        badByType.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    public double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Records read per second since the start. */
    public double readRate() {
        double s = elapsedSeconds();
        return s > 0 ? read() / s : 0;
    }

    public String summary() {
        return String.format(java.util.Locale.ROOT,
                "read %d, produced %d, unchanged %d, bad %d%s in %.1f s (%.0f rec/s)",
                read(), produced(), unchanged(), bad(), bad() > 0 ? " " + badByType() : "",
                elapsedSeconds(), readRate());
    }

    @Override
    public String toString() {
        return summary();
    }
}
