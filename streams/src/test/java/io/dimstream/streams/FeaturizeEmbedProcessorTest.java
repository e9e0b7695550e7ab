package io.dimstream.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.CrystalSubmission;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The featurize + embed processor alone (MockProcessorContext): what a restart finds in the buffer, and
 * that features go out at once while embeddings wait for a batch.
 */
class FeaturizeEmbedProcessorTest {

    static final String MODEL = "sitenet-dim";
    final AvroSerde<CrystalSubmission> subSerde = AvroSerde.of(CrystalSubmission.class);

    Counters counters;
    ModelManager models;
    MockProcessorContext<String, SpecificRecord> context;
    KeyValueStore<String, byte[]> buffer;
    KeyValueStore<String, Integer> embedded;
    org.apache.kafka.streams.state.TimestampedKeyValueStore<String, byte[]> corpus;

    @BeforeEach
    void setUp() {
        counters = new Counters();
        models = new ModelManager(MODEL, 1, 1 << 20, TestModels.LOADER, List.of(), counters);
        context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(5000);
        buffer = add(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(TopologyFactory.BUFFER_STORE),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build());
        embedded = add(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(TopologyFactory.EMBEDDED_STORE),
                Serdes.String(), Serdes.Integer()).withLoggingDisabled().build());
        add(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(TopologyFactory.BACKFILL_STORE), Serdes.String(),
                Serdes.String()).withLoggingDisabled().build());
        corpus = add(Stores.timestampedKeyValueStoreBuilder(Stores.inMemoryKeyValueStore(TopologyFactory.CORPUS_STORE),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build());
    }

    @AfterEach
    void tearDown() {
        models.close();
    }

    private <S extends StateStore> S add(S store) {
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    FeaturizeEmbedProcessor processor(int batchSize) {
        FeaturizeEmbedProcessor p = new FeaturizeEmbedProcessor(
                new FeaturizeStage(TestModels.FAKE_FEATURIZE, "crystals.raw", counters), models, counters,
                new RateLimiter(1000), new BackfillStatus(),
                new FeaturizeEmbedProcessor.Settings(batchSize, 100, 1000, true, 5000, "crystals.raw",
                        "crystals.features"));
        p.init(context);
        return p;
    }

    byte[] raw(String id, String payload) {
        return subSerde.toBytes(CrystalSubmission.newBuilder().setId(id).setSource("test").setPayload(payload)
                .setSubmittedAt(Instant.ofEpochMilli(1234)).build());
    }

    void serve(int version, String encoder) throws InterruptedException {
        models.offer(TestModels.model(MODEL, version, 1, encoder));
        models.drain(Duration.ofSeconds(10));
        assertEquals(version, models.currentVersion().orElseThrow());
    }

    List<CrystalEmbedding> embeddings() {
        return context.forwarded().stream().map(f -> f.record().value()).filter(v -> v instanceof CrystalEmbedding)
                .map(v -> (CrystalEmbedding) v).toList();
    }

    @Test
    void bufferRestoredAfterARestartIsFeaturizedAgainAndEmbeddedOnce() throws Exception {
        // what a crash leaves: raw records in the (changelog-restored) buffer, not yet embedded
        buffer.put("r1", raw("r1", "sites=2;x=1.5"));
        buffer.put("r2", raw("r2", "sites=3;x=2"));
        serve(1, "test-encoder scale=2");
        FeaturizeEmbedProcessor p = processor(64);
        p.flush();
        List<CrystalEmbedding> out = embeddings();
        assertEquals(2, out.size());
        CrystalEmbedding r1 = out.stream().filter(e -> e.getId().equals("r1")).findFirst().orElseThrow();
        assertEquals(List.of(3.0f, 2.0f, 2.0f, 2.5f), r1.getEmbedding(), "2 * x, S, J, mean distance");
        assertEquals(Instant.ofEpochMilli(1234), r1.getSubmittedAt(), "submittedAt read back from the raw record");
        assertEquals(1, r1.getModelVersion());
        assertNull(buffer.get("r1"));
        assertNull(buffer.get("r2"));
        assertEquals(1, embedded.get("r2"));
        assertEquals(0, counters.get("raw.in"), "a restored record is not a new input");
        context.resetForwards();
        p.flush();
        assertTrue(context.forwarded().isEmpty(), "nothing twice");
    }

    @Test
    void aReinitialisedProcessorEmbedsWhatTheBufferStoreHoldsNotWhatItHadPending() throws Exception {
        // the task holds a and b waiting for a batch, then leaves this instance; another owner embeds
        // them and deletes them from the buffer (changelog), and buffers c; the task comes back and
        // Kafka Streams inits the same processor object again
        serve(1, "test-encoder scale=1");
        FeaturizeEmbedProcessor p = processor(10);
        p.process(new Record<>("a", FeaturizeEmbedProcessor.Input.raw(raw("a", "sites=1;x=1")), 1));
        p.process(new Record<>("b", FeaturizeEmbedProcessor.Input.raw(raw("b", "sites=2;x=1")), 2));
        assertEquals(0, embeddings().size(), "waiting for the batch");
        p.close();
        buffer.delete("a");
        buffer.delete("b");
        buffer.put("c", raw("c", "sites=3;x=1"));
        context.resetForwards();
        p.init(context);
        p.flush();
        assertEquals(List.of("c"), embeddings().stream().map(CrystalEmbedding::getId).toList(),
                "a and b were embedded by the other owner: not again");
        assertEquals(0, buffer.approximateNumEntries());

        // the same without close() (a task revived after corruption: closed dirty, init again)
        p.process(new Record<>("d", FeaturizeEmbedProcessor.Input.raw(raw("d", "sites=1;x=2")), 3));
        buffer.delete("d");
        context.resetForwards();
        p.init(context);
        p.flush();
        assertTrue(embeddings().isEmpty(), "d is no longer in the buffer store: " + embeddings());
    }

    @Test
    void featuresGoOutAtOnceAndEmbeddingsWaitForTheBatch() throws Exception {
        serve(1, "test-encoder scale=1");
        FeaturizeEmbedProcessor p = processor(3);
        p.process(new Record<>("a", FeaturizeEmbedProcessor.Input.raw(raw("a", "sites=1;x=1")), 10));
        p.process(new Record<>("b", FeaturizeEmbedProcessor.Input.raw(raw("b", "sites=2;x=1")), 11));
        assertEquals(2, context.forwarded().size());
        assertTrue(context.forwarded().stream().allMatch(f -> f.record().value() instanceof CrystalFeatures));
        assertEquals(2, buffer.approximateNumEntries(), "raw bytes buffered until the batch is full");
        // a newer submission of a waiting id replaces it: still one embedding for "a"
        p.process(new Record<>("a", FeaturizeEmbedProcessor.Input.raw(raw("a", "sites=4;x=1")), 12));
        assertEquals(0, embeddings().size());
        p.process(new Record<>("c", FeaturizeEmbedProcessor.Input.raw(raw("c", "sites=1;x=1")), 13));
        List<CrystalEmbedding> out = embeddings();
        assertEquals(List.of("a", "b", "c"), out.stream().map(CrystalEmbedding::getId).sorted().toList());
        assertEquals(4.0f, out.stream().filter(e -> e.getId().equals("a")).findFirst().orElseThrow()
                .getEmbedding().get(1), "the newer submission (S = 4) was embedded");
        assertEquals(0, buffer.approximateNumEntries());
        assertEquals(4, counters.get("raw.in"));
    }

    @Test
    void badRecordsBecomeDeadLettersAndNeverEnterTheBuffer() throws Exception {
        serve(1, "test-encoder scale=1");
        FeaturizeEmbedProcessor p = processor(2);
        p.process(new Record<>("x", FeaturizeEmbedProcessor.Input.raw(raw("x", "bad cif")), 1));
        p.process(new Record<>("y", FeaturizeEmbedProcessor.Input.raw("not avro".getBytes()), 2));
        p.process(new Record<>("z", FeaturizeEmbedProcessor.Input.raw(null), 3));
        p.process(new Record<>(null, FeaturizeEmbedProcessor.Input.raw(raw("", "sites=1;x=1")), 4)); // no key, no submission id
        assertEquals(3, context.forwarded().size());
        assertTrue(context.forwarded().stream()
                .allMatch(f -> f.record().value() instanceof io.dimstream.schemas.DeadLetter));
        assertEquals(0, buffer.approximateNumEntries());
        assertEquals(1, counters.get("dlq.ingest.missing_id"));
    }

    @Test
    void theKafkaKeyNamesAStructureWhoseSubmissionHasNoId() throws Exception {
        serve(1, "test-encoder scale=1");
        FeaturizeEmbedProcessor p = processor(1);
        p.process(new Record<>("key-7", FeaturizeEmbedProcessor.Input.raw(raw("", "sites=1;x=1")), 1));
        List<String> keys = context.forwarded().stream().map(f -> (String) f.record().key()).toList();
        assertEquals(List.of("key-7", "key-7"), keys, "features and embedding keyed by the Kafka key");
        CrystalFeatures f = (CrystalFeatures) context.forwarded().get(0).record().value();
        assertEquals("key-7", f.getId());
        assertEquals("key-7", embeddings().get(0).getId());
    }

    @Test
    void aRecordEmbeddedWithTheOldModelThatReachesTheCorpusBehindTheBackfillGetsTheNewVersion() throws Exception {
        serve(1, "test-encoder scale=1");
        FeaturizeEmbedProcessor p = processor(1);
        context.setRecordMetadata("crystals.raw", 0, 0);
        p.process(new Record<>("x", FeaturizeEmbedProcessor.Input.raw(raw("x", "sites=2;x=1")), 1)); // embedded live with v1 at once
        assertEquals(1, embedded.get("x"));
        CrystalFeatures features = (CrystalFeatures) context.forwarded().get(0).record().value();
        byte[] featureBytes = AvroSerde.of(CrystalFeatures.class).toBytes(features);

        // v2 swaps in; its backfill walks the corpus before x's features have landed there (commit pending)
        serve(2, "test-encoder scale=5");
        p.backfillStep();
        context.resetForwards();

        // x's features arrive in the corpus table behind the finished backfill: embedded with v2, once
        corpus.put("x", org.apache.kafka.streams.state.ValueAndTimestamp.make(featureBytes, 2));
        context.setRecordMetadata("crystals.features", 0, 0);
        p.process(new Record<>("x", FeaturizeEmbedProcessor.Input.corpusUpdate(featureBytes), 2));
        List<CrystalEmbedding> out = embeddings();
        assertEquals(1, out.size());
        assertEquals(2, out.get(0).getModelVersion());
        assertEquals(true, out.get(0).getBackfill());
        assertEquals(5.0f, out.get(0).getEmbedding().get(0));
        assertEquals(2, embedded.get("x"));
        context.resetForwards();
        p.process(new Record<>("x", FeaturizeEmbedProcessor.Input.corpusUpdate(featureBytes), 3)); // the same corpus record again: nothing to do
        assertTrue(embeddings().isEmpty());
        assertEquals(1, counters.get("backfill.late"));
    }

    @Test
    void corpusRecordsAheadOfTheBackfillAreLeftToIt() throws Exception {
        serve(1, "test-encoder scale=1");
        FeaturizeEmbedProcessor p = processor(1);
        byte[] bytes = AvroSerde.of(CrystalFeatures.class).toBytes(TestModels.FAKE_FEATURIZE.apply(
                CrystalSubmission.newBuilder().setId("y").setSource("t").setPayload("sites=1;x=1")
                        .setSubmittedAt(Instant.ofEpochMilli(1)).build()).toAvro(1, 2));
        corpus.put("y", org.apache.kafka.streams.state.ValueAndTimestamp.make(bytes, 1));
        context.setRecordMetadata("crystals.features", 0, 0);
        p.process(new Record<>("y", FeaturizeEmbedProcessor.Input.corpusUpdate(bytes), 1)); // v1's backfill has not started: it will find y itself
        assertTrue(embeddings().isEmpty());
        p.backfillStep();
        assertEquals(List.of("y"), embeddings().stream().map(CrystalEmbedding::getId).toList());
        assertEquals(0, counters.get("backfill.late"));
    }

    @Test
    void eachOutputGoesToItsNamedSink() throws Exception {
        serve(1, "test-encoder scale=1");
        FeaturizeEmbedProcessor p = processor(1);
        p.process(new Record<>("a", FeaturizeEmbedProcessor.Input.raw(raw("a", "sites=1;x=1")), 1));
        p.process(new Record<>("x", FeaturizeEmbedProcessor.Input.raw(raw("x", "bad cif")), 2));
        List<String> children = context.forwarded().stream().map(f -> f.childName().orElse("(all)")).toList();
        assertEquals(List.of(Outputs.FEATURES, Outputs.EMBEDDINGS, Outputs.DLQ), children);
    }

    /** Features of {@code id} as the corpus table holds them (serialized bytes). */
    byte[] corpusBytes(String id) {
        return AvroSerde.of(CrystalFeatures.class).toBytes(TestModels.FAKE_FEATURIZE.apply(
                CrystalSubmission.newBuilder().setId(id).setSource("t").setPayload("sites=1;x=1")
                        .setSubmittedAt(Instant.ofEpochMilli(1)).build()).toAvro(1, 2));
    }

    /** The flush punctuator's tick once batch.max.wait.ms (100 ms here) has passed since the last one. */
    void punctuate() {
        punctuateAfter(100);
    }

    void punctuateAfter(long ms) {
        context.setCurrentSystemTimeMs(context.currentSystemTimeMs() + ms);
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(context.currentSystemTimeMs());
    }

    @Test
    void aPartialBatchKeepsFillingUntilItsOldestRecordHasWaitedTheMaxWait() throws Exception {
        serve(1, "test-encoder scale=1");
        FeaturizeEmbedProcessor p = processor(8);
        context.setRecordMetadata("crystals.raw", 0, 0);
        assertEquals(java.time.Duration.ofMillis(100 / FeaturizeEmbedProcessor.TICKS_PER_MAX_WAIT),
                context.scheduledPunctuators().get(0).getInterval(), "five ticks per batch.max.wait.ms");
        p.process(new Record<>("a", FeaturizeEmbedProcessor.Input.raw(raw("a", "sites=1;x=1")), 1));
        punctuateAfter(40);
        p.process(new Record<>("b", FeaturizeEmbedProcessor.Input.raw(raw("b", "sites=1;x=1")), 2));
        punctuateAfter(40); // "a" has waited 80 ms of 100: the batch keeps filling
        assertTrue(embeddings().isEmpty());
        punctuateAfter(20); // 100 ms: both go, in one batch
        assertEquals(List.of("a", "b"), embeddings().stream().map(CrystalEmbedding::getId).toList());
        context.resetForwards();
        p.process(new Record<>("c", FeaturizeEmbedProcessor.Input.raw(raw("c", "sites=1;x=1")), 3));
        punctuateAfter(99);
        assertTrue(embeddings().isEmpty(), "the wait counts from when the record was buffered");
        punctuateAfter(1);
        assertEquals(List.of("c"), embeddings().stream().map(CrystalEmbedding::getId).toList());
    }

    @Test
    void liveRecordsWaitingInTheBufferAreEmbeddedBeforeTheBackfillTakesAStep() throws Exception {
        for (int i = 0; i < 20; i++) {
            corpus.put("c" + i, org.apache.kafka.streams.state.ValueAndTimestamp.make(corpusBytes("c" + i), 1));
        }
        serve(1, "test-encoder scale=1");
        FeaturizeEmbedProcessor p = processor(4);
        context.setRecordMetadata("crystals.raw", 0, 0);
        for (String id : List.of("live1", "live2", "live3")) { // under one batch: they wait for the punctuator
            p.process(new Record<>(id, FeaturizeEmbedProcessor.Input.raw(raw(id, "sites=2;x=1")), 1));
        }
        assertTrue(embeddings().isEmpty());
        punctuate();
        List<CrystalEmbedding> out = embeddings();
        assertTrue(out.size() > 3, "the backfill stepped after the live flush: " + out.size());
        assertEquals(List.of("live1", "live2", "live3"), out.subList(0, 3).stream().map(CrystalEmbedding::getId)
                .toList(), "the live records come first");
        assertTrue(out.subList(0, 3).stream().noneMatch(CrystalEmbedding::getBackfill));
        assertTrue(out.subList(3, out.size()).stream().allMatch(e -> e.getBackfill() && e.getId().startsWith("c")));
    }

    @Test
    void noBackfillStepWhileLiveRecordsAreStillWaiting() throws Exception {
        for (int i = 0; i < 10; i++) {
            corpus.put("c" + i, org.apache.kafka.streams.state.ValueAndTimestamp.make(corpusBytes("c" + i), 1));
        }
        FeaturizeEmbedProcessor p = processor(2);
        context.setRecordMetadata("crystals.raw", 0, 0);
        // 20 live records arrive before any model serves: they wait in the buffer
        for (int i = 0; i < 20; i++) {
            p.process(new Record<>("l" + i, FeaturizeEmbedProcessor.Input.raw(raw("l" + i, "sites=1;x=1")), i));
        }
        serve(1, "test-encoder scale=1");
        context.resetForwards();
        punctuate(); // one flush takes 8 batches of 2: 4 live records are left, so the backfill waits
        List<CrystalEmbedding> first = embeddings();
        assertEquals(FeaturizeEmbedProcessor.MAX_BATCHES_PER_FLUSH * 2, first.size());
        assertTrue(first.stream().noneMatch(CrystalEmbedding::getBackfill), "no backfill while live records wait");
        context.resetForwards();
        punctuate(); // the last 4 live records, then (nothing live left) a backfill step
        List<CrystalEmbedding> second = embeddings();
        assertEquals(List.of("l16", "l17", "l18", "l19"), second.subList(0, 4).stream()
                .map(CrystalEmbedding::getId).toList());
        assertTrue(second.subList(0, 4).stream().noneMatch(CrystalEmbedding::getBackfill));
        assertTrue(second.size() > 4 && second.subList(4, second.size()).stream().allMatch(CrystalEmbedding::getBackfill),
                "then the backfill: " + second.size());
        // the backfill re-embeds the corpus only: the 20 live ids are never embedded twice with v1
        assertEquals(20, embedded.approximateNumEntries() - second.subList(4, second.size()).size());
    }

    @Test
    void aPunctuationStepIsSizedByThePacerAndYieldsWithoutCredit() throws Exception {
        for (int i = 0; i < 100; i++) {
            corpus.put(String.format("c%03d", i),
                    org.apache.kafka.streams.state.ValueAndTimestamp.make(corpusBytes("c" + i), 1));
        }
        serve(1, "test-encoder scale=1");
        long[] now = {0};
        // share 0.5, 40 ms steps; the fake clock makes every item cost 2 ms
        BackfillPacer.PerThread pacers = new BackfillPacer.PerThread(0.5, 40, 40, 64) {
            final BackfillPacer pacer = new BackfillPacer(0.5, 40_000_000L, 40_000_000L, 64, () -> now[0]);

            @Override
            BackfillPacer forCurrentThread() {
                return pacer;
            }
        };
        FeaturizeEmbedProcessor p = new FeaturizeEmbedProcessor(
                new FeaturizeStage(TestModels.FAKE_FEATURIZE, "crystals.raw", counters), models, counters,
                new RateLimiter(1_000_000), new BackfillStatus(),
                new FeaturizeEmbedProcessor.Settings(16, 100, 1000, true, 5000, "crystals.raw", "crystals.features"),
                pacers);
        p.init(context);
        Thread.sleep(5); // a few tokens in the shared rate limiter
        context.setRecordMetadata("crystals.raw", 0, 0);
        p.process(new Record<>("live", FeaturizeEmbedProcessor.Input.raw(raw("live", "sites=1;x=1")), 1));
        BackfillPacer pacer = pacers.forCurrentThread();
        // first step: 8 items to measure the cost
        int before = embeddings().size();
        pacer.stepStarted();
        now[0] += 16_000_000L; // 8 items x 2 ms
        pacer.stepDone(8);
        assertEquals(2_000_000.0, pacer.nanosPerItem(), 1);
        assertEquals(20, pacer.itemsForStep(), "40 ms at 2 ms per item");
        now[0] += 100_000_000L;
        pacer.live();
        p.pacedBackfillStep();
        List<CrystalEmbedding> step = embeddings().subList(before, embeddings().size()).stream()
                .filter(CrystalEmbedding::getBackfill).toList();
        assertEquals(20, step.size(), "one paced step embeds what fits in its 40 ms");
        // the fake clock did not move during that step, so charge it by hand: 40 ms of backfill with a
        // credit of at most 20 ms leaves the thread in debt, and the next punctuation yields
        pacer.stepStarted();
        now[0] += 40_000_000L;
        pacer.stepDone(20);
        int yieldedBefore = (int) counters.get("backfill.yielded");
        int n = embeddings().size();
        p.pacedBackfillStep();
        assertEquals(n, embeddings().size(), "no credit: no step");
        assertEquals(yieldedBefore + 1, counters.get("backfill.yielded"));
    }
}
