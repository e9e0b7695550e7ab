package io.dimstream.core.crystal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The primitive cell of a structure: the smallest cell that reproduces it (pure translations
 * within a site tolerance, species and occupancies must match), Niggli-reduced.
 *
 * <p>Algorithm: the candidate translations are the vectors from one site of the rarest species
 * class to the others of that class; a candidate is kept when it maps every site onto a site of
 * the same species within the tolerance (minimum image, Å). The kept translations and the cell
 * vectors generate the lattice of the primitive cell; its basis is found exactly with integer
 * (Hermite) row reduction of N·t, the sites are folded into it (positions of the N images are
 * averaged), and the basis is Niggli-reduced. If the translations found are not consistent (not
 * a group, which only happens for badly distorted input), the original cell is kept (Niggli
 * reduced). Deterministic: it depends only on the site order and coordinates.
 */
public final class PrimitiveCell {
    private PrimitiveCell() {
    }

    public static final double DEFAULT_SITE_TOLERANCE = 0.5;
    private static final double OCC_TOL = 1e-3;

    /** Primitive, Niggli-reduced cell of s (same id). */
    public static Structure find(Structure s, double siteTolerance) {
        int n = s.size();
        Lattice lat = s.lattice();
        double[][] m = lat.matrix();
        double[][] f = new double[n][3];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) {
                f[i][k] = wrap(s.site(i).frac(k));
            }
        }
        // species classes
        int[] cls = new int[n];
        List<Site> reps = new ArrayList<>();
        List<int[]> members = new ArrayList<>();
        int[] counts = new int[n];
        Map<Map<Species, Double>, Integer> exact = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Site si = s.site(i);
            Integer known = exact.get(si.species());
            int c = known == null ? -1 : known;
            if (c < 0) {
                for (int r = 0; r < reps.size(); r++) {
                    if (reps.get(r).sameSpecies(si, OCC_TOL)) {
                        c = r;
                        break;
                    }
                }
                if (c < 0) {
                    c = reps.size();
                    reps.add(si);
                }
                exact.put(si.species(), c);
            }
            cls[i] = c;
            counts[c]++;
        }
        int nc = reps.size();
        for (int c = 0; c < nc; c++) {
            members.add(new int[counts[c]]);
        }
        int[] fill = new int[nc];
        for (int i = 0; i < n; i++) {
            members.get(cls[i])[fill[cls[i]]++] = i;
        }
        int rare = 0;
        for (int c = 1; c < nc; c++) {
            if (counts[c] < counts[rare]) {
                rare = c;
            }
        }
        Metric metric = new Metric(m, siteTolerance);
        List<double[]> translations = new ArrayList<>();
        int[] rareSites = members.get(rare);
        if (rareSites.length > 1) {
            int anchor = rareSites[0];
            double[] t = new double[3];
            for (int q = 1; q < rareSites.length; q++) {
                int j = rareSites[q];
                for (int k = 0; k < 3; k++) {
                    t[k] = wrap(f[j][k] - f[anchor][k]);
                }
                if (isTranslation(t, f, cls, members, metric)) {
                    translations.add(t.clone());
                }
            }
        }
        if (!translations.isEmpty()) {
            Structure p = reduce(s, f, cls, translations, metric, m, siteTolerance);
            if (p != null) {
                return niggli(p);
            }
        }
        return niggli(s);
    }

    private static boolean isTranslation(double[] t, double[][] f, int[] cls, List<int[]> members, Metric metric) {
        for (int i = 0; i < f.length; i++) {
            double x = f[i][0] + t[0];
            double y = f[i][1] + t[1];
            double z = f[i][2] + t[2];
            boolean found = false;
            for (int j : members.get(cls[i])) {
                if (metric.close(f[j][0] - x, f[j][1] - y, f[j][2] - z)) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    private static Structure reduce(Structure s, double[][] f, int[] cls, List<double[]> translations,
                                    Metric metric, double[][] m, double tol) {
        int n = f.length;
        int nt = translations.size() + 1;
        if (n % nt != 0) {
            return null;
        }
        // integer generators of N·L, where L = Z^3 + {t}
        long[][] gens = new long[3 + translations.size()][];
        for (int k = 0; k < 3; k++) {
            gens[k] = new long[3];
            gens[k][k] = nt;
        }
        for (int q = 0; q < translations.size(); q++) {
            double[] t = translations.get(q);
            long[] g = new long[3];
            double[] err = new double[3];
            for (int k = 0; k < 3; k++) {
                g[k] = Math.round(t[k] * nt);
                err[k] = t[k] - (double) g[k] / nt;
            }
            if (!metric.close(err[0], err[1], err[2])) {
                return null; // not a multiple of 1/N: the translations do not form a group
            }
            gens[3 + q] = g;
        }
        long[][] basisN = hermite(gens);
        long det = basisN[0][0] * basisN[1][1] * basisN[2][2];
        if (Math.abs(det) != (long) nt * nt) {
            return null;
        }
        double[][] bf = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 3; k++) {
                bf[i][k] = (double) basisN[i][k] / nt;
            }
        }
        if (Mat3.det(bf) < 0) {
            for (int k = 0; k < 3; k++) {
                bf[0][k] = -bf[0][k];
            }
        }
        double[][] newM = Mat3.multiply(bf, m);
        double[][] toNew = Mat3.inverse(bf);
        Metric nm = new Metric(newM, tol);
        int np = n / nt;
        double[][] pos = new double[np][];
        double[][] sum = new double[np][3];
        int[] count = new int[np];
        int[] pcls = new int[np];
        int[] first = new int[np];
        int found = 0;
        for (int i = 0; i < n; i++) {
            double[] g = Mat3.rowTimes(f[i], toNew);
            for (int k = 0; k < 3; k++) {
                g[k] = wrap(g[k]);
            }
            int hit = -1;
            for (int p = 0; p < found; p++) {
                if (pcls[p] == cls[i] && nm.close(g[0] - pos[p][0], g[1] - pos[p][1], g[2] - pos[p][2])) {
                    hit = p;
                    break;
                }
            }
            if (hit < 0) {
                if (found == np) {
                    return null;
                }
                hit = found++;
                pos[hit] = g;
                pcls[hit] = cls[i];
                first[hit] = i;
            }
            for (int k = 0; k < 3; k++) {
                double d = g[k] - pos[hit][k];
                sum[hit][k] += d - Math.rint(d);
            }
            count[hit]++;
        }
        if (found != np) {
            return null;
        }
        List<Site> sites = new ArrayList<>(np);
        for (int p = 0; p < np; p++) {
            if (count[p] != nt) {
                return null;
            }
            double[] c = new double[3];
            for (int k = 0; k < 3; k++) {
                c[k] = wrap(pos[p][k] + sum[p][k] / nt);
            }
            sites.add(s.site(first[p]).withFrac(c));
        }
        return new Structure(s.id(), new Lattice(newM), sites);
    }

    /** Basis (3 rows, upper triangular) of the integer lattice generated by the rows. */
    static long[][] hermite(long[][] rowsIn) {
        long[][] rows = new long[rowsIn.length][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = rowsIn[i].clone();
        }
        int r = 0;
        for (int col = 0; col < 3 && r < rows.length; col++) {
            while (true) {
                int piv = -1;
                for (int i = r; i < rows.length; i++) {
                    if (rows[i][col] != 0 && (piv < 0 || Math.abs(rows[i][col]) < Math.abs(rows[piv][col]))) {
                        piv = i;
                    }
                }
                if (piv < 0) {
                    break;
                }
                long[] tmp = rows[r];
                rows[r] = rows[piv];
                rows[piv] = tmp;
                boolean done = true;
                for (int i = r + 1; i < rows.length; i++) {
                    if (rows[i][col] != 0) {
                        long q = Math.floorDiv(rows[i][col], rows[r][col]);
                        for (int k = 0; k < 3; k++) {
                            rows[i][k] -= q * rows[r][k];
                        }
                        if (rows[i][col] != 0) {
                            done = false;
                        }
                    }
                }
                if (done) {
                    break;
                }
            }
            if (rows[r][col] != 0) {
                if (rows[r][col] < 0) {
                    for (int k = 0; k < 3; k++) {
                        rows[r][k] = -rows[r][k];
                    }
                }
                r++;
            }
        }
        return new long[][] {rows[0], rows[1], rows[2]};
    }

    /** Niggli-reduces the lattice and re-expresses (and wraps) the sites in it. */
    static Structure niggli(Structure s) {
        double[][] m = s.lattice().matrix();
        double[][] r = Niggli.reduceBasis(m, Niggli.DEFAULT_EPS);
        double[][] t = Mat3.multiply(m, Mat3.inverse(r)); // f' = f · M · R^-1
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 3; k++) {
                t[i][k] = Math.rint(t[i][k] * 1e9) / 1e9 == Math.rint(t[i][k]) ? Math.rint(t[i][k]) : t[i][k];
            }
        }
        boolean identity = true;
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 3; k++) {
                identity &= t[i][k] == (i == k ? 1 : 0) && r[i][k] == m[i][k];
            }
        }
        if (identity) {
            boolean wrapped = true;
            for (Site site : s.sites()) {
                for (int k = 0; k < 3; k++) {
                    wrapped &= wrap(site.frac(k)) == site.frac(k);
                }
            }
            if (wrapped) {
                return s; // already reduced and wrapped: nothing to do
            }
        }
        List<Site> sites = new ArrayList<>(s.size());
        for (Site site : s.sites()) {
            double[] g = Mat3.rowTimes(site.frac(), t);
            for (int k = 0; k < 3; k++) {
                g[k] = wrap(g[k]);
            }
            sites.add(site.withFrac(g));
        }
        return new Structure(s.id(), new Lattice(r), sites);
    }

    static double wrap(double v) {
        double w = v - Math.floor(v);
        return (w >= 1 - 1e-12 || w < 1e-12) ? 0.0 : w;
    }

    /** Distance test "closer than tol" for a fractional difference, exact under PBC. */
    static final class Metric {
        final double[][] m;
        final double tol2;
        final double[] fracTol = new double[3];
        final Lattice lattice;

        Metric(double[][] m, double tol) {
            this.m = m;
            this.lattice = new Lattice(m);
            this.tol2 = tol * tol;
            double[][] inv = Mat3.inverse(m);
            for (int k = 0; k < 3; k++) {
                fracTol[k] = tol * Math.sqrt(inv[0][k] * inv[0][k] + inv[1][k] * inv[1][k] + inv[2][k] * inv[2][k]);
            }
        }

        boolean close(double d0, double d1, double d2) {
            d0 -= Math.rint(d0);
            d1 -= Math.rint(d1);
            d2 -= Math.rint(d2);
            if (Math.abs(d0) > fracTol[0] || Math.abs(d1) > fracTol[1] || Math.abs(d2) > fracTol[2]) {
                return false;
            }
            if (fracTol[0] >= 0.5 || fracTol[1] >= 0.5 || fracTol[2] >= 0.5) {
                // tolerance comparable to the cell: fall back to the exhaustive image search
                return lattice.minimumImageDistanceSquaredWrapped(d0, d1, d2) < tol2;
            }
            double x = d0 * m[0][0] + d1 * m[1][0] + d2 * m[2][0];
            double y = d0 * m[0][1] + d1 * m[1][1] + d2 * m[2][1];
            double z = d0 * m[0][2] + d1 * m[1][2] + d2 * m[2][2];
            return x * x + y * y + z * z < tol2;
        }
    }
}
