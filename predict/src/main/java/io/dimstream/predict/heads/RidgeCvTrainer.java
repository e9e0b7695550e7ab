package io.dimstream.predict.heads;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Ridge with the regularisation λ chosen by k-fold cross-validation (lowest mean absolute error over a
 * log-spaced grid). Folds are a seeded shuffle, so a refit on the same data gives the same head. The
 * per-fold statistics are summed once and each fold's training set is (total − fold), so the whole
 * search costs one pass over the rows plus k·|grid| solves of a d×d system.
 */
public final class RidgeCvTrainer implements HeadTrainer {
    /** 1e-3 … 1e4, two points per decade. */
    public static final double[] DEFAULT_LAMBDAS = logGrid(1e-3, 1e4, 15);

    private final double[] lambdas;
    private final int folds;
    private final long seed;

    public RidgeCvTrainer(double[] lambdas, int folds, long seed) {
        if (lambdas.length == 0) {
            throw new IllegalArgumentException("no lambdas");
        }
        if (folds < 2) {
            throw new IllegalArgumentException("need at least 2 folds");
        }
        this.lambdas = lambdas.clone();
        this.folds = folds;
        this.seed = seed;
    }

    public RidgeCvTrainer() {
        this(DEFAULT_LAMBDAS, 5, 42);
    }

    @Override
    public String kind() {
        return "ridge";
    }

    public static double[] logGrid(double from, double to, int points) {
        double[] g = new double[points];
        double a = Math.log10(from);
        double b = Math.log10(to);
        for (int i = 0; i < points; i++) {
            g[i] = Math.pow(10, a + (b - a) * i / (points - 1));
        }
        return g;
    }

    /** Fold of each row: a seeded permutation dealt round-robin. */
    static int[] folds(int n, int k, long seed) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] fold = new int[n];
        for (int i = 0; i < n; i++) {
            fold[perm[i]] = i % k;
        }
        return fold;
    }

    @Override
    public FittedHead fit(double[][] x, double[] y) {
        int n = x.length;
        int k = Math.min(folds, n);
        Map<String, Double> details = new LinkedHashMap<>();
        if (n < 2 * folds || k < 2) {
            // too few rows to cross-validate: a middle-of-the-grid λ, MAE unknown
            double lam = 1.0;
            details.put("lambda", lam);
            return new FittedHead(RidgeRegression.fit(x, y, lam), Double.NaN, Double.NaN, n, details);
        }
        int[] fold = folds(n, k, seed);
        Moments[] parts = new Moments[k];
        for (int f = 0; f < k; f++) {
            parts[f] = RidgeRegression.moments(x, y, fold, f);
        }
        Moments total = parts[0];
        for (int f = 1; f < k; f++) {
            total = total.plus(parts[f]);
        }
        double bestMae = Double.POSITIVE_INFINITY;
        double bestRmse = Double.NaN;
        double bestLambda = lambdas[0];
        for (double lam : lambdas) {
            double absErr = 0;
            double sqErr = 0;
            for (int f = 0; f < k; f++) {
                LinearHead h = RidgeRegression.fit(total.minus(parts[f]), lam);
                for (int i = 0; i < n; i++) {
                    if (fold[i] == f) {
                        double e = h.predict(x[i]) - y[i];
                        absErr += Math.abs(e);
                        sqErr += e * e;
                    }
                }
            }
            double mae = absErr / n;
            details.put(String.format(Locale.ROOT, "cv_mae@%.3g", lam), mae);
            if (mae < bestMae) {
                bestMae = mae;
                bestRmse = Math.sqrt(sqErr / n);
                bestLambda = lam;
            }
        }
        details.put("lambda", bestLambda);
        details.put("folds", (double) k);
        return new FittedHead(RidgeRegression.fit(total, bestLambda), bestMae, bestRmse, n, details);
    }
}
