package io.dimstream.core.crystal;

/**
 * Niggli reduction (Křivý–Gruber 1976 with the ε-tolerant comparisons of Grosse-Kunstleve et al.
 * 2004), applied directly to the basis vectors so the Cartesian frame is kept. The result is
 * right-handed and deterministic.
 */
public final class Niggli {
    private Niggli() {
    }

    /** Relative tolerance of the metric comparisons. */
    public static final double DEFAULT_EPS = 1e-5;
    private static final int MAX_ITER = 10_000;

    /** The Niggli-reduced basis of the same lattice. */
    public static Lattice reduce(Lattice lattice) {
        return new Lattice(reduceBasis(lattice.matrix(), DEFAULT_EPS));
    }

    /** Reduces a basis (rows = vectors); returns a new right-handed basis of the same lattice. */
    public static double[][] reduceBasis(double[][] basis, double relEps) {
        double[] a = basis[0].clone();
        double[] b = basis[1].clone();
        double[] c = basis[2].clone();
        double vol = Math.abs(Mat3.det(basis));
        double e = relEps * Math.pow(vol, 2.0 / 3.0);
        for (int iter = 0; iter < MAX_ITER; iter++) {
            double aa = Mat3.dot(a, a);
            double bb = Mat3.dot(b, b);
            double cc = Mat3.dot(c, c);
            double xi = 2 * Mat3.dot(b, c);
            double eta = 2 * Mat3.dot(a, c);
            double zeta = 2 * Mat3.dot(a, b);
            // A1
            if (aa > bb + e || (Math.abs(aa - bb) <= e && Math.abs(xi) > Math.abs(eta) + e)) {
                double[] t = a;
                a = neg(b);
                b = neg(t);
                c = neg(c);
                continue;
            }
            // A2
            if (bb > cc + e || (Math.abs(bb - cc) <= e && Math.abs(eta) > Math.abs(zeta) + e)) {
                double[] t = b;
                a = neg(a);
                b = neg(c);
                c = neg(t);
                continue;
            }
            int sx = sign(xi, e);
            int se = sign(eta, e);
            int sz = sign(zeta, e);
            // A3 / A4: make the three off-diagonal terms all positive or all non-positive
            boolean allPositive = sx * se * sz > 0;
            if (!(allPositive && sx > 0 && se > 0 && sz > 0) && !(!allPositive && sx <= 0 && se <= 0 && sz <= 0)) {
                int[] best = null;
                for (int s = 0; s < 8 && best == null; s++) {
                    int ia = (s & 1) == 0 ? 1 : -1;
                    int ib = (s & 2) == 0 ? 1 : -1;
                    int ic = (s & 4) == 0 ? 1 : -1;
                    int nx = sx * ib * ic;
                    int ne = se * ia * ic;
                    int nz = sz * ia * ib;
                    boolean ok = allPositive ? (nx > 0 && ne > 0 && nz > 0) : (nx <= 0 && ne <= 0 && nz <= 0);
                    if (ok) {
                        best = new int[] {ia, ib, ic};
                    }
                }
                if (best != null) {
                    a = scale(a, best[0]);
                    b = scale(b, best[1]);
                    c = scale(c, best[2]);
                    xi = 2 * Mat3.dot(b, c);
                    eta = 2 * Mat3.dot(a, c);
                    zeta = 2 * Mat3.dot(a, b);
                }
            }
            // A5
            if (Math.abs(xi) > bb + e || (Math.abs(xi - bb) <= e && 2 * eta < zeta - e)
                    || (Math.abs(xi + bb) <= e && zeta < -e)) {
                c = sub(c, b, Math.signum(xi));
                continue;
            }
            // A6
            if (Math.abs(eta) > aa + e || (Math.abs(eta - aa) <= e && 2 * xi < zeta - e)
                    || (Math.abs(eta + aa) <= e && zeta < -e)) {
                c = sub(c, a, Math.signum(eta));
                continue;
            }
            // A7
            if (Math.abs(zeta) > aa + e || (Math.abs(zeta - aa) <= e && 2 * xi < eta - e)
                    || (Math.abs(zeta + aa) <= e && eta < -e)) {
                b = sub(b, a, Math.signum(zeta));
                continue;
            }
            // A8
            double s8 = xi + eta + zeta + aa + bb;
            if (s8 < -e || (Math.abs(s8) <= e && 2 * (aa + eta) + zeta > e)) {
                c = new double[] {c[0] + a[0] + b[0], c[1] + a[1] + b[1], c[2] + a[2] + b[2]};
                continue;
            }
            break;
        }
        double[][] r = {a, b, c};
        if (Mat3.det(r) < 0) {
            r = new double[][] {neg(a), neg(b), neg(c)};
        }
        return r;
    }

    private static int sign(double v, double e) {
        return v > e ? 1 : v < -e ? -1 : 0;
    }

    private static double[] neg(double[] v) {
        return new double[] {-v[0], -v[1], -v[2]};
    }

    private static double[] scale(double[] v, int s) {
        return s == 1 ? v : neg(v);
    }

    private static double[] sub(double[] v, double[] w, double s) {
        return new double[] {v[0] - s * w[0], v[1] - s * w[1], v[2] - s * w[2]};
    }
}
