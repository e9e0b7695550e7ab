package io.dimstream.core.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topic names of dimstream, configurable with defaults, and how each topic is created.
 *
 * <table>
 *   <caption>topics</caption>
 *   <tr><th>config key</th><th>default</th><th>value</th><th>policy</th></tr>
 *   <tr><td>topics.raw</td><td>crystals.raw</td><td>CrystalSubmission</td><td>delete</td></tr>
 *   <tr><td>topics.features</td><td>crystals.features</td><td>CrystalFeatures</td><td>compact</td></tr>
 *   <tr><td>topics.embeddings</td><td>crystals.embeddings</td><td>CrystalEmbedding</td><td>delete</td></tr>
 *   <tr><td>topics.models.registry</td><td>models.registry</td><td>ModelVersion</td><td>compact, 64 MiB messages</td></tr>
 *   <tr><td>topics.models.history</td><td>models.history</td><td>ModelVersion</td><td>delete (infinite retention), 64 MiB</td></tr>
 *   <tr><td>topics.dlq</td><td>crystals.dlq</td><td>DeadLetter</td><td>delete</td></tr>
 *   <tr><td>topics.labels</td><td>crystals.labels</td><td>Label</td><td>compact</td></tr>
 *   <tr><td>topics.predictions</td><td>crystals.predictions</td><td>Prediction</td><td>compact</td></tr>
 * </table>
 *
 * <p>Keys are strings (structure id, model name, or id/property). Values are {@link AvroSerde}.
 */
public record Topics(
        String raw,
        String features,
        String embeddings,
        String modelsRegistry,
        String modelsHistory,
        String dlq,
        String labels,
        String predictions) {

    private static final Logger log = LoggerFactory.getLogger(Topics.class);

    public static final String RAW_CONFIG = "topics.raw";
    public static final String FEATURES_CONFIG = "topics.features";
    public static final String EMBEDDINGS_CONFIG = "topics.embeddings";
    public static final String MODELS_REGISTRY_CONFIG = "topics.models.registry";
    public static final String MODELS_HISTORY_CONFIG = "topics.models.history";
    public static final String DLQ_CONFIG = "topics.dlq";
    public static final String LABELS_CONFIG = "topics.labels";
    public static final String PREDICTIONS_CONFIG = "topics.predictions";

    /** Largest model record accepted on the model topics (ONNX bytes inline). */
    public static final int MODEL_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    /** Default name of each config key. */
    public static final Map<String, String> DEFAULTS = defaultsMap();

    private static Map<String, String> defaultsMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(RAW_CONFIG, "crystals.raw");
        m.put(FEATURES_CONFIG, "crystals.features");
        m.put(EMBEDDINGS_CONFIG, "crystals.embeddings");
        m.put(MODELS_REGISTRY_CONFIG, "models.registry");
        m.put(MODELS_HISTORY_CONFIG, "models.history");
        m.put(DLQ_CONFIG, "crystals.dlq");
        m.put(LABELS_CONFIG, "crystals.labels");
        m.put(PREDICTIONS_CONFIG, "crystals.predictions");
        return java.util.Collections.unmodifiableMap(m);
    }

    public Topics {
        for (String n : new String[] {raw, features, embeddings, modelsRegistry, modelsHistory, dlq, labels, predictions}) {
            if (n == null || n.isBlank() || !n.matches("[a-zA-Z0-9._-]{1,249}")) {
                throw new IllegalArgumentException("invalid topic name '" + n + "'");
            }
        }
    }

    public static Topics defaults() {
        return from(Map.of());
    }

    /** Names from config keys {@code topics.*}; missing keys take the defaults. */
    public static Topics from(Map<String, ?> config) {
        java.util.function.Function<String, String> get = k -> {
            Object v = config.get(k);
            return v == null ? DEFAULTS.get(k) : v.toString();
        };
        return new Topics(get.apply(RAW_CONFIG), get.apply(FEATURES_CONFIG), get.apply(EMBEDDINGS_CONFIG),
                get.apply(MODELS_REGISTRY_CONFIG), get.apply(MODELS_HISTORY_CONFIG), get.apply(DLQ_CONFIG),
                get.apply(LABELS_CONFIG), get.apply(PREDICTIONS_CONFIG));
    }

    /** How one topic should be created. */
    public record TopicSpec(String name, int partitions, String cleanupPolicy, Integer maxMessageBytes,
                            Map<String, String> extraConfigs) {
        public NewTopic toNewTopic(Optional<Short> replicationFactor) {
            Map<String, String> cfg = new LinkedHashMap<>(extraConfigs);
            cfg.put("cleanup.policy", cleanupPolicy);
            if (maxMessageBytes != null) {
                cfg.put("max.message.bytes", String.valueOf(maxMessageBytes));
            }
            return new NewTopic(name, Optional.of(partitions), replicationFactor).configs(cfg);
        }
    }

    /** Specs for every topic, with {@code partitions} for the data topics (model topics get 1). */
    public List<TopicSpec> specs(int partitions) {
        List<TopicSpec> l = new ArrayList<>();
        l.add(new TopicSpec(raw, partitions, "delete", null, Map.of()));
        l.add(new TopicSpec(features, partitions, "compact", 8 * 1024 * 1024, Map.of("min.compaction.lag.ms", "60000")));
        l.add(new TopicSpec(embeddings, partitions, "delete", null, Map.of()));
        l.add(new TopicSpec(modelsRegistry, 1, "compact", MODEL_MAX_MESSAGE_BYTES, Map.of()));
        l.add(new TopicSpec(modelsHistory, 1, "delete", MODEL_MAX_MESSAGE_BYTES, Map.of("retention.ms", "-1")));
        l.add(new TopicSpec(dlq, partitions, "delete", null, Map.of()));
        l.add(new TopicSpec(labels, partitions, "compact", null, Map.of()));
        l.add(new TopicSpec(predictions, partitions, "compact", null, Map.of()));
        return l;
    }

    /** All topic names. */
    public List<String> all() {
        return List.of(raw, features, embeddings, modelsRegistry, modelsHistory, dlq, labels, predictions);
    }

    /**
     * Creates the given topics when missing (existing ones are left as they are).
     *
     * @param replicationFactor empty = the broker's default.replication.factor
     * @return the names actually created
     */
    public static Set<String> ensure(Admin admin, Collection<TopicSpec> specs, Optional<Short> replicationFactor) {
        Set<String> created = new java.util.TreeSet<>();
        List<NewTopic> topics = specs.stream().map(s -> s.toNewTopic(replicationFactor)).toList();
        var result = admin.createTopics(topics);
        for (var e : result.values().entrySet()) {
            try {
                e.getValue().get();
                created.add(e.getKey());
            } catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("could not create topic " + e.getKey() + ": "
                            + ex.getCause().getMessage(), ex.getCause());
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
        if (!created.isEmpty()) {
            log.info("created topics {}", created);
            TopicReadiness.await(admin, created, TopicReadiness.DEFAULT_TIMEOUT);
        }
        return created;
    }

    /** Creates every dimstream topic when missing. */
    public Set<String> ensureAll(Admin admin, int partitions, Optional<Short> replicationFactor) {
        return ensure(admin, specs(partitions), replicationFactor);
    }
}
