package io.dimstream.streams;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.DeadLetter;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the streams topology (apart from {@code main}, so tests drive it with
 * {@code TopologyTestDriver}):
 *
 * <pre>
 *  raw ─▶ parse + featurize ─┬─▶ features ─▶ [corpus table] ╌╌ read by the backfill ╌╌┐
 *                            │                                                       ▼
 *                            └─▶ buffer ─▶ batch ─▶ embed (serving model) ────────▶ embeddings
 *        bad input at any step ─▶ dlq
 *  (one processor, FeaturizeEmbedProcessor: live path + Backfill, three named sinks)
 *  models.registry ─▶ [global store "models"] ─▶ ModelManager (verify + load off-thread, swap)
 * </pre>
 *
 * <p>Featurize and embed run in one processor, so a raw record becomes its features and its
 * embedding in the same task and the same exactly-once transaction (one commit between a raw record
 * and its visible embedding, and no decode of the features topic on the live path). The features
 * topic feeds the corpus table that the backfill walks; since the processor reads that table, raw
 * and features form one sub-topology and must have the same number of partitions (checked at start
 * by {@link StreamsApp}).
 */
public final class TopologyFactory {

    public static final String CORPUS_STORE = "corpus";
    public static final String BUFFER_STORE = "embed-buffer";
    public static final String EMBEDDED_STORE = "embedded-versions";
    public static final String BACKFILL_STORE = "backfill-progress";
    public static final String MODELS_STORE = "models";
    /** The name of the featurize + embed processor node (the parent of the three sinks). */
    static final String FEATURIZE_EMBED = "featurize-embed";

    private final StreamsAppConfig config;
    private final Featurize featurize;
    private final ModelManager models;
    private final Counters counters;
    private final BackfillStatus backfillStatus;
    private final RateLimiter backfillRate;
    private final BackfillPacer.PerThread backfillPacers;

    public TopologyFactory(StreamsAppConfig config, Featurize featurize, ModelManager models, Counters counters,
                           BackfillStatus backfillStatus) {
        this.config = config;
        this.featurize = featurize;
        this.models = models;
        this.counters = counters;
        this.backfillStatus = backfillStatus;
        this.backfillRate = new RateLimiter(config.getInt(StreamsAppConfig.BACKFILL_RATE));
        int batch = config.getInt(StreamsAppConfig.BATCH_SIZE);
        // live records first: each stream thread gives the backfill a bounded share of its time
        this.backfillPacers = new BackfillPacer.PerThread(config.getDouble(StreamsAppConfig.BACKFILL_MAX_SHARE),
                config.getLong(StreamsAppConfig.BACKFILL_STEP_MAX_MS), config.getLong(StreamsAppConfig.BATCH_MAX_WAIT_MS),
                4 * batch);
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

        // 1. features (the corpus table, serialized bytes): walked by the backfill; its updates also reach
        //    the processor (records embedded live with an older model that land behind the backfill)
        KStream<String, FeaturizeEmbedProcessor.Input> corpusUpdates = b
                .table(t.features(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("features"),
                        Materialized.<String, byte[], KeyValueStore<Bytes, byte[]>>as(CORPUS_STORE)
                                .withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray())
                                .withCachingDisabled())
                .toStream(Named.as("corpus-updates"))
                .mapValues(FeaturizeEmbedProcessor.Input::corpusUpdate, Named.as("corpus-update-input"));
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BUFFER_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(EMBEDDED_STORE), Serdes.String(),
                Serdes.Integer()).withCachingDisabled());
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BACKFILL_STORE), Serdes.String(),
                Serdes.String()).withCachingDisabled());

        // 2. raw -> parse + featurize -> features | dlq, then batch + embed -> embeddings | dlq (one task, one transaction)
        FeaturizeStage stage = new FeaturizeStage(featurize, t.raw(), counters);
        FeaturizeEmbedProcessor.Settings settings = new FeaturizeEmbedProcessor.Settings(
                config.getInt(StreamsAppConfig.BATCH_SIZE), config.getLong(StreamsAppConfig.BATCH_MAX_WAIT_MS),
                config.getInt(StreamsAppConfig.BUFFER_MAX_RECORDS), config.getBoolean(StreamsAppConfig.BACKFILL_ENABLED),
                config.getLong(StreamsAppConfig.PROGRESS_INTERVAL_MS), t.raw(), t.features());
        b.stream(t.raw(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("raw"))
                .mapValues(FeaturizeEmbedProcessor.Input::raw, Named.as("raw-input"))
                .merge(corpusUpdates, Named.as("raw-and-corpus-updates"))
                .process(() -> new FeaturizeEmbedProcessor(stage, models, counters, backfillRate, backfillStatus,
                                settings, backfillPacers),
                        Named.as(FEATURIZE_EMBED), CORPUS_STORE, BUFFER_STORE, EMBEDDED_STORE, BACKFILL_STORE);

        // 3. models.registry -> global store -> model manager
        b.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(MODELS_STORE), Serdes.String(),
                        Serdes.ByteArray()).withLoggingDisabled(),
                t.modelsRegistry(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("models-registry"),
                () -> new ModelRegistryProcessor(models, counters));

        // the processor's outputs: one named sink per topic, the processor forwards to each by name
        Topology topology = b.build(streamsProps);
        topology.addSink(Outputs.FEATURES, t.features(), Serdes.String().serializer(), featuresSerde.serializer(),
                FEATURIZE_EMBED);
        topology.addSink(Outputs.EMBEDDINGS, t.embeddings(), Serdes.String().serializer(), embeddingSerde.serializer(),
                FEATURIZE_EMBED);
        topology.addSink(Outputs.DLQ, t.dlq(), Serdes.String().serializer(), dlqSerde.serializer(), FEATURIZE_EMBED);
        return topology;
    }
}
