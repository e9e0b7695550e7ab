package io.dimstream.core.featurize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.cif.CifParser;
import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.Mat3;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Structure;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The full pipeline, including the primitive-cell step. */
class PipelineTest {

    private final SiteNetFeaturizer featurizer = new SiteNetFeaturizer();

    static Structure rockSaltConventional(double a) {
        List<Site> sites = new ArrayList<>();
        double[][] fcc = {{0, 0, 0}, {0, 0.5, 0.5}, {0.5, 0, 0.5}, {0.5, 0.5, 0}};
        for (double[] p : fcc) {
            sites.add(Site.of(Element.Na, p[0], p[1], p[2]));
            sites.add(Site.of(Element.Cl, p[0] + 0.5, p[1], p[2]));
        }
        return new Structure("NaCl", Lattice.fromParameters(a, a, a, 90, 90, 90), sites);
    }

    /** The same crystal in another cell: basis rows U·L for an integer matrix U, sites re-expressed. */
    static Structure inCell(Structure s, int[][] u) {
        double[][] l = s.lattice().matrix();
        double[][] ud = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                ud[i][j] = u[i][j];
            }
        }
        Lattice nl = new Lattice(Mat3.multiply(ud, l));
        int det = (int) Math.round(Math.abs(Mat3.det(ud)));
        List<Site> sites = new ArrayList<>();
        // every old site plus its lattice translations that land inside the new cell
        for (Site site : s.sites()) {
            for (int a = -det - 2; a <= det + 2; a++) {
                for (int b = -det - 2; b <= det + 2; b++) {
                    for (int c = -det - 2; c <= det + 2; c++) {
                        double[] cart = s.lattice().toCartesian(new double[] {site.frac(0) + a, site.frac(1) + b, site.frac(2) + c});
                        double[] f = nl.toFractional(cart);
                        boolean inside = true;
                        for (int k = 0; k < 3; k++) {
                            double v = Math.rint(f[k] * 1e9) / 1e9;
                            inside &= v >= 0 && v < 1;
                        }
                        if (inside) {
                            sites.add(site.withFrac(f));
                        }
                    }
                }
            }
        }
        assertEquals(s.size() * det, sites.size(), "site count of the transformed cell");
        return new Structure(s.id(), nl, sites);
    }

    @Test
    void rockSaltConventionalCellReducesToTwoSites() throws Exception {
        FeaturizedCrystal f = featurizer.featurize(rockSaltConventional(5.64), "nacl", "t");
        assertEquals(2, f.primSites());
        assertEquals(36, f.supercellSites());
        assertEquals("NaCl", f.formula());
        double[] row = SupercellAndTensorTest.sortedRow(f, 0);
        assertEquals(0, row[0]);
        assertEquals(2.82, row[1], 1e-5);
        assertEquals(6, SupercellAndTensorTest.countNear(row, 2.82, 1e-4));
    }

    @Test
    void conventionalMetalsReduceToOneSite() throws Exception {
        double a = 2.87;
        Structure bcc = new Structure("Fe", Lattice.fromParameters(a, a, a, 90, 90, 90),
                List.of(Site.of(Element.Fe, 0, 0, 0), Site.of(Element.Fe, 0.5, 0.5, 0.5)));
        FeaturizedCrystal fb = featurizer.featurize(bcc, "fe", "t");
        assertEquals(1, fb.primSites());
        double[] rb = SupercellAndTensorTest.sortedRow(fb, 0);
        assertEquals(8, SupercellAndTensorTest.countNear(rb, a * Math.sqrt(3) / 2, 1e-4));
        assertEquals(6, SupercellAndTensorTest.countNear(rb, a, 1e-4));

        double c = 3.615;
        Structure fcc = new Structure("Cu", Lattice.fromParameters(c, c, c, 90, 90, 90), List.of(
                Site.of(Element.Cu, 0, 0, 0), Site.of(Element.Cu, 0, 0.5, 0.5),
                Site.of(Element.Cu, 0.5, 0, 0.5), Site.of(Element.Cu, 0.5, 0.5, 0)));
        FeaturizedCrystal ff = featurizer.featurize(fcc, "cu", "t");
        assertEquals(1, ff.primSites());
        assertEquals(12, SupercellAndTensorTest.countNear(SupercellAndTensorTest.sortedRow(ff, 0), c / Math.sqrt(2), 1e-4));
    }

    @Test
    void anotherCellOfTheSameCrystalGivesTheSameSortedRows() throws Exception {
        Structure nacl = rockSaltConventional(5.64);
        FeaturizedCrystal base = featurizer.featurize(nacl, "a", "t");
        int[][][] cells = {
            {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
            {{1, 1, 0}, {0, 1, 0}, {0, 0, 1}},   // sheared, same volume
            {{2, 0, 0}, {0, 1, 0}, {0, 0, 1}},   // doubled
            {{1, 0, 1}, {0, 1, 1}, {1, 1, 0}},   // skewed, det -2
        };
        for (int[][] u : cells) {
            FeaturizedCrystal other = featurizer.featurize(inCell(nacl, u), "b", "t");
            SiteNetFeaturizerTest.assertSameFingerprint(base, other);
        }
        // a low-symmetry crystal: triclinic, 3 sites
        Structure tri = new Structure("tri", Lattice.fromParameters(3.3, 4.1, 5.0, 78, 86, 97), List.of(
                Site.of(Element.Li, 0.1, 0.2, 0.3), Site.of(Element.Co, 0.45, 0.6, 0.1), Site.of(Element.O, 0.8, 0.15, 0.65)));
        FeaturizedCrystal tb = featurizer.featurize(tri, "a", "t");
        assertEquals(3, tb.primSites());
        for (int[][] u : new int[][][] {{{1, 2, 0}, {0, 1, 0}, {0, 1, 1}}, {{1, 0, 0}, {1, 1, 0}, {0, 0, 2}}}) {
            SiteNetFeaturizerTest.assertSameFingerprint(tb, featurizer.featurize(inCell(tri, u), "b", "t"));
        }
    }

    @Test
    void trainingDataMatchesTheReferenceDistances() throws Exception {
        java.nio.file.Path csv = java.nio.file.Path.of(System.getProperty("dimstream.shared.dir", "../shared/data"), "train.csv.gz");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(csv), "shared train.csv.gz not found at " + csv + "; skipping");
        int checked = 0;
        try (java.util.stream.Stream<io.dimstream.core.io.RawCif> rows = io.dimstream.core.io.CifInputs.read(csv)) {
            for (io.dimstream.core.io.RawCif raw : (Iterable<io.dimstream.core.io.RawCif>) rows.limit(300)::iterator) {
                Structure s = io.dimstream.core.io.CifInputs.parse(raw).get(0);
                Structure prim = io.dimstream.core.crystal.PrimitiveCell.find(s, 0.5);
                if (prim.size() > 64) {
                    continue;
                }
                FeaturizedCrystal f = featurizer.featurize(s, raw.id(), "t");
                FeaturizedCrystal g = featurizer.featurizeGivenCell(prim, raw.id(), "t");
                assertArrayEquals(g.distances(), f.distances());
                NearCubicSupercell cell = NearCubicSupercell.of(prim.lattice().matrix(), prim.size(), 50);
                assertArrayEquals(SupercellAndTensorTest.referenceDistances(prim, cell), f.distances(), 1e-4f, raw.id());
                assertTrue(f.supercellSites() <= Math.max(50, f.primSites()));
                checked++;
            }
        }
        assertTrue(checked > 250, "checked " + checked);
    }

    @Test
    void realCifSamplesFeaturize() throws Exception {
        CifParser parser = new CifParser();
        for (String name : new String[] {"mp-p1_mp-13_Fe.cif", "mp-p1_mp-2657_TiO2.cif", "cod-tools_1000026-MgB2.cif"}) {
            String text;
            try (InputStream in = getClass().getResourceAsStream("/cif_samples/" + name)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Structure s = parser.parse(text, name).get(0);
            FeaturizedCrystal f = featurizer.featurize(s, name, "t");
            assertTrue(f.primSites() <= s.size());
            assertTrue(f.supercellSites() <= Math.max(50, f.primSites()));
            for (float d : f.distances()) {
                assertTrue(Float.isFinite(d) && d >= 0);
            }
            for (int i = 0; i < f.primSites(); i++) {
                assertEquals(0f, f.distance(i, i));
                for (int j = 0; j < f.supercellSites(); j++) {
                    if (j != i) {
                        assertTrue(f.distance(i, j) > 0.5f, name + " close contact " + f.distance(i, j));
                    }
                }
            }
        }
        // MgB2 (P6/mmm, 3 sites): already primitive
        String mgb2;
        try (InputStream in = getClass().getResourceAsStream("/cif_samples/cod-tools_1000026-MgB2.cif")) {
            mgb2 = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Structure parsed = parser.parse(mgb2, "mgb2").get(0);
        FeaturizedCrystal f = featurizer.featurize(parsed, "mgb2", "t");
        assertEquals(3, f.primSites());
        assertEquals(parsed.reducedFormula(), f.formula());
        assertArrayEquals(new int[] {0, 1, 2}, java.util.Arrays.copyOf(f.imageOf(), 3));
    }
}
