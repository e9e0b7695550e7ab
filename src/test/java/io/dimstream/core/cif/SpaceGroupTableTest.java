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
    void icsdStyleSuffixesWithoutAColon() {
        // ICSD writes origin choices as S (1) / Z (2) and rhombohedral axes as H / R, after a space
        assertEquals(xyz(table.byHermannMauguin("F d -3 m :2", 227, CUBIC).ops()),
                xyz(table.byHermannMauguin("F d -3 m Z", 227, CUBIC).ops()));
        assertEquals(xyz(table.byHermannMauguin("F d -3 m :1", 227, CUBIC).ops()),
                xyz(table.byHermannMauguin("Fd-3mS", 227, CUBIC).ops()));
        assertEquals(36, table.byHermannMauguin("R -3 m H", 166, HEX).ops().size());
        assertEquals(12, table.byHermannMauguin("R -3 m R", 166, RHOMBO).ops().size());
        assertEquals(8, table.byHermannMauguin("P m m n Z", 59, ORTHO).ops().size());
        assertFalse(table.byHermannMauguin("P m m n", 59, ORTHO).found(), "no suffix: still ambiguous");
    }

    @Test
    void ambiguousOrInconsistentSymbolsAreRefusedWithTheReason() {
        var origin = table.byHermannMauguin("F d -3 m", 227, CUBIC);
        assertFalse(origin.found());
        assertTrue(origin.refusal().contains("two origin choices"), origin.refusal());
        assertEquals(192, table.byHermannMauguin("F d -3 m :1", 227, CUBIC).ops().size());
        var two = table.byHermannMauguin("F d -3 m :2", 227, CUBIC);
        assertEquals(192, two.ops().size());
        assertTrue(xyz(two.ops()).contains("-x,-y,-z"), "origin choice 2 is at a centre of symmetry");

        var impossible = table.byHermannMauguin("P 21/b", 0, MONO); // a b-glide normal to b
        assertFalse(impossible.found());
        assertTrue(impossible.refusal().contains("nor a monoclinic/orthorhombic setting"), impossible.refusal());

        var mismatch = table.byHermannMauguin("P 21/c", 62, MONO);
        assertFalse(mismatch.found());
        assertTrue(mismatch.refusal().contains("No. 14 but the block's IT number is 62"), mismatch.refusal());

        var metric = table.byHermannMauguin("P 4/m m m", 0, ORTHO);
        assertFalse(metric.found(), "tetragonal operations on a cell with a != b");
        assertTrue(metric.refusal().contains("do not fit the cell"), metric.refusal());
    }

    static String xyz(List<SymOp> ops) {
        java.util.TreeSet<String> out = new java.util.TreeSet<>();
        String[] ax = {"x", "y", "z"};
        for (SymOp op : ops) {
            double[] r = op.rot();
            double[] t = op.trans();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                StringBuilder c = new StringBuilder();
                for (int j = 0; j < 3; j++) {
                    c.append(r[3 * i + j] == 1 ? "+" + ax[j] : r[3 * i + j] == -1 ? "-" + ax[j] : "");
                }
                double f = t[i] - Math.floor(t[i]);
                sb.append(c.charAt(0) == '+' ? c.substring(1) : c).append(f == 0 ? "" : f == 0.5 ? "+1/2" : "+" + f);
                sb.append(i < 2 ? "," : "");
            }
            out.add(sb.toString());
        }
        return String.join(" ", out);
    }

    @Test
    void nonStandardMonoclinicAndOrthorhombicSettingsGiveTheInternationalTablesOperations() {
        // the operations as International Tables A lists them for these settings
        assertEquals("-x+1/2,y+1/2,-z+1/2 -x,-y,-z x+1/2,-y+1/2,z+1/2 x,y,z",
                xyz(table.byHermannMauguin("P 1 21/n 1", 14, MONO).ops()));
        assertEquals("-x+1/2,y+1/2,-z -x,-y,-z x+1/2,-y+1/2,z x,y,z", xyz(table.byHermannMauguin("P21/a", 0, MONO).ops()));
        assertEquals("-x+1/2,y+1/2,-z+1/2 -x+1/2,y+1/2,z -x,-y,-z -x,-y,z+1/2 x+1/2,-y+1/2,-z x+1/2,-y+1/2,z+1/2 "
                + "x,y,-z+1/2 x,y,z", xyz(table.byHermannMauguin("Pbnm", 62, ORTHO).ops()));
        var a2n = table.byHermannMauguin("A 1 2/n 1", 15, MONO);
        assertEquals(15, a2n.entry().number());
        assertTrue(xyz(a2n.ops()).contains("-x+1/2,y,-z+1/2"), "n-glide setting of C 1 2/c 1: " + xyz(a2n.ops()));
        assertEquals(16, table.byHermannMauguin("B b m m", 63, ORTHO).ops().size());
        var wrongNumber = table.byHermannMauguin("P b n m", 14, ORTHO);
        assertFalse(wrongNumber.found(), "Pbnm is not a setting of No. 14");
    }

    /** (R, t) in coordinates with the origin moved to p: (R, Rp + t − p). */
    static List<SymOp> shifted(List<SymOp> ops, double[] p) {
        List<SymOp> out = new java.util.ArrayList<>();
        for (SymOp op : ops) {
            double[] r = op.rot();
            double[] t = op.trans();
            double[] nt = new double[3];
            for (int i = 0; i < 3; i++) {
                nt[i] = t[i] - p[i] + r[3 * i] * p[0] + r[3 * i + 1] * p[1] + r[3 * i + 2] * p[2];
            }
            out.add(new SymOp(r, nt));
        }
        return out;
    }

    static Set<String> keys(List<SymOp> ops) {
        Set<String> k = new java.util.TreeSet<>();
        for (SymOp op : ops) {
            k.add(key(op));
        }
        return k;
    }

    @Test
    void originChoiceTwoIsTheTablesGroupMovedToACentreOfSymmetry() {
        assertEquals(SpaceGroupTable.TWO_ORIGINS, SpaceGroupTable.ORIGIN_2_HALL.keySet());
        List<Integer> failures = new java.util.ArrayList<>();
        for (int n : new java.util.TreeSet<>(SpaceGroupTable.TWO_ORIGINS)) {
            var e = table.standard().get(n);
            assertEquals(1, e.origin(), "the table holds origin choice 1 of No. " + n);
            List<SymOp> two = HallSymbol.generate(SpaceGroupTable.ORIGIN_2_HALL.get(n));
            assertEquals(e.ops().size(), two.size(), "No. " + n + ": same order");
            Set<String> target = keys(two);
            assertTrue(target.contains(key(new SymOp(new double[] {-1, 0, 0, 0, -1, 0, 0, 0, -1}, new double[3]))),
                    "No. " + n + ": inversion at the origin");
            boolean sameGroup = false;
            for (SymOp op : e.ops()) { // origin 2 sits on an inversion centre (t + lattice vector)/2 of origin 1
                double[] r = op.rot();
                if (r[0] == -1 && r[4] == -1 && r[8] == -1 && r[1] == 0 && r[3] == 0) {
                    double[] t = op.trans();
                    for (int m = 0; m < 8; m++) {
                        double[] p = {(t[0] + (m & 1)) / 2, (t[1] + (m >> 1 & 1)) / 2, (t[2] + (m >> 2 & 1)) / 2};
                        sameGroup |= keys(shifted(e.ops(), p)).equals(target);
                    }
                }
            }
            if (!sameGroup) {
                failures.add(n);
            }
        }
        assertEquals(List.of(), failures, "groups whose origin 2 is not origin 1 moved to an inversion centre");
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
