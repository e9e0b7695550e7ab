package io.dimstream.predict.heads;

import java.util.Locale;

/** y = w·x + b, in the original (unstandardised) units of x and y. */
public record LinearHead(double[] weights, double intercept, String describe) implements Head {

    public LinearHead {
        weights = weights.clone();
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    @Override
    public int dim() {
        return weights.length;
    }

    @Override
    public double predict(double[] x) {
        if (x.length != weights.length) {
            throw new IllegalArgumentException("input has dimension " + x.length + ", the head expects " + weights.length);
        }
        double s = intercept;
        for (int i = 0; i < x.length; i++) {
            s += weights[i] * x[i];
        }
        return s;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "LinearHead[%s, dim=%d, b=%.4g]", describe, weights.length, intercept);
    }
}
