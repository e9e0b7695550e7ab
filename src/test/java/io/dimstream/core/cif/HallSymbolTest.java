package io.dimstream.core.cif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Hall symbols of the real cif_samples generate exactly the operations those files list. */
class HallSymbolTest {

    static boolean sameSet(List<SymOp> a, List<SymOp> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (SymOp x : a) {
            boolean found = false;
            for (SymOp y : b) {
                if (java.util.Arrays.equals(x.rot(), y.rot())) {
                    boolean t = true;
                    for (int k = 0; k < 3; k++) {
                        double d = x.trans()[k] - y.trans()[k];
                        t &= Math.abs(d - Math.rint(d)) < 1e-6;
                    }
                    found |= t;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    @Test
    void matchesTheExplicitOperationsOfEverySampleWithAHallSymbol() throws IOException {
        Pattern hall = Pattern.compile("(?m)^_symmetry_space_group_name_Hall\\s+'([^']*)'");
        int checked = 0;
        List<String> mismatches = new ArrayList<>();
        for (String line : CifSamplesTest.resource("cif_samples/SOURCES.txt").split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String file = line.split("\\|")[0].trim();
            String text = CifSamplesTest.resource("cif_samples/" + file);
            Matcher m = hall.matcher(text);
            if (!m.find()) {
                continue;
            }
            List<SymOp> generated = HallSymbol.generate(m.group(1));
            assertNotNull(generated, m.group(1));
            List<SymOp> listed = explicitOps(text);
            if (!sameSet(generated, listed)) {
                mismatches.add(file + " '" + m.group(1) + "': generated " + generated.size() + " vs listed " + listed.size());
            }
            checked++;
        }
        assertEquals(19, checked);
        assertEquals(List.of(), mismatches);
    }

    static List<SymOp> explicitOps(String text) {
        List<SymOp> ops = new ArrayList<>();
        Pattern op = Pattern.compile("(?m)^\\s*(?:\\d+\\s+)?'?([-+xyz0-9/., ]*[xyz][-+xyz0-9/., ]*)'?\\s*$");
        boolean inLoop = false;
        for (String l : text.split("\n")) {
            String t = l.trim();
            if (t.startsWith("_symmetry_equiv_pos_as_xyz") || t.startsWith("_space_group_symop_operation_xyz")) {
                inLoop = true;
                continue;
            }
            if (inLoop && (t.startsWith("_") || t.startsWith("loop_"))) {
                if (!ops.isEmpty()) {
                    break;
                }
                continue;
            }
            if (inLoop) {
                Matcher m = op.matcher(l);
                if (m.matches()) {
                    SymOp s = SymOp.parse(m.group(1));
                    if (s != null) {
                        ops.add(s);
                    }
                }
            }
        }
        return ops;
    }

    @Test
    void parserUsesTheHallSymbolWhenTheOperationsLoopIsMissing() throws IOException {
        for (String file : List.of("cod-tools_9001432-initially-annealed.cif", "cod-tools_9010219-synthesized.cif",
                "debian-cif2hkl_LaMnO3.cif", "cod-tools_cifdata_7009762.cif")) {
            String text = CifSamplesTest.resource("cif_samples/" + file);
            int full = new CifParser().parse(text, file).get(0).size();
            String stripped = text.replaceAll("_symmetry_equiv_pos_as_xyz", "_removed_ops")
                    .replaceAll("_space_group_symop_operation_xyz", "_removed_ops2");
            assertEquals(full, new CifParser().parse(stripped, file).get(0).size(), file);
        }
    }

    @Test
    void knownGroupOrders() {
        assertEquals(1, HallSymbol.generate("P 1").size());
        assertEquals(2, HallSymbol.generate("-P 1").size());
        assertEquals(192, HallSymbol.generate("-F 4 2 3").size());
        assertEquals(4, HallSymbol.generate("C 2y").size());
        assertEquals(4, HallSymbol.generate("P 2ac 2ab").size());
        assertEquals(24, HallSymbol.generate("-P 6c 2c").size()); // P 63/m m c
        assertEquals(18, HallSymbol.generate("R 3 2\"").size());
        assertTrue(HallSymbol.generate("P_2ac_2ab").size() == 4);
    }

    @Test
    void randomSymbolsNeverThrow() {
        java.util.Random rnd = new java.util.Random(3);
        String alphabet = "-PABCIRSTF 1234655xyz'\"*abcnuvwd()0_";
        int valid = 0;
        for (int i = 0; i < 5_000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + rnd.nextInt(14);
            for (int k = 0; k < len; k++) {
                sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            List<SymOp> ops = HallSymbol.generate(sb.toString());
            if (ops != null) {
                valid++;
                assertTrue(ops.size() >= 1 && ops.size() <= 192);
            }
        }
        assertTrue(valid > 0);
    }

    @Test
    void rejectsGarbage() {
        for (String bad : new String[] {"", "Q 1", "P 5", "P 2q", "P 2 2 (0 0", "-", "P 2 (1 2)", "P 3 3 3 3 3"}) {
            assertNull(HallSymbol.generate(bad), bad);
        }
    }
}
