package io.dimstream.core.featurize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Structure;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The K-nearest neighbour lists of featurizer v2 against brute force over periodic images, and the
 * invariances the large-cell featurization has (and the one it does not).
 */
class NearestNeighboursTest {

    /** Brute force: every atom in images -n..n of every axis, sorted by distance; the K nearest. */
    private static double[][] bruteForce(double[][] l, double[] frac, int s, int k, int[] range) {
        double[][] out = new double[s][];
        for (int i = 0; i < s; i++) {
            List<double[]> all = new ArrayList<>();
            for (int j = 0; j < s; j++) {
                for (int a = -range[0]; a <= range[0]; a++) {
                    for (int b = -range[1]; b <= range[1]; b++) {
                        for (int c = -range[2]; c <= range[2]; c++) {
                            double f0 = frac[3 * j] + a - frac[3 * i];
                            double f1 = frac[3 * j + 1] + b - frac[3 * i + 1];
                            double f2 = frac[3 * j + 2] + c - frac[3 * i + 2];
                            double x = f0 * l[0][0] + f1 * l[1][0] + f2 * l[2][0];
                            double y = f0 * l[0][1] + f1 * l[1][1] + f2 * l[2][1];
                            double z = f0 * l[0][2] + f1 * l[1][2] + f2 * l[2][2];
                            all.add(new double[] {Math.sqrt(x * x + y * y + z * z), j});
                        }
                    }
                }
            }
            all.sort((p, q) -> Double.compare(p[0], q[0]));
            double[] row = new double[2 * k + 1];
            for (int q = 0; q < k; q++) {
                row[q] = all.get(q)[0];
                row[k + q] = all.get(q)[1];
            }
            row[2 * k] = all.get(k)[0]; // the (K+1)-th distance, to know whether the K-th place is tied
            out[i] = row;
        }
        return out;
    }

    private static double[] randomFrac(Random r, int s) {
        double[] f = new double[3 * s];
        for (int q = 0; q < f.length; q++) {
            f[q] = r.nextDouble();
        }
        return f;
    }

    /** Compares distances exactly (float) and the neighbour identities of every untied place. */
    private static void assertMatchesBruteForce(double[][] l, double[] frac, int s, int k, int[] range) {
        float[] d = new float[s * k];
        int[] img = new int[s * k];
        NearestNeighbours.compute(l, frac, s, k, d, img);
        double[][] ref = bruteForce(l, frac, s, k, range);
        for (int i = 0; i < s; i++) {
            for (int q = 0; q < k; q++) {
                assertEquals(ref[i][q], d[i * k + q], 1e-4, "site " + i + " neighbour " + q);
            }
            // the multiset of neighbour sites over the places that are not part of a tie at the cut
            double cut = ref[i][k - 1];
            boolean tiedAtCut = Math.abs(ref[i][2 * k] - cut) < 1e-6;
            int[] want = new int[s];
            int[] got = new int[s];
            for (int q = 0; q < k; q++) {
                if (tiedAtCut && Math.abs(ref[i][q] - cut) < 1e-6) {
                    continue;
                }
                want[(int) ref[i][k + q]]++;
                got[img[i * k + q]]++;
            }
            assertArrayEquals(want, got, "neighbour sites of row " + i);
            assertEquals(i, img[i * k], "the site itself comes first");
            assertEquals(0f, d[i * k]);
        }
    }

    @Test
    void triclinicCellMatchesBruteForce() {
        double[][] l = Lattice.fromParameters(5.1, 6.3, 7.2, 70, 100, 115).matrix();
        assertMatchesBruteForce(l, randomFrac(new Random(1), 7), 7, 40, new int[] {4, 4, 4});
    }

    @Test
    void cellWithOneVeryShortAxisMatchesBruteForce() {
        // a 1.4 Angstrom axis: the 50 nearest atoms reach many images along it
        double[][] l = Lattice.fromParameters(9.0, 10.0, 1.4, 90, 95, 90).matrix();
        assertMatchesBruteForce(l, randomFrac(new Random(2), 3), 3, 50, new int[] {2, 2, 20});
    }

    @Test
    void strongShearedCellMatchesBruteForce() {
        // a badly reduced basis of a simple lattice: b = a + small, c = 3a + b + small
        double[][] l = {{4, 0, 0}, {4.3, 3.9, 0}, {15.7, 4.2, 4.4}};
        assertMatchesBruteForce(l, randomFrac(new Random(3), 5), 5, 50, new int[] {8, 8, 8});
    }

    @Test
    void largeCellMatchesBruteForce() {
        double[][] l = Lattice.fromParameters(20, 21, 19, 88, 93, 91).matrix();
        assertMatchesBruteForce(l, randomFrac(new Random(4), 300), 300, 50, new int[] {1, 1, 1});
    }

    @Test
    void neighbourListsOfASupercellEqualThoseOfItsCell() {
        // the K nearest atoms of a site are a property of the crystal, not of the cell it is written in:
        // the 2x1x1 supercell's rows equal the primitive rows of the sites they are images of
        double[][] l = Lattice.fromParameters(6.2, 7.1, 8.3, 80, 97, 104).matrix();
        int s = 6;
        int k = 50;
        double[] frac = randomFrac(new Random(5), s);
        double[][] l2 = {{2 * l[0][0], 2 * l[0][1], 2 * l[0][2]}, l[1], l[2]};
        double[] frac2 = new double[6 * s];
        for (int t = 0; t < 2; t++) {
            for (int a = 0; a < s; a++) {
                frac2[3 * (t * s + a)] = (frac[3 * a] + t) / 2;
                frac2[3 * (t * s + a) + 1] = frac[3 * a + 1];
                frac2[3 * (t * s + a) + 2] = frac[3 * a + 2];
            }
        }
        float[] d = new float[s * k];
        int[] img = new int[s * k];
        NearestNeighbours.compute(l, frac, s, k, d, img);
        float[] d2 = new float[2 * s * k];
        int[] img2 = new int[2 * s * k];
        NearestNeighbours.compute(l2, frac2, 2 * s, k, d2, img2);
        for (int i = 0; i < 2 * s; i++) {
            float[] a = Arrays.copyOfRange(d, (i % s) * k, (i % s + 1) * k);
            float[] b = Arrays.copyOfRange(d2, i * k, (i + 1) * k);
            assertArrayEquals(a, b, 1e-4f, "row " + i);
        }
    }

    @Test
    void deterministic() {
        double[][] l = Lattice.fromParameters(11, 12, 13, 90, 90, 90).matrix();
        double[] frac = randomFrac(new Random(6), 80);
        float[] d1 = new float[80 * 50];
        int[] i1 = new int[80 * 50];
        float[] d2 = new float[80 * 50];
        int[] i2 = new int[80 * 50];
        NearestNeighbours.compute(l, frac, 80, 50, d1, i1);
        NearestNeighbours.compute(l, frac, 80, 50, d2, i2);
        assertArrayEquals(d1, d2);
        assertArrayEquals(i1, i2);
    }

    /** A 70-site crystal (above the supercell limit of 64) and its 2x1x1 supercell. */
    @Test
    void largeCrystalAndItsSupercellFeaturizeIdentically() throws Exception {
        Random r = new Random(7);
        Lattice lat = Lattice.fromParameters(11.3, 12.1, 13.7, 84, 96, 101);
        Element[] els = {Element.Na, Element.Al, Element.Si, Element.O};
        List<Site> sites = new ArrayList<>();
        List<Site> doubled = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            double x = r.nextDouble();
            double y = r.nextDouble();
            double z = r.nextDouble();
            sites.add(Site.of(els[i % 4], x, y, z));
            doubled.add(Site.of(els[i % 4], x / 2, y, z));
            doubled.add(Site.of(els[i % 4], (x + 1) / 2, y, z));
        }
        double[][] m = lat.matrix();
        Lattice lat2 = new Lattice(new double[][] {{2 * m[0][0], 2 * m[0][1], 2 * m[0][2]}, m[1], m[2]});
        SiteNetFeaturizer f = new SiteNetFeaturizer();
        FeaturizedCrystal a = f.featurize(new Structure("a", lat, sites), "a", "t");
        FeaturizedCrystal b = f.featurize(new Structure("b", lat2, doubled), "b", "t");
        assertTrue(a.perSiteNeighbours());
        assertEquals(70, b.primSites(), "the supercell reduces to the same primitive cell");
        SiteNetFeaturizerTest.assertSameFingerprint(a, b);
    }
}
