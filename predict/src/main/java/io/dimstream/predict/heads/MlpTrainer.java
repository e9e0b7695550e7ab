package io.dimstream.predict.heads;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A small MLP head (one tanh hidden layer, Adam, mini-batches, L2 weight decay, early stopping on a 10 %
 * validation split), with the same k-fold cross-validated MAE as the ridge head so the two compare.
 * Pure Java; meant for a few thousand to a few tens of thousands of labelled embeddings.
 */
public final class MlpTrainer implements HeadTrainer {
    private final int folds;
    private final long seed;
    private final int hidden;
    private final int maxEpochs;
    private final double lr;
    private final double weightDecay;

    public MlpTrainer(int folds, long seed, int hidden, int maxEpochs, double lr, double weightDecay) {
        this.folds = folds;
        this.seed = seed;
        this.hidden = hidden;
        this.maxEpochs = maxEpochs;
        this.lr = lr;
        this.weightDecay = weightDecay;
    }

    public MlpTrainer(int folds, long seed) {
        this(folds, seed, 32, 200, 3e-3, 1e-4);
    }

    @Override
    public String kind() {
        return "mlp";
    }

    @Override
    public FittedHead fit(double[][] x, double[] y) {
        int n = x.length;
        Map<String, Double> details = new LinkedHashMap<>();
        details.put("hidden", (double) hidden);
        double mae = Double.NaN;
        double rmse = Double.NaN;
        if (n >= 2 * folds) {
            int[] fold = RidgeCvTrainer.folds(n, folds, seed);
            double abs = 0;
            double sq = 0;
            for (int f = 0; f < folds; f++) {
                int cnt = 0;
                for (int v : fold) {
                    if (v != f) {
                        cnt++;
                    }
                }
                double[][] tx = new double[cnt][];
                double[] ty = new double[cnt];
                int j = 0;
                for (int i = 0; i < n; i++) {
                    if (fold[i] != f) {
                        tx[j] = x[i];
                        ty[j++] = y[i];
                    }
                }
                MlpHead h = train(tx, ty, seed + f);
                for (int i = 0; i < n; i++) {
                    if (fold[i] == f) {
                        double e = h.predict(x[i]) - y[i];
                        abs += Math.abs(e);
                        sq += e * e;
                    }
                }
            }
            mae = abs / n;
            rmse = Math.sqrt(sq / n);
        }
        return new FittedHead(train(x, y, seed), mae, rmse, n, details);
    }

    MlpHead train(double[][] x, double[] y, long s) {
        int n = x.length;
        int d = x[0].length;
        Random rnd = new Random(s);
        double[] mu = new double[d];
        double[] sigma = new double[d];
        for (double[] r : x) {
            for (int i = 0; i < d; i++) {
                mu[i] += r[i];
            }
        }
        for (int i = 0; i < d; i++) {
            mu[i] /= n;
        }
        for (double[] r : x) {
            for (int i = 0; i < d; i++) {
                sigma[i] += (r[i] - mu[i]) * (r[i] - mu[i]);
            }
        }
        for (int i = 0; i < d; i++) {
            sigma[i] = Math.sqrt(sigma[i] / n);
            if (!(sigma[i] > 1e-12)) {
                sigma[i] = 1;
            }
        }
        double ym = 0;
        for (double v : y) {
            ym += v;
        }
        ym /= n;
        double ys = 0;
        for (double v : y) {
            ys += (v - ym) * (v - ym);
        }
        ys = Math.sqrt(ys / n);
        if (!(ys > 1e-12)) {
            ys = 1;
        }
        double[][] z = new double[n][];
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = new double[d];
            for (int k = 0; k < d; k++) {
                z[i][k] = (x[i][k] - mu[k]) / sigma[k];
            }
            t[i] = (y[i] - ym) / ys;
        }
        double[][] w1 = new double[hidden][d];
        double[] b1 = new double[hidden];
        double[] w2 = new double[hidden];
        double scale1 = Math.sqrt(1.0 / d);
        for (double[] row : w1) {
            for (int i = 0; i < d; i++) {
                row[i] = rnd.nextGaussian() * scale1;
            }
        }
        for (int h = 0; h < hidden; h++) {
            w2[h] = rnd.nextGaussian() * Math.sqrt(1.0 / hidden);
        }
        double[] b2 = {0};
        // validation split for early stopping
        int[] order = RidgeCvTrainer.folds(n, 10, s);
        int nParams = hidden * d + hidden + hidden + 1;
        double[] m = new double[nParams];
        double[] v = new double[nParams];
        double[] g = new double[nParams];
        double beta1 = 0.9;
        double beta2 = 0.999;
        int step = 0;
        int batch = 64;
        MlpHead best = null;
        double bestVal = Double.POSITIVE_INFINITY;
        int sinceBest = 0;
        int[] train = java.util.stream.IntStream.range(0, n).filter(i -> n < 20 || order[i] != 0).toArray();
        int[] val = java.util.stream.IntStream.range(0, n).filter(i -> n >= 20 && order[i] == 0).toArray();
        double[] hid = new double[hidden];
        for (int epoch = 0; epoch < maxEpochs; epoch++) {
            for (int i = train.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int tmp = train[i];
                train[i] = train[j];
                train[j] = tmp;
            }
            MlpHead cur = new MlpHead(mu, sigma, w1, b1, w2, b2[0], ym, ys);
            for (int start = 0; start < train.length; start += batch) {
                int end = Math.min(train.length, start + batch);
                java.util.Arrays.fill(g, 0);
                for (int bi = start; bi < end; bi++) {
                    int i = train[bi];
                    double out = cur.forwardStd(z[i], hid);
                    // the head reads b2 from its field: keep it in sync
                    double err = out - t[i];
                    int p = 0;
                    for (int h = 0; h < hidden; h++) {
                        double dh = err * w2[h] * (1 - hid[h] * hid[h]);
                        for (int k = 0; k < d; k++) {
                            g[p++] += dh * z[i][k];
                        }
                    }
                    for (int h = 0; h < hidden; h++) {
                        g[p++] += err * w2[h] * (1 - hid[h] * hid[h]);
                    }
                    for (int h = 0; h < hidden; h++) {
                        g[p++] += err * hid[h];
                    }
                    g[p] += err;
                }
                double inv = 1.0 / (end - start);
                step++;
                double c1 = 1 - Math.pow(beta1, step);
                double c2 = 1 - Math.pow(beta2, step);
                int p = 0;
                for (int h = 0; h < hidden; h++) {
                    for (int k = 0; k < d; k++) {
                        w1[h][k] -= adam(g[p] * inv + weightDecay * w1[h][k], m, v, p, beta1, beta2, c1, c2);
                        p++;
                    }
                }
                for (int h = 0; h < hidden; h++) {
                    b1[h] -= adam(g[p] * inv, m, v, p, beta1, beta2, c1, c2);
                    p++;
                }
                for (int h = 0; h < hidden; h++) {
                    w2[h] -= adam(g[p] * inv + weightDecay * w2[h], m, v, p, beta1, beta2, c1, c2);
                    p++;
                }
                b2[0] -= adam(g[p] * inv, m, v, p, beta1, beta2, c1, c2);
                cur = new MlpHead(mu, sigma, w1, b1, w2, b2[0], ym, ys);
            }
            if (val.length == 0) {
                best = snapshot(mu, sigma, w1, b1, w2, b2[0], ym, ys);
                continue;
            }
            double vl = 0;
            for (int i : val) {
                vl += Math.abs(cur.forwardStd(z[i], null) - t[i]);
            }
            if (vl < bestVal - 1e-9) {
                bestVal = vl;
                best = snapshot(mu, sigma, w1, b1, w2, b2[0], ym, ys);
                sinceBest = 0;
            } else if (++sinceBest >= 15) {
                break;
            }
        }
        return best != null ? best : snapshot(mu, sigma, w1, b1, w2, b2[0], ym, ys);
    }

    private double adam(double grad, double[] m, double[] v, int p, double b1, double b2, double c1, double c2) {
        m[p] = b1 * m[p] + (1 - b1) * grad;
        v[p] = b2 * v[p] + (1 - b2) * grad * grad;
        return lr * (m[p] / c1) / (Math.sqrt(v[p] / c2) + 1e-8);
    }

    private static MlpHead snapshot(double[] mu, double[] sigma, double[][] w1, double[] b1, double[] w2, double b2, double ym, double ys) {
        double[][] w1c = new double[w1.length][];
        for (int h = 0; h < w1.length; h++) {
            w1c[h] = w1[h].clone();
        }
        return new MlpHead(mu.clone(), sigma.clone(), w1c, b1.clone(), w2.clone(), b2, ym, ys);
    }
}
