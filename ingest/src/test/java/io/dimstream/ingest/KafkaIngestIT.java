package io.dimstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.Topics;
import io.dimstream.ingest.jdbc.JdbcSource;
import io.dimstream.ingest.jdbc.JdbcSourceConfig;
import io.dimstream.ingest.kafka.IngestKafka;
import io.dimstream.ingest.kafka.KafkaIngestState;
import io.dimstream.ingest.kafka.KafkaSubmissionSink;
import io.dimstream.ingest.labels.LabelLoader;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.Label;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL → Kafka with durable watermark + hashes in compacted topics, across a restart of the ingester. */
class KafkaIngestIT {
    @TempDir
    Path tmp;

    static EmbeddedKafkaBroker broker;
    static EmbeddedPostgres pg;

    @org.junit.jupiter.api.BeforeAll
    static void start() throws Exception {
        broker = EmbeddedKafkaBroker.builder().tempDir().build().start();
        pg = EmbeddedPostgres.builder().start();
    }

    @org.junit.jupiter.api.AfterAll
    static void stop() throws Exception {
        pg.close();
        broker.close();
    }

    @Test
    void jdbcToKafkaResumesAfterRestartWithoutDuplicatesAndLoadsLabels() throws Exception {
        List<TestData.Row> rows = TestData.mpSample();
        {
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE structures (mp_id text PRIMARY KEY, cif text, updated_at timestamptz NOT NULL)");
            }
            LocalDateTime t0 = LocalDateTime.of(2024, 1, 1, 0, 0);
            for (int i = 0; i < 10; i++) {
                insert(pg, rows.get(i).id(), rows.get(i).cif(), t0.plusMinutes(i / 4));
            }
            Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
            Topics topics = Topics.defaults();
            IngestKafka.ensureTopics(kafka, topics, 3);
            String url = pg.getJdbcUrl("postgres", "postgres");

            IngestStats first = runIngest(kafka, url);
            assertEquals(10, first.produced());

            // restart: new state object reads the compacted topics back
            insert(pg, rows.get(10).id(), rows.get(10).cif(), t0.plusMinutes(10));
            insert(pg, rows.get(11).id(), rows.get(11).cif(), t0.plusMinutes(10));
            try (KafkaIngestState state = new KafkaIngestState(kafka)) {
                Watermark wm = state.watermark(Ingestor.stateKey(new JdbcSource(cfg(url)).key(), "crystals.raw")).orElseThrow();
                assertEquals(rows.get(9).id(), wm.get("id"));
                assertEquals("timestamptz", wm.get("change_type"));
                assertEquals(10, state.recordsProduced(Ingestor.stateKey(new JdbcSource(cfg(url)).key(), "crystals.raw")));
            }
            IngestStats second = runIngest(kafka, url);
            assertEquals(4, second.read(), "resumed at the stored watermark: its 2 rows sharing the change value again + 2 new");
            assertEquals(2, second.unchanged());
            assertEquals(2, second.produced());

            // a full re-read (watermark lost, hashes kept) produces nothing new
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE VIEW structures_v AS SELECT * FROM structures");
            }
            JdbcSourceConfig viewCfg = new JdbcSourceConfig(url, props(), "structures_v", null, "mp_id", "cif", "updated_at", 5, "");
            try (KafkaIngestState state = new KafkaIngestState(kafka);
                 KafkaSubmissionSink sink = new KafkaSubmissionSink(kafka, topics.raw(), topics.labels())) {
                IngestStats again = new Ingestor(new JdbcSource(viewCfg), sink, state, null).runOnce();
                assertEquals(12, again.read());
                assertEquals(0, again.produced());
                assertEquals(12, again.unchanged());
            }

            List<CrystalSubmission> raw = readAll(broker.bootstrapServers(), topics.raw(), AvroSerde.of(CrystalSubmission.class));
            assertEquals(12, raw.size(), "exactly one record per structure");
            assertEquals(rows.stream().map(TestData.Row::id).collect(Collectors.toSet()),
                    raw.stream().map(CrystalSubmission::getId).collect(Collectors.toSet()));

            // labels from a CSV, twice: the second load produces nothing
            Path csv = tmp.resolve("labels.csv");
            StringBuilder sb = new StringBuilder("material_id,band_gap,formation_energy_per_atom\n");
            for (TestData.Row r : rows) {
                sb.append(r.id()).append(',').append(r.bandGap()).append(',').append(r.formationEnergy()).append('\n');
            }
            sb.append("mp-bad,n/a,\n");
            Files.writeString(tmp.resolve("labels.csv"), sb);
            LabelLoader loader = new LabelLoader("material_id", List.of("band_gap", "formation_energy_per_atom"), "test");
            try (KafkaIngestState state = new KafkaIngestState(kafka);
                 KafkaSubmissionSink sink = new KafkaSubmissionSink(kafka, topics.raw(), topics.labels())) {
                LabelLoader.Result r1 = loader.load(csv, sink, state);
                assertEquals(24, r1.produced());
                assertEquals(1, r1.bad().size());
                assertEquals("labels.not_a_number", r1.bad().get(0).errorType());
                assertEquals(1, r1.empty());
            }
            try (KafkaIngestState state = new KafkaIngestState(kafka);
                 KafkaSubmissionSink sink = new KafkaSubmissionSink(kafka, topics.raw(), topics.labels())) {
                assertEquals(0, loader.load(csv, sink, state).produced());
            }
            List<Label> labels = readAll(broker.bootstrapServers(), topics.labels(), AvroSerde.of(Label.class));
            assertEquals(24, labels.size());
            Label l = labels.stream().filter(x -> x.getId().equals(rows.get(3).id()) && x.getProperty().equals("band_gap")).findFirst().orElseThrow();
            assertEquals(rows.get(3).bandGap(), l.getValue(), 0);
        }
    }

    @Test
    void transactionalIngestExposesNothingOfACrashedBatchAndProducesEachStructureOnce() throws Exception {
        List<TestData.Row> rows = TestData.mpSample();
        {
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE structures_tx (mp_id text PRIMARY KEY, cif text, updated_at timestamptz NOT NULL)");
            }
            for (int i = 0; i < 12; i++) {
                insertInto("structures_tx", rows.get(i).id(), rows.get(i).cif(), LocalDateTime.of(2024, 1, 1, 0, i));
            }
            Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
            Map<String, Object> tt = new HashMap<>();
            tt.put(Topics.RAW_CONFIG, "tx.raw");
            tt.put(Topics.LABELS_CONFIG, "tx.labels");
            IngestKafka.ensureTopics(kafka, Topics.from(tt), 3);
            String url = pg.getJdbcUrl("postgres", "postgres");
            String key = Ingestor.stateKey(new JdbcSource(txCfg(url)).key(), "tx.raw");

            // ingester 1 commits one batch of 4, then dies in the middle of the next (5 records sent, no commit)
            io.dimstream.ingest.kafka.TransactionalKafkaIngest tx1 = new io.dimstream.ingest.kafka.TransactionalKafkaIngest(
                    kafka, "tx.raw", "tx.labels", "tx.wm", "tx.hash", 3, key);
            JdbcSource src1 = new JdbcSource(txCfg(url));
            src1.start(Watermark.NONE);
            SourceBatch b = src1.next();
            for (SourceRecord r : b.records()) {
                tx1.submit(CrystalSubmission.newBuilder().setId(r.id()).setSource(key).setPayload(r.payload())
                        .setSubmittedAt(java.time.Instant.now()).build());
                tx1.putContentHash(Ingestor.hashKey("tx.raw", r.id()), ContentHash.of(r.format(), r.payload()));
            }
            tx1.commit(key, b.commit(), 4);
            for (int i = 4; i < 9; i++) {
                tx1.submit(CrystalSubmission.newBuilder().setId(rows.get(i).id()).setSource(key).setPayload("partial")
                        .setSubmittedAt(java.time.Instant.now()).build());
            }
            tx1.flush(); // on the broker, but never committed; the process "dies" here (no close)

            // ingester 2 fences ingester 1 (aborting its transaction) and resumes from the committed watermark
            IngestStats s2;
            try (io.dimstream.ingest.kafka.TransactionalKafkaIngest tx2 = new io.dimstream.ingest.kafka.TransactionalKafkaIngest(
                    kafka, "tx.raw", "tx.labels", "tx.wm", "tx.hash", 3, key); JdbcSource src2 = new JdbcSource(txCfg(url))) {
                s2 = new Ingestor(src2, tx2, tx2, null).runOnce();
            }
            assertEquals(9, s2.read(), "resumed at the committed batch's last change value: that row again + 8 new");
            assertEquals(1, s2.unchanged());
            assertEquals(8, s2.produced());
            List<CrystalSubmission> committed = readAll(broker.bootstrapServers(), "tx.raw", AvroSerde.of(CrystalSubmission.class), "read_committed");
            assertEquals(12, committed.size(), "each structure exactly once");
            assertEquals(12, committed.stream().map(CrystalSubmission::getId).distinct().count());
            assertTrue(committed.stream().noneMatch(x -> x.getPayload().equals("partial")));
            List<CrystalSubmission> all = readAll(broker.bootstrapServers(), "tx.raw", AvroSerde.of(CrystalSubmission.class), "read_uncommitted");
            assertEquals(17, all.size(), "the 5 aborted records are in the log, invisible to read_committed");
            try (KafkaIngestState state = new KafkaIngestState(kafka, "tx.wm", "tx.hash", 3)) {
                assertEquals(rows.get(11).id(), state.watermark(key).orElseThrow().get("id"));
                assertEquals(12, state.recordsProduced(key));
            }
        }
    }

    private static JdbcSourceConfig tableCfg(String url, String table, int batch) {
        return new JdbcSourceConfig(url, props(), table, null, "mp_id", "cif", "updated_at", batch, "");
    }

    private static void createTable(String table) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + table + " (mp_id text PRIMARY KEY, cif text, updated_at timestamptz NOT NULL)");
        }
    }

    private static void createTopic(Map<String, Object> kafka, String topic, Map<String, String> configs) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(kafka)) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1).configs(configs))).all().get();
        }
    }

    /** A real MP CIF padded with comment lines to about {@code bytes}: still a valid CIF. */
    private static String padded(String cif, int bytes) {
        return cif + ("# padding " + "x".repeat(90) + "\n").repeat(bytes / 100);
    }

    @Test
    void aRowLargerThanTheProducersMaxRequestIsABadRecordAndTheTableGoesOnInBothModes() throws Exception {
        List<TestData.Row> rows = TestData.mpSample();
        createTable("structures_big");
        LocalDateTime t0 = LocalDateTime.of(2024, 3, 1, 0, 0);
        for (int i = 0; i < 6; i++) {
            insertInto("structures_big", i == 2 ? "mp-huge" : rows.get(i).id(), i == 2 ? padded(rows.get(i).cif(), 300_000)
                    : rows.get(i).cif(), t0.plusMinutes(i));
        }
        String url = pg.getJdbcUrl("postgres", "postgres");
        Map<String, Object> kafka = new HashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "max.request.size", "200000"));
        createTopic(kafka, "big.raw", Map.of());
        createTopic(kafka, "big2.raw", Map.of("max.message.bytes", "100000"));

        // transactional (the default): the poison row used to doom every batch's transaction at this row
        IngestStats tx;
        try (JdbcSource src = new JdbcSource(tableCfg(url, "structures_big", 2));
             io.dimstream.ingest.kafka.TransactionalKafkaIngest sink = new io.dimstream.ingest.kafka.TransactionalKafkaIngest(
                     kafka, "big.raw", "big.labels", "big.wm", "big.hash", 3, Ingestor.stateKey(src.key(), "big.raw"))) {
            assertEquals(200_000, sink.recordLimit().maxBytes());
            tx = new Ingestor(src, sink, sink, null).runOnce();
        }
        assertEquals(5, tx.produced());
        assertEquals(Map.of("ingest.too_large", 1L), tx.badByType());
        List<CrystalSubmission> got = readAll(broker.bootstrapServers(), "big.raw", AvroSerde.of(CrystalSubmission.class), "read_committed");
        assertEquals(5, got.size());
        assertTrue(got.stream().noneMatch(x -> x.getId().equals("mp-huge")));
        try (KafkaIngestState state = new KafkaIngestState(kafka, "big.wm", "big.hash", 3)) {
            String key = Ingestor.stateKey(new JdbcSource(tableCfg(url, "structures_big", 2)).key(), "big.raw");
            assertEquals(rows.get(5).id(), state.watermark(key).orElseThrow().get("id"), "the watermark moved past the poison row");
        }

        // plain idempotent producer, and a topic whose own limit (100 kB) is below the producer's
        Map<String, Object> kafka2 = Map.of("bootstrap.servers", broker.bootstrapServers());
        IngestStats plain;
        try (JdbcSource src = new JdbcSource(tableCfg(url, "structures_big", 2));
             KafkaIngestState state = new KafkaIngestState(kafka2, "big2.wm", "big2.hash", 3);
             KafkaSubmissionSink sink = new KafkaSubmissionSink(kafka2, "big2.raw", "big.labels")) {
            assertEquals(new RecordLimit(100_000, "topic big2.raw max.message.bytes"), sink.recordLimit());
            plain = new Ingestor(src, sink, state, null).runOnce();
        }
        assertEquals(5, plain.produced());
        assertEquals(Map.of("ingest.too_large", 1L), plain.badByType());
        assertEquals(5, readAll(broker.bootstrapServers(), "big2.raw", AvroSerde.of(CrystalSubmission.class)).size());
    }

    @Test
    void aRecordTheBrokerRefusesFailsTheBatchWithItsCauseAndTheBatchIsReadAgain() throws Exception {
        List<TestData.Row> rows = TestData.mpSample();
        createTable("structures_late");
        LocalDateTime t0 = LocalDateTime.of(2024, 4, 1, 0, 0);
        for (int i = 0; i < 4; i++) {
            insertInto("structures_late", i == 1 ? "mp-big" : rows.get(i).id(), i == 1 ? padded(rows.get(i).cif(), 150_000)
                    : rows.get(i).cif(), t0.plusMinutes(i));
        }
        String url = pg.getJdbcUrl("postgres", "postgres");
        Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers(), "compression.type", "none");
        createTopic(kafka, "late.raw", Map.of());
        try (JdbcSource src = new JdbcSource(tableCfg(url, "structures_late", 10));
             io.dimstream.ingest.kafka.TransactionalKafkaIngest sink = new io.dimstream.ingest.kafka.TransactionalKafkaIngest(
                     kafka, "late.raw", "late.labels", "late.wm", "late.hash", 3, Ingestor.stateKey(src.key(), "late.raw"))) {
            // the topic's limit drops after the sink read it: only the broker can refuse the record now
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(kafka)) {
                var res = new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "late.raw");
                admin.incrementalAlterConfigs(Map.of(res, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
                        new org.apache.kafka.clients.admin.ConfigEntry("max.message.bytes", "100000"),
                        org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
            }
            Thread.sleep(1000); // let the broker apply the topic config
            Ingestor ing = new Ingestor(src, sink, sink, null);
            IngestException e = org.junit.jupiter.api.Assertions.assertThrows(IngestException.class, ing::runOnce);
            assertEquals(Ingestor.PRODUCE_FAILED, e.code());
            assertTrue(e.getMessage().contains("producing mp-big to late.raw failed: RecordTooLargeException"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), "one line");
            sink.close(); // closing as sink and again as state (try-with-resources) must not throw
        }
        // the batch was not committed: a new run (which reads the topic's new limit) reports the row and goes on
        IngestStats again;
        try (JdbcSource src = new JdbcSource(tableCfg(url, "structures_late", 10));
             io.dimstream.ingest.kafka.TransactionalKafkaIngest sink = new io.dimstream.ingest.kafka.TransactionalKafkaIngest(
                     kafka, "late.raw", "late.labels", "late.wm", "late.hash", 3, Ingestor.stateKey(src.key(), "late.raw"))) {
            again = new Ingestor(src, sink, sink, null).runOnce();
        }
        assertEquals(3, again.produced());
        assertEquals(Map.of("ingest.too_large", 1L), again.badByType());
        assertEquals(3, readAll(broker.bootstrapServers(), "late.raw", AvroSerde.of(CrystalSubmission.class), "read_committed").size());
    }

    @Test
    void theSameTableIngestedIntoAnotherRawTopicIsProducedThereToo() throws Exception {
        List<TestData.Row> rows = TestData.mpSample();
        createTable("structures_two");
        for (int i = 0; i < 12; i++) {
            insertInto("structures_two", rows.get(i).id(), rows.get(i).cif(), LocalDateTime.of(2024, 5, 1, 0, i));
        }
        String url = pg.getJdbcUrl("postgres", "postgres");
        Map<String, Object> kafka = Map.of("bootstrap.servers", broker.bootstrapServers());
        for (String topic : List.of("one.raw", "other.raw")) {
            createTopic(kafka, topic, Map.of());
            try (JdbcSource src = new JdbcSource(tableCfg(url, "structures_two", 5));
                 io.dimstream.ingest.kafka.TransactionalKafkaIngest sink = new io.dimstream.ingest.kafka.TransactionalKafkaIngest(
                         kafka, topic, "two.labels", "two.wm", "two.hash", 3, Ingestor.stateKey(src.key(), topic))) {
                IngestStats st = new Ingestor(src, sink, sink, null).runOnce();
                assertEquals(12, st.read(), topic + ": read from the start (own watermark)");
                assertEquals(12, st.produced(), topic + ": nothing counted as already produced");
            }
            assertEquals(12, readAll(broker.bootstrapServers(), topic, AvroSerde.of(CrystalSubmission.class), "read_committed").size());
        }
        // and again into other.raw: now everything there is unchanged
        try (JdbcSource src = new JdbcSource(tableCfg(url, "structures_two", 5));
             KafkaIngestState state = new KafkaIngestState(kafka, "two.wm", "two.hash", 3);
             KafkaSubmissionSink sink = new KafkaSubmissionSink(kafka, "other.raw", "two.labels")) {
            IngestStats st = new Ingestor(src, sink, state, null).runOnce();
            assertEquals(1, st.read(), "only the watermark's row again");
            assertEquals(0, st.produced());
        }
    }

    private static Properties props() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return p;
    }

    private static JdbcSourceConfig txCfg(String url) {
        return new JdbcSourceConfig(url, props(), "structures_tx", null, "mp_id", "cif", "updated_at", 4, "");
    }

    private static JdbcSourceConfig cfg(String url) {
        return new JdbcSourceConfig(url, props(), "structures", null, "mp_id", "cif", "updated_at", 4, "");
    }

    private static IngestStats runIngest(Map<String, Object> kafka, String url) throws Exception {
        try (KafkaIngestState state = new KafkaIngestState(kafka);
             KafkaSubmissionSink sink = new KafkaSubmissionSink(kafka, "crystals.raw", "crystals.labels");
             JdbcSource src = new JdbcSource(cfg(url))) {
            return new Ingestor(src, sink, state, null).runOnce();
        }
    }

    private static void insert(EmbeddedPostgres pg, String id, String cif, LocalDateTime t) throws Exception {
        insertInto("structures", id, cif, t);
    }

    private static void insertInto(String table, String id, String cif, LocalDateTime t) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, cif);
            ps.setTimestamp(3, Timestamp.valueOf(t));
            ps.executeUpdate();
        }
    }

    static <T extends org.apache.avro.specific.SpecificRecord> List<T> readAll(String bs, String topic, AvroSerde<T> serde) {
        return readAll(bs, topic, serde, "read_uncommitted");
    }

    static <T extends org.apache.avro.specific.SpecificRecord> List<T> readAll(String bs, String topic, AvroSerde<T> serde, String isolation) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(c, new StringDeserializer(), serde)) {
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 30_000;
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
        }
        return out;
    }
}
