package io.dimstream.heads;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@link HeadTrainer} adapter over a {@link RegressionHead} that needs validation rows (the MLP for early
 * stopping, the tree ensembles for early stopping and uncertainty calibration): a deterministic (seeded)
 * {@value #VALIDATION_PERCENT} % of the rows it is given plays that part. The CV error is k-fold: each
 * fold is predicted by a head fitted (with its own inner validation split) on the other folds; the
 * returned head is then fitted on all rows the same way. Needs 2·k rows for the CV error, otherwise it is
 * NaN.
 */
public final class CrossValidatedTrainer implements HeadTrainer {
    static final int VALIDATION_PERCENT = 10;

    private final String kind;
    private final int folds;
    private final long seed;
    private final RegressionHead head;

    public CrossValidatedTrainer(String kind, RegressionHead head, int folds, long seed) {
        if (folds < 2) {
            throw new IllegalArgumentException("need at least 2 folds");
        }
        this.kind = kind;
        this.folds = folds;
        this.seed = seed;
        this.head = head;
    }

    /** The MLP head (SiLU hidden layer, AdamW, early stopping on validation MAE). */
    public static CrossValidatedTrainer mlp(int folds, long seed) {
        return new CrossValidatedTrainer("mlp", new MlpHead(), folds, seed);
    }

    /** A random forest ({@link TreeEnsembleHead.Kind#RF}) with a calibrated per-row uncertainty. */
    public static CrossValidatedTrainer rf(int folds, long seed) {
        return new CrossValidatedTrainer("rf", TreeEnsembleHead.of(TreeEnsembleHead.Kind.RF), folds, seed);
    }

    /** Gradient-boosted trees ({@link TreeEnsembleHead.Kind#GBM}) with a calibrated per-row uncertainty. */
    public static CrossValidatedTrainer gbm(int folds, long seed) {
        return new CrossValidatedTrainer("gbm", TreeEnsembleHead.of(TreeEnsembleHead.Kind.GBM), folds, seed);
    }

    @Override
    public String kind() {
        return kind;
    }

    /** The same head fitted once on all rows (its CV error is NaN): for benchmarks of a single fit. */
    public HeadTrainer withoutCrossValidation() {
        CrossValidatedTrainer self = this;
        return new HeadTrainer() {
            @Override
            public FittedHead fit(double[][] x, double[] y) {
                return new FittedHead(self.train(x, y, seed), Double.NaN, Double.NaN, x.length, Map.of(), kind);
            }

            @Override
            public String kind() {
                return kind;
            }
        };
    }

    /** Deterministic fold index per row (a seeded shuffle, then round-robin), balanced sizes. */
    static int[] folds(int n, int k, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] fold = new int[n];
        for (int i = 0; i < n; i++) {
            fold[order[i]] = i % k;
        }
        return fold;
    }

    @Override
    public FittedHead fit(double[][] x, double[] y) {
        int n = x.length;
        double mae = Double.NaN;
        double rmse = Double.NaN;
        if (n >= 2 * folds) {
            int[] fold = folds(n, folds, seed);
            double abs = 0;
            double sq = 0;
            for (int f = 0; f < folds; f++) {
                List<double[]> tx = new ArrayList<>();
                List<Double> ty = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (fold[i] != f) {
                        tx.add(x[i]);
                        ty.add(y[i]);
                    }
                }
                RegressionHead.Fitted h = train(tx.toArray(new double[0][]), ty.stream().mapToDouble(Double::doubleValue).toArray(), seed + 1 + f);
                for (int i = 0; i < n; i++) {
                    if (fold[i] == f) {
                        double e = h.predict(x[i]) - y[i];
                        abs += Math.abs(e);
                        sq += e * e;
                    }
                }
                h.close();
            }
            mae = abs / n;
            rmse = Math.sqrt(sq / n);
        }
        RegressionHead.Fitted fitted = train(x, y, seed);
        Map<String, Double> details = new LinkedHashMap<>();
        if (fitted instanceof MlpHead.Model m) {
            details.put("bestEpoch", (double) m.bestEpoch());
        } else if (fitted instanceof TreeEnsembleHead.Model t) {
            details.putAll(t.details());
        }
        details.put("folds", (double) folds);
        return new FittedHead(fitted, mae, rmse, n, details, kind);
    }

    /** Fits on the rows with a seeded {@value #VALIDATION_PERCENT} % validation split for early stopping. */
    RegressionHead.Fitted train(double[][] x, double[] y, long s) {
        int n = x.length;
        int nVal = n >= 10 ? Math.max(1, n * VALIDATION_PERCENT / 100) : 0;
        int[] v = folds(n, n, s); // a seeded permutation: rows with index < nVal validate
        List<double[]> fx = new ArrayList<>();
        List<Double> fy = new ArrayList<>();
        List<double[]> vx = new ArrayList<>();
        List<Double> vy = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (v[i] < nVal) {
                vx.add(x[i]);
                vy.add(y[i]);
            } else {
                fx.add(x[i]);
                fy.add(y[i]);
            }
        }
        return head.fit(fx.toArray(new double[0][]), fy.stream().mapToDouble(Double::doubleValue).toArray(),
                vx.toArray(new double[0][]), vy.stream().mapToDouble(Double::doubleValue).toArray(), s);
    }
}
