package io.dimstream.predict.heads;

import java.util.Locale;

/**
 * Closed-form ridge regression with standardisation.
 *
 * <p>Each input column is standardised with the training mean and (population) standard deviation, y is
 * centred, and β = (ZᵀZ + λI)⁻¹ Zᵀ(y − ȳ) is solved by Cholesky; the result is mapped back to the original
 * units: w = β/σ, b = ȳ − μ·w. The intercept is not penalised. Columns with zero variance get weight 0.
 * Everything is computed from the sufficient statistics (XᵀX, Xᵀy, sums), so the cost is O(n·d² + d³).
 */
public final class RidgeRegression {
    private RidgeRegression() {
    }

    /** Fits on rows X (n × d) and targets y. */
    public static LinearHead fit(double[][] x, double[] y, double lambda) {
        return fit(moments(x, y, null, -1), lambda);
    }

    static Moments moments(double[][] x, double[] y, int[] fold, int only) {
        if (x.length != y.length) {
            throw new IllegalArgumentException(x.length + " rows but " + y.length + " targets");
        }
        if (x.length == 0) {
            throw new IllegalArgumentException("no training rows");
        }
        Moments m = new Moments(x[0].length);
        for (int i = 0; i < x.length; i++) {
            if (only < 0 || fold[i] == only) {
                m.add(x[i], y[i]);
            }
        }
        m.symmetrize();
        return m;
    }

    static LinearHead fit(Moments m, double lambda) {
        if (!(lambda >= 0)) {
            throw new IllegalArgumentException("lambda must be >= 0");
        }
        int d = m.d;
        double n = m.n;
        double[] mu = new double[d];
        double[] sigma = new double[d];
        for (int i = 0; i < d; i++) {
            mu[i] = m.sx[i] / n;
        }
        double ybar = m.sy / n;
        for (int i = 0; i < d; i++) {
            double var = m.xtx[i][i] / n - mu[i] * mu[i];
            sigma[i] = var > 1e-12 * Math.max(1, mu[i] * mu[i]) ? Math.sqrt(var) : 0;
        }
        // A = ZᵀZ + λI with ZᵀZ_ij = (XᵀX_ij − n μi μj) / (σi σj); c = Zᵀ(y − ȳ) = (Xᵀy_i − n μi ȳ) / σi
        double[][] a = new double[d][d];
        double[] c = new double[d];
        for (int i = 0; i < d; i++) {
            if (sigma[i] == 0) {
                a[i][i] = 1; // decoupled, c = 0 → β = 0
                continue;
            }
            for (int j = 0; j < d; j++) {
                if (sigma[j] == 0) {
                    continue;
                }
                a[i][j] = (m.xtx[i][j] - n * mu[i] * mu[j]) / (sigma[i] * sigma[j]);
            }
            a[i][i] += lambda;
            c[i] = (m.xty[i] - n * mu[i] * ybar) / sigma[i];
        }
        double[] beta;
        try {
            beta = Cholesky.solve(a, c);
        } catch (ArithmeticException e) {
            // λ = 0 with collinear columns: add the smallest ridge that makes it solvable
            for (int i = 0; i < d; i++) {
                a[i][i] += 1e-8 * n;
            }
            beta = Cholesky.solve(a, c);
        }
        double[] w = new double[d];
        double b = ybar;
        for (int i = 0; i < d; i++) {
            w[i] = sigma[i] == 0 ? 0 : beta[i] / sigma[i];
            b -= mu[i] * w[i];
        }
        return new LinearHead(w, b, String.format(Locale.ROOT, "ridge(lambda=%.3g)", lambda));
    }
}
