package io.dimstream.heads;

import java.util.Locale;

/**
 * Ridge regression on standardised features with an unpenalised intercept. The penalty is chosen
 * from a log grid by exact leave-one-out error (closed form: residual / (1 - leverage)), on all the
 * labelled rows (fit + validation: ridge needs no separate validation split).
 */
public final class RidgeHead implements RegressionHead {

    /** Penalty grid (on standardised features). */
    public static final double[] ALPHAS = {1e-3, 1e-2, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1e3, 1e4};

    private final double[] alphas;

    public RidgeHead() {
        this(ALPHAS);
    }

    public RidgeHead(double... alphas) {
        this.alphas = alphas.clone();
    }

    /**
     * The fitted model: weights on standardised features, intercept, chosen penalty, and the exact
     * leave-one-out MAE (the selection criterion) and RMSE of the chosen penalty.
     */
    public record Model(Standardizer standardizer, double[] w, double intercept, double alpha, double looMae,
            double looRmse) implements Fitted {
        @Override
        public int dim() {
            return w.length;
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "ridge(alpha=%.3g, loo)", alpha);
        }

        /** Weights in the original (unstandardised) units of x: y = intercept(original) + Σ w_k x_k. */
        public double[] weightsOriginalUnits() {
            double[] out = new double[w.length];
            for (int k = 0; k < w.length; k++) {
                out[k] = w[k] * standardizer.scale[k];
            }
            return out;
        }

        @Override
        public double predict(double[] x) {
            if (x.length != w.length) {
                throw new IllegalArgumentException("input has dimension " + x.length + ", the head expects " + w.length);
            }
            double[] z = standardizer.apply(x);
            double s = intercept;
            for (int k = 0; k < w.length; k++) {
                s += w[k] * z[k];
            }
            return s;
        }
    }

    @Override
    public Model fit(double[][] fitX, double[] fitY, double[][] valX, double[] valY, long seed) {
        double[][] x = concat(fitX, valX);
        double[] y = concat(fitY, valY);
        return fit(x, y);
    }

    public Model fit(double[][] xRaw, double[] y) {
        int n = xRaw.length;
        if (n < 2) {
            throw new HeadException("too-few-labels", "ridge needs at least 2 labelled rows, got " + n);
        }
        Standardizer st = Standardizer.fit(xRaw);
        double[][] x = st.apply(xRaw);
        int d = x[0].length;
        double ym = 0;
        for (double v : y) {
            ym += v;
        }
        ym /= n;
        double[] yc = new double[n];
        for (int i = 0; i < n; i++) {
            yc[i] = y[i] - ym;
        }
        double[][] gram = new double[d][d];
        double[] xty = new double[d];
        for (int i = 0; i < n; i++) {
            double[] r = x[i];
            for (int a = 0; a < d; a++) {
                double ra = r[a];
                if (ra == 0) {
                    continue;
                }
                xty[a] += ra * yc[i];
                double[] g = gram[a];
                for (int b = a; b < d; b++) {
                    g[b] += ra * r[b];
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = 0; b < a; b++) {
                gram[a][b] = gram[b][a];
            }
        }
        Model best = null;
        for (double alpha : alphas) {
            double[][] l = LinAlg.cholesky(gram, alpha);
            double[] w = LinAlg.choleskySolve(l, xty);
            double looErr = 0;
            double looSq = 0;
            for (int i = 0; i < n; i++) {
                double[] r = x[i];
                double pred = 0;
                for (int k = 0; k < d; k++) {
                    pred += w[k] * r[k];
                }
                double[] ainvx = LinAlg.choleskySolve(l, r);
                double h = 1.0 / n;
                for (int k = 0; k < d; k++) {
                    h += r[k] * ainvx[k];
                }
                double res = yc[i] - pred;
                double looRes = res / Math.max(1e-9, 1 - h);
                looErr += Math.abs(looRes);
                looSq += looRes * looRes;
            }
            looErr /= n;
            if (best == null || looErr < best.looMae()) {
                best = new Model(st, w, ym, alpha, looErr, Math.sqrt(looSq / n));
            }
        }
        return best;
    }

    static double[][] concat(double[][] a, double[][] b) {
        double[][] out = new double[a.length + b.length][];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static double[] concat(double[] a, double[] b) {
        double[] out = new double[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
