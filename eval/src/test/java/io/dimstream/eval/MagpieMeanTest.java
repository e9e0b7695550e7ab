package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dimstream.core.crystal.Element;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MagpieMeanTest {

    @Test
    void fractionWeightedMeanOnHandCase() {
        double[][] byZ = new double[20][];
        byZ[8] = new double[] {8, 2.0};          // O
        byZ[11] = new double[] {11, Double.NaN}; // Na, second property missing
        byZ[17] = new double[] {17, 4.0};        // Cl
        MagpieMean m = new MagpieMean(List.of("Number", "X"), byZ);
        // Na2O: 2/3 * 11 + 1/3 * 8 = 10; Na's missing X is imputed as the mean over elements (3.0)
        double[] v = m.of(Map.of(Element.Na, 2.0, Element.O, 1.0));
        assertEquals(10.0, v[0], 1e-12);
        assertEquals(2.0 / 3 * 3.0 + 1.0 / 3 * 2.0, v[1], 1e-12);
    }

    @Test
    void featurizerTablesGiveAtomicNumberAsFirstProperty() {
        MagpieMean m = MagpieMean.fromFeaturizerTables();
        assertEquals(8, m.dim());
        assertEquals("Number", m.names().get(0));
        // NaCl: mean Z = (11 + 17) / 2; scaling the cell does not change the mean
        assertEquals(14.0, m.of(Map.of(Element.Na, 4.0, Element.Cl, 4.0))[0], 1e-9);
    }
}
