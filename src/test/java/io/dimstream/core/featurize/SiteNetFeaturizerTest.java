package io.dimstream.core.featurize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import io.dimstream.schemas.CrystalFeatures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class SiteNetFeaturizerTest {

    private final SiteNetFeaturizer featurizer = new SiteNetFeaturizer();

    /** A 3-element triclinic structure with S sites at pseudo-random positions. */
    static Structure randomStructure(long seed, int n, double box) {
        Random r = new Random(seed);
        Lattice l = Lattice.fromParameters(box, box * 1.1, box * 0.9, 85, 95, 100);
        Element[] els = {Element.Li, Element.Fe, Element.O};
        List<Site> sites = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sites.add(Site.of(els[i % 3], r.nextDouble(), r.nextDouble(), r.nextDouble()));
        }
        return new Structure("rand" + seed, l, sites);
    }

    /** Rows as (features, sorted distances), sorted: a permutation- and translation-free fingerprint. */
    static List<double[]> fingerprint(FeaturizedCrystal f) {
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < f.primSites(); i++) {
            double[] row = new double[f.featureDim() + f.supercellSites()];
            for (int k = 0; k < f.featureDim(); k++) {
                row[k] = f.siteFeature(i, k);
            }
            double[] d = new double[f.supercellSites()];
            for (int j = 0; j < d.length; j++) {
                d[j] = f.distance(i, j);
            }
            Arrays.sort(d);
            System.arraycopy(d, 0, row, f.featureDim(), d.length);
            rows.add(row);
        }
        rows.sort(ROW_ORDER);
        return rows;
    }

    static final Comparator<double[]> ROW_ORDER = (a, b) -> {
        for (int k = 0; k < a.length; k++) {
            // compare rounded values so float noise does not reorder rows
            int c = Long.compare(Math.round(a[k] * 1e3), Math.round(b[k] * 1e3));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    };

    static void assertSameFingerprint(FeaturizedCrystal a, FeaturizedCrystal b) {
        assertEquals(a.primSites(), b.primSites());
        assertEquals(a.supercellSites(), b.supercellSites());
        List<double[]> fa = fingerprint(a);
        List<double[]> fb = fingerprint(b);
        // match the rows as multisets within 1e-4: the sorted order alone can pair different sites when
        // two rows agree up to float noise near a rounding boundary of ROW_ORDER
        boolean[] used = new boolean[fb.size()];
        for (int i = 0; i < fa.size(); i++) {
            int match = -1;
            for (int j = 0; j < fb.size() && match < 0; j++) {
                if (!used[j] && maxDiff(fa.get(i), fb.get(j)) <= 1e-4) {
                    match = j;
                }
            }
            if (match < 0) {
                // report against the row in the same sorted position
                assertArrayEquals(fa.get(i), fb.get(i), 1e-4, "row " + i + " has no matching row");
                throw new AssertionError("row " + i + " has no matching row");
            }
            used[match] = true;
        }
    }

    static double maxDiff(double[] x, double[] y) {
        double m = 0;
        for (int k = 0; k < x.length; k++) {
            m = Math.max(m, Math.abs(x[k] - y[k]));
        }
        return m;
    }

    @Test
    void outputCarriesVersionIdSourceFormula() throws Exception {
        Structure s = randomStructure(1, 6, 6);
        FeaturizedCrystal f = featurizer.featurize(s, "mp-1", "file:x.cif");
        assertEquals(SiteNetFeaturizer.VERSION, f.featurizerVersion());
        assertEquals(2, SiteNetFeaturizer.VERSION);
        assertEquals("mp-1", f.id());
        assertEquals("file:x.cif", f.source());
        assertEquals(s.reducedFormula(), f.formula());
        assertEquals("LiOFe", f.formula());
        assertEquals(9, f.featureDim());
        assertEquals(1, featurizer.featurizedCount());
    }

    @Test
    void siteFeaturesAreStandardisedMagpieValues() throws Exception {
        Structure s = new Structure("feo", Lattice.fromParameters(4.3, 4.3, 4.3, 90, 90, 90), List.of(
                new Site(new double[] {0, 0, 0}, Map.of(new Species(Element.Fe, 2), 1.0), "Fe1"),
                Site.of(Element.O, 0.5, 0.5, 0.5)));
        FeaturizedCrystal f = featurizer.featurizeCell(s, "feo", "t");
        for (int k = 0; k < 8; k++) {
            assertEquals((MagpieFeatures.raw(Element.Fe, k) - MagpieFeatures.MEAN[k]) / MagpieFeatures.STD[k], f.siteFeature(0, k), 1e-6);
            assertEquals((MagpieFeatures.raw(Element.O, k) - MagpieFeatures.MEAN[k]) / MagpieFeatures.STD[k], f.siteFeature(1, k), 1e-6);
        }
        // Fe2+ -> 2/3, unknown O oxidation state -> 0
        assertEquals(2.0 / 3.0, f.siteFeature(0, 8), 1e-6);
        assertEquals(0.0, f.siteFeature(1, 8), 1e-9);
        // atomic number of Fe: (26 - 52) / 29.73
        assertEquals((26 - 52) / 29.732137494637012, f.siteFeature(0, 0), 1e-6);
    }

    @Test
    void disorderedSiteIsOccupancyWeightedMean() throws Exception {
        Map<Species, Double> occ = new LinkedHashMap<>();
        occ.put(new Species(Element.Fe, 3), 0.3);
        occ.put(new Species(Element.Ni, 2), 0.5); // total 0.8: 0.2 vacancy
        Structure s = new Structure("dis", Lattice.fromParameters(3, 3, 3, 90, 90, 90),
                List.of(new Site(new double[] {0, 0, 0}, occ, "M1")));
        FeaturizedCrystal f = featurizer.featurizeCell(s, "dis", "t");
        for (int k = 0; k < 8; k++) {
            double expected = (0.3 * MagpieFeatures.standardised(Element.Fe, k) + 0.5 * MagpieFeatures.standardised(Element.Ni, k)) / 0.8;
            assertEquals(expected, f.siteFeature(0, k), 1e-6);
        }
        assertEquals((0.3 * 3 + 0.5 * 2) / 0.8 / 3.0, f.siteFeature(0, 8), 1e-6);
    }

    @Test
    void imputationNeverGivesNaNForAnyElementAndIsCounted() throws Exception {
        SiteNetFeaturizer fz = new SiteNetFeaturizer();
        long expectedImputed = 0;
        for (Element e : Element.values()) {
            Structure s = new Structure(e.symbol(), Lattice.fromParameters(3, 3, 3, 90, 90, 90),
                    List.of(Site.of(e, 0, 0, 0)));
            FeaturizedCrystal f = fz.featurizeCell(s, e.symbol(), "t");
            for (float v : f.siteFeatures()) {
                assertTrue(Float.isFinite(v), e + " has a non-finite feature");
            }
            expectedImputed += MagpieFeatures.imputedCount(e);
        }
        assertTrue(expectedImputed > 0);
        assertEquals(expectedImputed, fz.imputedValueCount());
    }

    @Test
    void structureWithMoreSitesThanHalfNIsNotRepeated() throws Exception {
        Structure s = randomStructure(3, 30, 10);
        FeaturizedCrystal f = featurizer.featurizeCell(s, "big", "t");
        assertEquals(30, f.primSites());
        assertEquals(30, f.supercellSites());
        for (int j = 0; j < 30; j++) {
            assertEquals(j, f.imageOf()[j]);
            assertEquals(0f, f.distance(j, j));
            for (int i = 0; i < 30; i++) {
                assertEquals(f.distance(i, j), f.distance(j, i), 1e-5f);
            }
        }
        // S > N: still one cell (J = S), accepted while S <= maxPrimSites
        FeaturizedCrystal g = featurizer.featurizeCell(randomStructure(4, 60, 12), "bigger", "t");
        assertEquals(60, g.supercellSites());
        assertEquals(60 * 60, g.distances().length);
    }

    @Test
    void resourceLimitsAreEnforcedWithTypedErrorsNamingTheLimit() {
        SiteNetFeaturizer tight = new SiteNetFeaturizer(new SiteNetFeaturizer.Config(50, 64, 4096, 100, 100_000, 0.5));
        FeaturizerException tooMany = assertThrows(FeaturizerException.class,
                () -> tight.featurize(randomStructure(5, 101, 14), "x", "t"));
        assertEquals(FeaturizerException.TOO_MANY_SITES, tooMany.code());
        assertTrue(tooMany.getMessage().contains("101") && tooMany.getMessage().contains("limit of 100")
                && tooMany.getMessage().contains("maxSites"), tooMany.getMessage());

        SiteNetFeaturizer capped = new SiteNetFeaturizer(new SiteNetFeaturizer.Config(50, 64, 4096, 2000, 3000, 0.5));
        FeaturizerException pairs = assertThrows(FeaturizerException.class,
                () -> capped.featurize(randomStructure(6, 70, 14), "x", "t"));
        assertEquals(FeaturizerException.TOO_MANY_PAIRS, pairs.code());
        assertTrue(pairs.getMessage().contains("70 x 50 = 3500") && pairs.getMessage().contains("maxPairs"),
                pairs.getMessage());
        assertEquals(1, capped.rejectedCount());

        FeaturizerException empty = assertThrows(FeaturizerException.class,
                () -> featurizer.featurize(new Structure("e", Lattice.fromParameters(3, 3, 3, 90, 90, 90), List.of()), "e", "t"));
        assertEquals(FeaturizerException.EMPTY_STRUCTURE, empty.code());

        assertThrows(IllegalArgumentException.class, () -> new SiteNetFeaturizer.Config(0, 64, 4096, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new SiteNetFeaturizer.Config(50, 64, 4096, 0, 10, 0.5));
        assertEquals(new SiteNetFeaturizer.Config(50, 64, 4096, 2000, 100_000, 0.5), SiteNetFeaturizer.Config.DEFAULTS);
        assertEquals(new SiteNetFeaturizer.Config(50, 64, 4096, 0.5), SiteNetFeaturizer.Config.DEFAULTS);
    }

    @Test
    void cellsAboveTheSupercellLimitsGetPerSiteNeighbourLists() throws Exception {
        // 65 sites: one more than the supercell limit of featurizer v1
        FeaturizedCrystal f = featurizer.featurizeCell(randomStructure(5, 65, 12), "big", "t");
        assertEquals(65, f.primSites());
        assertEquals(50, f.supercellSites());
        assertTrue(f.perSiteNeighbours());
        assertEquals(65 * 50, f.imageOf().length);
        for (int i = 0; i < 65; i++) {
            assertEquals(0f, f.distance(i, 0), "row " + i + " starts with the site itself");
            assertEquals(i, f.neighbour(i, 0));
            for (int j = 1; j < 50; j++) {
                assertTrue(f.distance(i, j) >= f.distance(i, j - 1), "row " + i + " ascending");
            }
        }
        assertEquals(1, featurizer.neighbourListCount());
        // a supercell tensor over its pair limit (S <= 64) takes the neighbour-list path too
        SiteNetFeaturizer capped = new SiteNetFeaturizer(new SiteNetFeaturizer.Config(50, 64, 1000, 0.5));
        FeaturizedCrystal g = capped.featurize(randomStructure(6, 40, 12), "x", "t");
        assertTrue(g.perSiteNeighbours());
        assertEquals(40 * 50, g.distances().length);
        // the Avro record carries the S*K lists and reads back equal
        FeaturizedCrystal back = FeaturizedCrystal.fromAvro(f.toAvro(1L, 2L));
        assertArrayEquals(f.imageOf(), back.imageOf());
        assertArrayEquals(f.distances(), back.distances());
        assertTrue(back.perSiteNeighbours());
    }

    @Test
    void configurableSupercellSize() throws Exception {
        Structure po = new Structure("po", Lattice.fromParameters(3, 3, 3, 90, 90, 90), List.of(Site.of(Element.Po, 0, 0, 0)));
        SiteNetFeaturizer small = new SiteNetFeaturizer(new SiteNetFeaturizer.Config(8, 64, 4096, 0.5));
        assertEquals(8, small.featurizeCell(po, "po", "t").supercellSites());
    }

    @Test
    void invariantUnderTranslationAndPermutation() throws Exception {
        for (long seed = 10; seed < 20; seed++) {
            Structure s = randomStructure(seed, 2 + (int) (seed % 7), 5);
            FeaturizedCrystal base = featurizer.featurize(s, "a", "t");

            Random r = new Random(seed);
            double[] shift = {r.nextDouble() * 3 - 1, r.nextDouble() * 3 - 1, r.nextDouble() * 3 - 1};
            List<Site> moved = new ArrayList<>();
            for (Site site : s.sites()) {
                // translated, and some sites moved by whole lattice vectors too
                moved.add(site.withFrac(new double[] {site.frac(0) + shift[0] + r.nextInt(3) - 1,
                    site.frac(1) + shift[1], site.frac(2) + shift[2] - r.nextInt(2)}));
            }
            Collections.shuffle(moved, r);
            FeaturizedCrystal other = featurizer.featurize(new Structure("b", s.lattice(), moved), "b", "t");
            assertSameFingerprint(base, other);
        }
    }

    @Test
    void invariantUnderRotationOfTheCartesianFrame() throws Exception {
        Structure s = randomStructure(21, 4, 5);
        double[][] m = s.lattice().matrix();
        double c = Math.cos(0.7);
        double sn = Math.sin(0.7);
        double[][] rot = {{c, -sn, 0}, {sn, c, 0}, {0, 0, 1}};
        Structure rotated = new Structure("r", new Lattice(io.dimstream.core.crystal.Mat3.multiply(m, rot)), s.sites());
        assertSameFingerprint(featurizer.featurize(s, "a", "t"), featurizer.featurize(rotated, "b", "t"));
    }

    @Test
    void deterministicToTheByte() throws Exception {
        Structure s = randomStructure(31, 7, 5);
        byte[] a = avroBytes(new SiteNetFeaturizer().featurize(s, "id", "src"));
        byte[] b = avroBytes(new SiteNetFeaturizer().featurize(s, "id", "src"));
        assertArrayEquals(a, b);
        FeaturizedCrystal x = featurizer.featurize(s, "id", "src");
        FeaturizedCrystal y = featurizer.featurize(s, "id", "src");
        assertArrayEquals(x.distances(), y.distances());
        assertArrayEquals(x.siteFeatures(), y.siteFeatures());
        assertArrayEquals(x.imageOf(), y.imageOf());
        // round trip through the Avro twin
        FeaturizedCrystal back = FeaturizedCrystal.fromAvro(x.toAvro(0, 0));
        assertArrayEquals(x.distances(), back.distances());
        assertEquals(x.supercellSites(), back.supercellSites());
    }

    static byte[] avroBytes(FeaturizedCrystal f) throws IOException {
        CrystalFeatures rec = f.toAvro(1000L, 2000L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(CrystalFeatures.class).write(rec, enc);
        enc.flush();
        return out.toByteArray();
    }
}
