package io.dimstream.core.featurize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.Mat3;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Structure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Near-cubic supercell and interaction tensor, on cells given directly (no primitive reduction). */
class SupercellAndTensorTest {

    private final SiteNetFeaturizer featurizer = new SiteNetFeaturizer();

    static Structure structure(Lattice l, Site... sites) {
        return new Structure("test", l, List.of(sites));
    }

    static Lattice lattice(double[][] m) {
        return new Lattice(m);
    }

    /** Reference D by the core's exact Lattice.minimumImageDistance on the (unreduced) supercell M·L. */
    static float[] referenceDistances(Structure s, NearCubicSupercell cell) {
        double[][] l = s.lattice().matrix();
        Lattice sup = new Lattice(cell.supercellMatrix(l));
        int sn = s.size();
        int jn = cell.multiplicity() * sn;
        double[][] fracSup = new double[jn][];
        for (int t = 0; t < cell.translations().length; t++) {
            for (int a = 0; a < sn; a++) {
                double[] f = s.site(a).frac();
                double[] p = {f[0] + cell.translations()[t][0], f[1] + cell.translations()[t][1], f[2] + cell.translations()[t][2]};
                fracSup[t * sn + a] = sup.toFractional(s.lattice().toCartesian(p));
            }
        }
        float[] d = new float[sn * jn];
        for (int i = 0; i < sn; i++) {
            for (int j = 0; j < jn; j++) {
                d[i * jn + j] = (float) sup.minimumImageDistance(fracSup[i], fracSup[j]);
            }
        }
        return d;
    }

    static double[] sortedRow(FeaturizedCrystal f, int i) {
        double[] r = new double[f.supercellSites()];
        for (int j = 0; j < r.length; j++) {
            r[j] = f.distance(i, j);
        }
        Arrays.sort(r);
        return r;
    }

    static int countNear(double[] row, double value, double tol) {
        int n = 0;
        for (double v : row) {
            if (Math.abs(v - value) < tol) {
                n++;
            }
        }
        return n;
    }

    @Test
    void simpleCubicHandChecked() throws Exception {
        double a = 3.0;
        Structure s = structure(Lattice.fromParameters(a, a, a, 90, 90, 90), Site.of(Element.Po, 0, 0, 0));
        NearCubicSupercell cell = NearCubicSupercell.of(s.lattice().matrix(), 1, 50);
        // greedy: (2,1,1) (2,2,1) (2,2,2) (3,2,2) (3,3,2) (3,3,3) (4,3,3) (4,4,3); (4,4,4) = 64 > 50
        assertArrayEquals(new int[] {4, 4, 3}, cell.counts());
        assertArrayEquals(new int[][] {{4, 0, 0}, {0, 4, 0}, {0, 0, 3}}, cell.matrix());
        FeaturizedCrystal f = featurizer.featurizeCell(s, "po", "test");
        assertEquals(1, f.primSites());
        assertEquals(48, f.supercellSites());
        // atom (i,j,k) at 3·(i,j,k) in a 12x12x9 box: per-axis images {0,3,6,3} x {0,3,6,3} x {0,3,3}
        List<Double> expected = new ArrayList<>();
        int[] xs = {0, 1, 2, 1};
        int[] zs = {0, 1, 1};
        for (int x : xs) {
            for (int y : xs) {
                for (int z : zs) {
                    expected.add(a * Math.sqrt(x * x + y * y + z * z));
                }
            }
        }
        double[] exp = expected.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        assertArrayEquals(exp, sortedRow(f, 0), 1e-5);
        // the translations come n1-slowest: atom 1 is (0,0,1), atom 3 is (0,1,0), atom 12 is (1,0,0)
        assertEquals(3.0, f.distance(0, 1), 1e-6);
        assertEquals(3.0, f.distance(0, 3), 1e-6);
        assertEquals(6.0, f.distance(0, 24), 1e-6);
    }

    @Test
    void rockSaltPrimitiveHandChecked() throws Exception {
        double a = 5.64;
        double h = a / 2;
        Structure s = structure(lattice(new double[][] {{0, h, h}, {h, 0, h}, {h, h, 0}}),
                Site.of(Element.Na, 0, 0, 0), Site.of(Element.Cl, 0.5, 0.5, 0.5));
        NearCubicSupercell cell = NearCubicSupercell.of(s.lattice().matrix(), 2, 50);
        // sheared lengths h·(sqrt(4/3), sqrt(3/2), sqrt(2)) (hand-derived RQ of the fcc primitive cell)
        assertArrayEquals(new double[] {h * Math.sqrt(4.0 / 3), h * Math.sqrt(1.5), h * Math.sqrt(2)}, cell.shearedLengths(), 1e-12);
        // greedy with S = 2: (2,1,1) (2,2,1) (2,2,2) (3,2,2) (3,3,2); (3,3,3) would be 54 > 50
        assertArrayEquals(new int[] {3, 3, 2}, cell.counts());
        FeaturizedCrystal f = featurizer.featurizeCell(s, "nacl", "test");
        assertEquals(2, f.primSites());
        assertEquals(36, f.supercellSites());
        for (int j = 0; j < 36; j++) {
            assertEquals(j % 2, f.imageOf()[j]);
        }
        assertEquals(0f, f.distance(0, 0));
        assertEquals(0f, f.distance(1, 1));
        // atom 1 is the Cl at (h,h,h) itself: under the supercell's periodicity it stays at h*sqrt(3)
        assertEquals(h * Math.sqrt(3), f.distance(0, 1), 1e-5);
        assertEquals(h * Math.sqrt(3), f.distance(1, 0), 1e-5);
        // the 6 nearest Cl at a/2 are 6 distinct supercell atoms
        assertEquals(6, countNear(sortedRow(f, 0), h, 1e-4));
        // every Na-Cl distance is at least a/2 and every Na-Na one (other than 0) at least a/sqrt(2)
        for (int j = 0; j < 36; j++) {
            float d = f.distance(0, j);
            if (f.imageOf()[j] == 1) {
                assertTrue(d >= h - 1e-5, "Na-Cl " + d);
            } else if (j != 0) {
                assertTrue(d >= a / Math.sqrt(2) - 1e-5, "Na-Na " + d);
            }
        }
        assertArrayEquals(referenceDistances(s, cell), f.distances(), 1e-5f);
        // Na and Cl rows see the same environment (rock salt is symmetric under Na<->Cl)
        assertArrayEquals(sortedRow(f, 0), sortedRow(f, 1), 1e-5);
    }

    @Test
    void fccAndBccMetalsHandChecked() throws Exception {
        double a = 3.615; // Cu
        double h = a / 2;
        Structure cu = structure(lattice(new double[][] {{0, h, h}, {h, 0, h}, {h, h, 0}}), Site.of(Element.Cu, 0, 0, 0));
        FeaturizedCrystal f = featurizer.featurizeCell(cu, "cu", "test");
        NearCubicSupercell cell = NearCubicSupercell.of(cu.lattice().matrix(), 1, 50);
        assertEquals(cell.multiplicity(), f.supercellSites());
        assertTrue(f.supercellSites() <= 50 && f.supercellSites() > 25, "J = " + f.supercellSites());
        double[] row = sortedRow(f, 0);
        assertEquals(0, row[0]);
        // the 12 nearest neighbours at a/sqrt(2) are distinct images in a supercell this size
        assertEquals(a / Math.sqrt(2), row[1], 1e-5);
        assertEquals(12, countNear(row, a / Math.sqrt(2), 1e-4));
        assertArrayEquals(referenceDistances(cu, cell), f.distances(), 1e-5f);

        double b = 2.87; // Fe
        double g = b / 2;
        Structure fe = structure(lattice(new double[][] {{-g, g, g}, {g, -g, g}, {g, g, -g}}), Site.of(Element.Fe, 0, 0, 0));
        FeaturizedCrystal fb = featurizer.featurizeCell(fe, "fe", "test");
        NearCubicSupercell cb = NearCubicSupercell.of(fe.lattice().matrix(), 1, 50);
        double[] rb = sortedRow(fb, 0);
        assertEquals(b * Math.sqrt(3) / 2, rb[1], 1e-5);
        assertEquals(8, countNear(rb, b * Math.sqrt(3) / 2, 1e-4));
        assertEquals(6, countNear(rb, b, 1e-4));
        assertArrayEquals(referenceDistances(fe, cb), fb.distances(), 1e-5f);
    }

    @Test
    void triclinicCellGetsShearedSupercell() throws Exception {
        Lattice l = Lattice.fromParameters(3.1, 4.3, 5.2, 71, 82, 104);
        Structure s = structure(l, Site.of(Element.Si, 0.1, 0.2, 0.3), Site.of(Element.O, 0.6, 0.55, 0.8));
        double[][] m = l.matrix();
        NearCubicSupercell cell = NearCubicSupercell.of(m, 2, 50);
        // T is unit upper triangular and T·L has orthogonal rows whose norms are the sheared lengths
        double[][] t = cell.shear();
        double[][] tl = Mat3.multiply(t, m);
        for (int i = 0; i < 3; i++) {
            assertEquals(1.0, t[i][i]);
            for (int j = 0; j < i; j++) {
                assertEquals(0.0, t[i][j]);
                assertEquals(0.0, Mat3.dot(tl[i], tl[j]), 1e-9);
            }
            assertEquals(cell.shearedLengths()[i], Math.sqrt(Mat3.dot(tl[i], tl[i])), 1e-9);
        }
        // volume is preserved by the shear: product of sheared lengths = cell volume
        assertEquals(l.volume(), cell.shearedLengths()[0] * cell.shearedLengths()[1] * cell.shearedLengths()[2], 1e-9);
        int[][] mm = cell.matrix();
        boolean sheared = false;
        for (int i = 0; i < 3; i++) {
            assertEquals(cell.counts()[i], mm[i][i]);
            for (int j = 0; j < 3; j++) {
                assertEquals((int) NearCubicSupercell.roundHalfEven(cell.counts()[i] * t[i][j]), mm[i][j]);
                if (j > i && mm[i][j] != 0) {
                    sheared = true;
                }
            }
        }
        assertTrue(sheared, "expected a sheared M, got " + cell);
        assertEquals(cell.multiplicity(), Math.round(Mat3.det(new double[][] {
            {mm[0][0], mm[0][1], mm[0][2]}, {mm[1][0], mm[1][1], mm[1][2]}, {mm[2][0], mm[2][1], mm[2][2]}})));
        // the supercell is closer to cubic than the plain diagonal repetition diag(c)·L
        double[][] sup = cell.supercellMatrix(m);
        double[][] diag = new double[3][];
        for (int i = 0; i < 3; i++) {
            double c = cell.counts()[i];
            diag[i] = new double[] {c * m[i][0], c * m[i][1], c * m[i][2]};
        }
        assertTrue(orthogonalityDefect(sup) < orthogonalityDefect(diag),
                orthogonalityDefect(sup) + " vs " + orthogonalityDefect(diag));
        FeaturizedCrystal f = featurizer.featurizeCell(s, "tri", "test");
        assertEquals(2 * cell.multiplicity(), f.supercellSites());
        assertTrue(f.supercellSites() <= 50);
        assertArrayEquals(referenceDistances(s, cell), f.distances(), 1e-5f);
    }

    /** prod |b_i| / volume: 1 for an orthogonal cell, larger when skewed. */
    static double orthogonalityDefect(double[][] b) {
        return Math.sqrt(Mat3.dot(b[0], b[0])) * Math.sqrt(Mat3.dot(b[1], b[1])) * Math.sqrt(Mat3.dot(b[2], b[2]))
                / Math.abs(Mat3.det(b));
    }

    @Test
    void extremelySkewedCellIsStillExact() throws Exception {
        // a very flat, strongly sheared cell: the 27-neighbour shortcut is wrong here
        Lattice l = lattice(new double[][] {{4, 0, 0}, {11.3, 1.9, 0}, {-7.7, 5.1, 2.2}});
        Random r = new Random(7);
        List<Site> sites = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sites.add(Site.of(Element.C, r.nextDouble(), r.nextDouble(), r.nextDouble()));
        }
        Structure s = new Structure("skew", l, sites);
        FeaturizedCrystal f = featurizer.featurizeCell(s, "skew", "test");
        NearCubicSupercell cell = NearCubicSupercell.of(l.matrix(), 5, 50);
        assertArrayEquals(referenceDistances(s, cell), f.distances(), 1e-5f);
    }

    @Test
    void randomCellsMatchReference() throws Exception {
        Random r = new Random(42);
        for (int trial = 0; trial < 40; trial++) {
            Lattice l = Lattice.fromParameters(2 + 6 * r.nextDouble(), 2 + 6 * r.nextDouble(), 2 + 6 * r.nextDouble(),
                    60 + 60 * r.nextDouble(), 60 + 60 * r.nextDouble(), 60 + 60 * r.nextDouble());
            int n = 1 + r.nextInt(6);
            List<Site> sites = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sites.add(Site.of(Element.ofZ(1 + r.nextInt(90)), r.nextDouble(), r.nextDouble(), r.nextDouble()));
            }
            Structure s = new Structure("r" + trial, l, sites);
            FeaturizedCrystal f = featurizer.featurizeCell(s, s.id(), "test");
            NearCubicSupercell cell = NearCubicSupercell.of(l.matrix(), n, 50);
            assertEquals(n * cell.multiplicity(), f.supercellSites());
            assertTrue(f.supercellSites() <= 50);
            assertArrayEquals(referenceDistances(s, cell), f.distances(), 1e-4f, "trial " + trial);
            for (int i = 0; i < n; i++) {
                assertEquals(0f, f.distance(i, i));
            }
        }
    }

    @Test
    void greedyCountsStopAtFirstOverflow() {
        // lengths 1, 10, 10 with S = 1, N = 5: c grows on axis 0 up to 5 (5 <= 5), then 6 > 5 stops
        assertArrayEquals(new int[] {5, 1, 1}, NearCubicSupercell.counts(new double[] {1, 10, 10}, 1, 5));
        // ties go to the lowest axis
        assertArrayEquals(new int[] {2, 1, 1}, NearCubicSupercell.counts(new double[] {2, 2, 2}, 1, 3));
        // ties within rounding noise still go to the lowest axis
        assertArrayEquals(new int[] {2, 1, 1}, NearCubicSupercell.counts(new double[] {2 * (1 + 1e-13), 2, 2 * (1 - 1e-13)}, 1, 3));
        // S > N/2: no repetition at all; S > N: still one cell
        assertArrayEquals(new int[] {1, 1, 1}, NearCubicSupercell.counts(new double[] {2, 2, 2}, 26, 50));
        assertArrayEquals(new int[] {1, 1, 1}, NearCubicSupercell.counts(new double[] {2, 2, 2}, 60, 50));
        // the loop stops as soon as the smallest axis cannot grow, even if another could
        assertArrayEquals(new int[] {2, 1, 1}, NearCubicSupercell.counts(new double[] {1, 1.5, 10}, 10, 25));
    }

    @Test
    void roundingIsHalfEvenAndNoiseProof() {
        assertEquals(-2.0, NearCubicSupercell.roundHalfEven(-1.5));
        assertEquals(-2.0, NearCubicSupercell.roundHalfEven(-1.4999999999999));
        assertEquals(-2.0, NearCubicSupercell.roundHalfEven(-1.5000000000001));
        assertEquals(2.0, NearCubicSupercell.roundHalfEven(2.5));
        assertEquals(2.0, NearCubicSupercell.roundHalfEven(2.4999999999999));
        assertEquals(0.0, NearCubicSupercell.roundHalfEven(0.4999));
        assertEquals(1.0, NearCubicSupercell.roundHalfEven(0.5001));
    }

    @Test
    void reductionKeepsTheLattice() {
        double[][] b = {{4, 0, 0}, {11.3, 1.9, 0}, {-7.7, 5.1, 2.2}};
        double[][] red = InteractionTensor.reduce(b);
        assertEquals(Math.abs(Mat3.det(b)), Math.abs(Mat3.det(red)), 1e-9);
        // the change of basis red·b^-1 is an integer matrix
        double[][] u = Mat3.multiply(red, Mat3.inverse(b));
        for (double[] row : u) {
            for (double v : row) {
                assertEquals(Math.rint(v), v, 1e-9);
            }
        }
        assertTrue(orthogonalityDefect(red) < orthogonalityDefect(b));
        assertNotEquals(orthogonalityDefect(red), orthogonalityDefect(b));
    }
}
