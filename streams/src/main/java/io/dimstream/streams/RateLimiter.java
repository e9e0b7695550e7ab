package io.dimstream.streams;

/**
 * A token bucket: at most {@code perSecond} permits per second, bursts up to one second's worth. Not
 * final only for {@link Capped}, the per-step view the backfill pacing hands to {@code Backfill}.
 */
public class RateLimiter {

    private final double perSecond;
    private double tokens;
    private long last = System.nanoTime();

    public RateLimiter(double perSecond) {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("rate must be > 0");
        }
        this.perSecond = perSecond;
        this.tokens = 0;
    }

    /** Takes up to {@code wanted} permits without waiting; returns how many were granted. */
    public synchronized int acquireUpTo(int wanted) {
        long now = System.nanoTime();
        tokens = Math.min(perSecond, tokens + (now - last) / 1e9 * perSecond);
        last = now;
        int granted = (int) Math.min(wanted, Math.floor(tokens));
        tokens -= granted;
        return Math.max(0, granted);
    }

    /** Returns unused permits. */
    public synchronized void giveBack(int n) {
        tokens = Math.min(perSecond, tokens + n);
    }

    /**
     * A view of a shared limiter that grants at most {@code cap} permits per {@link #begin} and counts
     * what it granted net of what was given back (the items one backfill step took).
     */
    static final class Capped extends RateLimiter {
        private final RateLimiter shared;
        private int cap = Integer.MAX_VALUE;
        private int net;

        Capped(RateLimiter shared) {
            super(1);
            this.shared = shared;
        }

        /** Starts a step that may take at most {@code cap} permits. */
        void begin(int cap) {
            this.cap = Math.max(0, cap);
            this.net = 0;
        }

        /** Permits granted since {@link #begin}, net of those given back. */
        int taken() {
            return net;
        }

        @Override
        public int acquireUpTo(int wanted) {
            int g = shared.acquireUpTo(Math.min(wanted, cap - net));
            net += g;
            return g;
        }

        @Override
        public void giveBack(int n) {
            shared.giveBack(n);
            net -= n;
        }
    }
}
