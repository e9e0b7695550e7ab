package io.dimstream.heads;

/** Per-column standardisation fitted on training rows; constant columns map to 0. */
final class Standardizer {

    final double[] mean;
    final double[] scale;

    private Standardizer(double[] mean, double[] scale) {
        this.mean = mean;
        this.scale = scale;
    }

    static Standardizer fit(double[][] x) {
        int n = x.length;
        int d = x[0].length;
        double[] mean = new double[d];
        double[] scale = new double[d];
        for (double[] row : x) {
            for (int k = 0; k < d; k++) {
                mean[k] += row[k];
            }
        }
        for (int k = 0; k < d; k++) {
            mean[k] /= n;
        }
        for (double[] row : x) {
            for (int k = 0; k < d; k++) {
                double t = row[k] - mean[k];
                scale[k] += t * t;
            }
        }
        for (int k = 0; k < d; k++) {
            double sd = Math.sqrt(scale[k] / n);
            scale[k] = sd > 1e-12 ? 1.0 / sd : 0.0;
        }
        return new Standardizer(mean, scale);
    }

    double[] apply(double[] row) {
        double[] out = new double[row.length];
        for (int k = 0; k < row.length; k++) {
            out[k] = (row[k] - mean[k]) * scale[k];
        }
        return out;
    }

    double[][] apply(double[][] x) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = apply(x[i]);
        }
        return out;
    }
}
