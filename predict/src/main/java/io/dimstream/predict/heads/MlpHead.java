package io.dimstream.predict.heads;

import java.util.Locale;

/**
 * One-hidden-layer perceptron: y = ȳ + s·(w2 · tanh(W1 · z + b1) + b2) with z the standardised input.
 * Immutable.
 */
public final class MlpHead implements Head {
    final double[] mu;
    final double[] sigma;
    final double[][] w1;
    final double[] b1;
    final double[] w2;
    final double b2;
    final double yMean;
    final double yScale;

    MlpHead(double[] mu, double[] sigma, double[][] w1, double[] b1, double[] w2, double b2, double yMean, double yScale) {
        this.mu = mu;
        this.sigma = sigma;
        this.w1 = w1;
        this.b1 = b1;
        this.w2 = w2;
        this.b2 = b2;
        this.yMean = yMean;
        this.yScale = yScale;
    }

    @Override
    public int dim() {
        return mu.length;
    }

    double[] standardise(double[] x) {
        double[] z = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            z[i] = (x[i] - mu[i]) / sigma[i];
        }
        return z;
    }

    /** Output in standardised target units for a standardised input (training uses this). */
    double forwardStd(double[] z, double[] hiddenOut) {
        double out = b2;
        for (int h = 0; h < w1.length; h++) {
            double s = b1[h];
            double[] row = w1[h];
            for (int i = 0; i < z.length; i++) {
                s += row[i] * z[i];
            }
            double a = Math.tanh(s);
            if (hiddenOut != null) {
                hiddenOut[h] = a;
            }
            out += w2[h] * a;
        }
        return out;
    }

    @Override
    public double predict(double[] x) {
        if (x.length != mu.length) {
            throw new IllegalArgumentException("input has dimension " + x.length + ", the head expects " + mu.length);
        }
        return yMean + yScale * forwardStd(standardise(x), null);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "mlp(hidden=%d, tanh)", w1.length);
    }
}
