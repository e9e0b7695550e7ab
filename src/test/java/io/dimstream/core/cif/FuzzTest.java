package io.dimstream.core.cif;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.dimstream.core.crystal.PrimitiveCell;
import io.dimstream.core.crystal.Structure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Thousands of truncated and mutated real CIFs: the parser must return or throw CifException,
 * never anything else, never hang; parsed results must survive the primitive-cell search.
 */
class FuzzTest {

    static final String[] TOKENS = {"loop_", "data_", "data_x", "_cell_length_a", "_atom_site_fract_x", "?", ".", "'", "\"",
        ";", "\n;", "#", "(", ")", "-", "+", "/", "1e308", "-1e308", "NaN", "x,y", "-x+1/2", "0", "1", "9999999",
        "_symmetry_equiv_pos_as_xyz", "save_a", "save_", "global_", "_symmetry_space_group_name_Hall", "'-F 4 2 3'",
        "_space_group_IT_number", "_atom_site_occupancy", "_atom_site_type_symbol", "_atom_type_symbol",
        "_atom_type_oxidation_number", "_atom_site_calc_flag", "_atom_site_Cartn_x", "loop_ _a _b _c", "\t", "\r\n", "\u0000", "\u00e9", "1.5(", "Fe3+", "Xx"};

    @Test
    void mutatedCifsOnlyEverThrowCifException() throws IOException {
        List<String> seeds = new ArrayList<>();
        for (String line : CifSamplesTest.resource("cif_samples/SOURCES.txt").split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                seeds.add(CifSamplesTest.resource("cif_samples/" + line.split("\\|")[0].trim()));
            }
        }
        CifParser parser = new CifParser();
        Random rnd = new Random(12345);
        Map<String, Integer> outcomes = new HashMap<>();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < 3000; i++) {
                String seed = seeds.get(rnd.nextInt(seeds.size()));
                String text = mutate(seed, rnd);
                try {
                    List<Structure> list = parser.parse(text, "fuzz");
                    for (Structure s : list) {
                        PrimitiveCell.find(s, 0.5);
                    }
                    outcomes.merge("ok", 1, Integer::sum);
                } catch (CifException e) {
                    assertTrue(!e.getMessage().contains("\n"), "one-line message");
                    assertTrue(e.code().startsWith("cif."));
                    outcomes.merge(e.code(), 1, Integer::sum);
                } catch (RuntimeException | Error e) {
                    fail("iteration " + i + " threw " + e + " for input:\n" + text, e);
                }
            }
        });
        // the mutations must exercise both outcomes substantially
        assertTrue(outcomes.getOrDefault("ok", 0) > 300, outcomes.toString());
        assertTrue(outcomes.size() > 6, outcomes.toString());
    }

    static String mutate(String seed, Random rnd) {
        StringBuilder sb = new StringBuilder(seed);
        int kind = rnd.nextInt(6);
        int edits = 1 + rnd.nextInt(kind == 5 ? 20 : 4);
        for (int e = 0; e < edits && sb.length() > 0; e++) {
            int pos = rnd.nextInt(sb.length());
            switch (kind) {
                case 0 -> sb.setLength(pos); // truncation
                case 1 -> sb.deleteCharAt(pos);
                case 2 -> sb.insert(pos, TOKENS[rnd.nextInt(TOKENS.length)]);
                case 3 -> sb.setCharAt(pos, (char) (32 + rnd.nextInt(95)));
                case 4 -> { // duplicate a random slice (repeated loops/blocks)
                    int end = Math.min(sb.length(), pos + rnd.nextInt(400));
                    sb.insert(pos, sb.substring(pos, end));
                }
                default -> {
                    byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
                    b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                    sb = new StringBuilder(new String(b, StandardCharsets.UTF_8));
                }
            }
        }
        return sb.toString();
    }
}
