package io.dimstream.core.featurize;

import java.util.Arrays;

/**
 * The near-cubic supercell of Site-Net (step 2 of featurizer version 1).
 *
 * <p>With L the 3x3 primitive lattice (rows are vectors): L = R·Q is its RQ decomposition with R upper
 * triangular and Q orthogonal, taken with a <em>positive</em> diagonal of R (which makes it unique);
 * R1 = R⁻¹ and the shear T = diag(R1)⁻¹·R1 has a unit diagonal. Then T·L = diag(R)·Q: its rows are
 * orthogonal and their norms, the "sheared lengths", are R_kk. Counts start at c = (1,1,1); repeatedly
 * the axis k with the smallest c_k·length_k (the lowest k on ties, with a 1e-9 relative tolerance) is chosen and c_k is incremented as
 * long as c_1·c_2·c_3·S stays ≤ N; the first increment that would exceed N ends the loop. The integer
 * matrix is M = rint(diag(c)·T) (round half to even; values within 1e-9 of a half-integer count as
 * exact halves, so rounding noise cannot flip M between equivalent input cells), upper triangular with diagonal c, so
 * det(M) = c_1·c_2·c_3; the supercell lattice is M·L and holds J = det(M)·S atoms.
 *
 * <p>The det(M) primitive lattice points inside the supercell are represented by the integer vectors
 * n = (n_1, n_2, n_3) with 0 ≤ n_k &lt; c_k (a complete residue system of Z³ modulo the rows of M,
 * because M is upper triangular with diagonal c), listed with n_1 slowest and n_3 fastest; the first is
 * n = 0.
 *
 * @param counts          c
 * @param shearedLengths  R_kk, the lengths of the rows of T·L (Angstrom)
 * @param shear           T (upper triangular, unit diagonal)
 * @param matrix          M (integer, upper triangular, diagonal c)
 * @param translations    the det(M) lattice points as primitive fractional integer vectors, [t][3]
 */
public record NearCubicSupercell(int[] counts, double[] shearedLengths, double[][] shear, int[][] matrix, int[][] translations) {

    /** Number of primitive cells in the supercell, det(M) = c_1·c_2·c_3. */
    public int multiplicity() {
        return counts[0] * counts[1] * counts[2];
    }

    /** The supercell lattice M·L as a matrix (rows are vectors). */
    public double[][] supercellMatrix(double[][] primitive) {
        double[][] r = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                r[i][j] = matrix[i][0] * primitive[0][j] + matrix[i][1] * primitive[1][j] + matrix[i][2] * primitive[2][j];
            }
        }
        return r;
    }

    /** Relative tolerance for ties between axes and for half-integers when rounding. */
    public static final double TIE_TOLERANCE = 1e-9;

    /**
     * Round half to even, where a value within {@link #TIE_TOLERANCE} of a half-integer counts as that
     * half-integer (so -1.4999999999 and -1.5000000001 both give -2, like an exact -1.5).
     */
    static double roundHalfEven(double x) {
        double half = Math.rint(2 * x) / 2;
        if (Math.abs(x - half) <= TIE_TOLERANCE * Math.max(1, Math.abs(x))) {
            x = half;
        }
        return Math.rint(x);
    }

    /** The greedy counts only (cheap; used to size limits before building the supercell). */
    public static int[] counts(double[] shearedLengths, int primSites, int maxAtoms) {
        int[] c = {1, 1, 1};
        while (true) {
            int k = 0;
            double best = c[0] * shearedLengths[0];
            for (int a = 1; a < 3; a++) {
                double v = c[a] * shearedLengths[a];
                // ties (within TIE_TOLERANCE, relative) go to the lowest axis, whatever the rounding noise
                if (v < best * (1 - TIE_TOLERANCE)) {
                    best = v;
                    k = a;
                }
            }
            long next = (long) c[0] * c[1] * c[2] / c[k] * (c[k] + 1) * primSites;
            if (next > maxAtoms) {
                return c;
            }
            c[k]++;
        }
    }

    /**
     * R of the RQ decomposition L = R·Q with positive diagonal: Gram–Schmidt on the rows from the last
     * one up. Returns R (upper triangular).
     */
    public static double[][] rqR(double[][] l) {
        double[][] q = new double[3][];
        double[][] r = new double[3][3];
        for (int i = 2; i >= 0; i--) {
            double[] v = l[i].clone();
            for (int k = i + 1; k < 3; k++) {
                double p = v[0] * q[k][0] + v[1] * q[k][1] + v[2] * q[k][2];
                // project the original row (classical GS on the original row; rows of q orthonormal)
                r[i][k] = l[i][0] * q[k][0] + l[i][1] * q[k][1] + l[i][2] * q[k][2];
                v[0] -= p * q[k][0];
                v[1] -= p * q[k][1];
                v[2] -= p * q[k][2];
            }
            double n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            if (!(n > 0)) {
                throw new IllegalArgumentException("degenerate lattice: vectors are linearly dependent");
            }
            r[i][i] = n;
            q[i] = new double[] {v[0] / n, v[1] / n, v[2] / n};
        }
        return r;
    }

    /** Computes the supercell for a primitive lattice L (rows are vectors) with S sites and cap N. */
    public static NearCubicSupercell of(double[][] l, int primSites, int maxAtoms) {
        double[][] r = rqR(l);
        // R1 = R^-1 for upper-triangular R
        double a = r[0][0];
        double b = r[0][1];
        double c = r[0][2];
        double d = r[1][1];
        double e = r[1][2];
        double f = r[2][2];
        double[][] r1 = {
            {1 / a, -b / (a * d), (b * e - c * d) / (a * d * f)},
            {0, 1 / d, -e / (d * f)},
            {0, 0, 1 / f}
        };
        double[][] t = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                t[i][j] = r1[i][j] / r1[i][i];
            }
        }
        double[] lengths = {a, d, f};
        int[] counts = counts(lengths, primSites, maxAtoms);
        int[][] m = new int[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                m[i][j] = (int) roundHalfEven(counts[i] * t[i][j]);
            }
        }
        int[][] tr = new int[counts[0] * counts[1] * counts[2]][];
        int idx = 0;
        for (int i = 0; i < counts[0]; i++) {
            for (int j = 0; j < counts[1]; j++) {
                for (int k = 0; k < counts[2]; k++) {
                    tr[idx++] = new int[] {i, j, k};
                }
            }
        }
        return new NearCubicSupercell(counts, lengths, t, m, tr);
    }

    @Override
    public String toString() {
        return "NearCubicSupercell[counts=" + Arrays.toString(counts) + ", M=" + Arrays.deepToString(matrix) + "]";
    }
}
