package io.dimstream.streams;

import java.util.function.LongSupplier;

/**
 * Keeps the backfill behind the live records on one stream thread (issue 16). Before, a task's
 * punctuation ran a backfill step of up to 4 batches whenever a token was free; a step took longer
 * than the punctuation period on a busy CPU, so every loop of the stream thread punctuated, Kafka
 * Streams cut the records processed per loop to one per task, and live records queued in the
 * consumer until the backfill finished (up to ~100 s during a run of model swaps).
 *
 * <p>Two bounds, both on wall-clock time of the thread that runs the tasks:
 * <ul>
 *   <li><b>share</b>: while live records flow on this thread (one was seen in the last
 *       {@link #LIVE_WINDOW_NANOS}), backfill steps may use at most {@code share} of the thread's
 *       time: a credit of nanoseconds grows at {@code share} per elapsed nanosecond (at most one
 *       step's worth is banked) and each step's measured duration is taken from it; a step starts
 *       only with a positive credit. With no live record for a while the backfill runs back to
 *       back, with steps of up to the punctuation period (and at most the old 4 batches).</li>
 *   <li><b>step size</b>: the items of one step follow the measured cost per item (moving average)
 *       so that a step takes about {@code stepMaxNanos}; a live record that arrives during a step waits
 *       at most about that long.</li>
 * </ul>
 * One pacer per stream thread ({@link #forCurrentThread}), shared by the tasks that thread runs,
 * since a share per task would add up to more than the thread with several tasks. Not thread safe
 * (used by one thread only).
 */
final class BackfillPacer {

    /** A thread that saw a live record this recently is "live"; the share applies. */
    static final long LIVE_WINDOW_NANOS = 1_000_000_000L;

    private final double share;
    private final long stepMaxNanos;
    private final long idleStepNanos;
    private final int maxItems;
    private final LongSupplier clock;
    private double credit;
    private long lastRefill;
    private long lastLive = Long.MIN_VALUE;
    private double nanosPerItem; // 0 = not measured yet
    private long stepStart;

    /**
     * @param share        most share of the thread's time for backfill steps while live records flow (0..1]
     * @param stepMaxNanos  target duration of one step while live records flow
     * @param idleStepNanos target duration of one step on a thread with no live record lately
     * @param maxItems      most items in one step (the old fixed step: 4 batches)
     * @param clock         nanosecond clock ({@link System#nanoTime} in production)
     */
    BackfillPacer(double share, long stepMaxNanos, long idleStepNanos, int maxItems, LongSupplier clock) {
        if (share <= 0 || share > 1) {
            throw new IllegalArgumentException("share must be in (0, 1]");
        }
        this.share = share;
        this.stepMaxNanos = stepMaxNanos;
        this.idleStepNanos = Math.max(stepMaxNanos, idleStepNanos);
        this.maxItems = Math.max(1, maxItems);
        this.clock = clock;
        this.lastRefill = clock.getAsLong();
        this.credit = stepMaxNanos * share; // the first step may run at once
    }

    /** The pacers of the stream threads of one app instance, one per thread (not final: tests pin one). */
    static class PerThread {
        private final ThreadLocal<BackfillPacer> pacers;

        PerThread(double share, long stepMaxMs, long idleStepMs, int maxItems) {
            this.pacers = ThreadLocal.withInitial(() -> new BackfillPacer(share, stepMaxMs * 1_000_000L,
                    idleStepMs * 1_000_000L, maxItems, System::nanoTime));
        }

        BackfillPacer forCurrentThread() {
            return pacers.get();
        }
    }

    /** A live record was processed (or embedded) on this thread. */
    void live() {
        lastLive = clock.getAsLong();
    }

    /** True while a live record was seen within {@link #LIVE_WINDOW_NANOS}. */
    boolean liveRecently() {
        return lastLive != Long.MIN_VALUE && clock.getAsLong() - lastLive < LIVE_WINDOW_NANOS;
    }

    private void refill() {
        long now = clock.getAsLong();
        double rate = liveRecently() ? share : 1.0;
        credit = Math.min(stepMaxNanos * share, credit + (now - lastRefill) * rate);
        if (!liveRecently()) {
            credit = Math.max(credit, 1); // idle thread: back to back, the step size still bounds each step
        }
        lastRefill = now;
    }

    /** True when a backfill step may run now. */
    boolean mayStep() {
        refill();
        return credit > 0;
    }

    /**
     * Items for the next step: what fits in the target duration at the measured cost (1..maxItems); the
     * target is {@code stepMaxNanos} while live records flow, the longer idle target otherwise.
     */
    int itemsForStep() {
        if (nanosPerItem <= 0) {
            return Math.min(maxItems, 8); // first step: small, to measure
        }
        long target = liveRecently() ? stepMaxNanos : idleStepNanos;
        long n = (long) (target / nanosPerItem);
        return (int) Math.max(1, Math.min(maxItems, n));
    }

    /** Marks the start of a step (its duration is measured until {@link #stepDone}). */
    void stepStarted() {
        refill();
        stepStart = clock.getAsLong();
    }

    /** A step ended having embedded {@code items}; its duration is charged and the cost per item learned. */
    void stepDone(int items) {
        long took = Math.max(0, clock.getAsLong() - stepStart);
        refill();
        credit -= took;
        if (items > 0) {
            double per = (double) took / items;
            nanosPerItem = nanosPerItem <= 0 ? per : 0.7 * nanosPerItem + 0.3 * per;
        }
    }

    double nanosPerItem() {
        return nanosPerItem;
    }

    double credit() {
        return credit;
    }
}
