package io.dimstream.streams;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.DeadLetter;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the streams topology (apart from {@code main}, so tests drive it with
 * {@code TopologyTestDriver}):
 *
 * <pre>
 *  raw ──parse+featurize──┬─▶ features ─▶ [corpus table] ─▶ embed (buffer, batch, backfill) ─┬─▶ embeddings
 *                         └─▶ dlq                                                            └─▶ dlq
 *  models.registry ─▶ [global store "models"] ─▶ ModelManager (verify + load off-thread, swap)
 * </pre>
 */
public final class TopologyFactory {

    public static final String CORPUS_STORE = "corpus";
    public static final String BUFFER_STORE = "embed-buffer";
    public static final String EMBEDDED_STORE = "embedded-versions";
    public static final String BACKFILL_STORE = "backfill-progress";
    public static final String MODELS_STORE = "models";

    private final StreamsAppConfig config;
    private final Featurize featurize;
    private final ModelManager models;
    private final Counters counters;
    private final BackfillStatus backfillStatus;
    private final RateLimiter backfillRate;

    public TopologyFactory(StreamsAppConfig config, Featurize featurize, ModelManager models, Counters counters,
                           BackfillStatus backfillStatus) {
        this.config = config;
        this.featurize = featurize;
        this.models = models;
        this.counters = counters;
        this.backfillStatus = backfillStatus;
        this.backfillRate = new RateLimiter(config.getInt(StreamsAppConfig.BACKFILL_RATE));
    }

    public Topology build() {
        return build(config.kafkaStreamsProperties());
    }

    public Topology build(Properties streamsProps) {
        Topics t = config.topics();
        AvroSerde<CrystalFeatures> featuresSerde = AvroSerde.of(CrystalFeatures.class);
        AvroSerde<CrystalEmbedding> embeddingSerde = AvroSerde.of(CrystalEmbedding.class);
        AvroSerde<DeadLetter> dlqSerde = AvroSerde.of(DeadLetter.class);
        StreamsBuilder b = new StreamsBuilder();

        // 1. raw -> parse + featurize -> features | dlq
        FeaturizeStage stage = new FeaturizeStage(featurize, t.raw(), counters);
        KStream<String, SpecificRecord> parsed = b
                .stream(t.raw(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("raw"))
                .filter((k, v) -> v != null, Named.as("drop-tombstones"))
                .map(stage::apply, Named.as("parse-featurize"));
        routeOut(parsed, "features", t.features(), CrystalFeatures.class, featuresSerde, t.dlq(), dlqSerde);

        // 2. features (the corpus table) -> embed -> embeddings | dlq
        KTable<String, CrystalFeatures> corpus = b.table(t.features(),
                Consumed.with(Serdes.String(), featuresSerde).withName("features"),
                Materialized.<String, CrystalFeatures, KeyValueStore<Bytes, byte[]>>as(CORPUS_STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(featuresSerde).withCachingDisabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BUFFER_STORE), Serdes.String(),
                featuresSerde).withCachingDisabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(EMBEDDED_STORE), Serdes.String(),
                Serdes.Integer()).withCachingDisabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BACKFILL_STORE), Serdes.String(),
                Serdes.String()).withCachingDisabled());
        int batchSize = config.getInt(StreamsAppConfig.BATCH_SIZE);
        long maxWait = config.getLong(StreamsAppConfig.BATCH_MAX_WAIT_MS);
        int bufferMax = config.getInt(StreamsAppConfig.BUFFER_MAX_RECORDS);
        boolean backfill = config.getBoolean(StreamsAppConfig.BACKFILL_ENABLED);
        long progressMs = config.getLong(StreamsAppConfig.PROGRESS_INTERVAL_MS);
        String featuresTopic = t.features();
        KStream<String, SpecificRecord> embedded = corpus.toStream(Named.as("corpus-updates"))
                .process(() -> new EmbedProcessor(models, counters, backfillRate, backfillStatus, batchSize, maxWait,
                                bufferMax, backfill, progressMs, featuresTopic),
                        Named.as("embed"), CORPUS_STORE, BUFFER_STORE, EMBEDDED_STORE, BACKFILL_STORE);
        routeOut(embedded, "embeddings", t.embeddings(), CrystalEmbedding.class, embeddingSerde, t.dlq(), dlqSerde);

        // 3. models.registry -> global store -> model manager
        b.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(MODELS_STORE), Serdes.String(),
                        Serdes.ByteArray()).withLoggingDisabled(),
                t.modelsRegistry(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("models-registry"),
                () -> new ModelRegistryProcessor(models, counters));
        return b.build(streamsProps);
    }

    private static <T extends SpecificRecord> void routeOut(KStream<String, SpecificRecord> s, String name,
                                                            String topic, Class<T> type, AvroSerde<T> serde,
                                                            String dlqTopic, AvroSerde<DeadLetter> dlqSerde) {
        s.filter((k, v) -> type.isInstance(v), Named.as(name + "-ok"))
                .mapValues(type::cast, Named.as(name + "-cast"))
                .to(topic, Produced.with(Serdes.String(), serde).withName(name + "-sink"));
        s.filter((k, v) -> v instanceof DeadLetter, Named.as(name + "-dead"))
                .mapValues(v -> (DeadLetter) v, Named.as(name + "-dead-cast"))
                .to(dlqTopic, Produced.with(Serdes.String(), dlqSerde).withName(name + "-dlq-sink"));
    }
}
