package io.dimstream.streams;

import io.dimstream.core.kafka.ServiceConfig;
import io.dimstream.core.kafka.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Typed configuration of the streams app. Every field has a name, type, default, validator and
 * description ({@link #CONFIG_DEF}); any other key in the file or on the command line is passed
 * straight to Kafka Streams and its clients (e.g. {@code security.protocol}, {@code ssl.*},
 * {@code sasl.*}, {@code num.stream.threads}, {@code producer.*}, {@code consumer.*}).
 */
public final class StreamsAppConfig extends ServiceConfig {

    public static final String APPLICATION_ID = "application.id";
    public static final String STATE_DIR = "state.dir";
    public static final String MODEL_NAME = "model.name";
    public static final String MODEL_MAX_BYTES = "model.max.bytes";
    public static final String BATCH_SIZE = "batch.size";
    public static final String BATCH_MAX_WAIT_MS = "batch.max.wait.ms";
    public static final String BUFFER_MAX_RECORDS = "buffer.max.records";
    public static final String BACKFILL_ENABLED = "backfill.enabled";
    public static final String BACKFILL_RATE = "backfill.rate.per.sec";
    public static final String PROGRESS_INTERVAL_MS = "progress.interval.ms";
    public static final String ENCODER_DEVICE = "encoder.device";
    public static final String ENCODER_THREADS = "encoder.threads";
    public static final String TOPICS_REPLICATION = "topics.replication.factor";

    public static final ConfigDef CONFIG_DEF = configDef();

    private static ConfigDef configDef() {
        ConfigDef d = new ConfigDef()
                .define(BOOTSTRAP_SERVERS, Type.STRING, "127.0.0.1:9092", Importance.HIGH,
                        "Kafka bootstrap servers (host:port,...).")
                .define(APPLICATION_ID, Type.STRING, "dimstream-streams", new ConfigDef.NonEmptyString(),
                        Importance.HIGH, "Kafka Streams application id: consumer group, transactional id and "
                                + "internal topic prefix. Instances with the same id share the work.")
                .define(STATE_DIR, Type.STRING, System.getProperty("java.io.tmpdir") + "/dimstream-streams",
                        Importance.MEDIUM, "Local directory for state stores (batch buffer, corpus, progress).")
                .define(MODEL_NAME, Type.STRING, "sitenet-dim", new ConfigDef.NonEmptyString(), Importance.HIGH,
                        "Name of the encoder model to follow on the registry topic.")
                .define(MODEL_MAX_BYTES, Type.LONG, 64L * 1024 * 1024, Range.atLeast(1), Importance.MEDIUM,
                        "Largest ONNX model accepted; bigger records are rejected before loading.")
                .define(BATCH_SIZE, Type.INT, 64, Range.between(1, 65536), Importance.MEDIUM,
                        "Records per inference batch: the buffer is flushed when it holds this many.")
                .define(BATCH_MAX_WAIT_MS, Type.LONG, 200L, Range.atLeast(1), Importance.MEDIUM,
                        "Wall-clock period of the flush punctuator: a partial batch waits at most this long.")
                .define(BUFFER_MAX_RECORDS, Type.INT, 10_000, Range.atLeast(1), Importance.LOW,
                        "Most records held per task while no model serves; later ones are left to the backfill.")
                .define(BACKFILL_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM,
                        "Re-embed the features corpus when a new model version is promoted.")
                .define(BACKFILL_RATE, Type.INT, 2000, Range.atLeast(1), Importance.MEDIUM,
                        "Most corpus records re-embedded per second by the backfill (per instance).")
                .define(PROGRESS_INTERVAL_MS, Type.LONG, 5000L, Range.atLeast(100), Importance.LOW,
                        "How often backfill progress is logged.")
                .define(ENCODER_DEVICE, Type.STRING, "auto", Importance.MEDIUM,
                        "ONNX Runtime device: auto (CUDA when present, else CPU), cpu, or cuda:N.")
                .define(ENCODER_THREADS, Type.INT, 0, Range.atLeast(0), Importance.LOW,
                        "ONNX Runtime intra-op threads (0 = runtime default).")
                .define(TOPICS_REPLICATION, Type.SHORT, (short) -1, Importance.LOW,
                        "Replication factor of topics created by this app (-1 = broker default).");
        defineTopicCreation(d, "streams app");
        defineTopicNames(d);
        io.dimstream.core.ops.OpsConfigDef.addTo(d); // metrics.port, metrics.bind.address, model.signing.*
        return d;
    }

    public StreamsAppConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
    }

    /** Reads a properties file, then applies {@code overrides} (e.g. from the command line). */
    public static StreamsAppConfig load(Path file, Map<String, String> overrides) throws IOException {
        return new StreamsAppConfig(read(file, overrides));
    }

    /**
     * Properties for {@link org.apache.kafka.streams.KafkaStreams}: exactly-once v2, topology
     * optimisation (the features topic is the corpus store's changelog), then every key that is not a
     * dimstream field, unchanged.
     */
    public Properties kafkaStreamsProperties() {
        Properties p = new Properties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, getString(BOOTSTRAP_SERVERS));
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID));
        p.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.REUSE_KTABLE_SOURCE_TOPICS);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 500);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put("processing.exception.handler.global.enabled", "true");
        p.put(StreamsConfig.producerPrefix("transaction.timeout.ms"), 60_000);
        p.put(StreamsConfig.producerPrefix("max.request.size"), String.valueOf(Topics.MODEL_MAX_MESSAGE_BYTES));
        p.put(StreamsConfig.globalConsumerPrefix("max.partition.fetch.bytes"),
                String.valueOf(Topics.MODEL_MAX_MESSAGE_BYTES));
        p.put(StreamsConfig.globalConsumerPrefix("fetch.max.bytes"), String.valueOf(Topics.MODEL_MAX_MESSAGE_BYTES));
        p.putAll(passThrough());
        return p;
    }
}
