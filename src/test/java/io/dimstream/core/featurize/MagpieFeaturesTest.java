package io.dimstream.core.featurize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Element;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class MagpieFeaturesTest {

    @Test
    void tableValuesAreRead() {
        assertEquals(26, MagpieFeatures.raw(Element.Fe, 0));
        assertEquals(55.845, MagpieFeatures.raw(Element.Fe, 1), 1e-12);
        assertEquals(4, MagpieFeatures.raw(Element.Fe, 2));
        assertEquals(8, MagpieFeatures.raw(Element.Fe, 3));
        assertEquals(1.83, MagpieFeatures.raw(Element.Fe, 5), 1e-12);
        assertEquals(7874, MagpieFeatures.raw(Element.Fe, 7), 1e-9);
        assertEquals(0, MagpieFeatures.imputedCount(Element.Fe));
        assertEquals(2.2, MagpieFeatures.raw(Element.H, 5), 1e-12);
    }

    @Test
    void imputationFollowsTheDocumentedRule() {
        // noble gases' electronegativity from the nearest same-column element that has one (Kr, Xe)
        assertTrue(MagpieFeatures.isImputed(Element.He, 5));
        assertEquals(MagpieFeatures.raw(Element.Kr, 5), MagpieFeatures.raw(Element.He, 5));
        assertEquals(MagpieFeatures.raw(Element.Kr, 5), MagpieFeatures.raw(Element.Ar, 5));
        assertEquals(MagpieFeatures.raw(Element.Xe, 5), MagpieFeatures.raw(Element.Rn, 5));
        // At's ionisation energy and density from I; Fr's density from Cs
        assertEquals(MagpieFeatures.raw(Element.I, 4), MagpieFeatures.raw(Element.At, 4));
        assertEquals(MagpieFeatures.raw(Element.I, 7), MagpieFeatures.raw(Element.At, 7));
        assertEquals(MagpieFeatures.raw(Element.Cs, 7), MagpieFeatures.raw(Element.Fr, 7));
        // actinides past the radius table: same column (3) and row (7), nearest Z with a radius
        assertEquals(MagpieFeatures.raw(Element.Am, 6), MagpieFeatures.raw(Element.Cm, 6));
        assertFalse(MagpieFeatures.isImputed(Element.Am, 6));
        // superheavies past every table
        assertEquals(118, MagpieFeatures.raw(Element.Og, 0));
        assertEquals(7, MagpieFeatures.raw(Element.Og, 2));
        assertEquals(18, MagpieFeatures.raw(Element.Og, 3));
        assertEquals(MagpieFeatures.MAGPIE_DIM, MagpieFeatures.imputedCount(Element.Og));
        assertEquals(2, MagpieFeatures.imputedCount(Element.He));
    }

    @Test
    void everyElementHasFiniteFeatures() {
        for (Element e : Element.values()) {
            for (int k = 0; k < MagpieFeatures.MAGPIE_DIM; k++) {
                assertTrue(Double.isFinite(MagpieFeatures.raw(e, k)), e + " " + MagpieFeatures.NAMES.get(k));
                assertTrue(Double.isFinite(MagpieFeatures.standardised(e, k)), e + " " + MagpieFeatures.NAMES.get(k));
            }
        }
        assertEquals(0.0, MagpieFeatures.standardisedOxidation(Double.NaN));
        assertEquals(1.0, MagpieFeatures.standardisedOxidation(3));
    }

    @Test
    void hardCodedConstantsAreTheTableStatistics() {
        double[][] table = MagpieFeatures.readTables();
        boolean[][] imputed = new boolean[table.length][MagpieFeatures.MAGPIE_DIM];
        double[][] v = MagpieFeatures.impute(table, imputed);
        int n = MagpieFeatures.STATS_MAX_Z;
        for (int k = 0; k < MagpieFeatures.MAGPIE_DIM; k++) {
            double sum = 0;
            for (int z = 0; z < n; z++) {
                sum += v[z][k];
            }
            double mean = sum / n;
            double ss = 0;
            for (int z = 0; z < n; z++) {
                ss += (v[z][k] - mean) * (v[z][k] - mean);
            }
            double std = Math.sqrt(ss / n);
            assertEquals(mean, MagpieFeatures.MEAN[k], 1e-9 * Math.abs(mean), MagpieFeatures.NAMES.get(k));
            assertEquals(std, MagpieFeatures.STD[k], 1e-9 * std, MagpieFeatures.NAMES.get(k));
        }
        assertEquals(MagpieFeatures.DIM, MagpieFeatures.MEAN.length);
        assertEquals(MagpieFeatures.DIM, MagpieFeatures.STD.length);
        assertEquals(MagpieFeatures.DIM, MagpieFeatures.NAMES.size());
    }

    @Test
    void bundledTablesEqualTheSharedOnes() throws IOException {
        Path dir = Path.of(System.getProperty("dimstream.shared.dir", "../shared/data"), "magpie");
        Assumptions.assumeTrue(Files.isDirectory(dir), "shared Magpie tables not found at " + dir + "; skipping");
        for (String name : MagpieFeatures.NAMES.subList(0, MagpieFeatures.MAGPIE_DIM)) {
            List<String> shared = Files.readAllLines(dir.resolve(name + ".table"));
            try (var in = MagpieFeatures.class.getResourceAsStream("/io/dimstream/core/featurize/magpie/" + name + ".table")) {
                List<String> bundled = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).lines().toList();
                assertEquals(shared, bundled, name);
            }
        }
    }
}
