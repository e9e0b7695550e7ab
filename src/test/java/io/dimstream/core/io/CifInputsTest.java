package io.dimstream.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.cif.CifException;
import io.dimstream.core.crystal.Structure;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifInputsTest {

    static final String FE = "data_Fe\n_cell_length_a 2.87\n_cell_length_b 2.87\n_cell_length_c 2.87\n"
            + "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nFe1 0 0 0\nFe2 0.5 0.5 0.5\n";

    @TempDir
    Path dir;

    static Path sample(Path dir) throws IOException {
        Path p = dir.resolve("mp-sample.csv.gz");
        try (InputStream in = CifInputsTest.class.getResourceAsStream("/mp-sample.csv.gz")) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void readsTheBundledMpSampleLazilyWithIdsAndColumns() throws IOException {
        Path csv = sample(dir);
        List<RawCif> rows;
        try (Stream<RawCif> s = CifInputs.read(csv)) {
            rows = s.toList();
        }
        assertEquals(200, rows.size());
        RawCif first = rows.get(0);
        assertEquals("mp-2", first.id());
        assertTrue(first.text().startsWith("# generated using pymatgen\ndata_Pd"));
        assertEquals("0.0", first.columns().get("band_gap"));
        assertTrue(first.columns().containsKey("formation_energy_per_atom"));
        assertTrue(!first.columns().containsKey("cif") && !first.columns().containsKey("material_id"));
        for (RawCif r : rows) {
            Structure s = CifInputs.parse(r).get(0);
            assertEquals(r.id(), s.id());
            assertEquals(Integer.parseInt(r.columns().get("nsites")), s.size());
        }
        // lazily: the first rows are available without reading everything
        try (Stream<RawCif> s = CifInputs.read(csv)) {
            assertEquals(3, s.limit(3).count());
        }
    }

    @Test
    void fileAndDirectoryInputsAndMultiBlockIds() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("b/sub"));
        Files.writeString(dir.resolve("b/z.cif"), FE);
        Files.writeString(sub.resolve("a.cif"), FE + FE.replace("data_Fe", "data_Fe2"));
        Files.writeString(dir.resolve("b/notes.txt"), "not a cif");
        Files.writeString(dir.resolve("b/bad.CIF"), "data_bad\n_cell_length_a 3\n");
        List<RawCif> raws;
        try (Stream<RawCif> s = CifInputs.read(dir.resolve("b"))) {
            raws = s.toList();
        }
        assertEquals(List.of("bad", "a", "z"), raws.stream().map(RawCif::id).toList());
        CifException e = assertThrows(CifException.class, () -> CifInputs.parse(raws.get(0)));
        assertEquals("bad", e.origin());
        assertEquals(CifException.NO_ATOMS, e.code());
        List<Structure> multi = CifInputs.parse(raws.get(1));
        assertEquals(List.of("a#Fe", "a#Fe2"), multi.stream().map(Structure::id).toList());
        assertEquals(List.of("z"), CifInputs.parse(raws.get(2)).stream().map(Structure::id).toList());
        try (Stream<RawCif> s = CifInputs.read(dir.resolve("b/z.cif"))) {
            assertEquals("z", s.findFirst().orElseThrow().id());
        }
        Path gz = dir.resolve("fe.cif.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write(FE.getBytes(StandardCharsets.UTF_8));
        }
        RawCif g = CifInputs.readFile(gz);
        assertEquals("fe", g.id());
        assertEquals(2, CifInputs.parse(g).get(0).size());
    }

    @Test
    void aHostileCsvRecordIsCappedNotBuffered() throws IOException {
        java.io.Reader endless = new java.io.Reader() {
            private final char[] head = "material_id,cif\nmp-1,\"".toCharArray();
            private int pos;

            @Override
            public int read(char[] buf, int off, int len) {
                for (int i = 0; i < len; i++) {
                    buf[off + i] = pos < head.length ? head[pos] : 'a';
                    pos++;
                }
                return len;
            }

            @Override
            public void close() {
            }
        };
        try (Stream<RawCif> s = CifInputs.csv(endless, "endless.csv")) {
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> s.findFirst());
            assertTrue(e.getMessage().startsWith("endless.csv: a CSV record is longer than"), e.getMessage());
        }
    }

    @Test
    void csvWithoutMaterialIdUsesFirstColumnAndRejectsMissingCifColumn() throws IOException {
        Path csv = dir.resolve("x.csv.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(csv))) {
            o.write(("name,band_gap,cif\nfe-1,0.0,\"" + FE + "\"\n").getBytes(StandardCharsets.UTF_8));
        }
        try (Stream<RawCif> s = CifInputs.read(csv)) {
            RawCif r = s.findFirst().orElseThrow();
            assertEquals("fe-1", r.id());
            assertEquals("0.0", r.columns().get("band_gap"));
            assertEquals(2, CifInputs.parse(r).get(0).size());
        }
        Path nocif = dir.resolve("n.csv");
        Files.writeString(nocif, "a,b\n1,2\n");
        IOException e = assertThrows(IOException.class, () -> CifInputs.read(nocif));
        assertTrue(e.getMessage().contains("no 'cif' column"), e.getMessage());
        assertThrows(IOException.class, () -> CifInputs.read(dir.resolve("missing.cif")));
    }
}
