package io.dimstream.core.cif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SpaceGroupTableTest {

    static final double[] CUBIC = {5, 5, 5, 90, 90, 90};
    static final double[] HEX = {3, 3, 10, 90, 90, 120};
    static final double[] RHOMBO = {5, 5, 5, 60, 60, 60};
    static final double[] ORTHO = {4, 5, 6, 90, 90, 90};
    static final double[] MONO = {4, 5, 6, 90, 100, 90};

    final SpaceGroupTable table = SpaceGroupTable.get();

    /** An operation as integers (rotation, translation in 1/24) with the translation reduced mod 1. */
    static String key(SymOp op) {
        double[] r = op.rot();
        double[] t = op.trans();
        StringBuilder sb = new StringBuilder();
        for (double v : r) {
            sb.append((int) Math.rint(v)).append(',');
        }
        for (double v : t) {
            sb.append(Math.floorMod((int) Math.rint(v * 24), 24)).append(',');
        }
        return sb.toString();
    }

    static SymOp compose(SymOp a, SymOp b) {
        double[] ra = a.rot();
        double[] rb = b.rot();
        double[] ta = a.trans();
        double[] tb = b.trans();
        double[] r = new double[9];
        double[] t = new double[3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++) {
                    r[3 * i + j] += ra[3 * i + k] * rb[3 * k + j];
                }
                t[i] += ra[3 * i + j] * tb[j];
            }
            t[i] += ta[i];
        }
        return new SymOp(r, t);
    }

    @Test
    void all230StandardSettingsAreGroups() {
        assertEquals(230, table.standard().size());
        for (var e : table.standard().values()) {
            Set<String> keys = new HashSet<>();
            for (SymOp op : e.ops()) {
                keys.add(key(op));
            }
            assertEquals(e.ops().size(), keys.size(), e.symbol() + ": no repeated operation");
            assertTrue(keys.contains(key(SymOp.IDENTITY)), e.symbol() + " has the identity");
            for (SymOp a : e.ops()) {
                for (SymOp b : e.ops()) {
                    assertTrue(keys.contains(key(compose(a, b))), e.symbol() + " (No. " + e.number()
                            + ") is not closed: " + a + " * " + b);
                }
            }
        }
    }

    @Test
    void symbolsAreFoundWithOrWithoutSpacesAndInShortMonoclinicForm() {
        assertEquals(192, table.byHermannMauguin("F m -3 m", 0, CUBIC).ops().size());
        assertEquals(192, table.byHermannMauguin("Fm-3m", 225, CUBIC).ops().size());
        assertEquals(4, table.byHermannMauguin("P 21/c", 0, MONO).ops().size());
        assertEquals(4, table.byHermannMauguin("P 1 21/c 1", 14, MONO).ops().size());
        assertEquals(8, table.byHermannMauguin("Pnma", 62, ORTHO).ops().size());
        assertEquals(24, table.byHermannMauguin("P 63/m m c", 194, HEX).ops().size());
        assertEquals(16, table.byHermannMauguin("C m c e", 64, ORTHO).ops().size(), "2002 symbol of Cmca");
    }

    @Test
    void rhombohedralAxesComeFromTheSuffixOrTheCell() {
        assertEquals(36, table.byHermannMauguin("R -3 m", 166, HEX).ops().size(), "hexagonal axes: R-centred, 3 x 12");
        assertEquals(12, table.byHermannMauguin("R -3 m", 166, RHOMBO).ops().size(), "rhombohedral axes");
        assertEquals(36, table.byHermannMauguin("R -3 m :H", 0, HEX).ops().size());
        assertEquals(12, table.byHermannMauguin("R-3m:R", 0, RHOMBO).ops().size());
        var wrong = table.byHermannMauguin("R -3 m", 0, ORTHO);
        assertFalse(wrong.found());
        assertTrue(wrong.refusal().contains("neither hexagonal nor rhombohedral"), wrong.refusal());
    }

    @Test
    void ambiguousOrInconsistentSymbolsAreRefusedWithTheReason() {
        var origin = table.byHermannMauguin("F d -3 m", 227, CUBIC);
        assertFalse(origin.found());
        assertTrue(origin.refusal().contains("two origin choices"), origin.refusal());
        var tableOrigin = table.standard().get(227).origin();
        assertTrue(table.byHermannMauguin("F d -3 m :" + tableOrigin, 227, CUBIC).found());
        var other = table.byHermannMauguin("F d -3 m :" + (3 - tableOrigin), 227, CUBIC);
        assertFalse(other.found());
        assertTrue(other.refusal().contains("origin choice"), other.refusal());

        var nonStandard = table.byHermannMauguin("P 21/n", 14, MONO);
        assertFalse(nonStandard.found());
        assertTrue(nonStandard.refusal().contains("not a standard-setting"), nonStandard.refusal());

        var mismatch = table.byHermannMauguin("P 21/c", 62, MONO);
        assertFalse(mismatch.found());
        assertTrue(mismatch.refusal().contains("No. 14 but the block's IT number is 62"), mismatch.refusal());

        var metric = table.byHermannMauguin("P 4/m m m", 0, ORTHO);
        assertFalse(metric.found(), "tetragonal operations on a cell with a != b");
        assertTrue(metric.refusal().contains("do not fit the cell"), metric.refusal());
    }

    @Test
    void numberAloneOnlyWhereItFixesTheSetting() {
        assertEquals(192, table.byNumber(225, CUBIC).ops().size());
        assertEquals(2, table.byNumber(2, MONO).ops().size());
        assertEquals(36, table.byNumber(166, HEX).ops().size());
        assertFalse(table.byNumber(14, MONO).found(), "monoclinic: cell choice and unique axis unknown");
        assertFalse(table.byNumber(227, CUBIC).found(), "two origin choices");
        assertFalse(table.byNumber(231, CUBIC).found());
    }

    @Test
    void metricCheckAcceptsEveryStandardGroupInAFittingCell() {
        for (var e : table.standard().values()) {
            double[] cell = switch (e.symbol().charAt(0) == 'H' ? 'h' : system(e.number())) {
                case 'a' -> new double[] {4, 5, 6, 80, 95, 110};
                case 'm' -> MONO;
                case 'o' -> ORTHO;
                case 't' -> new double[] {4, 4, 6, 90, 90, 90};
                case 'h' -> HEX;
                default -> CUBIC;
            };
            assertEquals(null, SpaceGroupTable.metricViolation(e.ops(), cell), e.symbol());
        }
    }

    private static char system(int n) {
        return n <= 2 ? 'a' : n <= 15 ? 'm' : n <= 74 ? 'o' : n <= 142 ? 't' : n <= 194 ? 'h' : 'c';
    }

    @Test
    void listIsImmutable() {
        List<SymOp> ops = table.byHermannMauguin("P -1", 2, MONO).ops();
        assertTrue(ops.size() == 2);
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> ops.add(SymOp.IDENTITY));
    }
}
