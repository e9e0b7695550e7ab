package io.dimstream.predict;

import io.dimstream.core.LogSafe;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.TopicReadiness;
import io.dimstream.core.kafka.Topics;
import io.dimstream.heads.FittedHead;
import io.dimstream.heads.HeadTrainer;
import io.dimstream.heads.AutoHeadTrainer;
import io.dimstream.heads.CrossValidatedTrainer;
import io.dimstream.heads.RidgeLooTrainer;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.Label;
import io.dimstream.schemas.Prediction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
 * The predictor: keeps the labels ({@code crystals.labels}) and the newest embedding of every structure
 * ({@code crystals.embeddings}) in memory, and per property fits a head on the embeddings of the labelled
 * structures <b>of the current model version only</b> (the highest version seen; embeddings of different
 * versions live in different spaces and are never mixed). It refits, debounced, when labels of that
 * property arrive for embedded structures, when labelled structures get embedded, or when the model version
 * changes, and publishes a {@link Prediction} for every embedding of the head's version: all of them after
 * each refit, and each new one as it arrives. While a backfill is re-embedding the corpus under a new
 * version, embeddings still arriving under the previous version are predicted with that version's head.
 *
 * <p>State is rebuilt from the topics on start (it reads both from the beginning, without a consumer group);
 * head versions continue from the highest found in {@code crystals.predictions}.
 */
public final class PredictorService implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PredictorService.class);

    private final PredictorConfig cfg;
    private final Topics topics;
    private final AvroSerde<Label> labelSerde = AvroSerde.of(Label.class);
    private final AvroSerde<CrystalEmbedding> embSerde = AvroSerde.of(CrystalEmbedding.class);
    private final AtomicBoolean stop = new AtomicBoolean();

    /** property → id → value */
    private final Map<String, Map<String, Double>> labels = new HashMap<>();
    /** id → newest embedding (unboxed) */
    private final Map<String, Emb> embeddings = new HashMap<>();
    private int currentVersion = -1;
    private String currentModel = "";
    /** property → model version → head (the current and the previous version only) */
    private final Map<String, TreeMap<Integer, HeadState>> heads = new HashMap<>();
    private final Map<String, Dirty> dirty = new HashMap<>();
    private final Map<String, Integer> headVersions = new HashMap<>();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong fits = new AtomicLong();
    private volatile String lastFitSummary = "";
    private volatile boolean settledSnapshot;
    private volatile int versionSnapshot = -1;

    record HeadState(int modelVersion, int headVersion, FittedHead fit) {
    }

    /** An embedding as kept in memory: a primitive array instead of a boxed list. */
    record Emb(String id, String modelName, int modelVersion, double[] vector) {
        static Emb of(CrystalEmbedding e) {
            return new Emb(e.getId(), e.getModelName(), e.getModelVersion(), toDoubles(e.getEmbedding()));
        }
    }

    private static final class Dirty {
        long first;
        long last;
    }

    /**
     * Creates (when missing) the labels, embeddings and predictions topics and waits until they take
     * writes. {@link #run()} does this too; call it first when producing into fresh topics right away.
     */
    public static void ensureTopics(PredictorConfig cfg) {
        new PredictorService(cfg).ensureTopics(new HashMap<>(cfg.kafka()));
    }

    public PredictorService(PredictorConfig cfg) {
        this.cfg = cfg;
        this.topics = cfg.topics();
    }

    public void stop() {
        stop.set(true);
    }

    /** Predictions published so far. */
    public long published() {
        return published.get();
    }

    /** Heads fitted so far. */
    public long fits() {
        return fits.get();
    }

    public String lastFitSummary() {
        return lastFitSummary;
    }

    /** The current model version (-1 before any embedding). */
    public int currentVersion() {
        return versionSnapshot;
    }

    /**
     * True when the service has read both topics to their end, has no refit pending, every configured
     * property has a head for the current model version, that version is at least {@code minVersion}, and
     * all predictions are flushed.
     */
    public boolean settled(int minVersion) {
        return settledSnapshot && versionSnapshot >= minVersion;
    }

    private HeadTrainer trainer() {
        return switch (cfg.head()) {
            case "mlp" -> CrossValidatedTrainer.mlp(cfg.cvFolds(), 42);
            case "rf" -> CrossValidatedTrainer.rf(cfg.cvFolds(), 42);
            case "gbm" -> CrossValidatedTrainer.gbm(cfg.cvFolds(), 42);
            case "auto" -> AutoHeadTrainer.standard(cfg.cvFolds(), 42);
            default -> new RidgeLooTrainer();
        };
    }

    private boolean wanted(String property) {
        return cfg.properties().isEmpty() || cfg.properties().contains(property);
    }

    @Override
    public void run() {
        Map<String, Object> base = new HashMap<>(cfg.kafka());
        ensureTopics(base);
        headVersions.putAll(maxHeadVersions(base));
        Map<String, Object> c = clientProps(base, ConsumerConfig.configNames());
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        Map<String, Object> p = clientProps(base, ProducerConfig.configNames());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 20);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<String, Prediction> producer = new KafkaProducer<>(p, new StringSerializer(), AvroSerde.of(Prediction.class))) {
            List<TopicPartition> tps = new ArrayList<>();
            for (String t : List.of(topics.labels(), topics.embeddings())) {
                consumer.partitionsFor(t, Duration.ofSeconds(30)).forEach(pi -> tps.add(new TopicPartition(t, pi.partition())));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            LOG.info("predictor: reading {} and {} from the beginning (head={}, properties={})", topics.labels(),
                    topics.embeddings(), cfg.head(), cfg.properties().isEmpty() ? "all" : cfg.properties());
            long lastEndCheck = 0;
            boolean caughtUp = false;
            while (!stop.get()) {
                List<ProducerRecord<String, Prediction>> out = new ArrayList<>();
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    try {
                        if (r.topic().equals(topics.labels())) {
                            onLabel(labelSerde.fromBytes(r.value()));
                        } else {
                            onEmbedding(embSerde.fromBytes(r.value()), out);
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("skipping undecodable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), LogSafe.escape(e.getMessage()));
                    }
                }
                refitDue(out);
                for (ProducerRecord<String, Prediction> pr : out) {
                    producer.send(pr);
                }
                if (!out.isEmpty()) {
                    producer.flush();
                    published.addAndGet(out.size());
                }
                if (System.nanoTime() - lastEndCheck > 500_000_000L) {
                    lastEndCheck = System.nanoTime();
                    Map<TopicPartition, Long> end = consumer.endOffsets(tps);
                    caughtUp = tps.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
                }
                boolean allHeads = !cfg.properties().isEmpty();
                for (String prop : cfg.properties()) {
                    TreeMap<Integer, HeadState> h = heads.get(prop);
                    if (h == null || !h.containsKey(currentVersion)) {
                        allHeads = false;
                    }
                }
                versionSnapshot = currentVersion;
                settledSnapshot = caughtUp && dirty.isEmpty() && out.isEmpty() && allHeads;
            }
        }
    }

    private void markDirty(String property) {
        long now = System.nanoTime();
        Dirty d = dirty.computeIfAbsent(property, k -> {
            Dirty x = new Dirty();
            x.first = now;
            return x;
        });
        d.last = now;
    }

    void onLabel(Label l) {
        if (!wanted(l.getProperty())) {
            return;
        }
        Double prev = labels.computeIfAbsent(l.getProperty(), k -> new HashMap<>()).put(l.getId(), l.getValue());
        Emb e = embeddings.get(l.getId());
        if ((prev == null || prev != l.getValue()) && e != null && e.modelVersion() == currentVersion) {
            markDirty(l.getProperty());
        }
    }

    void onEmbedding(CrystalEmbedding rec, List<ProducerRecord<String, Prediction>> out) {
        Emb prev = embeddings.get(rec.getId());
        if (prev != null && prev.modelVersion() > rec.getModelVersion()) {
            return; // a late record of an older version
        }
        Emb e = Emb.of(rec);
        embeddings.put(e.id(), e);
        if (e.modelVersion() > currentVersion) {
            LOG.info("predictor: model version {} -> {} ({})", currentVersion, e.modelVersion(), e.modelName());
            currentVersion = e.modelVersion();
            currentModel = e.modelName();
            for (String prop : labels.keySet()) {
                markDirty(prop);
            }
        }
        for (Map.Entry<String, TreeMap<Integer, HeadState>> h : heads.entrySet()) {
            HeadState hs = h.getValue().get(e.modelVersion());
            if (hs != null) {
                out.add(prediction(e, h.getKey(), hs));
            }
        }
        if (e.modelVersion() == currentVersion) {
            for (Map.Entry<String, Map<String, Double>> l : labels.entrySet()) {
                if (l.getValue().containsKey(e.id())) {
                    markDirty(l.getKey());
                }
            }
        }
    }

    private void refitDue(List<ProducerRecord<String, Prediction>> out) {
        long now = System.nanoTime();
        List<String> due = new ArrayList<>();
        for (Map.Entry<String, Dirty> d : dirty.entrySet()) {
            if (now - d.getValue().last >= cfg.debounceMs() * 1_000_000L || now - d.getValue().first >= cfg.maxDelayMs() * 1_000_000L) {
                due.add(d.getKey());
            }
        }
        for (String prop : due) {
            dirty.remove(prop);
            refit(prop, out);
        }
    }

    private void refit(String prop, List<ProducerRecord<String, Prediction>> out) {
        Map<String, Double> lab = labels.getOrDefault(prop, Map.of());
        List<double[]> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        List<String> sortedIds = new ArrayList<>(lab.keySet());
        java.util.Collections.sort(sortedIds); // deterministic row order → deterministic folds
        for (String id : sortedIds) {
            Emb e = embeddings.get(id);
            if (e != null && e.modelVersion() == currentVersion) {
                xs.add(e.vector());
                ys.add(lab.get(id));
            }
        }
        if (xs.size() < cfg.minLabels()) {
            LOG.info("predictor: {} has {} labelled structures with version-{} embeddings (< min.labels {}): no head yet",
                    prop, xs.size(), currentVersion, cfg.minLabels());
            return;
        }
        double[][] x = xs.toArray(new double[0][]);
        double[] y = ys.stream().mapToDouble(Double::doubleValue).toArray();
        long t0 = System.nanoTime();
        FittedHead fit = trainer().fit(x, y);
        int hv = headVersions.merge(prop, 1, Integer::sum);
        HeadState hs = new HeadState(currentVersion, hv, fit);
        TreeMap<Integer, HeadState> byVersion = heads.computeIfAbsent(prop, k -> new TreeMap<>());
        byVersion.put(currentVersion, hs);
        while (byVersion.size() > 2) {
            byVersion.pollFirstEntry();
        }
        fits.incrementAndGet();
        lastFitSummary = String.format(java.util.Locale.ROOT, "%s: head v%d on model v%d, %s %s, %d labels, cv MAE %.4f (%.0f ms)",
                prop, hv, currentVersion, fit.kind(), fit.head().describe(), fit.n(), fit.cvMae(), (System.nanoTime() - t0) / 1e6);
        LOG.info("predictor: {}", lastFitSummary);
        for (Emb e : embeddings.values()) {
            if (e.modelVersion() == currentVersion) {
                out.add(prediction(e, prop, hs));
            }
        }
    }

    private ProducerRecord<String, Prediction> prediction(Emb e, String prop, HeadState hs) {
        double[] x = e.vector();
        double v = hs.fit().head().predict(x);
        double u = hs.fit().uncertainty(x);
        Prediction p = Prediction.newBuilder().setId(e.id()).setProperty(prop).setValue(v)
                .setModelName(e.modelName()).setModelVersion(e.modelVersion()).setHeadVersion(hs.headVersion())
                .setLabelsUsed(hs.fit().n()).setCvMae(hs.fit().cvMae()).setPredictedAt(Instant.now())
                .setUncertainty(Double.isFinite(u) ? u : null).setHeadKind(hs.fit().kind()).build();
        return new ProducerRecord<>(topics.predictions(), e.id() + "/" + prop, p);
    }

    static double[] toDoubles(List<Float> v) {
        double[] d = new double[v.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = v.get(i);
        }
        return d;
    }

    private void ensureTopics(Map<String, Object> base) {
        try (Admin admin = Admin.create(clientProps(base, AdminClientConfig.configNames()))) {
            int partitions = 3;
            List<Topics.TopicSpec> specs = topics.specs(partitions).stream()
                    .filter(s -> s.name().equals(topics.labels()) || s.name().equals(topics.embeddings())
                            || s.name().equals(topics.predictions()))
                    .toList();
            Topics.ensure(admin, specs, Optional.empty());
            TopicReadiness.await(admin, specs.stream().map(Topics.TopicSpec::name).toList(), Duration.ofSeconds(60));
        }
    }

    /** Highest head version per property already in the predictions topic (so versions keep growing). */
    private Map<String, Integer> maxHeadVersions(Map<String, Object> base) {
        Map<String, Integer> max = new HashMap<>();
        AvroSerde<Prediction> serde = AvroSerde.of(Prediction.class);
        Map<String, Object> c = clientProps(base, ConsumerConfig.configNames());
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topics.predictions(), Duration.ofSeconds(30)).stream()
                    .map(pi -> new TopicPartition(topics.predictions(), pi.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                        try {
                            Prediction p = serde.fromBytes(r.value());
                            max.merge(p.getProperty(), p.getHeadVersion(), Math::max);
                        } catch (RuntimeException e) {
                            // not ours to judge: skip
                        }
                    }
                }
            }
        }
        return max;
    }

    static Map<String, Object> clientProps(Map<String, Object> all, java.util.Set<String> names) {
        Map<String, Object> m = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (names.contains(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    @Override
    public void close() {
        stop();
    }
}
