package io.dimstream.heads;

import java.util.Locale;

import java.util.SplittableRandom;

/**
 * A small multilayer perceptron head (standardised inputs → hidden layer with SiLU → 1) trained
 * with AdamW on the mean squared error of the standardised target, mini-batches, and early
 * stopping: the weights of the epoch with the lowest validation MAE are kept. Pure Java and
 * deterministic for a seed; sized for the label counts of the protocol (tens to thousands of rows).
 */
public final class MlpHead implements RegressionHead {

    private final int hidden;
    private final int maxEpochs;
    private final int patience;
    private final double lr;
    private final double weightDecay;
    private final int batchSize;

    public MlpHead() {
        this(64, 400, 40, 3e-3, 1e-3, 32);
    }

    public MlpHead(int hidden, int maxEpochs, int patience, double lr, double weightDecay, int batchSize) {
        this.hidden = hidden;
        this.maxEpochs = maxEpochs;
        this.patience = patience;
        this.lr = lr;
        this.weightDecay = weightDecay;
        this.batchSize = batchSize;
    }

    /** The fitted network (weights of the best validation epoch). */
    public static final class Model implements Fitted {
        private final Standardizer st;
        private final double yMean;
        private final double yScale;
        private final double[][] w1;
        private final double[] b1;
        private final double[] w2;
        private final double b2;
        private final int bestEpoch;

        Model(Standardizer st, double yMean, double yScale, double[][] w1, double[] b1, double[] w2, double b2, int bestEpoch) {
            this.st = st;
            this.yMean = yMean;
            this.yScale = yScale;
            this.w1 = w1;
            this.b1 = b1;
            this.w2 = w2;
            this.b2 = b2;
            this.bestEpoch = bestEpoch;
        }

        public int bestEpoch() {
            return bestEpoch;
        }

        @Override
        public int dim() {
            return st.mean.length;
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "mlp(hidden=%d, silu, epoch=%d)", w1.length, bestEpoch);
        }

        @Override
        public double predict(double[] x) {
            if (x.length != st.mean.length) {
                throw new IllegalArgumentException("input has dimension " + x.length + ", the head expects " + st.mean.length);
            }
            double[] z = st.apply(x);
            return yMean + yScale * forward(z, w1, b1, w2, b2, null);
        }
    }

    @Override
    public Model fit(double[][] fitX, double[] fitY, double[][] valX, double[] valY, long seed) {
        int n = fitX.length;
        if (n < 2) {
            throw new HeadException("too-few-labels", "mlp needs at least 2 rows to fit, got " + n);
        }
        boolean hasVal = valX.length > 0;
        Standardizer st = Standardizer.fit(fitX);
        double[][] x = st.apply(fitX);
        double[][] xv = hasVal ? st.apply(valX) : new double[0][];
        double ym = 0;
        for (double v : fitY) {
            ym += v;
        }
        ym /= n;
        double var = 0;
        for (double v : fitY) {
            var += (v - ym) * (v - ym);
        }
        double ys = Math.sqrt(var / n);
        if (ys < 1e-12) {
            ys = 1;
        }
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = (fitY[i] - ym) / ys;
        }
        int d = x[0].length;
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] w1 = new double[hidden][d];
        double[] b1 = new double[hidden];
        double[] w2 = new double[hidden];
        double b2 = 0;
        double s1 = Math.sqrt(2.0 / d);
        for (double[] row : w1) {
            for (int k = 0; k < d; k++) {
                row[k] = gaussian(rnd) * s1;
            }
        }
        double s2 = Math.sqrt(1.0 / hidden);
        for (int h = 0; h < hidden; h++) {
            w2[h] = gaussian(rnd) * s2;
        }
        // Adam state
        double[][] mw1 = new double[hidden][d];
        double[][] vw1 = new double[hidden][d];
        double[] mb1 = new double[hidden];
        double[] vb1 = new double[hidden];
        double[] mw2 = new double[hidden];
        double[] vw2 = new double[hidden];
        double mb2 = 0;
        double vb2 = 0;
        double beta1 = 0.9;
        double beta2 = 0.999;
        long step = 0;

        double[][] gw1 = new double[hidden][d];
        double[] gb1 = new double[hidden];
        double[] gw2 = new double[hidden];
        double[] pre = new double[hidden];
        double[] act = new double[hidden];

        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double bestVal = Double.POSITIVE_INFINITY;
        Model best = null;
        int sinceBest = 0;
        int bs = Math.min(batchSize, n);
        for (int epoch = 0; epoch < maxEpochs; epoch++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int start = 0; start < n; start += bs) {
                int end = Math.min(n, start + bs);
                int m = end - start;
                for (double[] g : gw1) {
                    java.util.Arrays.fill(g, 0);
                }
                java.util.Arrays.fill(gb1, 0);
                java.util.Arrays.fill(gw2, 0);
                double gb2 = 0;
                for (int bi = start; bi < end; bi++) {
                    double[] xi = x[order[bi]];
                    for (int h = 0; h < hidden; h++) {
                        double s = b1[h];
                        double[] wr = w1[h];
                        for (int k = 0; k < d; k++) {
                            s += wr[k] * xi[k];
                        }
                        pre[h] = s;
                        act[h] = silu(s);
                    }
                    double out = b2;
                    for (int h = 0; h < hidden; h++) {
                        out += w2[h] * act[h];
                    }
                    double dOut = 2 * (out - y[order[bi]]) / m;
                    gb2 += dOut;
                    for (int h = 0; h < hidden; h++) {
                        gw2[h] += dOut * act[h];
                        double dPre = dOut * w2[h] * siluGrad(pre[h]);
                        if (dPre == 0) {
                            continue;
                        }
                        gb1[h] += dPre;
                        double[] g = gw1[h];
                        for (int k = 0; k < d; k++) {
                            g[k] += dPre * xi[k];
                        }
                    }
                }
                step++;
                double c1 = 1 - Math.pow(beta1, step);
                double c2 = 1 - Math.pow(beta2, step);
                for (int h = 0; h < hidden; h++) {
                    double[] wr = w1[h];
                    double[] g = gw1[h];
                    double[] mm = mw1[h];
                    double[] vv = vw1[h];
                    for (int k = 0; k < d; k++) {
                        mm[k] = beta1 * mm[k] + (1 - beta1) * g[k];
                        vv[k] = beta2 * vv[k] + (1 - beta2) * g[k] * g[k];
                        wr[k] -= lr * ((mm[k] / c1) / (Math.sqrt(vv[k] / c2) + 1e-8) + weightDecay * wr[k]);
                    }
                    mb1[h] = beta1 * mb1[h] + (1 - beta1) * gb1[h];
                    vb1[h] = beta2 * vb1[h] + (1 - beta2) * gb1[h] * gb1[h];
                    b1[h] -= lr * (mb1[h] / c1) / (Math.sqrt(vb1[h] / c2) + 1e-8);
                    mw2[h] = beta1 * mw2[h] + (1 - beta1) * gw2[h];
                    vw2[h] = beta2 * vw2[h] + (1 - beta2) * gw2[h] * gw2[h];
                    w2[h] -= lr * ((mw2[h] / c1) / (Math.sqrt(vw2[h] / c2) + 1e-8) + weightDecay * w2[h]);
                }
                mb2 = beta1 * mb2 + (1 - beta1) * gb2;
                vb2 = beta2 * vb2 + (1 - beta2) * gb2 * gb2;
                b2 -= lr * (mb2 / c1) / (Math.sqrt(vb2 / c2) + 1e-8);
            }
            if (!hasVal) {
                continue;
            }
            double valMae = 0;
            for (int i = 0; i < xv.length; i++) {
                valMae += Math.abs(ym + ys * forward(xv[i], w1, b1, w2, b2, null) - valY[i]);
            }
            valMae /= xv.length;
            if (valMae < bestVal) {
                bestVal = valMae;
                best = new Model(st, ym, ys, copy(w1), b1.clone(), w2.clone(), b2, epoch);
                sinceBest = 0;
            } else if (++sinceBest >= patience) {
                break;
            }
        }
        if (best == null) {
            best = new Model(st, ym, ys, copy(w1), b1.clone(), w2.clone(), b2, maxEpochs - 1);
        }
        return best;
    }

    static double forward(double[] z, double[][] w1, double[] b1, double[] w2, double b2, double[] actOut) {
        double out = b2;
        for (int h = 0; h < w1.length; h++) {
            double s = b1[h];
            double[] wr = w1[h];
            for (int k = 0; k < z.length; k++) {
                s += wr[k] * z[k];
            }
            out += w2[h] * silu(s);
        }
        return out;
    }

    static double silu(double v) {
        return v / (1 + Math.exp(-v));
    }

    static double siluGrad(double v) {
        double s = 1 / (1 + Math.exp(-v));
        return s * (1 + v * (1 - s));
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(Math.max(u1, 1e-300))) * Math.cos(2 * Math.PI * u2);
    }

    private static double[][] copy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }
}
