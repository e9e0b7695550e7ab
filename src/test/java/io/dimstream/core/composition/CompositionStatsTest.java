package io.dimstream.core.composition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Element;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompositionStatsTest {
    private final CompositionStats cs = CompositionStats.get();

    private double feature(double[] v, String name) {
        return v[cs.names().indexOf(name)];
    }

    @Test
    void seventyEightNamedFeatures() {
        assertEquals(12 * 6 + 1 + 5, cs.dim());
        assertEquals(cs.dim(), cs.names().stream().distinct().count());
        assertTrue(cs.names().contains("mean_Electronegativity"));
    }

    @Test
    void statisticsOfFe2O3ByHand() {
        Map<Element, Double> c = new LinkedHashMap<>();
        c.put(Element.bySymbol("Fe").orElseThrow(), 4.0); // 4 Fe + 6 O per cell: fractions 0.4 / 0.6
        c.put(Element.bySymbol("O").orElseThrow(), 6.0);
        double[] v = cs.of(c);
        // atomic numbers 26 and 8
        assertEquals(8, feature(v, "min_Number"), 1e-12);
        assertEquals(26, feature(v, "max_Number"), 1e-12);
        assertEquals(18, feature(v, "range_Number"), 1e-12);
        assertEquals(0.4 * 26 + 0.6 * 8, feature(v, "mean_Number"), 1e-12); // 15.2
        assertEquals(0.4 * Math.abs(26 - 15.2) + 0.6 * Math.abs(8 - 15.2), feature(v, "avg_dev_Number"), 1e-12);
        assertEquals(8, feature(v, "mode_Number"), 1e-12); // O is the most abundant
        assertEquals(2, feature(v, "n_elements"), 0);
        assertEquals(Math.sqrt(0.16 + 0.36), feature(v, "p2_norm"), 1e-12);
        // the row of the periodic table: Fe 4, O 2
        assertEquals(0.4 * 4 + 0.6 * 2, feature(v, "mean_Row"), 1e-12);
    }

    @Test
    void scaleFreeAndTiesAverage() {
        Map<Element, Double> a = Map.of(Element.bySymbol("Na").orElseThrow(), 1.0, Element.bySymbol("Cl").orElseThrow(), 1.0);
        Map<Element, Double> b = Map.of(Element.bySymbol("Na").orElseThrow(), 4.0, Element.bySymbol("Cl").orElseThrow(), 4.0);
        double[] va = cs.of(a);
        double[] vb = cs.of(b);
        for (int k = 0; k < va.length; k++) {
            assertEquals(va[k], vb[k], 1e-12, cs.names().get(k));
        }
        assertEquals((11 + 17) / 2.0, feature(va, "mode_Number"), 1e-12);
    }

    @Test
    void everyElementGivesAFiniteVector() {
        for (Element e : Element.values()) {
            double[] v = cs.of(Map.of(e, 1.0));
            for (int k = 0; k < v.length; k++) {
                assertTrue(Double.isFinite(v[k]), e + " " + cs.names().get(k));
            }
        }
    }

    @Test
    void badCompositionsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> cs.of(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> cs.of(Map.of(Element.bySymbol("Fe").orElseThrow(), 0.0)));
    }
}
