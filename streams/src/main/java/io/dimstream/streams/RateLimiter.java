package io.dimstream.streams;

/** A token bucket: at most {@code perSecond} permits per second, bursts up to one second's worth. */
public final class RateLimiter {

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
}
