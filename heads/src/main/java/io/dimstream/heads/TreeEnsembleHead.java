package io.dimstream.heads;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Tree-ensemble heads on XGBoost4J (Apache-2.0; the native, multi-threaded CPU library ships inside the
 * jar): a random forest ({@link Kind#RF}) and gradient-boosted trees ({@link Kind#GBM}). Why XGBoost and
 * not Tribuo's trees or Smile: it is the most widely used and maintained tree library with a Java API,
 * trains histogram trees on all cores (30,000 rows x 200 features in seconds), is deterministic for a
 * seed, and is Apache-2.0 (Smile 3.x is GPL-3.0); Tribuo's CART is single-threaded and much slower at
 * 30,000 rows.
 *
 * <p><b>Random forest</b>: {@value #FOREST_PARTS} independent forests of {@code trees / parts} trees each
 * (XGBoost's random-forest mode: one round of parallel trees, learning rate 1, no shrinkage or
 * regularisation, trees grown down to single rows or depth {@value #FOREST_DEPTH}, each tree on a 63.2 % row sample
 * and {@code colsampleByNode} of the features per split), averaged. <b>Gradient boosting</b>:
 * {@value #BOOST_SEEDS} boosters with different seeds (learning rate 0.05, depth 6, 80 % row and
 * feature sampling, at most {@code maxRounds} rounds, early stopping after 50 rounds without improvement of
 * the validation MAE), averaged.
 *
 * <p><b>Uncertainty</b> ({@link Model#uncertainty}): the spread (standard deviation) of the members'
 * predictions (the sub-forests, or the boosters), scaled by a factor fitted on the validation rows so that
 * the median of |error| / σ is that of a normal distribution (0.674): a calibrated 1σ. With fewer than
 * {@value #MIN_CALIBRATION} validation rows the factor is 1.
 *
 * <p>The forest is fitted on the fit rows first (to calibrate on the validation rows), then refitted on
 * fit + validation rows (a forest needs no early stopping); the boosters keep the validation rows for
 * early stopping. Deterministic per seed (XGBoost's own seeds derive from it).
 */
public final class TreeEnsembleHead implements RegressionHead {

    /** The two ensembles. */
    public enum Kind {
        RF("rf"), GBM("gbm");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }
    }

    static final int FOREST_PARTS = 10;
    static final int BOOST_SEEDS = 5;
    static final int MIN_CALIBRATION = 5;
    static final int CHECK_EVERY = 10;
    static final int PATIENCE = 50;
    /** Boosting rounds without validation rows to stop on. */
    static final int DEFAULT_ROUNDS = 300;
    /**
     * Depth cap of forest trees: 2^12 = 4,096 leaves, single rows at the label counts of interest (&le; 1,000).
     * XGBoost's histogram trees cost about (bins x features) per node, so fully grown trees are expensive;
     * depth 12 with {@value #FOREST_BINS} bins was the best speed/accuracy point measured (docs/evaluation.md).
     */
    static final int FOREST_DEPTH = 12;
    static final int FOREST_BINS = 64;
    private static final double NORMAL_MEDIAN_ABS_Z = 0.6744897501960817;

    private final Kind kind;
    private final int trees;
    private final double colsampleByNode;
    private final int maxRounds;
    private final int threads;

    /**
     * @param kind            forest or boosting
     * @param trees           forest: total trees (split into {@value #FOREST_PARTS} sub-forests)
     * @param colsampleByNode forest: share of features tried per split
     * @param maxRounds       boosting: cap on rounds per booster
     * @param threads         XGBoost threads (0 = all cores)
     */
    public TreeEnsembleHead(Kind kind, int trees, double colsampleByNode, int maxRounds, int threads) {
        if (trees < FOREST_PARTS || maxRounds < 1 || !(colsampleByNode > 0 && colsampleByNode <= 1)) {
            throw new IllegalArgumentException("bad tree-ensemble settings: trees " + trees + ", colsample "
                    + colsampleByNode + ", rounds " + maxRounds);
        }
        this.kind = kind;
        this.trees = trees;
        this.colsampleByNode = colsampleByNode;
        this.maxRounds = maxRounds;
        this.threads = threads;
    }

    /** The defaults: 200 trees with a third of the features per split; boosting up to 2,000 rounds. */
    public static TreeEnsembleHead of(Kind kind) {
        return new TreeEnsembleHead(kind, 200, 1.0 / 3, 2000, 0);
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public Model fit(double[][] fitX, double[] fitY, double[][] valX, double[] valY, long seed) {
        if (fitX.length < 2) {
            throw new HeadException("too-few-labels", "a tree ensemble needs at least 2 labelled rows, got " + fitX.length);
        }
        int d = fitX[0].length;
        try {
            if (kind == Kind.RF) {
                Booster[] first = forest(fitX, fitY, seed);
                double scale = 1;
                try {
                    scale = calibration(first, valX, valY);
                } finally {
                    dispose(first);
                }
                double[][] allX = concat(fitX, valX);
                double[] allY = concat(fitY, valY);
                Booster[] finalForest = forest(allX, allY, seed);
                Map<String, Double> details = new LinkedHashMap<>();
                details.put("trees", (double) trees);
                details.put("colsampleByNode", colsampleByNode);
                details.put("sigmaScale", scale);
                return new Model(kind, finalForest, d, scale, details);
            }
            Booster[] boosters = boosters(fitX, fitY, valX, valY, seed);
            double scale = calibration(boosters, valX, valY);
            double rounds = 0;
            for (Booster b : boosters) {
                rounds += bestRounds(b);
            }
            Map<String, Double> details = new LinkedHashMap<>();
            details.put("rounds", rounds / boosters.length);
            details.put("sigmaScale", scale);
            return new Model(kind, boosters, d, scale, details);
        } catch (XGBoostError e) {
            throw new HeadException("xgboost", "XGBoost failed: " + e.getMessage());
        }
    }

    private Booster[] forest(double[][] x, double[] y, long seed) throws XGBoostError {
        DMatrix m = matrix(x, y);
        try {
            Booster[] out = new Booster[FOREST_PARTS];
            for (int p = 0; p < FOREST_PARTS; p++) {
                Map<String, Object> params = base(seed * 31 + p);
                params.put("num_parallel_tree", trees / FOREST_PARTS);
                params.put("eta", 1.0);
                params.put("subsample", 0.632);
                params.put("colsample_bynode", colsampleByNode);
                params.put("max_depth", FOREST_DEPTH);
                params.put("max_bin", FOREST_BINS);
                params.put("min_child_weight", 1.0);
                params.put("lambda", 0.0);
                params.put("base_score", mean(y));
                out[p] = XGBoost.train(m, params, 1, new HashMap<>(), null, null);
            }
            return out;
        } finally {
            m.dispose();
        }
    }

    /**
     * Boosters trained round by round; with validation rows, their MAE is checked every
     * {@value #CHECK_EVERY} rounds and training stops {@value #PATIENCE} rounds after the best, which is
     * then the booster's prediction range (attribute {@code best_iteration}). Written out here rather than
     * through XGBoost's own early stopping, which prints every round's metric to the console.
     */
    private Booster[] boosters(double[][] fx, double[] fy, double[][] vx, double[] vy, long seed) throws XGBoostError {
        boolean early = vx.length > 0;
        DMatrix m = matrix(fx, fy);
        float[] vflat = early ? flatten(vx) : null;
        try {
            Booster[] out = new Booster[BOOST_SEEDS];
            for (int s = 0; s < BOOST_SEEDS; s++) {
                Map<String, Object> params = base(seed * 31 + s);
                params.put("eta", 0.05);
                params.put("max_depth", 6);
                params.put("subsample", 0.8);
                params.put("colsample_bytree", 0.8);
                params.put("min_child_weight", 1.0);
                params.put("lambda", 1.0);
                params.put("base_score", mean(fy));
                Booster b = XGBoost.train(m, params, 0, new HashMap<>(), null, null);
                int rounds = early ? maxRounds : Math.min(maxRounds, DEFAULT_ROUNDS);
                int best = rounds;
                double bestMae = Double.POSITIVE_INFINITY;
                for (int it = 0; it < rounds; it++) {
                    b.update(m, it);
                    if (early && ((it + 1) % CHECK_EVERY == 0 || it + 1 == rounds)) {
                        float[][] p = b.inplace_predict(vflat, vx.length, vx[0].length, Float.NaN, new int[] {0, it + 1});
                        double mae = 0;
                        for (int i = 0; i < vx.length; i++) {
                            mae += Math.abs(p[i][0] - vy[i]);
                        }
                        mae /= vx.length;
                        if (mae < bestMae) {
                            bestMae = mae;
                            best = it + 1;
                        } else if (it + 1 - best >= PATIENCE) {
                            break;
                        }
                    }
                }
                b.setAttr("best_iteration", Integer.toString(best - 1));
                out[s] = b;
            }
            return out;
        } finally {
            m.dispose();
        }
    }

    private Map<String, Object> base(long seed) {
        Map<String, Object> p = new HashMap<>();
        p.put("booster", "gbtree");
        p.put("objective", "reg:squarederror");
        p.put("tree_method", "hist");
        p.put("max_bin", 256);
        p.put("seed", (int) (seed & 0x7fffffff));
        p.put("nthread", threads);
        p.put("verbosity", 0);
        return p;
    }

    /** Scale of the member spread that makes median |error| / σ normal on the validation rows. */
    private static double calibration(Booster[] members, double[][] vx, double[] vy) throws XGBoostError {
        if (vx.length < MIN_CALIBRATION) {
            return 1;
        }
        double[][] mp = memberPredictions(members, vx);
        double[] z = new double[vx.length];
        int n = 0;
        for (int i = 0; i < vx.length; i++) {
            double mean = 0;
            for (double[] p : mp) {
                mean += p[i];
            }
            mean /= mp.length;
            double sd = spread(mp, i, mean);
            if (sd > 0) {
                z[n++] = Math.abs(vy[i] - mean) / sd;
            }
        }
        if (n < MIN_CALIBRATION) {
            return 1;
        }
        double[] zz = Arrays.copyOf(z, n);
        Arrays.sort(zz);
        double median = n % 2 == 1 ? zz[n / 2] : 0.5 * (zz[n / 2 - 1] + zz[n / 2]);
        return median > 0 ? median / NORMAL_MEDIAN_ABS_Z : 1;
    }

    static double spread(double[][] memberPreds, int i, double mean) {
        double s = 0;
        for (double[] p : memberPreds) {
            s += (p[i] - mean) * (p[i] - mean);
        }
        return Math.sqrt(s / Math.max(1, memberPreds.length - 1));
    }

    static double[][] memberPredictions(Booster[] members, double[][] x) throws XGBoostError {
        float[] flat = flatten(x);
        double[][] out = new double[members.length][x.length];
        for (int m = 0; m < members.length; m++) {
            float[][] p = members[m].inplace_predict(flat, x.length, x[0].length, Float.NaN, bestRange(members[m]));
            for (int i = 0; i < x.length; i++) {
                out[m][i] = p[i][0];
            }
        }
        return out;
    }

    /** The iteration range to predict with: up to the best round when early stopping ran. */
    private static int[] bestRange(Booster b) throws XGBoostError {
        String best = b.getAttr("best_iteration");
        return best == null ? new int[] {0, 0} : new int[] {0, Integer.parseInt(best) + 1};
    }

    private static double bestRounds(Booster b) throws XGBoostError {
        String best = b.getAttr("best_iteration");
        return best == null ? Double.NaN : Integer.parseInt(best) + 1;
    }

    private static DMatrix matrix(double[][] x, double[] y) throws XGBoostError {
        DMatrix m = new DMatrix(flatten(x), x.length, x[0].length, Float.NaN);
        float[] label = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            label[i] = (float) y[i];
        }
        m.setLabel(label);
        return m;
    }

    private static float[] flatten(double[][] x) {
        int d = x[0].length;
        float[] f = new float[x.length * d];
        for (int i = 0; i < x.length; i++) {
            if (x[i].length != d) {
                throw new HeadException("bad-input", "row " + i + " has " + x[i].length + " features, expected " + d);
            }
            for (int k = 0; k < d; k++) {
                f[i * d + k] = (float) x[i][k];
            }
        }
        return f;
    }

    private static double mean(double[] y) {
        double s = 0;
        for (double v : y) {
            s += v;
        }
        return y.length == 0 ? 0 : s / y.length;
    }

    static double[][] concat(double[][] a, double[][] b) {
        double[][] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static double[] concat(double[] a, double[] b) {
        double[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void dispose(Booster[] bs) {
        for (Booster b : bs) {
            b.dispose();
        }
    }

    /**
     * A fitted ensemble. Thread-safe (XGBoost's in-place prediction is); holds native boosters, which are
     * released when the model is garbage-collected (XGBoost's own cleaner) or by {@link #close()}.
     */
    public static final class Model implements RegressionHead.Fitted {
        private final Kind kind;
        private final Booster[] members;
        private final int dim;
        private final double sigmaScale;
        private final Map<String, Double> details;

        Model(Kind kind, Booster[] members, int dim, double sigmaScale, Map<String, Double> details) {
            this.kind = kind;
            this.members = members;
            this.dim = dim;
            this.sigmaScale = sigmaScale;
            this.details = Map.copyOf(details);
        }

        @Override
        public int dim() {
            return dim;
        }

        /** Hyper-parameters and fitted quantities (trees or rounds, the σ scale). */
        public Map<String, Double> details() {
            return details;
        }

        @Override
        public double predict(double[] x) {
            return predictWithUncertainty(new double[][] {x})[0][0];
        }

        @Override
        public double[] predict(double[][] x) {
            double[][] pu = predictWithUncertainty(x);
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = pu[i][0];
            }
            return out;
        }

        @Override
        public double[] predictAll(double[][] x) {
            return predict(x);
        }

        @Override
        public double uncertainty(double[] x) {
            return predictWithUncertainty(new double[][] {x})[0][1];
        }

        /** Rows of {prediction, calibrated 1σ}. */
        public double[][] predictWithUncertainty(double[][] x) {
            if (x.length == 0) {
                return new double[0][];
            }
            try {
                double[][] mp = memberPredictions(members, x);
                double[][] out = new double[x.length][2];
                for (int i = 0; i < x.length; i++) {
                    double mean = 0;
                    for (double[] p : mp) {
                        mean += p[i];
                    }
                    mean /= mp.length;
                    out[i][0] = mean;
                    out[i][1] = sigmaScale * spread(mp, i, mean);
                }
                return out;
            } catch (XGBoostError e) {
                throw new HeadException("xgboost", "XGBoost prediction failed: " + e.getMessage());
            }
        }

        @Override
        public String describe() {
            StringBuilder sb = new StringBuilder(kind.id()).append('(');
            boolean first = true;
            for (Map.Entry<String, Double> e : details.entrySet()) {
                sb.append(first ? "" : ", ").append(e.getKey()).append('=')
                        .append(String.format(Locale.ROOT, "%.4g", e.getValue()));
                first = false;
            }
            return sb.append(')').toString();
        }

        @Override
        public void close() {
            dispose(members);
        }
    }
}
