package io.dimstream.core.crystal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PrimitiveCellTest {

    static Structure cubic(double a, List<Site> sites) {
        return new Structure("t", new Lattice(new double[][] {{a, 0, 0}, {0, a, 0}, {0, 0, a}}), sites);
    }

    static Structure rockSalt() {
        List<Site> s = new ArrayList<>();
        double[][] fcc = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
        for (double[] f : fcc) {
            s.add(Site.of(Element.Na, f[0], f[1], f[2]));
            s.add(Site.of(Element.Cl, f[0] + 0.5, f[1], f[2]));
        }
        return cubic(5.64, s);
    }

    /** The n0 x n1 x n2 supercell. */
    static Structure supercell(Structure s, int n0, int n1, int n2) {
        double[][] m = s.lattice().matrix();
        double[][] big = new double[3][3];
        int[] n = {n0, n1, n2};
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 3; k++) {
                big[i][k] = m[i][k] * n[i];
            }
        }
        List<Site> sites = new ArrayList<>();
        for (int a = 0; a < n0; a++) {
            for (int b = 0; b < n1; b++) {
                for (int c = 0; c < n2; c++) {
                    for (Site site : s.sites()) {
                        sites.add(site.withFrac(new double[] {
                            (site.frac(0) + a) / n0, (site.frac(1) + b) / n1, (site.frac(2) + c) / n2}));
                    }
                }
            }
        }
        return new Structure(s.id(), new Lattice(big), sites);
    }

    static void assertNiggliReduced(Lattice l) {
        double[][] m = l.matrix();
        double aa = Mat3.dot(m[0], m[0]);
        double bb = Mat3.dot(m[1], m[1]);
        double cc = Mat3.dot(m[2], m[2]);
        double e = 1e-6 * aa;
        assertTrue(aa <= bb + e && bb <= cc + e, "A <= B <= C");
        assertTrue(Math.abs(2 * Mat3.dot(m[1], m[2])) <= bb + e);
        assertTrue(Math.abs(2 * Mat3.dot(m[0], m[2])) <= aa + e);
        assertTrue(Math.abs(2 * Mat3.dot(m[0], m[1])) <= aa + e);
        assertTrue(l.determinant() > 0, "right-handed");
    }

    @Test
    void rockSaltConventionalEightToTwo() {
        Structure p = PrimitiveCell.find(rockSalt(), 0.5);
        assertEquals(2, p.size());
        assertEquals(5.64 * 5.64 * 5.64 / 4, p.lattice().volume(), 1e-9);
        assertEquals("NaCl", p.reducedFormula());
        assertEquals(5.64 / 2, p.distance(0, 1), 1e-9);
        double[] len = p.lattice().lengths();
        for (double l : len) {
            assertEquals(5.64 / Math.sqrt(2), l, 1e-9);
        }
        assertNiggliReduced(p.lattice());
    }

    @Test
    void supercellsOfRandomStructuresReduceBack() {
        Random rnd = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            Structure s = RandomStructures.random(rnd, 1 + rnd.nextInt(8), "r" + trial);
            Structure p0 = PrimitiveCell.find(s, 0.5);
            int[] n = {1 + rnd.nextInt(3), 1 + rnd.nextInt(3), 1 + rnd.nextInt(2)};
            Structure big = supercell(s, n[0], n[1], n[2]);
            Structure p = PrimitiveCell.find(big, 0.5);
            assertEquals(p0.size(), p.size(), "trial " + trial);
            assertEquals(p0.lattice().volume(), p.lattice().volume(), 1e-6 * p0.lattice().volume());
            assertEquals(s.composition().size(), p.composition().size());
            assertNiggliReduced(p.lattice());
            // every primitive site appears in the original at the same Cartesian position modulo the lattice
            for (Site site : p.sites()) {
                double[] cart = p.lattice().toCartesian(site.frac());
                double[] f = s.lattice().toFractional(cart);
                boolean found = false;
                for (Site o : s.sites()) {
                    if (o.sameSpecies(site, 1e-9) && s.lattice().minimumImageDistance(o.frac(), f) < 1e-6) {
                        found = true;
                    }
                }
                assertTrue(found, "trial " + trial + " site " + site);
            }
        }
    }

    /** Supercell with lattice S·M for an integer matrix S, sites displaced by up to noise Å. */
    static Structure supercell(Structure s, double[][] sm, double noise, Random rnd) {
        double[][] big = Mat3.multiply(sm, s.lattice().matrix());
        double[][] inv = Mat3.inverse(sm);
        Lattice bl = new Lattice(big);
        List<Site> sites = new ArrayList<>();
        int r = 4;
        for (int a = -r; a <= r; a++) {
            for (int b = -r; b <= r; b++) {
                for (int c = -r; c <= r; c++) {
                    for (Site site : s.sites()) {
                        double[] f = {site.frac(0) + a, site.frac(1) + b, site.frac(2) + c};
                        double[] g = Mat3.rowTimes(f, inv);
                        if (g[0] >= -1e-9 && g[0] < 1 - 1e-9 && g[1] >= -1e-9 && g[1] < 1 - 1e-9 && g[2] >= -1e-9 && g[2] < 1 - 1e-9) {
                            double[] cart = bl.toCartesian(g);
                            for (int k = 0; k < 3; k++) {
                                cart[k] += noise * (2 * rnd.nextDouble() - 1) / Math.sqrt(3);
                            }
                            sites.add(site.withFrac(bl.toFractional(cart)));
                        }
                    }
                }
            }
        }
        return new Structure(s.id(), bl, sites);
    }

    @Test
    void noisySkewedSupercellsFoldBackWithinTolerance() {
        Random rnd = new Random(5);
        double[][][] mats = {{{1, 1, 0}, {-1, 1, 0}, {0, 0, 2}}, {{2, 1, 0}, {0, 1, 1}, {1, 0, 3}}, {{1, 0, 0}, {0, 1, 0}, {3, 2, 5}}};
        for (int t = 0; t < 60; t++) {
            Structure s = RandomStructures.random(rnd, 1 + rnd.nextInt(5), "n" + t);
            Structure p0 = PrimitiveCell.find(s, 0.3);
            double[][] sm = mats[t % mats.length];
            Structure big = supercell(s, sm, 0.1, rnd);
            assertEquals(s.size() * (int) Math.round(Mat3.det(sm)), big.size());
            Structure p = PrimitiveCell.find(big, 0.3);
            assertEquals(p0.size(), p.size(), "trial " + t);
            for (Site o : big.sites()) {
                double[] f = p.lattice().toFractional(big.lattice().toCartesian(o.frac()));
                double best = Double.MAX_VALUE;
                for (Site q : p.sites()) {
                    if (q.sameSpecies(o, 1e-9)) {
                        best = Math.min(best, p.lattice().minimumImageDistance(q.frac(), f));
                    }
                }
                assertTrue(best <= 0.2 + 1e-9, "trial " + t + ": site moved by " + best);
            }
        }
    }

    @Test
    void largeSupercellReducesQuickly() {
        Structure big = supercell(rockSalt(), 8, 8, 8); // 4096 sites, 2047 candidate translations
        assertEquals(4096, big.size());
        Structure p = PrimitiveCell.find(big, 0.5);
        assertEquals(2, p.size());
        assertEquals(5.64 * 5.64 * 5.64 / 4, p.lattice().volume(), 1e-6);
    }

    @Test
    void speciesMustMatchAndDisorderIsRespected() {
        // bcc positions but two different species: CsCl stays at 2 sites
        List<Site> cscl = List.of(Site.of(Element.Cs, 0, 0, 0), Site.of(Element.Cl, 0.5, 0.5, 0.5));
        assertEquals(2, PrimitiveCell.find(cubic(4.1, cscl), 0.5).size());
        // same element: bcc Fe reduces to 1
        List<Site> bcc = List.of(Site.of(Element.Fe, 0, 0, 0), Site.of(Element.Fe, 0.5, 0.5, 0.5));
        assertEquals(1, PrimitiveCell.find(cubic(2.87, bcc), 0.5).size());
        // same element, different occupancy: no reduction
        Site a = new Site(new double[] {0, 0, 0}, Map.of(Species.of(Element.Fe), 0.5), "a");
        Site b = new Site(new double[] {0.5, 0.5, 0.5}, Map.of(Species.of(Element.Fe), 1.0), "b");
        assertEquals(2, PrimitiveCell.find(cubic(2.87, List.of(a, b)), 0.5).size());
    }

    @Test
    void toleranceAbsorbsSmallDistortions() {
        List<Site> bcc = List.of(Site.of(Element.Fe, 0, 0, 0), Site.of(Element.Fe, 0.51, 0.5, 0.49));
        assertEquals(1, PrimitiveCell.find(cubic(2.87, bcc), 0.5).size());
        assertEquals(2, PrimitiveCell.find(cubic(2.87, bcc), 0.01).size());
    }

    @Test
    void deterministicAndIdempotent() {
        Structure big = supercell(rockSalt(), 2, 1, 3);
        Structure p1 = PrimitiveCell.find(big, 0.5);
        Structure p2 = PrimitiveCell.find(big, 0.5);
        assertEquals(p1, p2);
        Structure p3 = PrimitiveCell.find(p1, 0.5);
        assertEquals(p1.size(), p3.size());
        assertEquals(p1.lattice().volume(), p3.lattice().volume(), 1e-9);
    }

    @Test
    void niggliOfASkewedCubicBasis() {
        // basis (a, a+b, a+b+c) of a cubic lattice: reduced to the cube
        double[][] skew = {{3, 0, 0}, {3, 3, 0}, {3, 3, 3}};
        Lattice r = Niggli.reduce(new Lattice(skew));
        for (double l : r.lengths()) {
            assertEquals(3, l, 1e-12);
        }
        for (double ang : r.angles()) {
            assertEquals(90, ang, 1e-9);
        }
        assertEquals(27, r.volume(), 1e-9);
        assertNiggliReduced(r);
        // fcc primitive given by a long basis
        double[][] fcc = {{0, 2, 2}, {2, 0, 2}, {2, 2, 0}};
        double[][] longBasis = Mat3.multiply(new double[][] {{1, 0, 0}, {3, 1, 0}, {-2, 5, 1}}, fcc);
        Lattice f = Niggli.reduce(new Lattice(longBasis));
        for (double l : f.lengths()) {
            assertEquals(Math.sqrt(8), l, 1e-9);
        }
        assertEquals(16, f.volume(), 1e-9);
        double[] ang = f.angles();
        assertEquals(60 * 3, ang[0] + ang[1] + ang[2], 1e-6); // Niggli form of fcc: all 60 degrees
        assertNiggliReduced(f);
    }

    @Test
    void randomBasesReduceToValidNiggliCells() {
        Random rnd = new Random(7);
        for (int t = 0; t < 500; t++) {
            Lattice base = RandomStructures.randomLattice(rnd);
            double[][] u = RandomStructures.randomUnimodular(rnd);
            Lattice skewed = new Lattice(Mat3.multiply(u, base.matrix()));
            Lattice r1 = Niggli.reduce(base);
            Lattice r2 = Niggli.reduce(skewed);
            assertNiggliReduced(r2);
            assertEquals(base.volume(), r2.volume(), 1e-9 * base.volume());
            double[] l1 = r1.lengths();
            double[] l2 = r2.lengths();
            for (int k = 0; k < 3; k++) {
                assertEquals(l1[k], l2[k], 1e-6 * l1[k], "trial " + t);
            }
        }
    }
}
