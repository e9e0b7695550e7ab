package io.dimstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.schemas.CrystalFeatures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FeaturizeCommandTest {

    static final String NACL = """
            data_NaCl
            _symmetry_space_group_name_H-M   'P 1'
            _cell_length_a   5.64
            _cell_length_b   5.64
            _cell_length_c   5.64
            _cell_angle_alpha   90
            _cell_angle_beta   90
            _cell_angle_gamma   90
            loop_
             _symmetry_equiv_pos_as_xyz
              'x, y, z'
            loop_
             _atom_site_type_symbol
             _atom_site_label
             _atom_site_fract_x
             _atom_site_fract_y
             _atom_site_fract_z
             _atom_site_occupancy
              Na  Na1  0.0  0.0  0.0  1
              Na  Na2  0.0  0.5  0.5  1
              Na  Na3  0.5  0.0  0.5  1
              Na  Na4  0.5  0.5  0.0  1
              Cl  Cl1  0.5  0.0  0.0  1
              Cl  Cl2  0.5  0.5  0.5  1
              Cl  Cl3  0.0  0.0  0.5  1
              Cl  Cl4  0.0  0.5  0.0  1
            """;

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        FeaturizeCommand cmd = new FeaturizeCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = new CommandLine(cmd).execute(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A cubic P1 cell with n atoms of Si on a grid: its primitive cell is itself when the grid is irregular. */
    static String bigCell(int n) {
        StringBuilder sb = new StringBuilder("data_big\n_cell_length_a 20\n_cell_length_b 20.5\n_cell_length_c 21\n"
                + "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                + "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n");
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < n; i++) {
            sb.append("Si").append(i).append(" Si ").append(r.nextDouble()).append(' ').append(r.nextDouble()).append(' ')
                    .append(r.nextDouble()).append('\n');
        }
        return sb.toString();
    }

    @Test
    void jsonLinesWithErrorsOnStderr(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a_nacl.cif"), NACL);
        Files.writeString(dir.resolve("b_broken.cif"), "data_x\n_cell_length_a 3\n");
        Files.writeString(dir.resolve("c_big.cif"), bigCell(70));
        Result r = run(dir.toString());
        assertEquals(1, r.code());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        JsonNode j = new ObjectMapper().readTree(lines.get(0));
        assertEquals("a_nacl", j.get("id").asText());
        assertEquals(SiteNetFeaturizer.VERSION, j.get("featurizer_version").asInt());
        assertEquals(2, j.get("prim_sites").asInt());
        assertEquals(36, j.get("supercell_sites").asInt());
        assertEquals(2, j.get("site_features").size());
        assertEquals(9, j.get("site_features").get(0).size());
        assertEquals(2, j.get("distances").size());
        assertEquals(36, j.get("distances").get(1).size());
        assertEquals(0.0, j.get("distances").get(0).get(0).asDouble());
        assertEquals(36, j.get("image_of").size());
        // the 70-site cell (above the supercell limit): per-site neighbour lists, K = 50, image_of per row
        JsonNode big = new ObjectMapper().readTree(lines.get(1));
        assertEquals("c_big", big.get("id").asText());
        assertEquals(70, big.get("prim_sites").asInt());
        assertEquals(50, big.get("supercell_sites").asInt());
        assertEquals(70, big.get("image_of").size());
        assertEquals(50, big.get("image_of").get(69).size());
        assertEquals(69, big.get("image_of").get(69).get(0).asInt(), "each row starts with its own site");
        List<String> errs = r.err().lines().toList();
        assertEquals(1, errs.size(), r.err());
        assertTrue(errs.get(0).startsWith("b_broken: "), errs.get(0));

        // resource limits are options: past them, one line naming the limit
        Result capped = run(dir.resolve("c_big.cif").toString(), "--max-sites", "60");
        assertEquals(1, capped.code());
        assertEquals("", capped.out());
        assertTrue(capped.err().startsWith("c_big: featurize.too_many_sites: primitive cell has 70 sites, more than "
                + "the limit of 60 (featurizer maxSites)"), capped.err());
    }

    @Test
    void avroContainerFile(@TempDir Path dir) throws Exception {
        Path cif = dir.resolve("nacl.cif");
        Files.writeString(cif, NACL);
        Path avro = dir.resolve("out.avro");
        Result r = run(cif.toString(), cif.toString(), "--out", avro.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out());
        List<CrystalFeatures> recs = new ArrayList<>();
        try (DataFileReader<CrystalFeatures> in = new DataFileReader<>(avro.toFile(), new SpecificDatumReader<>(CrystalFeatures.class))) {
            in.forEach(recs::add);
        }
        assertEquals(2, recs.size());
        CrystalFeatures f = recs.get(0);
        assertEquals("nacl", f.getId());
        assertEquals(SiteNetFeaturizer.VERSION, f.getFeaturizerVersion());
        assertEquals(2, f.getPrimSites());
        assertEquals(36, f.getSupercellSites());
        assertEquals(2 * 36, f.getDistances().size());
        assertEquals(2 * 9, f.getSiteFeatures().size());
        assertEquals("NaCl", f.getFormula());
        assertTrue(f.getSource().endsWith("nacl.cif"), f.getSource());
    }

    @Test
    void folderModeReportsEachUnreadableFileWithItsCodeAndGoesOn(@TempDir Path dir) throws Exception {
        Path in = ParseCommandTest.hostileFolder(dir, NACL);
        Result r = run(in.toString());
        assertEquals(1, r.code());
        List<String> ids = new java.util.ArrayList<>();
        for (String line : r.out().lines().toList()) {
            ids.add(new ObjectMapper().readTree(line).get("id").asText());
        }
        assertEquals(List.of("a", "z"), ids, "the files after the oversize one are featurized");
        List<String> errs = r.err().lines().toList();
        assertEquals(3, errs.size(), r.err());
        assertTrue(errs.get(0).startsWith(in.resolve("b.cif") + ": file has 8388609 bytes") && errs.get(0).endsWith("[cif.too_large]"), errs.get(0));
        assertTrue(errs.get(1).endsWith("[cif.dangling_link]"), errs.get(1));
        assertTrue(errs.get(2).endsWith("[cif.outside_link]"), errs.get(2));
    }

    @Test
    void registeredInMain() {
        assertTrue(Main.commandLine().getSubcommands().containsKey("featurize"));
    }
}
