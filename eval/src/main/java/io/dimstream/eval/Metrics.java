package io.dimstream.eval;

import java.util.Arrays;

/** Error metrics and robust summaries used by the evaluation. */
public final class Metrics {

    private Metrics() {
    }

    /** Mean absolute error between predictions and targets (same length, at least one). */
    public static double mae(double[] predicted, double[] actual) {
        if (predicted.length != actual.length) {
            throw new IllegalArgumentException("mae: " + predicted.length + " predictions for " + actual.length + " targets");
        }
        if (actual.length == 0) {
            throw new IllegalArgumentException("mae: no targets");
        }
        double s = 0;
        for (int i = 0; i < actual.length; i++) {
            s += Math.abs(predicted[i] - actual[i]);
        }
        return s / actual.length;
    }

    /**
     * The q-quantile (0..1) with linear interpolation between order statistics (the "type 7"
     * definition used by numpy and R by default): position {@code q * (n - 1)} in the sorted values.
     */
    public static double quantile(double[] values, double q) {
        if (values.length == 0) {
            throw new IllegalArgumentException("quantile of no values");
        }
        if (q < 0 || q > 1) {
            throw new IllegalArgumentException("quantile q must be in [0, 1], got " + q);
        }
        double[] v = values.clone();
        Arrays.sort(v);
        double pos = q * (v.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, v.length - 1);
        double frac = pos - lo;
        return v[lo] + frac * (v[hi] - v[lo]);
    }

    public static double median(double[] values) {
        return quantile(values, 0.5);
    }

    /** Median, quartiles and count of a set of values (e.g. the MAEs of one cell over seeds). */
    public record Summary(int n, double median, double q1, double q3) {
        public double iqr() {
            return q3 - q1;
        }
    }

    public static Summary summarize(double[] values) {
        return new Summary(values.length, quantile(values, 0.5), quantile(values, 0.25), quantile(values, 0.75));
    }
}
