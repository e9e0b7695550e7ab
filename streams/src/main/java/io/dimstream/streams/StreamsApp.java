package io.dimstream.streams;

import io.dimstream.core.kafka.TopicReadiness;
import io.dimstream.core.kafka.Topics;
import io.dimstream.core.ops.ModelVerifier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running streams-app instance: model manager + topology + {@link KafkaStreams}. Start with
 * {@link #start()}, stop with {@link #close()} (also on SIGTERM through the CLI's shutdown hook).
 */
public final class StreamsApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamsApp.class);

    private final StreamsAppConfig config;
    private final Counters counters = new Counters();
    private final BackfillStatus backfill = new BackfillStatus();
    private final ModelManager models;
    private final Topology topology;
    private final KafkaStreams streams;
    private final CountDownLatch stopped = new CountDownLatch(1);

    public StreamsApp(StreamsAppConfig config, Featurize featurize, EncoderLoader loader,
                      List<ModelManager.ModelCheck> extraChecks) {
        this.config = config;
        this.models = new ModelManager(config.getString(StreamsAppConfig.MODEL_NAME), featurize.featurizerVersion(),
                verifier(config), loader, extraChecks, counters);
        this.topology = new TopologyFactory(config, featurize, models, counters, backfill).build();
        this.streams = new KafkaStreams(topology, config.kafkaStreamsProperties());
        streams.setUncaughtExceptionHandler(e -> {
            log.error("stream thread failed: {}", e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            log.info("streams state {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
    }

    /** Core's model verifier from the app config: the size cap and the optional signing key. */
    private static ModelVerifier verifier(StreamsAppConfig config) {
        Map<String, Object> m = new java.util.HashMap<>(config.originals());
        m.put(ModelVerifier.MAX_BYTES, config.getLong(StreamsAppConfig.MODEL_MAX_BYTES));
        return ModelVerifier.fromConfig(m);
    }

    /**
     * Creates missing topics (when {@code topics.create}), waits (bounded by {@code topics.ready.timeout.ms})
     * until every topic the app uses has leaders for all partitions, and starts processing. Without the wait a
     * start right after topic creation can die with "no partitions available for topic models.registry".
     *
     * @throws io.dimstream.core.kafka.TopicReadiness.TopicsNotReadyException when the topics are not ready in time
     */
    public StreamsApp start() {
        Map<String, Object> adminProps = new java.util.HashMap<>(config.passThrough());
        adminProps.put("bootstrap.servers", config.getString(StreamsAppConfig.BOOTSTRAP_SERVERS));
        adminProps.keySet().removeIf(k -> !org.apache.kafka.clients.admin.AdminClientConfig.configNames().contains(k));
        try (Admin admin = Admin.create(adminProps)) {
            Topics t = config.topics();
            if (config.getBoolean(StreamsAppConfig.TOPICS_CREATE)) {
                short rf = config.getShort(StreamsAppConfig.TOPICS_REPLICATION);
                Topics.ensure(admin, specsMatchingExisting(admin, t, config.getInt(StreamsAppConfig.TOPICS_PARTITIONS)),
                        rf > 0 ? Optional.of(rf) : Optional.empty());
            }
            TopicReadiness.await(admin, usedTopics(t),
                    Duration.ofMillis(config.getLong(StreamsAppConfig.TOPICS_READY_TIMEOUT_MS)));
            checkCoPartitioned(admin, t);
        }
        log.info("starting streams app {} (model {}, batch {}, {} on {}; {}, session {} ms, {} standby)",
                config.getString(StreamsAppConfig.APPLICATION_ID), models.modelName(),
                config.getInt(StreamsAppConfig.BATCH_SIZE), StreamsConfig.EXACTLY_ONCE_V2,
                config.getString(StreamsAppConfig.BOOTSTRAP_SERVERS),
                config.staticMembership() ? "static member " + config.instanceId() : "dynamic member",
                config.getInt(StreamsAppConfig.SESSION_TIMEOUT_MS),
                config.getInt(StreamsAppConfig.NUM_STANDBY_REPLICAS));
        streams.start();
        return this;
    }

    /**
     * Creation specs for every topic; when one of raw and features already exists (e.g. an ingester
     * created raw first with its own partition count), the other is created with the same count.
     */
    static List<Topics.TopicSpec> specsMatchingExisting(Admin admin, Topics t, int partitions) {
        Map<String, Integer> existing = new java.util.HashMap<>();
        try {
            var names = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<String> pair = List.of(t.raw(), t.features()).stream().filter(names::contains).toList();
            if (!pair.isEmpty()) {
                admin.describeTopics(pair).allTopicNames().get(60, TimeUnit.SECONDS)
                        .forEach((name, d) -> existing.put(name, d.partitions().size()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing topics", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot list topics: " + e, e);
        }
        Integer match = existing.size() == 1 ? existing.values().iterator().next() : null;
        return t.specs(partitions).stream().map(s -> {
            boolean pairTopic = s.name().equals(t.raw()) || s.name().equals(t.features());
            if (match == null || !pairTopic || existing.containsKey(s.name()) || match == s.partitions()) {
                return s;
            }
            log.info("topic {} will be created with {} partitions, as many as the existing {}", s.name(), match,
                    existing.keySet().iterator().next());
            return new Topics.TopicSpec(s.name(), match, s.cleanupPolicy(), s.maxMessageBytes(), s.extraConfigs());
        }).toList();
    }

    /**
     * raw and features are read by one sub-topology (the live path writes features, the backfill reads
     * the corpus table of the same task), so an id must land on the same partition number of both.
     */
    static void checkCoPartitioned(Admin admin, Topics t) {
        try {
            var d = admin.describeTopics(List.of(t.raw(), t.features())).allTopicNames().get(60, TimeUnit.SECONDS);
            int raw = d.get(t.raw()).partitions().size();
            int features = d.get(t.features()).partitions().size();
            if (raw != features) {
                throw new IllegalStateException("topics " + t.raw() + " (" + raw + " partitions) and " + t.features()
                        + " (" + features + " partitions) must have the same number of partitions: the streams app "
                        + "featurizes and embeds a structure in one task; add partitions to the smaller one");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing topics", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot describe topics " + t.raw() + ", " + t.features() + ": " + e, e);
        }
    }

    /** The topics the topology reads or writes (internal changelog/repartition topics aside). */
    static List<String> usedTopics(Topics t) {
        return List.of(t.raw(), t.features(), t.embeddings(), t.modelsRegistry(), t.dlq());
    }

    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (streams.state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** Blocks until the app stops (closed or failed). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public ModelManager models() {
        return models;
    }

    public Counters counters() {
        return counters;
    }

    public BackfillStatus backfill() {
        return backfill;
    }

    /** The Kafka Streams client (metrics binding, state). */
    public KafkaStreams kafkaStreams() {
        return streams;
    }

    public Topology topology() {
        return topology;
    }

    @Override
    public void close() {
        log.info("stopping streams app {}", config.getString(StreamsAppConfig.APPLICATION_ID));
        org.apache.kafka.streams.CloseOptions close = org.apache.kafka.streams.CloseOptions.timeout(Duration.ofSeconds(30));
        if (config.getBoolean(StreamsAppConfig.LEAVE_GROUP_ON_CLOSE)) {
            // a static member otherwise keeps its tasks until session.timeout.ms, waiting for its restart
            close = close.withGroupMembershipOperation(
                    org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
        }
        streams.close(close);
        models.close();
        stopped.countDown();
    }
}
