package io.dimstream.streams;

import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.kafka.ServiceConfig;
import io.dimstream.core.kafka.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
    public static final String ENCODER_PRECISION = "encoder.precision";
    public static final String TOPICS_REPLICATION = "topics.replication.factor";
    public static final String BACKFILL_MAX_SHARE = "backfill.max.share";
    public static final String BACKFILL_STEP_MAX_MS = "backfill.step.max.ms";
    // failover (issue 16): the names are Kafka's own, so a value set for Kafka keeps working
    public static final String INSTANCE_ID = "instance.id";
    public static final String STATIC_MEMBERSHIP = "static.membership.enabled";
    public static final String SESSION_TIMEOUT_MS = "session.timeout.ms";
    public static final String HEARTBEAT_INTERVAL_MS = "heartbeat.interval.ms";
    public static final String TRANSACTION_TIMEOUT_MS = "transaction.timeout.ms";
    public static final String NUM_STANDBY_REPLICAS = "num.standby.replicas";
    public static final String MAX_WARMUP_REPLICAS = "max.warmup.replicas";
    public static final String ACCEPTABLE_RECOVERY_LAG = "acceptable.recovery.lag";
    public static final String PROBING_REBALANCE_INTERVAL_MS = "probing.rebalance.interval.ms";
    public static final String LEAVE_GROUP_ON_CLOSE = "leave.group.on.close";

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
                        "Longest wait of a partial batch: it is embedded once its oldest record has waited this long "
                                + "(checked five times per period, so at most 1.2 times this).")
                .define(BUFFER_MAX_RECORDS, Type.INT, 10_000, Range.atLeast(1), Importance.LOW,
                        "Most records held per task while no model serves; later ones are left to the backfill.")
                .define(BACKFILL_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM,
                        "Re-embed the features corpus when a new model version is promoted.")
                .define(BACKFILL_RATE, Type.INT, 2000, Range.atLeast(1), Importance.MEDIUM,
                        "Most corpus records re-embedded per second by the backfill (per instance).")
                .define(BACKFILL_MAX_SHARE, Type.DOUBLE, 0.5, Range.between(0.01, 1.0), Importance.MEDIUM,
                        "Most share of each stream thread's wall-clock time spent on backfill steps while live "
                                + "records flow (a thread that saw no live record for a second runs the backfill "
                                + "back to back). Live records are always embedded first.")
                .define(BACKFILL_STEP_MAX_MS, Type.LONG, 50L, Range.atLeast(1), Importance.LOW,
                        "Target duration of one backfill step (one punctuation of one task): the items per step "
                                + "follow the measured inference cost, so a live record waits at most about this "
                                + "long behind the backfill.")
                .define(PROGRESS_INTERVAL_MS, Type.LONG, 5000L, Range.atLeast(100), Importance.LOW,
                        "How often backfill progress is logged.")
                .define(ENCODER_DEVICE, Type.STRING, "auto", Importance.MEDIUM,
                        "ONNX Runtime device: auto (CUDA when present, else CPU), cpu, or cuda:N.")
                .define(ENCODER_THREADS, Type.INT, OnnxEncoder.Options.defaults().intraOpThreads(), Range.atLeast(0), Importance.LOW,
                        "ONNX Runtime threads per call (a batch's calls already run one per core on CPU; "
                                + "0 = the runtime's default, all cores per call, which oversubscribes them).")
                .define(ENCODER_PRECISION, Type.STRING, "fp32",
                        org.apache.kafka.common.config.ConfigDef.ValidString.in("fp32", "int8", "fp16", "bf16"),
                        Importance.LOW, "Inference graph precision, rewritten from the verified fp32 model at load: fp32, "
                                + "int8 (pair-layer weights; per-crystal cosine to fp32 >= 0.999), fp16 or bf16 (GPUs). "
                                + "Embeddings keep the model's version; do not mix precisions across instances of one app.")
                .define(TOPICS_REPLICATION, Type.SHORT, (short) -1, Importance.LOW,
                        "Replication factor of topics created by this app (-1 = broker default).");
        defineFailover(d);
        defineTopicCreation(d, "streams app");
        defineTopicNames(d);
        io.dimstream.core.ops.OpsConfigDef.addTo(d); // metrics.port, metrics.bind.address, model.signing.*
        return d;
    }

    /**
     * The failover fields (issue 16). With the Kafka defaults a killed instance's tasks waited for its
     * 45 s session to expire, plus the 60 s transaction timeout this app used to set before a
     * read_committed reader (or the instance taking over, restoring its stores) saw past the dead
     * instance's open transaction; these defaults bring failover to about 10-15 s. See docs/operations.md, "Failover".
     */
    private static void defineFailover(ConfigDef d) {
        d.define(INSTANCE_ID, Type.STRING, "", Importance.MEDIUM,
                        "Stable name of this instance; its consumers join the group as static members "
                                + "(group.instance.id = instance.id, Kafka Streams appends -<thread>), so a restart "
                                + "within session.timeout.ms gets its tasks back without a rebalance. Empty: "
                                + "<hostname>-<8 hex of sha256(application.id + absolute state.dir)>, stable across "
                                + "restarts of the same install. Must be unique among the instances of one "
                                + "application.id.")
                .define(STATIC_MEMBERSHIP, Type.BOOLEAN, true, Importance.LOW,
                        "Join the consumer group as a static member named by instance.id (needs the classic "
                                + "group protocol, Kafka's default; ignored with group.protocol=streams).")
                .define(SESSION_TIMEOUT_MS, Type.INT, 10_000, Range.atLeast(1), Importance.MEDIUM,
                        "How long the group waits for a silent instance before its tasks move to the others "
                                + "(Kafka default 45000). Shorter: faster failover after a crash or kill -9; "
                                + "longer: a GC pause, a network blip or a restart slower than this costs a "
                                + "rebalance. Must lie within the broker's group.min/max.session.timeout.ms "
                                + "(6 s .. 30 min by default).")
                .define(HEARTBEAT_INTERVAL_MS, Type.INT, 2_000, Range.atLeast(1), Importance.LOW,
                        "Consumer heartbeat period; at most a third of session.timeout.ms.")
                .define(TRANSACTION_TIMEOUT_MS, Type.INT, 5_000, Range.atLeast(1000), Importance.MEDIUM,
                        "Exactly-once producer transaction timeout. A killed instance leaves a transaction "
                                + "open on its output partitions; read_committed readers (and the instance "
                                + "taking over) see nothing past it until the broker aborts it, this long after "
                                + "it began (plus up to the broker's "
                                + "transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s by default). A "
                                + "restart of the same instance (same state.dir) fences it at once. Must exceed "
                                + "the longest time between two commits of a stream thread (commit.interval.ms "
                                + "plus one processing loop); a transaction open longer is aborted and the "
                                + "instance rebalances.")
                .define(NUM_STANDBY_REPLICAS, Type.INT, 1, Range.atLeast(0), Importance.MEDIUM,
                        "Standby copies of each task's state on other instances, kept warm from the "
                                + "changelogs, so a failover resumes without restoring (no effect with one "
                                + "instance).")
                .define(MAX_WARMUP_REPLICAS, Type.INT, 2, Range.atLeast(1), Importance.LOW,
                        "Warm-up replicas assigned at once while tasks move to a new instance.")
                .define(ACCEPTABLE_RECOVERY_LAG, Type.LONG, 10_000L, Range.atLeast(0), Importance.LOW,
                        "Changelog lag under which an instance counts as caught up and may take a task "
                                + "actively.")
                .define(PROBING_REBALANCE_INTERVAL_MS, Type.LONG, 60_000L, Range.atLeast(60_000), Importance.LOW,
                        "How often a probing rebalance moves tasks to instances that caught up (Kafka "
                                + "default 10 min, minimum 1 min): a second instance started beside a running "
                                + "one gets active tasks after about this long.")
                .define(LEAVE_GROUP_ON_CLOSE, Type.BOOLEAN, false, Importance.LOW,
                        "On a clean stop, leave the group at once so the other instances take over the "
                                + "tasks now (scale-down), instead of keeping them for a restart within "
                                + "session.timeout.ms (rolling restart; Kafka Streams' own default).");
    }

    public StreamsAppConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
        int session = getInt(SESSION_TIMEOUT_MS);
        int heartbeat = getInt(HEARTBEAT_INTERVAL_MS);
        if (heartbeat * 3L > session) {
            throw new org.apache.kafka.common.config.ConfigException(HEARTBEAT_INTERVAL_MS, heartbeat,
                    "must be at most a third of " + SESSION_TIMEOUT_MS + " (" + session + ")");
        }
    }

    /** True when the consumers join as static members (classic group protocol and the field on). */
    public boolean staticMembership() {
        Object protocol = originals().get(StreamsConfig.GROUP_PROTOCOL_CONFIG);
        return getBoolean(STATIC_MEMBERSHIP)
                && (protocol == null || "classic".equalsIgnoreCase(protocol.toString().trim()));
    }

    /**
     * {@code instance.id}, or when empty the default: host name plus 8 hex digits of the sha256 of
     * application id and absolute state dir. Stable across restarts from the same state dir, different
     * for two instances on one host (they cannot share a state dir). Only [A-Za-z0-9._-] are kept.
     */
    public String instanceId() {
        String id = getString(INSTANCE_ID).trim();
        if (id.isEmpty()) {
            String dir = Path.of(getString(STATE_DIR)).toAbsolutePath().normalize().toString();
            id = hostName() + "-" + shortHash(getString(APPLICATION_ID) + "\n" + dir);
        }
        return id.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    static String shortHash(String s) {
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(h, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hostName() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                h = "localhost";
            }
        }
        return h.trim();
    }

    /** Reads a properties file, then applies {@code overrides} (e.g. from the command line). */
    public static StreamsAppConfig load(Path file, Map<String, String> overrides) throws IOException {
        return new StreamsAppConfig(read(file, overrides));
    }

    /**
     * Properties for {@link org.apache.kafka.streams.KafkaStreams}: exactly-once v2, topology
     * optimisation (the features topic is the corpus store's changelog), the failover settings (static
     * membership as {@link #instanceId()}, session and heartbeat, transaction timeout, standbys, warm-up
     * and probing), then every key that is not a dimstream field, unchanged (so e.g.
     * {@code group.instance.id} or {@code producer.transaction.timeout.ms} set by hand still win).
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
        p.put(StreamsConfig.producerPrefix("transaction.timeout.ms"), getInt(TRANSACTION_TIMEOUT_MS));
        // failover: static membership, a short session, standbys and a quick probing rebalance
        if (staticMembership()) {
            p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId());
        }
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, getInt(SESSION_TIMEOUT_MS));
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, getInt(HEARTBEAT_INTERVAL_MS));
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, getInt(NUM_STANDBY_REPLICAS));
        p.put(StreamsConfig.MAX_WARMUP_REPLICAS_CONFIG, getInt(MAX_WARMUP_REPLICAS));
        p.put(StreamsConfig.ACCEPTABLE_RECOVERY_LAG_CONFIG, getLong(ACCEPTABLE_RECOVERY_LAG));
        p.put(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG, getLong(PROBING_REBALANCE_INTERVAL_MS));
        p.put(StreamsConfig.producerPrefix("max.request.size"), String.valueOf(Topics.MODEL_MAX_MESSAGE_BYTES));
        p.put(StreamsConfig.globalConsumerPrefix("max.partition.fetch.bytes"),
                String.valueOf(Topics.MODEL_MAX_MESSAGE_BYTES));
        p.put(StreamsConfig.globalConsumerPrefix("fetch.max.bytes"), String.valueOf(Topics.MODEL_MAX_MESSAGE_BYTES));
        p.putAll(passThrough());
        return p;
    }
}
