package io.dimstream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ParseCommandTest {

    static final String NACL = "data_NaCl\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n"
            + "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
            + "loop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\nx+1/2,y+1/2,z\nx+1/2,y,z+1/2\nx,y+1/2,z+1/2\n"
            + "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
            + "Na1 Na+ 0 0 0\nCl1 Cl- 0.5 0.5 0.5\n";

    @TempDir
    Path dir;

    record Result(int exit, List<JsonNode> json, List<String> errors) {
    }

    Result run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ParseCommand cmd = new ParseCommand();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(cmd).execute(args);
        List<JsonNode> json = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                json.add(om.readTree(line));
            }
        }
        List<String> errors = err.toString(StandardCharsets.UTF_8).lines().toList();
        return new Result(exit, json, errors);
    }

    @Test
    void printsJsonLinesAndReportsBadInputsWithoutStopping() throws Exception {
        Path good = Files.writeString(dir.resolve("nacl.cif"), NACL);
        Path bad = Files.writeString(dir.resolve("broken.cif"), "data_broken\n_cell_length_a 3\nloop_\n_atom_site_label\n"
                + "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nFe1 0 0 0\n");
        Result r = run(bad.toString(), good.toString(), dir.resolve("nope.cif").toString());
        assertEquals(1, r.exit());
        assertEquals(1, r.json().size());
        JsonNode s = r.json().get(0);
        assertEquals("nacl", s.get("id").asText());
        assertEquals(3, s.get("lattice").size());
        assertEquals(5.64, s.get("lattice").get(0).get(0).asDouble(), 1e-12);
        assertEquals(8, s.get("sites").size());
        JsonNode site = s.get("sites").get(0);
        assertEquals(3, site.get("frac").size());
        assertEquals(1.0, site.get("species").get("Na1+").asDouble());
        assertEquals(2, r.errors().size(), r.errors().toString());
        assertTrue(r.errors().get(0).startsWith("broken: data_broken"), r.errors().get(0));
        assertTrue(r.errors().get(0).contains("cif.missing_cell"), r.errors().get(0));
        assertTrue(r.errors().get(1).contains("nope.cif"), r.errors().get(1));
    }

    @Test
    void primitiveOptionAndCsvInput() throws Exception {
        Path good = Files.writeString(dir.resolve("nacl.cif"), NACL);
        Result r = run("--primitive", good.toString());
        assertEquals(0, r.exit(), r.errors().toString());
        assertEquals(2, r.json().get(0).get("sites").size());
        Path csv = dir.resolve("in.csv");
        Files.writeString(csv, "material_id,band_gap,cif\nmp-x,1.0,\"" + NACL + "\"\nmp-y,0,\"data_y\n\"\n");
        Result c = run(csv.toString());
        assertEquals(1, c.exit());
        assertEquals("mp-x", c.json().get(0).get("id").asText());
        assertEquals(List.of("mp-y: data_y line 1: no atom sites (_atom_site_fract_x/y/z or _atom_site_Cartn_x/y/z) in the data block [cif.no_atoms]"), c.errors());
    }

    @Test
    void aBadBlockDoesNotHideTheGoodBlocksOfTheSameFile() throws Exception {
        String bad = "data_bad\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\nloop_\n_atom_site_label\n"
                + "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nZz1 0 0 0\n";
        Path multi = Files.writeString(dir.resolve("multi.cif"), NACL + bad);
        Result r = run(multi.toString());
        assertEquals(1, r.exit());
        assertEquals(List.of("multi#NaCl"), r.json().stream().map(j -> j.get("id").asText()).toList());
        assertEquals(1, r.errors().size());
        assertTrue(r.errors().get(0).startsWith("multi#bad: data_bad line 31: atom 'Zz1'"), r.errors().get(0));
        assertTrue(r.errors().get(0).endsWith("[cif.unknown_element]"), r.errors().get(0));
    }

    /** A folder with an oversize file, a dangling link and a link to a file outside it between two good files. */
    static Path hostileFolder(Path dir, String cif) throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        Files.writeString(in.resolve("a.cif"), cif);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(in.resolve("b.cif").toFile(), "rw")) {
            f.setLength(io.dimstream.core.io.CifInputs.MAX_FILE_BYTES + 1); // sparse: 8 MiB + 1 byte
        }
        Files.createSymbolicLink(in.resolve("c.cif"), in.resolve("deleted.cif"));
        Files.createSymbolicLink(in.resolve("d.cif"), Files.writeString(dir.resolve("passwd.cif"), cif));
        Files.writeString(in.resolve("z.cif"), cif);
        return in;
    }

    @Test
    void folderModeReportsEachUnreadableFileWithItsCodeAndGoesOn() throws Exception {
        Path in = hostileFolder(dir, NACL);
        Result r = run(in.toString());
        assertEquals(1, r.exit());
        assertEquals(List.of("a", "z"), r.json().stream().map(j -> j.get("id").asText()).toList(),
                "the files after the oversize one are read");
        assertEquals(3, r.errors().size(), r.errors().toString());
        assertEquals(in.resolve("b.cif") + ": file has 8388609 bytes, more than the limit of 8388608 [cif.too_large]",
                r.errors().get(0));
        assertTrue(r.errors().get(1).startsWith(in.resolve("c.cif") + ": dangling symbolic link"), r.errors().get(1));
        assertTrue(r.errors().get(1).endsWith("[cif.dangling_link]"), r.errors().get(1));
        assertTrue(r.errors().get(2).startsWith(in.resolve("d.cif") + ": symbolic link to " + dir.resolve("passwd.cif").toRealPath()),
                r.errors().get(2));
        assertTrue(r.errors().get(2).endsWith("not followed (allow with --allow-outside-links) [cif.outside_link]"), r.errors().get(2));

        Result allowed = run("--allow-outside-links", in.toString());
        assertEquals(List.of("a", "d", "z"), allowed.json().stream().map(j -> j.get("id").asText()).toList());
        assertEquals(2, allowed.errors().size(), allowed.errors().toString());
    }

    @Test
    void idsWithControlCharactersAreEchoedEscapedOnOneLine() throws Exception {
        Path csv = dir.resolve("evil.csv");
        Files.writeString(csv, "material_id,cif\n\"x\u001b[2J\n05:05:00.000 ERROR Fake - y\",\"data_y\n\"\n");
        Result r = run(csv.toString());
        assertEquals(1, r.exit());
        assertEquals(List.of("x\\x1b[2J\\n05:05:00.000 ERROR Fake - y: data_y line 1: no atom sites "
                + "(_atom_site_fract_x/y/z or _atom_site_Cartn_x/y/z) in the data block [cif.no_atoms]"), r.errors());
    }

    @Test
    void registeredInMain() {
        assertTrue(Main.commandLine().getSubcommands().containsKey("parse"));
        assertTrue(Main.commandLine().getSubcommands().get("bench").getSubcommands().containsKey("parse"));
    }
}
