package io.dimstream.predict.heads;

/**
 * Sufficient statistics of a data set for ridge regression: n, Σx, Σy, Σy², XᵀX, Xᵀy. Additive, so k-fold
 * cross-validation fits each fold from (total − fold) without touching the rows again.
 */
final class Moments {
    final int d;
    long n;
    final double[] sx;
    double sy;
    final double[][] xtx;
    final double[] xty;

    Moments(int d) {
        this.d = d;
        this.sx = new double[d];
        this.xtx = new double[d][d];
        this.xty = new double[d];
    }

    void add(double[] x, double y) {
        n++;
        sy += y;
        for (int i = 0; i < d; i++) {
            double xi = x[i];
            sx[i] += xi;
            xty[i] += xi * y;
            double[] row = xtx[i];
            for (int j = 0; j <= i; j++) {
                row[j] += xi * x[j];
            }
        }
    }

    /** Mirrors the lower triangle (call once after the adds). */
    void symmetrize() {
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                xtx[j][i] = xtx[i][j];
            }
        }
    }

    Moments minus(Moments o) {
        Moments m = new Moments(d);
        m.n = n - o.n;
        m.sy = sy - o.sy;
        for (int i = 0; i < d; i++) {
            m.sx[i] = sx[i] - o.sx[i];
            m.xty[i] = xty[i] - o.xty[i];
            for (int j = 0; j < d; j++) {
                m.xtx[i][j] = xtx[i][j] - o.xtx[i][j];
            }
        }
        return m;
    }

    Moments plus(Moments o) {
        Moments m = new Moments(d);
        m.n = n + o.n;
        m.sy = sy + o.sy;
        for (int i = 0; i < d; i++) {
            m.sx[i] = sx[i] + o.sx[i];
            m.xty[i] = xty[i] + o.xty[i];
            for (int j = 0; j < d; j++) {
                m.xtx[i][j] = xtx[i][j] + o.xtx[i][j];
            }
        }
        return m;
    }
}
