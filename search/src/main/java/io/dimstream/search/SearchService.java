package io.dimstream.search;

import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ServiceConfig;
import io.dimstream.core.kafka.TopicReadiness;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.DeadLetter;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.schemas.NearDuplicate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The search service: follows {@code crystals.embeddings} (read_committed, no consumer group: its position
 * is in its own checkpoint), {@code crystals.features} (metadata for filters and the table),
 * {@code crystals.dlq} (dead letters by reason), {@code models.history} (the models, to embed uploaded CIFs)
 * and the streams app's backfill-progress changelog (when a new version is complete), keeps a
 * {@link SearchState}, serves the HTTP API and page ({@link SearchHttp}) and optionally reports near
 * duplicates to {@code crystals.duplicates}.
 *
 * <p>Version switch: a new version's embeddings go into their own index while the old one serves. When the
 * changelog shows that version's backfill complete in every streams task, the service notes the embeddings
 * topic's end offsets (read_committed) and switches once it has read up to them: every embedding the
 * backfill wrote is then in the new index.
 */
public final class SearchService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SearchService.class);

    /** One followed topic: its name and what to do with each record's key and value bytes. */
    record Topic(String name, boolean fromCheckpoint, Consumer<ConsumerRecord<String, byte[]>> handler) {
    }

    private final SearchConfig cfg;
    private final Topics topics;
    private final Map<String, Object> kafka;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final CountDownLatch started = new CountDownLatch(1);
    private final AvroSerde<CrystalEmbedding> embSerde = AvroSerde.of(CrystalEmbedding.class);
    private final AvroSerde<CrystalFeatures> featSerde = AvroSerde.of(CrystalFeatures.class);
    private final AvroSerde<DeadLetter> dlqSerde = AvroSerde.of(DeadLetter.class);
    private final AvroSerde<ModelVersion> modelSerde = AvroSerde.of(ModelVersion.class);
    private final BackfillSignal signal = new BackfillSignal();
    private final Map<Integer, Map<TopicPartition, Long>> switchAt = new HashMap<>();
    private final List<String> liveOfServing = new ArrayList<>();
    private SearchState state;
    private ModelStore models;
    private SearchHttp http;
    private KafkaProducer<String, NearDuplicate> duplicates;
    private Thread thread;
    private volatile Throwable failure;
    private volatile boolean caughtUp;
    private volatile long duplicatesReported;

    public SearchService(SearchConfig cfg) {
        this.cfg = cfg;
        this.topics = cfg.topics();
        Map<String, Object> k = new HashMap<>(cfg.passThrough());
        k.put("bootstrap.servers", cfg.getString(ServiceConfig.BOOTSTRAP_SERVERS));
        this.kafka = k;
    }

    /** Opens the state, starts the HTTP server and the consumer thread; returns when the server listens. */
    public SearchService start() {
        Map<String, String> sg = SpaceGroups.load(cfg.getString(SearchConfig.SPACEGROUPS_FILE));
        state = new SearchState(cfg.dataDir(), cfg.hnsw(), cfg.getString(SearchConfig.MODEL_NAME), sg);
        models = new ModelStore(cfg.getString(SearchConfig.MODEL_NAME), OnnxEncoder.Options.defaults()
                .withDevice(cfg.getString(SearchConfig.ENCODER_DEVICE)).withThreads(cfg.getInt(SearchConfig.ENCODER_THREADS)));
        http = SearchHttp.start(cfg, this);
        thread = new Thread(null, this::runLoop, "dimstream-search", 64L << 20);
        thread.start();
        return this;
    }

    public SearchState state() {
        return state;
    }

    ModelStore models() {
        return models;
    }

    /** The page's URL, e.g. {@code http://127.0.0.1:8470/}. */
    public String url() {
        return http.url();
    }

    /** True once the consumer has read every followed topic up to its end as of start. */
    public boolean caughtUp() {
        return caughtUp;
    }

    public String backfillSignal() {
        return signal.describe();
    }

    public long duplicatesReported() {
        return duplicatesReported;
    }

    public Throwable failure() {
        return failure;
    }

    /** Waits until the consumer thread ends (stop() or failure). */
    public void await() throws InterruptedException {
        thread.join();
    }

    public void stop() {
        stop.set(true);
    }

    private void runLoop() {
        try {
            run();
        } catch (Throwable t) {
            failure = t;
            LOG.error("search: consumer stopped: {}", t.toString());
        }
    }

    private Map<String, Object> clientProps(Set<String> names) {
        Map<String, Object> m = new LinkedHashMap<>();
        kafka.forEach((k, v) -> {
            if (names.contains(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    private void ensureTopics() {
        try (Admin admin = Admin.create(clientProps(AdminClientConfig.configNames()))) {
            List<String> names = new ArrayList<>(List.of(topics.embeddings(), topics.features(), topics.dlq(), topics.modelsHistory()));
            if (cfg.getBoolean(ServiceConfig.TOPICS_CREATE)) {
                List<Topics.TopicSpec> specs = new ArrayList<>(topics.specs(cfg.getInt(ServiceConfig.TOPICS_PARTITIONS)).stream()
                        .filter(s -> names.contains(s.name())).toList());
                if (cfg.getBoolean(SearchConfig.DUPLICATES_ENABLED)) {
                    specs.add(new Topics.TopicSpec(cfg.getString(SearchConfig.DUPLICATES_TOPIC),
                            cfg.getInt(ServiceConfig.TOPICS_PARTITIONS), "delete", null, Map.of()));
                }
                Topics.ensure(admin, specs, Optional.empty());
            }
            TopicReadiness.await(admin, names, Duration.ofMillis(cfg.getLong(ServiceConfig.TOPICS_READY_TIMEOUT_MS)));
        }
    }

    private void run() {
        ensureTopics();
        Map<String, Object> c = clientProps(ConsumerConfig.configNames());
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        c.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        if (cfg.getBoolean(SearchConfig.DUPLICATES_ENABLED)) {
            Map<String, Object> p = clientProps(ProducerConfig.configNames());
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            duplicates = new KafkaProducer<>(p, new StringSerializer(), AvroSerde.of(NearDuplicate.class));
        }
        String changelog = cfg.backfillChangelog();
        List<Topic> followed = List.of(
                new Topic(topics.modelsHistory(), false, r -> models.onRecord(modelSerde.fromBytes(r.value()))),
                new Topic(topics.features(), true, this::onFeatures),
                new Topic(topics.embeddings(), true, this::onEmbedding),
                new Topic(topics.dlq(), true, r -> {
                    DeadLetter d = dlqSerde.fromBytes(r.value());
                    state.onDeadLetter(d.getStage() + "/" + d.getErrorType());
                }),
                new Topic(changelog, false, r -> signal.record(r.partition(), new String(r.value(), StandardCharsets.UTF_8))));
        Map<String, Topic> byName = new HashMap<>();
        followed.forEach(t -> byName.put(t.name(), t));
        Map<TopicPartition, Long> saved = Offsets.parse(state.checkpoint().get("offsets"));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> assigned = new ArrayList<>();
            boolean changelogAssigned = assign(consumer, followed, assigned, saved);
            Map<TopicPartition, Long> startEnd = consumer.endOffsets(assigned);
            LOG.info("search: following {} ({}; serving {})", assigned.stream().map(TopicPartition::topic).distinct().sorted().toList(),
                    saved.isEmpty() ? "from the beginning"
                    : "from the checkpoint", state.serving() == null ? "nothing yet" : "v" + state.serving().version());
            long lastCommit = System.currentTimeMillis();
            long lastChangelogCheck = System.currentTimeMillis();
            while (!stop.get()) {
                boolean changed = false;
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (r.value() == null) {
                        continue;
                    }
                    try {
                        byName.get(r.topic()).handler().accept(r);
                        changed = true;
                    } catch (RuntimeException e) {
                        LOG.warn("search: skipping record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                                io.dimstream.core.LogSafe.escape(e.getMessage()));
                    }
                }
                if (changed) {
                    state.refresh();
                    reportDuplicates();
                }
                if (!caughtUp && assigned.stream().allMatch(tp -> consumer.position(tp) >= startEnd.getOrDefault(tp, 0L))) {
                    caughtUp = true;
                    LOG.info("search: caught up ({} embeddings per version {}, {} ids with metadata)", state.sizes().values()
                            .stream().mapToInt(Integer::intValue).sum(), state.sizes(), state.metaCount());
                }
                maybeSwitch(consumer);
                long now = System.currentTimeMillis();
                if (!changelogAssigned && now - lastChangelogCheck > 2000) {
                    lastChangelogCheck = now;
                    changelogAssigned = assign(consumer, followed, assigned, saved);
                }
                if (now - lastCommit >= cfg.getLong(SearchConfig.COMMIT_INTERVAL_MS)) {
                    lastCommit = now;
                    checkpoint(consumer, followed);
                }
            }
            checkpoint(consumer, followed);
        } finally {
            if (duplicates != null) {
                duplicates.close(Duration.ofSeconds(5));
            }
        }
    }

    /** (Re)assigns every existing followed topic's partitions; new ones start at the checkpoint or the beginning. */
    private boolean assign(KafkaConsumer<String, byte[]> consumer, List<Topic> followed, List<TopicPartition> assigned,
                           Map<TopicPartition, Long> saved) {
        var existing = consumer.listTopics(Duration.ofSeconds(10));
        List<TopicPartition> added = new ArrayList<>();
        boolean changelog = false;
        for (Topic t : followed) {
            var parts = existing.get(t.name());
            if (parts == null || parts.isEmpty()) {
                continue;
            }
            if (t.name().equals(cfg.backfillChangelog())) {
                changelog = true;
                signal.partitions(parts.size());
            }
            for (var pi : parts) {
                TopicPartition tp = new TopicPartition(t.name(), pi.partition());
                if (!assigned.contains(tp)) {
                    added.add(tp);
                }
            }
        }
        if (added.isEmpty()) {
            return changelog;
        }
        assigned.addAll(added);
        consumer.assign(assigned);
        for (TopicPartition tp : added) {
            Topic t = followed.stream().filter(x -> x.name().equals(tp.topic())).findFirst().orElseThrow();
            Long at = t.fromCheckpoint() ? saved.get(tp) : null;
            if (at != null) {
                consumer.seek(tp, at);
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
        }
        if (changelog) {
            LOG.info("search: following the streams app's backfill progress ({})", cfg.backfillChangelog());
        }
        return changelog;
    }

    private void onFeatures(ConsumerRecord<String, byte[]> r) {
        CrystalFeatures f = featSerde.fromBytes(r.value());
        state.onFeatures(f.getId(), f.getFormula(), f.getPrimSites());
    }

    private void onEmbedding(ConsumerRecord<String, byte[]> r) {
        CrystalEmbedding e = embSerde.fromBytes(r.value());
        long submitted = e.getSubmittedAt() == null ? 0 : e.getSubmittedAt().toEpochMilli();
        long embedded = e.getEmbeddedAt() == null ? 0 : e.getEmbeddedAt().toEpochMilli();
        VersionIndex vi = state.onEmbedding(e.getId(), e.getModelName(), e.getModelVersion(), Vectors.of(e.getEmbedding()),
                e.getBackfill(), submitted, embedded, System.currentTimeMillis());
        SearchState.Serving s = state.serving();
        if (duplicates != null && vi != null && !e.getBackfill() && s != null && s.index() == vi) {
            liveOfServing.add(e.getId());
        }
    }

    private void reportDuplicates() {
        if (liveOfServing.isEmpty()) {
            return;
        }
        SearchState.Serving s = state.serving();
        double threshold = cfg.getDouble(SearchConfig.DUPLICATES_THRESHOLD);
        boolean exact = cfg.getString(SearchConfig.INDEX_TYPE).equals("exact");
        for (String id : liveOfServing) {
            try {
                SearchState.Result r = state.byId(id, 1, SearchFilter.NONE, exact);
                if (!r.neighbours().isEmpty() && r.neighbours().get(0).distance() <= threshold) {
                    Neighbour n = r.neighbours().get(0);
                    duplicates.send(new ProducerRecord<>(cfg.getString(SearchConfig.DUPLICATES_TOPIC), id,
                            NearDuplicate.newBuilder().setId(id).setDuplicateOf(n.id()).setDistance(n.distance())
                                    .setThreshold(threshold).setModelName(cfg.getString(SearchConfig.MODEL_NAME))
                                    .setModelVersion(s.version()).setDetectedAt(Instant.now()).build()));
                    duplicatesReported++;
                }
            } catch (SearchException e) {
                LOG.debug("duplicate check of {}: {}", io.dimstream.core.LogSafe.escape(id), io.dimstream.core.LogSafe.escape(e.getMessage()));
            }
        }
        liveOfServing.clear();
        duplicates.flush();
    }

    private void maybeSwitch(KafkaConsumer<String, byte[]> consumer) {
        List<Integer> pending = state.pending();
        for (int i = pending.size() - 1; i >= 0; i--) {
            int v = pending.get(i);
            if (state.serving() != null && state.serving().version() == v) {
                continue;
            }
            boolean complete = signal.complete(v);
            if (!complete && !signal.known() && caughtUp && state.serving() != null) {
                // no backfill-progress changelog (another application id, or the streams app was never started with
                // it): fall back on coverage — the new version holds at least as many ids as the serving one
                Map<Integer, Integer> sizes = state.sizes();
                complete = sizes.getOrDefault(v, 0) >= sizes.getOrDefault(state.serving().version(), Integer.MAX_VALUE);
            }
            if (!complete) {
                continue;
            }
            Map<TopicPartition, Long> target = switchAt.computeIfAbsent(v, x -> {
                List<TopicPartition> emb = consumer.assignment().stream().filter(tp -> tp.topic().equals(topics.embeddings())).toList();
                LOG.info("search: backfill of v{} complete ({}); switching once the embeddings are read", x, signal.describe());
                return consumer.endOffsets(emb);
            });
            if (target.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                state.switchTo(v);
                models.dropBelow(v);
                switchAt.keySet().removeIf(x -> x <= v);
            }
            return;
        }
    }

    private void checkpoint(KafkaConsumer<String, byte[]> consumer, List<Topic> followed) {
        Map<TopicPartition, Long> pos = new LinkedHashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            boolean saved = followed.stream().anyMatch(t -> t.name().equals(tp.topic()) && t.fromCheckpoint());
            if (saved) {
                pos.put(tp, consumer.position(tp));
            }
        }
        state.checkpoint(Map.of("offsets", Offsets.format(pos)));
    }

    @Override
    public void close() {
        stop();
        if (thread != null) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (http != null) {
            http.close();
        }
        if (models != null) {
            models.close();
        }
        if (state != null) {
            state.close();
        }
    }
}
