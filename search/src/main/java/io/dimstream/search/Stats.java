package io.dimstream.search;

import java.util.Arrays;

/**
 * Throughput (embeddings indexed per second, over a sliding 10-second window) and freshness (time from a
 * structure's submission to its embedding being searchable here, i.e. after the index refresh that made it
 * visible, over the last 10,000 live embeddings).
 */
public final class Stats {

    private static final int WINDOW_S = 10;
    private final long[] perSecond = new long[WINDOW_S + 1];
    private long currentSecond = -1;
    private final long[] freshness = new long[10_000];
    private int freshCount;
    private int freshNext;
    private long total;

    /** One embedding indexed (throughput). */
    synchronized void indexed(long nowMs) {
        long s = nowMs / 1000;
        roll(s);
        perSecond[(int) (s % perSecond.length)]++;
        total++;
    }

    /** A live structure submitted at {@code submittedAtMs} became searchable at {@code nowMs} (freshness). */
    synchronized void searchable(long nowMs, long submittedAtMs) {
        if (submittedAtMs > 0 && nowMs >= submittedAtMs) {
            freshness[freshNext] = nowMs - submittedAtMs;
            freshNext = (freshNext + 1) % freshness.length;
            freshCount = Math.min(freshCount + 1, freshness.length);
        }
    }

    /** Forgets the freshness samples (a benchmark's warm-up). */
    public synchronized void resetFreshness() {
        freshCount = 0;
        freshNext = 0;
    }

    private void roll(long s) {
        if (currentSecond < 0) {
            currentSecond = s;
        }
        while (currentSecond < s) {
            currentSecond++;
            perSecond[(int) (currentSecond % perSecond.length)] = 0;
        }
    }

    /** Embeddings indexed per second over the last 10 full seconds. */
    public synchronized double throughput(long nowMs) {
        roll(nowMs / 1000);
        long sum = 0;
        for (int i = 1; i <= WINDOW_S; i++) {
            sum += perSecond[(int) ((currentSecond - i + perSecond.length) % perSecond.length)];
        }
        return sum / (double) WINDOW_S;
    }

    public synchronized long total() {
        return total;
    }

    /** Freshness percentile in ms over the recent live embeddings, or -1 when there are none. */
    public synchronized long freshnessPercentile(double p) {
        if (freshCount == 0) {
            return -1;
        }
        long[] a = Arrays.copyOf(freshness, freshCount);
        Arrays.sort(a);
        return a[Math.min(a.length - 1, (int) Math.ceil(p * a.length) - 1 < 0 ? 0 : (int) Math.ceil(p * a.length) - 1)];
    }

    public synchronized int freshnessCount() {
        return freshCount;
    }
}
