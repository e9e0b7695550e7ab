package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Element;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvalDataTest {

    /** 200 real Materials Project structures with labels (CC BY 4.0), bundled by the core module. */
    static final Path SAMPLE = Path.of("..", "src", "test", "resources", "mp-sample.csv.gz");
    static final List<String> PROPS = List.of("formation_energy_per_atom", "band_gap");

    @Test
    void loadsRealStructuresWithLabelsKeptApart() {
        EvalSplit s = EvalData.load(SAMPLE, "train", PROPS, Integer.MAX_VALUE, 0);
        assertTrue(s.size() > 180 && s.size() <= 200, "usable structures: " + s.size());
        assertEquals(s.size(), s.labels().labelled("band_gap").length);
        EvalSample first = s.samples().get(0);
        assertFalse(first.composition().isEmpty());
        assertEquals(first.id(), first.features().id());
        // formation energies of MP compounds lie in a physical range
        for (int i : s.labels().labelled("formation_energy_per_atom")) {
            double v = s.labels().get("formation_energy_per_atom", i);
            assertTrue(v > -6 && v < 5, "formation energy " + v);
        }
        assertTrue(first.composition().keySet().stream().allMatch(e -> e instanceof Element));
    }

    @Test
    void limitDrawsTheSameRowsForTheSameSeed() {
        EvalSplit a = EvalData.load(SAMPLE, "test", PROPS, 50, 3);
        EvalSplit b = EvalData.load(SAMPLE, "test", PROPS, 50, 3);
        EvalSplit c = EvalData.load(SAMPLE, "test", PROPS, 50, 4);
        assertEquals(a.ids(), b.ids());
        assertTrue(a.size() <= 50);
        assertFalse(a.ids().equals(c.ids()));
    }

    @Test
    void missingLabelColumnIsATypedError() {
        EvalException e = assertThrows(EvalException.class,
                () -> EvalData.load(SAMPLE, "train", List.of("bulk_modulus"), 10, 0));
        assertEquals("eval.no_labels", e.code());
    }

    @Test
    void emptyOrNoneLabelCellsAreMissing() {
        assertTrue(Double.isNaN(EvalData.parseLabel("")));
        assertTrue(Double.isNaN(EvalData.parseLabel("None")));
        assertEquals(-1.25, EvalData.parseLabel(" -1.25 "), 0);
    }
}
