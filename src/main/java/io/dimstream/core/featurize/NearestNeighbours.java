package io.dimstream.core.featurize;

import io.dimstream.core.crystal.Mat3;
import java.util.Arrays;

/**
 * The per-site neighbour lists of featurizer version 2 for cells above the supercell limits: primitive
 * site i sees its K nearest atoms of the infinite periodic crystal (itself included, at distance 0),
 * sorted by distance. Row i of the output is "the K nearest atoms of site i": their distances and the
 * primitive site each one is an image of. It replaces the S×J supercell tensor when S·J would be too
 * large, so memory and model time grow as S·K instead of S².
 *
 * <p>Exact under periodic boundary conditions for any cell shape: the lattice basis is reduced first
 * ({@link InteractionTensor#reduce}); for a radius r, every image x + n·B of the wrapped difference vector
 * x with |x + n·B| ≤ r has |d_k + n_k| ≤ r·|b*_k| per axis (b*_k the reciprocal vectors), a box that is
 * searched completely — one short axis simply gives a longer box along it. r starts from the radius of a
 * sphere holding K atoms at the cell's density (times 1.25, plus 0.5 Å) and grows by half until at least
 * K atoms lie within it; the K nearest are then exact.
 *
 * <p>Ties at the same (float) squared distance are broken by (site index, image translation), so the
 * output is deterministic. Where a shell of equal distances straddles the K-th place, which of its atoms are kept
 * depends on that order, not on the crystal's symmetry (documented in {@code docs/featurizer.md}).
 *
 * <p>Geometry cost is O(S² · images) per structure (every site pair is tested once per image in its box;
 * tens of milliseconds at S = 2,000); the model's cost is O(S·K).
 */
public final class NearestNeighbours {

    private static final double EPS = 1e-9;

    private NearestNeighbours() {
    }

    /**
     * Computes the K nearest atoms of every site.
     *
     * @param lattice   primitive lattice L (rows are vectors)
     * @param frac      fractional coordinates in L, [3·S]
     * @param sites     S
     * @param k         K, neighbours per site (≥ 1)
     * @param distances output, [S·K] row-major, ascending within a row
     * @param imageOf   output, [S·K]: the primitive site each neighbour is an image of
     */
    public static void compute(double[][] lattice, double[] frac, int sites, int k, float[] distances, int[] imageOf) {
        if (k < 1) {
            throw new IllegalArgumentException("K must be positive: " + k);
        }
        if (distances.length != sites * k || imageOf.length != sites * k) {
            throw new IllegalArgumentException("outputs must have S*K = " + sites * k + " entries");
        }
        double[][] b = InteractionTensor.reduce(lattice);
        double[][] bInv = Mat3.inverse(b);
        double[][] toReduced = Mat3.multiply(lattice, bInv);
        double[] g = new double[3 * sites];
        for (int a = 0; a < sites; a++) {
            for (int c = 0; c < 3; c++) {
                g[3 * a + c] = frac[3 * a] * toReduced[0][c] + frac[3 * a + 1] * toReduced[1][c]
                        + frac[3 * a + 2] * toReduced[2][c];
            }
        }
        double[] rn = new double[3];
        for (int c = 0; c < 3; c++) {
            rn[c] = Math.sqrt(bInv[0][c] * bInv[0][c] + bInv[1][c] * bInv[1][c] + bInv[2][c] * bInv[2][c]);
        }
        double volume = Math.abs(Mat3.det(b));
        double r0 = 1.25 * Math.cbrt(3.0 * k * volume / (4 * Math.PI * sites)) + 0.5;
        Candidates cand = new Candidates(4 * k + 16);
        for (int i = 0; i < sites; i++) {
            double r = r0;
            while (true) {
                cand.clear();
                collect(b, g, rn, sites, i, r, cand);
                if (cand.size >= k) {
                    break;
                }
                r *= 1.5;
            }
            cand.sortFirst(k);
            for (int q = 0; q < k; q++) {
                int c = cand.at(q);
                distances[i * k + q] = (float) Math.sqrt(cand.d2[c]);
                imageOf[i * k + q] = cand.site[c];
            }
        }
    }

    /** Adds every atom within r of site i (all images in the exhaustive box) to {@code out}. */
    private static void collect(double[][] b, double[] g, double[] rn, int sites, int i, double r, Candidates out) {
        double r2 = r * r * (1 + 1e-12);
        double w0 = r * rn[0] + EPS;
        double w1 = r * rn[1] + EPS;
        double w2 = r * rn[2] + EPS;
        for (int j = 0; j < sites; j++) {
            double d0 = g[3 * j] - g[3 * i];
            double d1 = g[3 * j + 1] - g[3 * i + 1];
            double d2 = g[3 * j + 2] - g[3 * i + 2];
            d0 -= Math.rint(d0);
            d1 -= Math.rint(d1);
            d2 -= Math.rint(d2);
            int lo0 = (int) Math.ceil(-d0 - w0);
            int hi0 = (int) Math.floor(-d0 + w0);
            int lo1 = (int) Math.ceil(-d1 - w1);
            int hi1 = (int) Math.floor(-d1 + w1);
            int lo2 = (int) Math.ceil(-d2 - w2);
            int hi2 = (int) Math.floor(-d2 + w2);
            for (int n0 = lo0; n0 <= hi0; n0++) {
                double e0 = d0 + n0;
                for (int n1 = lo1; n1 <= hi1; n1++) {
                    double e1 = d1 + n1;
                    for (int n2 = lo2; n2 <= hi2; n2++) {
                        double e2 = d2 + n2;
                        double x = e0 * b[0][0] + e1 * b[1][0] + e2 * b[2][0];
                        double y = e0 * b[0][1] + e1 * b[1][1] + e2 * b[2][1];
                        double z = e0 * b[0][2] + e1 * b[1][2] + e2 * b[2][2];
                        double dd = x * x + y * y + z * z;
                        if (dd <= r2) {
                            out.add(dd, j);
                        }
                    }
                }
            }
        }
    }

    /**
     * Growable candidate list (squared distance, site), sorted by one primitive key per candidate: the
     * float bits of the squared distance (order-preserving for non-negative floats) above the candidate's
     * insertion index. Candidates are inserted in (site, n0, n1, n2) order, so equal float distances keep
     * that order: the documented tie-break, without boxing or a comparator.
     */
    private static final class Candidates {
        double[] d2;
        int[] site;
        long[] key;
        int size;

        Candidates(int capacity) {
            d2 = new double[capacity];
            site = new int[capacity];
            key = new long[capacity];
        }

        void clear() {
            size = 0;
        }

        void add(double dd, int j) {
            if (size == d2.length) {
                int cap = 2 * size;
                d2 = Arrays.copyOf(d2, cap);
                site = Arrays.copyOf(site, cap);
                key = Arrays.copyOf(key, cap);
            }
            d2[size] = dd;
            site[size] = j;
            size++;
        }

        /** Sorts by (float distance², insertion order); {@link #at(int)} then gives the q-th nearest. */
        void sortFirst(int k) {
            for (int q = 0; q < size; q++) {
                key[q] = ((long) Float.floatToIntBits((float) d2[q]) << 32) | q;
            }
            Arrays.sort(key, 0, size);
        }

        int at(int q) {
            return (int) key[q];
        }
    }
}
