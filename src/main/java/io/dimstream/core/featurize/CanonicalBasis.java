package io.dimstream.core.featurize;

import io.dimstream.core.crystal.LatticeAutomorphisms;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Canonical choice among the equivalent Niggli bases of the primitive cell (featurizer step 2a).
 *
 * <p>A Niggli-reduced cell is unique only up to the lattice's own point symmetry: every proper
 * automorphism U (integer, det +1, U·G·Uᵀ = G, see {@link LatticeAutomorphisms}) gives a basis U·L with
 * the same parameters, hence the same shear and the same integer matrix M, but the supercell M·U·L is a
 * different sublattice. When the crystal is less symmetric than its lattice these supercells are not
 * congruent as crystals and give different distances, so the result would depend on which Niggli basis
 * the input happened to reduce to.
 *
 * <p>The choice: the candidates U are grouped by the supercell lattice they span (M·U₁ and M·U₂ span
 * the same lattice iff M·U₁·U₂⁻¹·M⁻¹ is an integer matrix; those give the same atoms up to order), one
 * representative per group, the identity first. If there is one group the input basis is kept (the
 * common case: no extra work). Otherwise the distance tensor is computed for each group and the one
 * with the lexicographically smallest <em>signature</em> is taken: the S rows (site features, then
 * the sorted distance row), sorted, compared entry by entry with a tolerance of
 * {@link #SIGNATURE_TOLERANCE} (entries closer than that count as equal; ties keep the earlier
 * candidate). The signature depends only on the crystal and the supercell lattice, not on the site order,
 * origin or input cell, so every input cell of a crystal picks a supercell with the same sorted rows.
 */
final class CanonicalBasis {

    /** Entries of two signatures closer than this (Å for distances, standardised units for features) tie. */
    static final float SIGNATURE_TOLERANCE = 1e-4f;

    private CanonicalBasis() {
    }

    /** Cartesian tolerance (Å) of the crystal-symmetry test that merges congruent candidates. */
    static final double SYMMETRY_TOLERANCE = 2e-5;

    /** The representatives (identity first) of the distinct supercell lattices M·U among the automorphisms. */
    static List<int[][]> distinctSupercells(List<int[][]> autos, int[][] m) {
        if (autos.size() == 1) {
            return autos;
        }
        long det = LatticeAutomorphisms.det(m);
        long[][] adjM = LatticeAutomorphisms.adjugate(m);
        List<int[][]> reps = new ArrayList<>();
        for (int[][] u : autos) {
            boolean seen = false;
            for (int[][] r : reps) {
                if (sameSupercell(m, adjM, det, u, r)) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                reps.add(u);
            }
        }
        return reps;
    }

    /**
     * The candidates that can give different sorted rows: the distinct supercell lattices, then merged
     * when a point symmetry of the crystal itself maps one onto the other. If U (or −U, an improper
     * operation) is a symmetry of the crystal, f ↦ ±f·U + τ maps the crystal onto itself and the
     * supercell lattice of V onto that of V·U, so (crystal, M·V) and (crystal, M·V·U) are congruent
     * and give the same rows: only one candidate per orbit is kept (the first in the automorphism order).
     *
     * @param autos    proper automorphisms of l, identity first
     * @param m        the supercell matrix M
     * @param l        the lattice
     * @param frac     fractional coordinates [3·S], wrapped
     * @param features site features S × fdim (sites with equal features are interchangeable)
     */
    static List<int[][]> candidates(List<int[][]> autos, int[][] m, double[][] l, double[] frac, int sn,
            float[] features, int fdim) {
        List<int[][]> reps = distinctSupercells(autos, m);
        if (reps.size() <= 1) {
            return reps;
        }
        int[] cls = classes(features, sn, fdim);
        List<int[][]> sym = new ArrayList<>();
        sym.add(autos.get(0));
        for (int a = 1; a < autos.size(); a++) {
            int[][] u = autos.get(a);
            if (isSymmetry(u, 1, l, frac, sn, cls) || isSymmetry(u, -1, l, frac, sn, cls)) {
                sym.add(u);
            }
        }
        if (sym.size() == 1) {
            return reps;
        }
        long det = LatticeAutomorphisms.det(m);
        long[][] adjM = LatticeAutomorphisms.adjugate(m);
        List<int[][]> kept = new ArrayList<>();
        for (int[][] r : reps) {
            boolean congruent = false;
            for (int k = 0; k < kept.size() && !congruent; k++) {
                for (int[][] p : sym) {
                    if (sameSupercell(m, adjM, det, r, toInt(mul(kept.get(k), p)))) {
                        congruent = true;
                        break;
                    }
                }
            }
            if (!congruent) {
                kept.add(r);
            }
        }
        return kept;
    }

    /** Class index per site: sites with bit-identical features share a class. */
    static int[] classes(float[] features, int sn, int fdim) {
        int[] cls = new int[sn];
        int n = 0;
        for (int i = 0; i < sn; i++) {
            cls[i] = -1;
            for (int j = 0; j < i; j++) {
                if (Arrays.equals(features, i * fdim, (i + 1) * fdim, features, j * fdim, (j + 1) * fdim)) {
                    cls[i] = cls[j];
                    break;
                }
            }
            if (cls[i] < 0) {
                cls[i] = n++;
            }
        }
        return cls;
    }

    /**
     * Is f ↦ sign·f·U + τ, for some translation τ, a symmetry of the sites (every site onto a site of its
     * class within {@link #SYMMETRY_TOLERANCE})? τ is tried from one site of the rarest class to each site
     * of that class.
     */
    static boolean isSymmetry(int[][] u, int sign, double[][] l, double[] frac, int sn, int[] cls) {
        double[] g = new double[3 * sn];
        int[] count = new int[sn];
        for (int i = 0; i < sn; i++) {
            for (int k = 0; k < 3; k++) {
                g[3 * i + k] = sign * (frac[3 * i] * u[0][k] + frac[3 * i + 1] * u[1][k] + frac[3 * i + 2] * u[2][k]);
            }
            count[cls[i]]++;
        }
        int anchor = 0;
        for (int i = 1; i < sn; i++) {
            if (count[cls[i]] < count[cls[anchor]]) {
                anchor = i;
            }
        }
        double tol2 = SYMMETRY_TOLERANCE * SYMMETRY_TOLERANCE;
        for (int b = 0; b < sn; b++) {
            if (cls[b] != cls[anchor]) {
                continue;
            }
            double t0 = frac[3 * b] - g[3 * anchor];
            double t1 = frac[3 * b + 1] - g[3 * anchor + 1];
            double t2 = frac[3 * b + 2] - g[3 * anchor + 2];
            boolean all = true;
            for (int i = 0; i < sn && all; i++) {
                double x0 = g[3 * i] + t0;
                double x1 = g[3 * i + 1] + t1;
                double x2 = g[3 * i + 2] + t2;
                boolean found = false;
                for (int j = 0; j < sn && !found; j++) {
                    if (cls[j] != cls[i]) {
                        continue;
                    }
                    double d0 = frac[3 * j] - x0;
                    double d1 = frac[3 * j + 1] - x1;
                    double d2 = frac[3 * j + 2] - x2;
                    d0 -= Math.rint(d0);
                    d1 -= Math.rint(d1);
                    d2 -= Math.rint(d2);
                    double cx = d0 * l[0][0] + d1 * l[1][0] + d2 * l[2][0];
                    double cy = d0 * l[0][1] + d1 * l[1][1] + d2 * l[2][1];
                    double cz = d0 * l[0][2] + d1 * l[1][2] + d2 * l[2][2];
                    found = cx * cx + cy * cy + cz * cz < tol2;
                }
                all = found;
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    private static int[][] toInt(long[][] a) {
        int[][] r = new int[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                r[i][j] = Math.toIntExact(a[i][j]);
            }
        }
        return r;
    }

    /**
     * M·U·R⁻¹·M⁻¹ integral, i.e. M·U·adj(R)·adj(M) ≡ 0 (mod det M) (det R = 1, so R⁻¹ = adj R).
     * Allocation-free: it runs for pairs of automorphisms of about half of all cells.
     */
    private static boolean sameSupercell(int[][] m, long[][] adjM, long det, int[][] u, int[][] r) {
        // adj(R), row-major
        long a00 = (long) r[1][1] * r[2][2] - (long) r[1][2] * r[2][1];
        long a01 = (long) r[0][2] * r[2][1] - (long) r[0][1] * r[2][2];
        long a02 = (long) r[0][1] * r[1][2] - (long) r[0][2] * r[1][1];
        long a10 = (long) r[1][2] * r[2][0] - (long) r[1][0] * r[2][2];
        long a11 = (long) r[0][0] * r[2][2] - (long) r[0][2] * r[2][0];
        long a12 = (long) r[0][2] * r[1][0] - (long) r[0][0] * r[1][2];
        long a20 = (long) r[1][0] * r[2][1] - (long) r[1][1] * r[2][0];
        long a21 = (long) r[0][1] * r[2][0] - (long) r[0][0] * r[2][1];
        long a22 = (long) r[0][0] * r[1][1] - (long) r[0][1] * r[1][0];
        for (int i = 0; i < 3; i++) {
            // row i of M·U
            long x0 = (long) m[i][0] * u[0][0] + (long) m[i][1] * u[1][0] + (long) m[i][2] * u[2][0];
            long x1 = (long) m[i][0] * u[0][1] + (long) m[i][1] * u[1][1] + (long) m[i][2] * u[2][1];
            long x2 = (long) m[i][0] * u[0][2] + (long) m[i][1] * u[1][2] + (long) m[i][2] * u[2][2];
            // row i of M·U·adj(R)
            long y0 = x0 * a00 + x1 * a10 + x2 * a20;
            long y1 = x0 * a01 + x1 * a11 + x2 * a21;
            long y2 = x0 * a02 + x1 * a12 + x2 * a22;
            for (int j = 0; j < 3; j++) {
                if ((y0 * adjM[0][j] + y1 * adjM[1][j] + y2 * adjM[2][j]) % det != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private static long[][] mul(int[][] a, int[][] b) {
        long[][] r = new long[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                r[i][j] = (long) a[i][0] * b[0][j] + (long) a[i][1] * b[1][j] + (long) a[i][2] * b[2][j];
            }
        }
        return r;
    }

    /**
     * Computes the distance tensor of the canonical candidate into {@code out}.
     *
     * @param l        primitive Niggli lattice L (rows are vectors)
     * @param frac     fractional coordinates in L, [3·S], wrapped to [0, 1)
     * @param sn       S
     * @param cell     the supercell (M) of L, shared by all candidates
     * @param features site features, S × fdim
     * @param fdim     features per site
     * @param reps     candidate bases U (from {@link #distinctSupercells}), identity first
     * @param out      S×J distances of the chosen candidate
     * @return the index of the chosen candidate in reps
     */
    static int choose(double[][] l, double[] frac, int sn, NearCubicSupercell cell, float[] features, int fdim,
            List<int[][]> reps, float[] out) {
        InteractionTensor.compute(l, frac, sn, cell, out);
        if (reps.size() == 1) {
            return 0;
        }
        int jn = out.length / sn;
        float[][] best = signature(out, sn, jn, features, fdim);
        int bestIndex = 0;
        float[] d = new float[out.length];
        for (int c = 1; c < reps.size(); c++) {
            tensorInBasis(reps.get(c), l, frac, sn, cell, d);
            float[][] sig = signature(d, sn, jn, features, fdim);
            if (compare(sig, best) < 0) {
                best = sig;
                bestIndex = c;
                System.arraycopy(d, 0, out, 0, d.length);
            }
        }
        return bestIndex;
    }

    /**
     * The distance tensor of the crystal described in the basis U·L (sites re-expressed, f' = f·U⁻¹)
     * with the supercell matrix M of cell, i.e. the supercell M·U·L.
     */
    static void tensorInBasis(int[][] u, double[][] l, double[] frac, int sn, NearCubicSupercell cell, float[] out) {
        double[][] lu = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 3; k++) {
                lu[i][k] = u[i][0] * l[0][k] + u[i][1] * l[1][k] + u[i][2] * l[2][k];
            }
        }
        // the same Cartesian sites in the basis U·L: f' = f·U⁻¹ = f·adj(U) (det U = 1)
        long[][] inv = LatticeAutomorphisms.adjugate(u);
        double[] f2 = new double[frac.length];
        for (int s = 0; s < sn; s++) {
            for (int k = 0; k < 3; k++) {
                double v = frac[3 * s] * inv[0][k] + frac[3 * s + 1] * inv[1][k] + frac[3 * s + 2] * inv[2][k];
                v -= Math.floor(v);
                f2[3 * s + k] = v >= 1.0 ? 0.0 : v;
            }
        }
        InteractionTensor.compute(lu, f2, sn, cell, out);
    }

    /** The S rows (features of site i, then row i of d sorted ascending), sorted. */
    static float[][] signature(float[] d, int sn, int jn, float[] features, int fdim) {
        float[][] rows = new float[sn][fdim + jn];
        for (int i = 0; i < sn; i++) {
            System.arraycopy(features, i * fdim, rows[i], 0, fdim);
            System.arraycopy(d, i * jn, rows[i], fdim, jn);
            Arrays.sort(rows[i], fdim, fdim + jn);
        }
        Arrays.sort(rows, CanonicalBasis::compare);
        return rows;
    }

    static int compare(float[] a, float[] b) {
        int n = Math.min(a.length, b.length);
        for (int k = 0; k < n; k++) {
            float x = a[k] - b[k];
            if (x > SIGNATURE_TOLERANCE) {
                return 1;
            }
            if (x < -SIGNATURE_TOLERANCE) {
                return -1;
            }
        }
        return Integer.compare(a.length, b.length);
    }

    static int compare(float[][] a, float[][] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int c = compare(a[i], b[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.length, b.length);
    }
}
