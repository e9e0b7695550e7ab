package io.dimstream.core.crystal;

import java.util.ArrayList;
import java.util.List;

/**
 * The point symmetry of a lattice expressed in a reduced (Niggli or Buerger) basis: the integer
 * matrices U with det U = +1 and U·G·Uᵀ = G, where G = L·Lᵀ is the Gram matrix of the basis L (rows
 * are vectors). Each U gives another basis U·L of the same lattice with exactly the same cell
 * parameters, i.e. the other reduced cells of the lattice.
 *
 * <p>For a reduced basis every such matrix has entries in {−1, 0, 1} (the transformations between
 * Buerger-reduced cells of a lattice have entries 0, ±1; Gruber 1973), so the search is over rows taken
 * from the 26 nonzero vectors of {−1,0,1}³: first the candidates of the right length for each row, then
 * the pairs and triples with the right inner products and determinant +1. A lattice whose cell lengths
 * all differ has at most the sign changes diag(±1, ±1, ±1) (orthorhombic, monoclinic): 26 quadratic
 * forms and at most 8 row triples. The improper operations are −U of the proper ones.
 */
public final class LatticeAutomorphisms {
    private LatticeAutomorphisms() {
    }

    /** Default tolerance on the Gram matrix entries, relative to the largest squared cell length. */
    public static final double DEFAULT_REL_TOL = 1e-5;

    private static final int[][] IDENTITY = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    private static final List<int[][]> ONLY_IDENTITY = java.util.Collections.singletonList(IDENTITY);
    /** The 26 nonzero vectors of {−1,0,1}³ in a fixed order. */
    private static final int[][] VECTORS = new int[26][];

    static {
        int n = 0;
        for (int a = -1; a <= 1; a++) {
            for (int b = -1; b <= 1; b++) {
                for (int c = -1; c <= 1; c++) {
                    if (a != 0 || b != 0 || c != 0) {
                        VECTORS[n++] = new int[] {a, b, c};
                    }
                }
            }
        }
    }

    /**
     * The proper automorphisms of the lattice with basis l (rows are vectors; expected reduced), within
     * the relative tolerance relTol on the Gram entries. The identity always comes first; the rest are in
     * a fixed order. Returned matrices must not be modified.
     */
    public static List<int[][]> proper(double[][] l, double relTol) {
        double[][] g = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = i; j < 3; j++) {
                g[i][j] = Mat3.dot(l[i], l[j]);
                g[j][i] = g[i][j];
            }
        }
        double tol = relTol * Math.max(g[0][0], Math.max(g[1][1], g[2][2]));
        // candidate rows: vectors v with v·G·v = G_ii
        int[][] cand = new int[3][26];
        int[] nc = new int[3];
        double[][] gv = new double[26][];
        for (int v = 0; v < 26; v++) {
            int[] x = VECTORS[v];
            double[] y = {
                x[0] * g[0][0] + x[1] * g[1][0] + x[2] * g[2][0],
                x[0] * g[0][1] + x[1] * g[1][1] + x[2] * g[2][1],
                x[0] * g[0][2] + x[1] * g[1][2] + x[2] * g[2][2]
            };
            double norm = x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
            for (int i = 0; i < 3; i++) {
                if (Math.abs(norm - g[i][i]) <= tol) {
                    cand[i][nc[i]++] = v;
                }
            }
            gv[v] = y;
        }
        List<int[][]> out = new ArrayList<>();
        out.add(IDENTITY);
        for (int p = 0; p < nc[0]; p++) {
            int[] r0 = VECTORS[cand[0][p]];
            double[] y0 = gv[cand[0][p]];
            for (int q = 0; q < nc[1]; q++) {
                int[] r1 = VECTORS[cand[1][q]];
                if (Math.abs(dot(y0, r1) - g[0][1]) > tol) {
                    continue;
                }
                double[] y1 = gv[cand[1][q]];
                for (int r = 0; r < nc[2]; r++) {
                    int[] r2 = VECTORS[cand[2][r]];
                    if (Math.abs(dot(y0, r2) - g[0][2]) > tol || Math.abs(dot(y1, r2) - g[1][2]) > tol) {
                        continue;
                    }
                    int[][] u = {r0, r1, r2};
                    if (det(u) != 1 || isIdentity(u)) {
                        continue;
                    }
                    out.add(new int[][] {r0.clone(), r1.clone(), r2.clone()});
                }
            }
        }
        return out.size() == 1 ? ONLY_IDENTITY : List.copyOf(out);
    }

    private static double dot(double[] y, int[] x) {
        return y[0] * x[0] + y[1] * x[1] + y[2] * x[2];
    }

    private static boolean isIdentity(int[][] u) {
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                if (u[i][j] != (i == j ? 1 : 0)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Determinant of an integer 3x3 matrix. */
    public static long det(int[][] m) {
        return (long) m[0][0] * ((long) m[1][1] * m[2][2] - (long) m[1][2] * m[2][1])
                - (long) m[0][1] * ((long) m[1][0] * m[2][2] - (long) m[1][2] * m[2][0])
                + (long) m[0][2] * ((long) m[1][0] * m[2][1] - (long) m[1][1] * m[2][0]);
    }

    /** Adjugate of an integer 3x3 matrix (adj(m)·m = det(m)·I). */
    public static long[][] adjugate(int[][] m) {
        return new long[][] {
            {(long) m[1][1] * m[2][2] - (long) m[1][2] * m[2][1], (long) m[0][2] * m[2][1] - (long) m[0][1] * m[2][2],
                (long) m[0][1] * m[1][2] - (long) m[0][2] * m[1][1]},
            {(long) m[1][2] * m[2][0] - (long) m[1][0] * m[2][2], (long) m[0][0] * m[2][2] - (long) m[0][2] * m[2][0],
                (long) m[0][2] * m[1][0] - (long) m[0][0] * m[1][2]},
            {(long) m[1][0] * m[2][1] - (long) m[1][1] * m[2][0], (long) m[0][1] * m[2][0] - (long) m[0][0] * m[2][1],
                (long) m[0][0] * m[1][1] - (long) m[0][1] * m[1][0]}
        };
    }
}
