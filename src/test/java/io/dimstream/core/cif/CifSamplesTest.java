package io.dimstream.core.cif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.PrimitiveCell;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * All 37 real-world CIFs of cif_samples (copied into test resources with SOURCES.txt). Expected
 * full-cell site counts are the pymatgen column of SOURCES.txt (co-located partial sites merged),
 * except for the deliberate differences listed in {@link #DIFFERENCES} (see docs/parsing.md).
 */
class CifSamplesTest {

    /** file → expected count or error type where we deliberately differ from the pymatgen column. */
    static final Map<String, String> DIFFERENCES = Map.of(
            // dummy atoms (_atom_site_calc_flag dum, at -1,-1,-1) are skipped; gemmi counts them
            "cod-tools_1000451.cif", "100",
            "cod-tools_1010246.cif", "16",
            "cod-tools_1100015.cif", "57",
            // pymatgen rejects only because of the dummy H with occupancy 2.08; merged sites = 82
            "cod-tools_1001031.cif", "82",
            // four full-occupancy S atoms on one position: occupancy sum 4 (pymatgen rejects too)
            "cod-tools_5910234.cif", CifException.OCCUPANCY_SUM);

    record Row(String file, String hm, int symops, int asym, int gemmi, String pymatgen) {
        @Override
        public String toString() {
            return file;
        }
    }

    static List<Row> rows() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String line : resource("cif_samples/SOURCES.txt").split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] c = line.split("\\|", -1);
            rows.add(new Row(c[0].trim(), c[2].trim(), Integer.parseInt(c[4].trim()), Integer.parseInt(c[5].trim()),
                    Integer.parseInt(c[6].trim()), c[7].trim()));
        }
        return rows;
    }

    static String resource(String path) throws IOException {
        try (InputStream in = CifSamplesTest.class.getResourceAsStream("/" + path)) {
            if (in == null) {
                throw new IOException("missing test resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static Structure parseSample(String file) throws IOException {
        List<Structure> list = new CifParser().parse(resource("cif_samples/" + file), file);
        assertEquals(1, list.size(), file);
        return list.get(0);
    }

    @Test
    void allThirtySevenSamplesAreListed() throws IOException {
        assertEquals(37, rows().size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void siteCountMatchesSources(Row row) throws IOException {
        String expected = DIFFERENCES.getOrDefault(row.file(), row.pymatgen());
        if (expected.startsWith("cif.")) {
            CifException e = assertThrows(CifException.class, () -> parseSample(row.file()));
            assertEquals(expected, e.code(), e.getMessage());
            assertTrue(e.line() > 0 || e.code().equals(CifException.OCCUPANCY_SUM), e.getMessage());
            assertTrue(!e.block().isEmpty(), e.getMessage());
            return;
        }
        Structure s = parseSample(row.file());
        assertEquals(Integer.parseInt(expected), s.size(), row.file() + " full-cell sites");
        assertTrue(s.size() <= row.gemmi(), "never more sites than gemmi's unmerged count");
        for (Site site : s.sites()) {
            for (int k = 0; k < 3; k++) {
                assertTrue(site.frac(k) >= 0 && site.frac(k) < 1, "wrapped into [0,1)");
            }
            assertTrue(site.totalOccupancy() <= 1 + 1e-9);
        }
        // no two sites closer than the merge tolerance
        for (int i = 0; i < s.size(); i++) {
            for (int j = i + 1; j < s.size(); j++) {
                assertTrue(s.distance(i, j) >= CifParser.DEFAULT_MERGE_TOLERANCE, row.file() + " sites " + i + "," + j);
            }
        }
        Structure p = PrimitiveCell.find(s, 0.5);
        assertEquals(0, s.size() % p.size());
        assertEquals(s.lattice().volume() / (s.size() / p.size()), p.lattice().volume(), 1e-6 * s.lattice().volume());
        Map<Element, Double> cs = s.composition();
        Map<Element, Double> cp = p.composition();
        assertEquals(cs.keySet(), cp.keySet());
        for (Element e : cs.keySet()) {
            assertEquals(cs.get(e) * p.size() / s.size(), cp.get(e), 1e-9, e.symbol());
        }
    }

    @Test
    void siliconDiamondAndAluminiumPrimitiveCells() throws IOException {
        for (String f : List.of("debian-cif2hkl_2104737.cif", "debian-cif2hkl_9013104.cif")) {
            Structure si = parseSample(f);
            assertEquals(8, si.size());
            Structure p = PrimitiveCell.find(si, 0.5);
            assertEquals(2, p.size());
            // Si-Si bond 2.35 A
            assertEquals(si.lattice().lengths()[0] * Math.sqrt(3) / 4, p.distance(0, 1), 1e-3);
            double[] len = p.lattice().lengths();
            assertEquals(len[0], len[1], 1e-9);
            assertEquals(len[0], len[2], 1e-9);
            assertEquals(60, p.lattice().angles()[0], 1e-6);
        }
        Structure al = PrimitiveCell.find(parseSample("debian-cif2hkl_Al.cif"), 0.5);
        assertEquals(1, al.size());
    }

    @Test
    void mixedSiteBecomesOneDisorderedSite() throws IOException {
        Structure s = parseSample("cod-tools_1501508.cif"); // PMN-PT, Mg/Nb/Ti on the B site
        Site mixed = s.sites().stream().filter(x -> x.species().size() >= 3).findFirst().orElseThrow();
        double mg = 0;
        double nb = 0;
        for (Map.Entry<Species, Double> e : mixed.species().entrySet()) {
            if (e.getKey().element() == Element.Mg) {
                mg += e.getValue();
            }
            if (e.getKey().element() == Element.Nb) {
                nb += e.getValue();
            }
        }
        assertTrue(mg > 0 && nb > mg, mixed.toString());
        assertTrue(mixed.totalOccupancy() <= 1 + 1e-9);
    }

    @Test
    void oxidationStatesFromAtomTypeTable() throws IOException {
        Structure s = parseSample("cod-tools_1000451.cif");
        Species ba = s.sites().stream().map(Site::majoritySpecies).filter(x -> x.element() == Element.Ba).findFirst().orElseThrow();
        assertEquals(2.0, ba.oxidationState());
        Species f = s.sites().stream().map(Site::majoritySpecies).filter(x -> x.element() == Element.F).findFirst().orElseThrow();
        assertEquals(-1.0, f.oxidationState());
    }

    @Test
    void waterLabelsWithoutTypeSymbolAreOxygen() throws IOException {
        Structure s = parseSample("cod-tools_9000195.cif");
        assertTrue(s.sites().stream().anyMatch(x -> x.label().startsWith("Wat") && x.majoritySpecies().element() == Element.O));
        assertTrue(s.sites().stream().noneMatch(x -> x.majoritySpecies().element() == Element.W));
    }

    @Test
    void spinelOriginChoiceTwoReducesToFourteenSites() throws IOException {
        Structure s = parseSample("cod-tools_9001432-initially-annealed.cif");
        assertEquals(56, s.size());
        assertEquals(14, PrimitiveCell.find(s, 0.5).size());
    }

    @Test
    void hmOnlyFileTakesItsOperationsFromTheSpaceGroupTable() throws IOException {
        // C 1 2 1, no operations loop: 22 sites, as gemmi and pymatgen count them (SOURCES.txt)
        assertEquals(22, parseSample("cod-tools_1004008-90-dot.cif").size());
        String text = resource("cif_samples/cod-tools_1004008-90-dot.cif");
        String nonStandard = text.replace("'C 1 2 1'", "'P 1 21/b 1'"); // a b-glide normal to b: no such group
        assertTrue(!nonStandard.equals(text), "the sample spells its symbol 'C 1 2 1'");
        CifException e = assertThrows(CifException.class, () -> new CifParser().parse(nonStandard, "x"));
        assertEquals(CifException.NO_SYMOPS, e.code());
        assertTrue(e.getMessage().contains("nor a monoclinic/orthorhombic setting"), e.getMessage());
        assertTrue(e.getMessage().contains("_symmetry_equiv_pos_as_xyz"), e.getMessage());
        assertEquals("1004008", e.block());
        assertTrue(!e.getMessage().contains("\n"));
    }

    /**
     * The space-group table against real files: every sample with an operations loop and a symbol is
     * parsed again with its loop (and Hall symbol) removed. Where the table answers, the structure must be the same;
     * where it refuses (non-standard setting, origin choice), the refusal must say why.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void tableOperationsEqualTheFilesOwnLoop(Row row) throws IOException {
        String text = resource("cif_samples/" + row.file());
        String stripped = withoutOperationsLoop(text).lines()
                .filter(l -> !l.trim().toLowerCase(java.util.Locale.ROOT).matches("_(symmetry_)?space_group[._]name_hall.*"))
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        boolean hasLoop = text.lines().map(l -> l.trim().toLowerCase(java.util.Locale.ROOT))
                .anyMatch(l -> l.startsWith("_symmetry_equiv_pos") || l.startsWith("_space_group_symop"));
        if (!hasLoop || row.hm().isBlank() || DIFFERENCES.containsKey(row.file())) {
            return; // no loop to remove, no symbol, or a deliberate difference
        }
        Structure withLoop;
        try {
            withLoop = parseSample(row.file());
        } catch (CifException e) {
            return; // the file itself is rejected (checked by siteCountMatchesSources)
        }
        List<Structure> fromTable;
        try {
            fromTable = new CifParser().parse(stripped, row.file());
        } catch (CifException e) {
            assertEquals(CifException.NO_SYMOPS, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("origin") || e.getMessage().contains("standard-setting")
                    || e.getMessage().contains("ambiguous") || e.getMessage().contains("do not fit the cell"),
                    e.getMessage());
            TABLE_REFUSED.add(row.file());
            return;
        }
        TABLE_ANSWERED.add(row.file());
        Structure s = fromTable.get(0);
        assertEquals(withLoop.size(), s.size(), row.file() + ": sites from the table vs the file's loop");
        java.util.Set<String> a = new java.util.TreeSet<>();
        java.util.Set<String> b = new java.util.TreeSet<>();
        for (int i = 0; i < s.size(); i++) {
            a.add(key(withLoop.site(i)));
            b.add(key(s.site(i)));
        }
        assertEquals(a, b, row.file());
    }

    static final java.util.Set<String> TABLE_ANSWERED = java.util.concurrent.ConcurrentHashMap.newKeySet();
    static final java.util.Set<String> TABLE_REFUSED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @org.junit.jupiter.api.AfterAll
    static void tableCoverage() {
        System.out.printf("space-group table on cif_samples: %d files answered and matched their loop, %d refused: %s%n",
                TABLE_ANSWERED.size(), TABLE_REFUSED.size(), new java.util.TreeSet<>(TABLE_REFUSED));
    }

    private static String key(Site site) {
        return String.format(java.util.Locale.ROOT, "%s %.4f %.4f %.4f", site.majoritySpecies(),
                site.frac(0) > 0.99995 ? 0 : site.frac(0), site.frac(1) > 0.99995 ? 0 : site.frac(1),
                site.frac(2) > 0.99995 ? 0 : site.frac(2));
    }

    /** The text without its loop of symmetry operations (tags and value lines). */
    static String withoutOperationsLoop(String text) {
        String[] lines = text.split("\r?\n", -1);
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < lines.length) {
            if (lines[i].trim().equalsIgnoreCase("loop_")) {
                int j = i + 1;
                boolean ops = false;
                while (j < lines.length && lines[j].trim().startsWith("_")) {
                    String tag = lines[j].trim().toLowerCase(java.util.Locale.ROOT);
                    ops |= tag.startsWith("_symmetry_equiv_pos") || tag.startsWith("_space_group_symop");
                    j++;
                }
                if (ops) {
                    while (j < lines.length && !lines[j].trim().isEmpty() && !lines[j].trim().startsWith("_")
                            && !lines[j].trim().toLowerCase(java.util.Locale.ROOT).startsWith("loop_")
                            && !lines[j].trim().startsWith("#") && !lines[j].trim().startsWith("data_")) {
                        j++;
                    }
                    i = j;
                    continue;
                }
            }
            out.append(lines[i]).append('\n');
            i++;
        }
        return out.toString();
    }

    static Stream<String> names() throws IOException {
        return rows().stream().map(Row::file);
    }
}
