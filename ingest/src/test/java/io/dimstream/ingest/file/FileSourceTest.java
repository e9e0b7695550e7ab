package io.dimstream.ingest.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.cif.CifParser;
import io.dimstream.core.cif.CifWriter;
import io.dimstream.core.crystal.Structure;
import io.dimstream.ingest.CollectingSink;
import io.dimstream.ingest.InMemoryIngestState;
import io.dimstream.ingest.IngestStats;
import io.dimstream.ingest.Ingestor;
import io.dimstream.ingest.TestData;
import io.dimstream.schemas.CrystalSubmission;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSourceTest {
    @TempDir
    Path dir;

    @Test
    void foldersOfCifsAndCsvsWithBadFilesAndNewFilesOnTheNextPoll() throws Exception {
        List<TestData.Row> rows = TestData.mpSample();
        Path cifs = Files.createDirectories(dir.resolve("in/cifs"));
        long t = System.currentTimeMillis() - 60_000;
        for (int i = 0; i < 3; i++) {
            Path f = cifs.resolve(rows.get(i).id() + ".cif");
            Files.writeString(f, rows.get(i).cif());
            Files.setLastModifiedTime(f, FileTime.fromMillis(t + i));
        }
        Path broken = cifs.resolve("broken.cif");
        Files.writeString(broken, "data_x\n_cell_length_a 3\nloop_\n_atom_site_label\nFe1\n");
        Files.setLastModifiedTime(broken, FileTime.fromMillis(t + 10));
        Path csv = dir.resolve("in/sample.csv");
        try (InputStream in = getClass().getResourceAsStream("/mp_sample.csv")) {
            Files.copy(in, csv);
        }
        Files.setLastModifiedTime(csv, FileTime.fromMillis(t + 20));
        Files.writeString(dir.resolve("in/notes.txt"), "ignored");

        CollectingSink sink = new CollectingSink();
        InMemoryIngestState state = new InMemoryIngestState();
        FileSource src = new FileSource(List.of(dir.resolve("in")), 5, 0);
        Ingestor ing = new Ingestor(src, sink, state, null);
        IngestStats s = ing.runOnce();
        assertEquals(15, s.read(), "3 files + 12 CSV rows");
        assertEquals(12, s.produced(), "the 3 files repeat CSV rows with identical CIF text");
        assertEquals(3, s.unchanged());
        assertEquals(1, s.bad());
        assertTrue(s.badByType().keySet().iterator().next().startsWith("cif."), s.badByType().toString());
        Set<String> ids = sink.submissions().stream().map(CrystalSubmission::getId).collect(Collectors.toSet());
        assertEquals(rows.stream().map(TestData.Row::id).collect(Collectors.toSet()), ids);
        assertEquals(csv.toAbsolutePath().toString(), state.watermark(io.dimstream.ingest.Ingestor.stateKey(src.key(), "crystals.raw")).orElseThrow().get("path"));

        // next poll: only a new file is read
        Path extra = cifs.resolve("extra.cif");
        Files.writeString(extra, rows.get(5).cif().replace("data_", "data_extra"));
        IngestStats s2 = ing.runOnce();
        assertEquals(16, s2.read());
        assertEquals(13, s2.produced());
        CrystalSubmission last = sink.submissions().get(sink.submissions().size() - 1);
        assertEquals("extra", last.getId());
        assertTrue(last.getMetadata().get("origin").endsWith("extra.cif"));
    }

    /** Keeps submissions only when a flush succeeds; the n-th flush fails (a broker refusing a batch). */
    static final class FailingFlushSink implements io.dimstream.ingest.SubmissionSink {
        final List<CrystalSubmission> durable = new java.util.ArrayList<>();
        private final List<CrystalSubmission> sent = new java.util.ArrayList<>();
        private int flushes;
        private final int failAt;

        FailingFlushSink(int failAt) {
            this.failAt = failAt;
        }

        @Override
        public void submit(CrystalSubmission s) {
            sent.add(s);
        }

        @Override
        public String rawTopic() {
            return "crystals.raw";
        }

        @Override
        public void flush() {
            if (++flushes == failAt) {
                sent.clear(); // the batch is lost on the broker side (aborted transaction)
                throw new IllegalStateException("producing mp-x to crystals.raw failed: RecordTooLargeException: boom");
            }
            durable.addAll(sent);
            sent.clear();
        }
    }

    @Test
    void aBatchThatCannotBeProducedIsReadAgainOnTheNextPassNotSkipped() throws Exception {
        Path csv = dir.resolve("sample.csv");
        try (InputStream in = getClass().getResourceAsStream("/mp_sample.csv")) {
            Files.copy(in, csv);
        }
        FailingFlushSink sink = new FailingFlushSink(2);
        InMemoryIngestState state = new InMemoryIngestState();
        Ingestor ing = new Ingestor(new FileSource(List.of(csv), 5, 0), sink, state, null);
        io.dimstream.ingest.IngestException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.dimstream.ingest.IngestException.class, ing::runOnce);
        assertEquals(Ingestor.PRODUCE_FAILED, e.code());
        assertTrue(e.getMessage().contains("RecordTooLargeException: boom"), e.getMessage());
        assertEquals(5, sink.durable.size(), "the first batch was produced, the second failed");
        // the next pass (as --follow does) restarts from the stored watermark: rows 6-12 are produced now
        IngestStats again = ing.runOnce();
        assertEquals(12, sink.durable.stream().map(CrystalSubmission::getId).distinct().count());
        assertEquals(12, sink.durable.size(), "each row exactly once");
        assertEquals(5, again.unchanged(), "the first batch is re-read and found unchanged");
    }

    @Test
    void linksOutsideTheFolderDanglingLinksAndOversizeFilesAreBadRecordsReportedOnce() throws Exception {
        List<TestData.Row> rows = TestData.mpSample();
        Path in = Files.createDirectories(dir.resolve("in"));
        Files.writeString(in.resolve("a.cif"), rows.get(0).cif());
        Path secret = Files.writeString(dir.resolve("secret.cif"), rows.get(1).cif()); // outside the ingested folder
        Files.createSymbolicLink(in.resolve("passwd.cif"), secret);
        Files.createSymbolicLink(in.resolve("gone.cif"), in.resolve("deleted.cif"));
        Files.createSymbolicLink(in.resolve("inside.cif"), in.resolve("a.cif"));
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(in.resolve("huge.cif").toFile(), "rw")) {
            f.setLength(io.dimstream.core.io.CifInputs.MAX_FILE_BYTES + 1);
        }
        Files.writeString(in.resolve("z.cif"), rows.get(2).cif());

        CollectingSink sink = new CollectingSink();
        Ingestor ing = new Ingestor(new FileSource(List.of(in), 10, 0), sink, new InMemoryIngestState(), null);
        IngestStats s = ing.runOnce();
        assertEquals(Set.of("a", "inside", "z"), sink.submissions().stream().map(CrystalSubmission::getId).collect(Collectors.toSet()),
                "the link to a file outside the folder is not read; the link inside is");
        assertEquals(Map.of("cif.outside_link", 1L, "cif.dangling_link", 1L, "cif.too_large", 1L), s.badByType());
        assertEquals(3, s.read());
        // a later poll does not report the same entries again
        IngestStats s2 = ing.runOnce();
        assertEquals(3, s2.bad(), "still 3 bad records over both passes");
        assertEquals(3, s2.read());

        CollectingSink allowed = new CollectingSink();
        IngestStats a = new Ingestor(new FileSource(List.of(in), 10, 0, true), allowed, new InMemoryIngestState(), null).runOnce();
        assertTrue(allowed.submissions().stream().anyMatch(x -> x.getId().equals("passwd")), "followed when allowed");
        assertEquals(Map.of("cif.dangling_link", 1L, "cif.too_large", 1L), a.badByType());
    }

    @Test
    void writtenP1CifParsesBackToTheSameStructure() throws Exception {
        CifParser parser = new CifParser();
        for (TestData.Row r : TestData.mpSample()) {
            Structure a = parser.parse(r.cif(), r.id()).get(0);
            Structure b = parser.parse(CifWriter.write(a), r.id()).get(0);
            assertEquals(a.size(), b.size());
            assertEquals(a.lattice().volume(), b.lattice().volume(), 1e-5);
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.site(i).species(), b.site(i).species());
                for (int j = 0; j < a.size(); j++) {
                    assertEquals(a.distance(i, j), b.distance(i, j), 1e-6);
                }
            }
        }
    }

    @Test
    void optimadeStructuresMatchTheOriginalCifs() throws Exception {
        // the OPTIMADE fixture was written from these CIFs: converting it back must give the same crystal
        CifParser parser = new CifParser();
        Map<String, String> cifById = TestData.mpSample().stream().collect(Collectors.toMap(TestData.Row::id, TestData.Row::cif));
        com.fasterxml.jackson.databind.JsonNode fx = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(getClass().getResourceAsStream("/optimade/structures.json"));
        int checked = 0;
        for (com.fasterxml.jackson.databind.JsonNode e : fx) {
            String id = e.get("id").asText();
            if (!cifById.containsKey(id)) {
                continue;
            }
            Structure fromOptimade = io.dimstream.ingest.optimade.OptimadeConverter.toStructure(e);
            Structure fromCif = parser.parse(cifById.get(id), id).get(0);
            assertEquals(fromCif.reducedFormula(), fromOptimade.reducedFormula());
            assertEquals(fromCif.lattice().volume(), fromOptimade.lattice().volume(), 1e-4);
            for (int i = 0; i < fromCif.size(); i++) {
                for (int j = 0; j < fromCif.size(); j++) {
                    assertEquals(fromCif.distance(i, j), fromOptimade.distance(i, j), 1e-5);
                }
            }
            checked++;
        }
        assertEquals(8, checked);
    }
}
