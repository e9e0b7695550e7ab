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
    /** A sparse file just over the input limit (no 8 MiB written). */
    static Path oversize(Path file) throws IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(CifInputs.MAX_FILE_BYTES + 1);
        }
        return file;
    }

    static List<String> describe(Path input, boolean allowOutsideLinks) {
        try (Stream<CifInputs.Entry> s = CifInputs.entries(input, allowOutsideLinks)) {
            return s.map(e -> e.ok() ? "ok " + e.raw().id() : e.error().code() + " " + e.error().getMessage()).toList();
        }
    }

    @Test
    void folderEntriesReportEachUnreadableFileWithItsCodeAndGoOn() throws IOException {
        Path in = Files.createDirectories(dir.resolve("in"));
        Path outside = Files.writeString(dir.resolve("secret.cif"), FE);
        Files.writeString(in.resolve("a.cif"), FE);
        oversize(in.resolve("b-huge.cif"));
        Files.createSymbolicLink(in.resolve("c-dangling.cif"), in.resolve("gone.cif"));
        Files.createSymbolicLink(in.resolve("d-outside.cif"), outside);
        Files.createSymbolicLink(in.resolve("e-inside.cif"), in.resolve("a.cif"));
        Files.writeString(in.resolve("z.cif"), FE);

        List<String> got = describe(in, false);
        assertEquals(6, got.size(), got.toString());
        assertEquals("ok a", got.get(0));
        assertTrue(got.get(1).startsWith("cif.too_large " + in.resolve("b-huge.cif") + ": file has 8388609 bytes"), got.get(1));
        assertTrue(got.get(2).startsWith("cif.dangling_link " + in.resolve("c-dangling.cif") + ": dangling symbolic link"), got.get(2));
        assertTrue(got.get(3).startsWith("cif.outside_link " + in.resolve("d-outside.cif") + ": symbolic link to "
                + outside.toRealPath()), got.get(3));
        assertEquals(List.of("ok e-inside", "ok z"), got.subList(4, 6), "a link inside the folder is read; later files too");

        List<String> allowed = describe(in, true);
        assertEquals("ok d-outside", allowed.get(3));
        assertEquals(6, allowed.size());

        // the folder given through a link is walked too, paths as given
        Path viaLink = Files.createSymbolicLink(dir.resolve("in-link"), in);
        List<String> linked = describe(viaLink, false);
        assertEquals(6, linked.size(), linked.toString());
        assertTrue(linked.get(1).contains(viaLink.resolve("b-huge.cif").toString()), linked.get(1));

        // the legacy stream API still fails loudly at the first unreadable file
        try (Stream<RawCif> s = CifInputs.read(in)) {
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> s.toList());
            assertEquals(CifInputs.InputException.TOO_LARGE, ((CifInputs.InputException) e.getCause()).code());
        }
    }

    @Test
    void singleInputsAndCsvErrorsAreEntriesToo() throws IOException {
        Files.createSymbolicLink(dir.resolve("dangling.cif"), dir.resolve("nothing.cif"));
        assertEquals(List.of("cif.dangling_link " + dir.resolve("dangling.cif") + ": dangling symbolic link (its target "
                + dir.resolve("nothing.cif") + " does not exist)"), describe(dir.resolve("dangling.cif"), false));
        assertEquals(List.of("cif.input " + dir.resolve("missing.cif") + ": no such file or directory"),
                describe(dir.resolve("missing.cif"), false));
        assertTrue(describe(oversize(dir.resolve("big.cif")), false).get(0).startsWith("cif.too_large "));
        Path nocif = Files.writeString(dir.resolve("n.csv"), "a,b\n1,2\n");
        assertTrue(describe(nocif, false).get(0).startsWith("cif.input " + nocif + ": CSV has no 'cif' column"));
        // a CSV record over the limit ends the CSV with one error entry after the good rows
        StringBuilder csv = new StringBuilder("material_id,cif\nfe-1,\"" + FE + "\"\nhuge,\"");
        csv.append("#".repeat((int) CifInputs.MAX_RECORD_CHARS + 100_000)).append("\"\nfe-3,\"").append(FE).append("\"\n");
        Path big = Files.writeString(dir.resolve("big.csv"), csv);
        List<String> got = describe(big, false);
        assertEquals(2, got.size(), got.toString());
        assertEquals("ok fe-1", got.get(0));
        assertTrue(got.get(1).startsWith("cif.too_large " + big + ": a CSV record is longer than"), got.get(1));
        CifInputs.InputException e = new CifInputs.InputException(CifInputs.InputException.TOO_LARGE, "x\n12:00 ERROR fake");
        assertEquals("x\\n12:00 ERROR fake [cif.too_large]", e.line(), "one line, control characters escaped");
    }
}
