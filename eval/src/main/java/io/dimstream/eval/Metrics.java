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

    /** Calibration of per-structure 1σ uncertainties against the errors of the predictions. */
    public static RunResult.Calibration calibration(double[] pred, double[] sigma, double[] truth) {
        int n = truth.length;
        double[] err = new double[n];
        int w1 = 0;
        int w2 = 0;
        for (int i = 0; i < n; i++) {
            err[i] = Math.abs(pred[i] - truth[i]);
            w1 += err[i] <= sigma[i] ? 1 : 0;
            w2 += err[i] <= 2 * sigma[i] ? 1 : 0;
        }
        return new RunResult.Calibration(w1 / (double) n, w2 / (double) n, spearman(err, sigma));
    }

    /** Spearman rank correlation (average ranks for ties). */
    public static double spearman(double[] a, double[] b) {
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < ra.length; i++) {
            ma += ra[i];
            mb += rb[i];
        }
        ma /= ra.length;
        mb /= rb.length;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < ra.length; i++) {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return saa == 0 || sbb == 0 ? Double.NaN : sab / Math.sqrt(saa * sbb);
    }

    static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (x, y) -> Double.compare(v[x], v[y]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length;) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[idx[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }
}
