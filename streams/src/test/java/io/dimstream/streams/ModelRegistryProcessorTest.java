package io.dimstream.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The registry follower across a restart (issue 16): with records keyed per version the store holds
 * every version, so a bad record last or an older record last can neither leave the app without a
 * model nor downgrade it.
 */
class ModelRegistryProcessorTest {

    private static final String MODEL = "sitenet-dim";
    private final AvroSerde<ModelVersion> serde = AvroSerde.of(ModelVersion.class);
    private final Counters counters = new Counters();
    private ModelManager models;

    @AfterEach
    void close() {
        if (models != null) {
            models.close();
        }
    }

    private static ModelVersion good(int v) {
        return TestModels.model(MODEL, v, 1, "test-encoder scale=" + v);
    }

    private static ModelVersion badSha(int v) {
        ModelVersion mv = good(v);
        mv.setOnnx(ByteBuffer.wrap("test-encoder scale=999".getBytes(StandardCharsets.UTF_8)));
        return mv;
    }

    /** A restarted instance: a fresh manager and processor over a store that already holds the records. */
    private ModelRegistryProcessor restartWith(List<ModelVersion> records, List<String> keys) throws Exception {
        models = new ModelManager(MODEL, 1, 1 << 20, TestModels.LOADER, List.of(), counters);
        MockProcessorContext<Void, Void> ctx = new MockProcessorContext<>();
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(TopologyFactory.MODELS_STORE), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled().build();
        store.init(ctx.getStateStoreContext(), store);
        ctx.addStateStore(store);
        for (int i = 0; i < records.size(); i++) {
            store.put(keys.get(i), serde.toBytes(records.get(i)));
        }
        ModelRegistryProcessor p = new ModelRegistryProcessor(models, counters);
        p.init(ctx);
        models.drain(Duration.ofSeconds(10));
        return p;
    }

    private static String key(ModelVersion mv) {
        return ModelRecords.registryKey(MODEL, mv.getVersion());
    }

    @Test
    void badRecordLastFallsBackToThePreviousGoodVersion() throws Exception {
        List<ModelVersion> recs = List.of(good(43), good(44), badSha(45));
        restartWith(recs, recs.stream().map(ModelRegistryProcessorTest::key).toList());
        assertEquals(Optional.of(44), models.currentVersion(), "v45 is rejected, v44 serves");
        assertTrue(models.lastRejection().startsWith("v45 sha256"), models.lastRejection());
        assertEquals(1, counters.get("models.rejected"));
    }

    @Test
    void olderRecordsLastNeverDowngradeAndAreCountedAndLogged() throws Exception {
        List<ModelVersion> recs = List.of(good(81), good(5), good(6));
        ModelRegistryProcessor p = restartWith(recs, recs.stream().map(ModelRegistryProcessorTest::key).toList());
        assertEquals(Optional.of(81), models.currentVersion(), "the highest version serves after a restart");
        assertEquals(1, counters.get("models.swaps"), "a restart loads one model, not every version in turn");
        assertEquals(0, counters.get("models.ignored.older"), "restored records are decided together");
        // at runtime too: an older record is ignored (one log line, a counter), a newer one swaps
        p.process(new Record<>(ModelRecords.registryKey(MODEL, 7), serde.toBytes(good(7)), 0L));
        p.process(new Record<>(ModelRecords.registryKey(MODEL, 82), serde.toBytes(good(82)), 0L));
        models.drain(Duration.ofSeconds(10));
        assertEquals(Optional.of(82), models.currentVersion());
        assertEquals(1, counters.get("models.ignored.older"));
    }

    private static ModelVersion withStatus(ModelVersion mv, ModelStatus status) {
        mv.setStatus(status);
        return mv;
    }

    private void publish(ModelRegistryProcessor p, ModelVersion mv) throws Exception {
        p.process(new Record<>(key(mv), serde.toBytes(mv), 0L));
        models.drain(Duration.ofSeconds(10));
    }

    @Test
    void retiringTheServingVersionRollsBackAndPromotingItAgainRestoresIt() throws Exception {
        List<ModelVersion> recs = List.of(good(80), good(81), good(82));
        ModelRegistryProcessor p = restartWith(recs, recs.stream().map(ModelRegistryProcessorTest::key).toList());
        assertEquals(Optional.of(82), models.currentVersion());
        publish(p, withStatus(good(82), ModelStatus.RETIRED));
        assertEquals(Optional.of(81), models.currentVersion(), "v82 withdrawn: the next PROMOTED version serves");
        assertEquals(1, counters.get("models.rollbacks"));
        publish(p, withStatus(good(81), ModelStatus.RETIRED));
        assertEquals(Optional.of(80), models.currentVersion());
        publish(p, good(81)); // promoted again: higher than the serving v80, so it serves
        assertEquals(Optional.of(81), models.currentVersion());
        assertEquals(2, counters.get("models.rollbacks"));
        publish(p, good(83)); // a new version after a rollback serves as usual
        assertEquals(Optional.of(83), models.currentVersion());
    }

    @Test
    void aRollbackSurvivesARestartAndABadNewestRecordNeverLeavesTheAppWithoutAModel() throws Exception {
        // registry after `model rollback sitenet-dim 80`: 81 and 82 RETIRED; then a bad v83 arrives
        List<ModelVersion> recs = List.of(good(80), withStatus(good(81), ModelStatus.RETIRED),
                withStatus(good(82), ModelStatus.RETIRED), badSha(83));
        ModelRegistryProcessor p = restartWith(recs, recs.stream().map(ModelRegistryProcessorTest::key).toList());
        assertEquals(Optional.of(80), models.currentVersion());
        assertEquals(1, counters.get("models.swaps"));
        assertEquals(1, counters.get("models.rejected"), "bad v83 tried once, rejected");
        publish(p, badSha(84));
        assertEquals(Optional.of(80), models.currentVersion(), "a rejected newer version keeps the serving one");
        // a tombstone for the serving version withdraws it too
        publish(p, good(79));
        p.process(new Record<>(ModelRecords.registryKey(MODEL, 80), null, 0L));
        models.drain(Duration.ofSeconds(10));
        assertEquals(Optional.of(79), models.currentVersion());
    }

    @Test
    void legacyNameKeysAndOtherModelsAreReadCorrectly() throws Exception {
        // a record of an older release keyed by the name alone, a version-keyed one, another model's record
        ModelVersion other = TestModels.model("other-model", 99, 1, "test-encoder scale=1");
        restartWith(List.of(good(3), good(4), other), List.of(MODEL, ModelRecords.registryKey(MODEL, 4),
                ModelRecords.registryKey("other-model", 99)));
        assertEquals(Optional.of(4), models.currentVersion());
        assertEquals("sitenet-dim", ModelRecords.modelNameOfKey("sitenet-dim@12"));
        assertEquals("sitenet-dim", ModelRecords.modelNameOfKey("sitenet-dim"));
    }
}
