package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.heads.TreeEnsembleHead;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MethodTest {

    @Test
    void everyDimMethodHasARandomInitControlWithTheSameHeadAndConstruction() {
        for (Method m : Method.values()) {
            if (!m.representation().usesDim()) {
                assertNull(m.control(), m.id());
                continue;
            }
            Method c = m.control();
            assertNotNull(c, m.id() + " has no control");
            assertSame(m.head(), c.head(), m.id());
            assertTrue(c.representation().usesRandom(), c.id());
            // same construction: the twin of the control's representation is the DIM method's
            assertSame(m.representation(), c.representation().twin(), m.id());
            assertEquals(m.representation().usesComposition(), c.representation().usesComposition(), m.id());
            assertEquals(m.id().replaceFirst("^dim", "random"), c.id());
        }
    }

    @Test
    void aMethodAndItsControlGetTheSameHeadConstruction() {
        for (Method m : Method.values()) {
            if (m.control() == null || m.finetune()) {
                continue;
            }
            var a = Evaluation.head(m.head());
            var b = Evaluation.head(m.control().head());
            assertSame(a.getClass(), b.getClass(), m.id());
            if (a instanceof TreeEnsembleHead ta) {
                assertSame(ta.kind(), ((TreeEnsembleHead) b).kind());
            }
        }
    }

    @Test
    void idsAreUniqueAndParse() {
        Set<String> ids = new HashSet<>();
        for (Method m : Method.values()) {
            assertTrue(ids.add(m.id()), "duplicate id " + m.id());
            assertSame(m, Method.byId(m.id()));
        }
        assertTrue(ids.contains("composition-rf"));
        assertTrue(ids.contains("dim+comp-rf"));
        assertTrue(ids.contains("random+comp-rf"));
        assertTrue(ids.contains("composition-ridge"));
    }
}
