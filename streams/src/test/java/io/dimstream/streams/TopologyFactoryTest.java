package io.dimstream.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.DeadLetter;
import io.dimstream.schemas.ModelVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyFactoryTest {

    static final String MODEL = "sitenet-dim";

    @TempDir
    Path stateDir;

    Counters counters;
    ModelManager models;
    BackfillStatus backfill;
    TopologyTestDriver driver;
    TestInputTopic<String, byte[]> raw;
    TestInputTopic<String, byte[]> registry;
    TestOutputTopic<String, CrystalFeatures> features;
    TestOutputTopic<String, CrystalEmbedding> embeddings;
    TestOutputTopic<String, DeadLetter> dlq;
    final AvroSerde<CrystalSubmission> subSerde = AvroSerde.of(CrystalSubmission.class);
    final AvroSerde<ModelVersion> mvSerde = AvroSerde.of(ModelVersion.class);

    @BeforeEach
    void setUp() {
        start(Map.of());
    }

    void start(Map<String, String> extra) {
        Map<String, String> props = new HashMap<>();
        props.put(StreamsAppConfig.STATE_DIR, stateDir.toString());
        props.put(StreamsAppConfig.BATCH_SIZE, "4");
        props.put(StreamsAppConfig.BATCH_MAX_WAIT_MS, "100");
        props.put(StreamsAppConfig.BACKFILL_RATE, "1000000");
        props.putAll(extra);
        StreamsAppConfig cfg = new StreamsAppConfig(props);
        counters = new Counters();
        backfill = new BackfillStatus();
        models = new ModelManager(MODEL, 1, 1 << 20, TestModels.LOADER, List.of(), counters);
        Properties sp = cfg.kafkaStreamsProperties();
        driver = new TopologyTestDriver(new TopologyFactory(cfg, TestModels.FAKE_FEATURIZE, models, counters, backfill)
                .build(sp), sp);
        var t = cfg.topics();
        raw = driver.createInputTopic(t.raw(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        registry = driver.createInputTopic(t.modelsRegistry(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        features = driver.createOutputTopic(t.features(), Serdes.String().deserializer(),
                AvroSerde.of(CrystalFeatures.class));
        embeddings = driver.createOutputTopic(t.embeddings(), Serdes.String().deserializer(),
                AvroSerde.of(CrystalEmbedding.class));
        dlq = driver.createOutputTopic(t.dlq(), Serdes.String().deserializer(), AvroSerde.of(DeadLetter.class));
    }

    @AfterEach
    void tearDown() {
        driver.close();
        models.close();
    }

    void submit(String id, String payload) {
        CrystalSubmission s = CrystalSubmission.newBuilder().setId(id).setSource("test").setPayload(payload)
                .setSubmittedAt(Instant.ofEpochMilli(1000)).build();
        raw.pipeInput(id, subSerde.serialize("t", s));
    }

    void publish(ModelVersion mv) throws InterruptedException {
        registry.pipeInput(mv.getModelName(), mvSerde.serialize("t", mv));
        models.drain(Duration.ofSeconds(10));
    }

    void tick() {
        driver.advanceWallClockTime(Duration.ofMillis(150));
    }

    @Test
    void featuresFlowWithoutModelThenFirstModelBackfillsTheCorpus() throws Exception {
        for (int i = 0; i < 6; i++) {
            submit("mp-" + i, "sites=" + (i + 1) + ";x=0.5");
        }
        var feats = features.readKeyValuesToMap();
        assertEquals(6, feats.size());
        assertEquals(3, feats.get("mp-2").getPrimSites());
        assertEquals(27, feats.get("mp-2").getSiteFeatures().size());
        tick();
        assertTrue(embeddings.isEmpty(), "no model yet: no embeddings");

        publish(TestModels.model(MODEL, 1, 1, "test-encoder scale=2"));
        assertEquals(1, models.currentVersion().orElseThrow());
        tick();
        tick();
        List<TestRecord<String, CrystalEmbedding>> out = embeddings.readRecordsToList();
        assertEquals(6, out.size(), "each id embedded once");
        Set<String> ids = new HashSet<>();
        for (var r : out) {
            assertEquals(1, r.value().getModelVersion());
            assertEquals(MODEL, r.value().getModelName());
            assertEquals(1, r.value().getFeaturizerVersion());
            ids.add(r.key());
        }
        assertEquals(6, ids.size());
        CrystalEmbedding e3 = out.stream().filter(r -> r.key().equals("mp-3")).findFirst().orElseThrow().value();
        assertEquals(List.of(1.0f, 4.0f, 4.0f, 2.5f), e3.getEmbedding()); // 2 * 0.5, S = J = 4
        // everything here was embedded either by the buffer flush or the backfill; nothing twice
        assertEquals(6, counters.get("embeddings.out.live") + counters.get("embeddings.out.backfill"));
    }

    @Test
    void liveRecordsAreBatchedBySizeAndByPunctuator() throws Exception {
        publish(TestModels.model(MODEL, 1, 1, "test-encoder scale=1"));
        tick();
        for (int i = 0; i < 3; i++) {
            submit("a" + i, "sites=2;x=1");
        }
        assertTrue(embeddings.isEmpty(), "3 < batch size 4: waiting");
        submit("a3", "sites=2;x=1");
        assertEquals(4, embeddings.readRecordsToList().size(), "batch of 4 flushed by size");
        submit("a4", "sites=2;x=1");
        assertTrue(embeddings.isEmpty());
        tick();
        var last = embeddings.readRecordsToList();
        assertEquals(1, last.size(), "partial batch flushed by the punctuator");
        assertFalse(last.get(0).value().getBackfill());
        assertEquals(2, counters.get("embed.batches"));
    }

    @Test
    void badInputGoesToTheDlqWithReasonsAndOriginalPayload() throws Exception {
        publish(TestModels.model(MODEL, 1, 1, "test-encoder scale=1"));
        submit("c1", "bad cif");
        submit("c2", "unknown element");
        raw.pipeInput("c3", "definitely not avro".getBytes());
        submit("ok", "sites=1;x=1");
        var dead = dlq.readKeyValuesToMap();
        assertEquals(3, dead.size());
        assertEquals("parse", dead.get("c1").getStage());
        assertEquals("cif.syntax", dead.get("c1").getErrorType());
        assertTrue(dead.get("c1").getMessage().contains("line 1"));
        assertNotNull(dead.get("c1").getOriginalPayload());
        assertEquals("featurize", dead.get("c2").getStage());
        assertEquals("unknown_element", dead.get("c2").getErrorType());
        assertEquals("ingest", dead.get("c3").getStage());
        assertEquals("avro.undecodable", dead.get("c3").getErrorType());
        byte[] orig = new byte[dead.get("c3").getOriginalPayload().remaining()];
        dead.get("c3").getOriginalPayload().duplicate().get(orig);
        assertEquals("definitely not avro", new String(orig));
        assertEquals(1, features.readKeyValuesToMap().size());
        assertEquals(1, counters.get("dlq.parse.cif.syntax"));
    }

    @Test
    void newVersionSwapsBackfillsOncePerVersionAndInvalidModelsAreRejected() throws Exception {
        publish(TestModels.model(MODEL, 1, 1, "test-encoder scale=1"));
        for (int i = 0; i < 10; i++) {
            submit("m" + i, "sites=2;x=1");
        }
        tick();
        assertEquals(10, embeddings.readRecordsToList().size());

        // invalid models: wrong sha256, unloadable bytes, wrong featurizer version -> v1 keeps serving
        ModelVersion tampered = TestModels.model(MODEL, 2, 1, "test-encoder scale=3");
        tampered.setSha256("00".repeat(32));
        publish(tampered);
        publish(TestModels.model(MODEL, 2, 1, "garbage"));
        publish(TestModels.model(MODEL, 2, 7, "test-encoder scale=3"));
        assertEquals(1, models.currentVersion().orElseThrow());
        assertEquals(1, counters.get("models.rejected.sha256_mismatch"));
        assertEquals(1, counters.get("models.rejected.onnx_load"));
        assertEquals(1, counters.get("models.rejected.featurizer_version"));
        submit("m10", "sites=2;x=1");
        tick();
        var afterReject = embeddings.readRecordsToList();
        assertEquals(1, afterReject.size());
        assertEquals(1, afterReject.get(0).value().getModelVersion());

        publish(TestModels.model(MODEL, 2, 1, "test-encoder scale=3"));
        assertEquals(2, models.currentVersion().orElseThrow());
        assertEquals(1, TestModels.OPEN.get() - openBaseline(), "old encoder closed after swap");
        for (int i = 0; i < 5; i++) {
            tick();
        }
        submit("m11", "sites=2;x=1");
        tick();
        var v2 = embeddings.readRecordsToList();
        Map<String, Integer> perId = new HashMap<>();
        for (var r : v2) {
            assertEquals(2, r.value().getModelVersion());
            assertEquals(3.0f, r.value().getEmbedding().get(0));
            perId.merge(r.key(), 1, Integer::sum);
        }
        assertEquals(12, perId.size(), "all 11 earlier ids backfilled + m11 live");
        assertTrue(perId.values().stream().allMatch(c -> c == 1), "exactly once per version: " + perId);
        assertEquals(11, v2.stream().filter(r -> r.value().getBackfill()).count());
        assertTrue(backfill.complete(2), backfill.describe());
    }

    @Test
    void anExplicitRollbackServesTheOlderVersionAndBackfillsEveryIdWithItOnce() throws Exception {
        publish(TestModels.model(MODEL, 1, 1, "test-encoder scale=1"));
        for (int i = 0; i < 6; i++) {
            submit("r" + i, "sites=2;x=1");
        }
        tick();
        assertEquals(6, embeddings.readRecordsToList().size());
        publish(TestModels.model(MODEL, 2, 1, "test-encoder scale=3"));
        for (int i = 0; i < 5; i++) {
            tick();
        }
        assertEquals(6, embeddings.readRecordsToList().stream().filter(r -> r.value().getModelVersion() == 2).count());

        // `dimstream model rollback sitenet-dim 1` republishes v2 as RETIRED
        ModelVersion retired = TestModels.model(MODEL, 2, 1, "test-encoder scale=3");
        retired.setStatus(io.dimstream.schemas.ModelStatus.RETIRED);
        publish(retired);
        assertEquals(1, models.currentVersion().orElseThrow(), "v2 withdrawn: v1 serves again");
        assertEquals(1, counters.get("models.rollbacks"));
        for (int i = 0; i < 5; i++) {
            tick();
        }
        submit("r6", "sites=2;x=1");
        tick();
        Map<String, Integer> perId = new HashMap<>();
        for (var r : embeddings.readRecordsToList()) {
            assertEquals(1, r.value().getModelVersion(), "after the rollback every embedding is v1's");
            assertEquals(1.0f, r.value().getEmbedding().get(0));
            perId.merge(r.key(), 1, Integer::sum);
        }
        assertEquals(7, perId.size(), "6 ids backfilled with v1 again + r6 live");
        assertTrue(perId.values().stream().allMatch(c -> c == 1), "once per id after the rollback: " + perId);
        assertTrue(backfill.complete(1), backfill.describe());
    }

    private int openBaseline() {
        return TestModels.OPEN.get() - 1; // exactly one TestModels.Enc of this test serves
    }
}
