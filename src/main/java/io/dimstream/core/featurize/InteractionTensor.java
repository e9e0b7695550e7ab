package io.dimstream.core.featurize;

import io.dimstream.core.crystal.Mat3;

/**
 * The Site-Net interaction tensor (step 3 of featurizer version 1): D[i][j] is the exact
 * minimum-image distance, under the supercell's periodicity, from primitive site i to supercell atom j.
 *
 * <p>Supercell atom j = t·S + s is primitive site s shifted by the t-th lattice point of
 * {@link NearCubicSupercell#translations()}; t = 0 is the origin, so atoms 0..S-1 are the primitive
 * sites themselves, {@code imageOf[j] = j mod S} and D[i][i] = 0.
 *
 * <p>How it is computed, exactly for any cell shape: the supercell basis is first reduced (greedy
 * pairwise and triple reduction, integer unimodular steps, so the lattice is unchanged) to make it
 * short and near-orthogonal. All atoms are expressed in fractional coordinates g of that reduced basis
 * B. For a pair, d = g_j − g_i is wrapped to [−0.5, 0.5] per axis, giving the vector x = d·B of length
 * r. Any image x + n·B shorter than r has, for every axis k, |d_k + n_k| ≤ r·|b*_k| (b*_k the k-th
 * reciprocal vector, because (x + n·B)·b*_k = d_k + n_k), so the integer box
 * ceil(−d_k − r|b*_k|) ≤ n_k ≤ floor(−d_k + r|b*_k|) contains every candidate and is searched
 * completely. For a reduced basis the box is one to eight images; the search is exhaustive however
 * skewed the cell is. Pairs with r ≤ λ₁/2 (λ₁ the shortest supercell vector, found exactly once per
 * structure) skip the search: no other image can be shorter. No allocation happens per pair.
 */
public final class InteractionTensor {

    private static final double EPS = 1e-9;

    private InteractionTensor() {
    }

    /**
     * Fills {@code out} (length S·J, row-major) with the distance tensor.
     *
     * @param primitive primitive lattice L (rows are vectors)
     * @param frac      primitive fractional coordinates, [3·S] (x0,y0,z0,x1,...)
     * @param primSites S
     * @param cell      the supercell of L
     * @param out       output S×J, row-major
     */
    public static void compute(double[][] primitive, double[] frac, int primSites, NearCubicSupercell cell, float[] out) {
        int[][] tr = cell.translations();
        int nt = tr.length;
        int s = primSites;
        int jn = nt * s;
        double[][] b = reduce(cell.supercellMatrix(primitive));
        double[][] bInv = Mat3.inverse(b);
        // K maps primitive fractional coordinates to reduced-supercell fractional ones: K = L·B^-1
        double[][] k = Mat3.multiply(primitive, bInv);
        double[] g0 = new double[jn];
        double[] g1 = new double[jn];
        double[] g2 = new double[jn];
        for (int t = 0; t < nt; t++) {
            for (int a = 0; a < s; a++) {
                double f0 = frac[3 * a] + tr[t][0];
                double f1 = frac[3 * a + 1] + tr[t][1];
                double f2 = frac[3 * a + 2] + tr[t][2];
                int j = t * s + a;
                g0[j] = f0 * k[0][0] + f1 * k[1][0] + f2 * k[2][0];
                g1[j] = f0 * k[0][1] + f1 * k[1][1] + f2 * k[2][1];
                g2[j] = f0 * k[0][2] + f1 * k[1][2] + f2 * k[2][2];
            }
        }
        double b00 = b[0][0];
        double b01 = b[0][1];
        double b02 = b[0][2];
        double b10 = b[1][0];
        double b11 = b[1][1];
        double b12 = b[1][2];
        double b20 = b[2][0];
        double b21 = b[2][1];
        double b22 = b[2][2];
        // reciprocal norms |b*_k| = norms of the columns of B^-1
        double rn0 = Math.sqrt(bInv[0][0] * bInv[0][0] + bInv[1][0] * bInv[1][0] + bInv[2][0] * bInv[2][0]);
        double rn1 = Math.sqrt(bInv[0][1] * bInv[0][1] + bInv[1][1] * bInv[1][1] + bInv[2][1] * bInv[2][1]);
        double rn2 = Math.sqrt(bInv[0][2] * bInv[0][2] + bInv[1][2] * bInv[1][2] + bInv[2][2] * bInv[2][2]);
        // any x with |x| <= lambda1/2 (lambda1 = shortest lattice vector) is its own minimum image:
        // |x + v| >= |v| - |x| >= lambda1/2 >= |x| for every lattice vector v != 0
        double lambda1 = shortestVector(b, rn0, rn1, rn2);
        double quickSq = 0.25 * lambda1 * lambda1 * (1 - 1e-12);
        for (int i = 0; i < s; i++) {
            double gi0 = g0[i];
            double gi1 = g1[i];
            double gi2 = g2[i];
            int row = i * jn;
            for (int j = 0; j < jn; j++) {
                double d0 = g0[j] - gi0;
                double d1 = g1[j] - gi1;
                double d2 = g2[j] - gi2;
                d0 -= Math.rint(d0);
                d1 -= Math.rint(d1);
                d2 -= Math.rint(d2);
                double x = d0 * b00 + d1 * b10 + d2 * b20;
                double y = d0 * b01 + d1 * b11 + d2 * b21;
                double z = d0 * b02 + d1 * b12 + d2 * b22;
                double best = x * x + y * y + z * z;
                if (best <= quickSq) {
                    out[row + j] = (float) Math.sqrt(best);
                    continue;
                }
                double r = Math.sqrt(best);
                double w0 = r * rn0 + EPS;
                double w1 = r * rn1 + EPS;
                double w2 = r * rn2 + EPS;
                int lo0 = (int) Math.ceil(-d0 - w0);
                int hi0 = (int) Math.floor(-d0 + w0);
                int lo1 = (int) Math.ceil(-d1 - w1);
                int hi1 = (int) Math.floor(-d1 + w1);
                int lo2 = (int) Math.ceil(-d2 - w2);
                int hi2 = (int) Math.floor(-d2 + w2);
                if (lo0 != hi0 || lo1 != hi1 || lo2 != hi2) {
                    for (int n0 = lo0; n0 <= hi0; n0++) {
                        double x0 = x + n0 * b00;
                        double y0 = y + n0 * b01;
                        double z0 = z + n0 * b02;
                        for (int n1 = lo1; n1 <= hi1; n1++) {
                            double x1 = x0 + n1 * b10;
                            double y1 = y0 + n1 * b11;
                            double z1 = z0 + n1 * b12;
                            for (int n2 = lo2; n2 <= hi2; n2++) {
                                double xx = x1 + n2 * b20;
                                double yy = y1 + n2 * b21;
                                double zz = z1 + n2 * b22;
                                double dd = xx * xx + yy * yy + zz * zz;
                                if (dd < best) {
                                    best = dd;
                                }
                            }
                        }
                    }
                }
                out[row + j] = (float) Math.sqrt(best);
            }
        }
    }

    /**
     * Length of the shortest nonzero lattice vector, exactly: it is at most m = the shortest basis
     * vector, and any vector n·B with |n·B| ≤ m has |n_k| ≤ m·|b*_k|, a box searched completely.
     */
    static double shortestVector(double[][] b, double rn0, double rn1, double rn2) {
        double m2 = Math.min(Mat3.dot(b[0], b[0]), Math.min(Mat3.dot(b[1], b[1]), Mat3.dot(b[2], b[2])));
        double m = Math.sqrt(m2);
        int h0 = (int) Math.floor(m * rn0 + EPS);
        int h1 = (int) Math.floor(m * rn1 + EPS);
        int h2 = (int) Math.floor(m * rn2 + EPS);
        double best = m2;
        for (int n0 = -h0; n0 <= h0; n0++) {
            for (int n1 = -h1; n1 <= h1; n1++) {
                for (int n2 = -h2; n2 <= h2; n2++) {
                    if (n0 == 0 && n1 == 0 && n2 == 0) {
                        continue;
                    }
                    double x = n0 * b[0][0] + n1 * b[1][0] + n2 * b[2][0];
                    double y = n0 * b[0][1] + n1 * b[1][1] + n2 * b[2][1];
                    double z = n0 * b[0][2] + n1 * b[1][2] + n2 * b[2][2];
                    double d = x * x + y * y + z * z;
                    if (d < best) {
                        best = d;
                    }
                }
            }
        }
        return Math.sqrt(best);
    }

    /**
     * Returns a reduced copy of a lattice basis: repeated size reduction of every vector against every
     * other (b_i −= rint(b_i·b_j / b_j·b_j)·b_j) and replacement of b_i by b_i ± b_j ± b_k when shorter,
     * until nothing changes (at most 100 rounds). Only unimodular integer steps: the lattice is the same.
     * The vectors keep their slots (no sorting); the handedness may flip, which is irrelevant here because
     * only distances are used. Exactness of {@link #compute} does not depend on how well this reduces.
     */
    public static double[][] reduce(double[][] basis) {
        double[][] b = Mat3.copy(basis);
        for (int round = 0; round < 100; round++) {
            boolean changed = false;
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    if (i == j) {
                        continue;
                    }
                    double bj2 = Mat3.dot(b[j], b[j]);
                    double mu = Math.rint(Mat3.dot(b[i], b[j]) / bj2);
                    if (mu != 0) {
                        double before = Mat3.dot(b[i], b[i]);
                        double[] c = {b[i][0] - mu * b[j][0], b[i][1] - mu * b[j][1], b[i][2] - mu * b[j][2]};
                        if (Mat3.dot(c, c) < before * (1 - 1e-12)) {
                            b[i] = c;
                            changed = true;
                        }
                    }
                }
            }
            for (int i = 0; i < 3; i++) {
                int j = (i + 1) % 3;
                int k = (i + 2) % 3;
                for (int s1 = -1; s1 <= 1; s1 += 2) {
                    for (int s2 = -1; s2 <= 1; s2 += 2) {
                        double[] c = {
                            b[i][0] + s1 * b[j][0] + s2 * b[k][0],
                            b[i][1] + s1 * b[j][1] + s2 * b[k][1],
                            b[i][2] + s1 * b[j][2] + s2 * b[k][2]
                        };
                        if (Mat3.dot(c, c) < Mat3.dot(b[i], b[i]) * (1 - 1e-12)) {
                            b[i] = c;
                            changed = true;
                        }
                    }
                }
            }
            if (!changed) {
                break;
            }
        }
        return b;
    }
}
