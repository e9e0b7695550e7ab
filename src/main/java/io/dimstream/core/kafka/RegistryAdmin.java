package io.dimstream.core.kafka;

import io.dimstream.core.DimstreamException;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Explicit serving decisions on {@code models.registry}: {@code promote} and {@code rollback} republish
 * existing version records with another status (bytes, sha256 and signature unchanged), in one
 * transaction with their audit copies on {@code models.history}. The streams apps obey them through
 * {@link RegistryState}: a rollback to version V republishes every PROMOTED version above V as
 * {@code RETIRED}, so V is the highest PROMOTED version (and V itself PROMOTED when it was not); each app
 * then serves V and backfills its corpus with it. A version published later by the trainer serves as
 * usual.
 */
public final class RegistryAdmin {

    /** What a promote or rollback did. */
    public record Change(List<Integer> promoted, List<Integer> retired, int servingAfter) {
    }

    /** A refused request (unknown version, nothing to do): code {@code registry.*}. */
    public static final class RegistryAdminException extends DimstreamException {
        public RegistryAdminException(String code, String message) {
            super(code, message);
        }
    }

    private final Map<String, Object> clientProps;
    private final Topics topics;
    private final String modelName;
    private final AvroSerde<ModelVersion> serde = AvroSerde.of(ModelVersion.class);

    /**
     * @param clientProps Kafka client properties (bootstrap.servers, security settings); consumer- and
     *                    producer-only keys are filtered per client
     */
    public RegistryAdmin(Map<String, ?> clientProps, Topics topics, String modelName) {
        this.clientProps = new HashMap<>(clientProps);
        this.topics = topics;
        this.modelName = modelName;
    }

    /** The registry as compaction leaves it (read_committed, from the beginning to the end offsets). */
    public RegistryState read(Duration timeout) {
        Map<String, Object> cp = new HashMap<>(clientProps);
        cp.keySet().removeIf(k -> !ConsumerConfig.configNames().contains(k));
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cp.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        cp.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        RegistryState state = new RegistryState(modelName);
        try (var c = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            var parts = c.partitionsFor(topics.modelsRegistry(), timeout);
            if (parts == null || parts.isEmpty()) {
                throw new RegistryAdminException("registry.no_topic", "topic " + topics.modelsRegistry()
                        + " does not exist (no model was ever published)");
            }
            parts.forEach(p -> tps.add(new TopicPartition(p.topic(), p.partition())));
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new RegistryAdminException("registry.timeout", "reading " + topics.modelsRegistry()
                            + " took longer than " + timeout);
                }
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || !modelName.equals(ModelRecords.modelNameOfKey(r.key()))) {
                        continue;
                    }
                    if (r.value() == null) {
                        int at = r.key().lastIndexOf('@');
                        if (at > 0) {
                            try {
                                state.remove(Integer.parseInt(r.key().substring(at + 1)));
                            } catch (NumberFormatException ignored) {
                                // not a version key
                            }
                        }
                        continue;
                    }
                    try {
                        state.apply(serde.fromBytes(r.value()));
                    } catch (RuntimeException e) {
                        // undecodable records are the apps' concern (they count and skip them)
                    }
                }
            }
        }
        return state;
    }

    /**
     * Serves {@code version} again: every PROMOTED version above it is republished RETIRED, and the version
     * itself PROMOTED when it is not.
     */
    public Change rollback(int version, Duration timeout) {
        RegistryState state = read(timeout);
        ModelVersion target = state.get(version).orElseThrow(() -> new RegistryAdminException("registry.unknown_version",
                modelName + " v" + version + " is not on " + topics.modelsRegistry() + " (versions there: "
                        + state.all().stream().map(ModelVersion::getVersion).toList() + ")"));
        List<ModelVersion> newer = state.promotedAbove(version);
        boolean promote = target.getStatus() != ModelStatus.PROMOTED;
        if (newer.isEmpty() && !promote) {
            throw new RegistryAdminException("registry.nothing_to_do", modelName + " v" + version
                    + " is already the highest PROMOTED version");
        }
        List<ModelVersion> out = new ArrayList<>();
        List<Integer> retired = new ArrayList<>();
        for (ModelVersion r : newer) {
            out.add(withStatus(r, ModelStatus.RETIRED));
            retired.add(r.getVersion());
        }
        if (promote) {
            out.add(withStatus(target, ModelStatus.PROMOTED));
        }
        publish(out);
        return new Change(promote ? List.of(version) : List.of(), retired, version);
    }

    /**
     * Marks {@code version} PROMOTED (e.g. a RETIRED or CANDIDATE one). It serves only when it is then the
     * highest PROMOTED version; otherwise the change says which version keeps serving.
     */
    public Change promote(int version, Duration timeout) {
        RegistryState state = read(timeout);
        ModelVersion target = state.get(version).orElseThrow(() -> new RegistryAdminException("registry.unknown_version",
                modelName + " v" + version + " is not on " + topics.modelsRegistry()));
        if (target.getStatus() == ModelStatus.PROMOTED) {
            throw new RegistryAdminException("registry.nothing_to_do", modelName + " v" + version
                    + " is already PROMOTED");
        }
        publish(List.of(withStatus(target, ModelStatus.PROMOTED)));
        state.apply(withStatus(target, ModelStatus.PROMOTED));
        int highest = state.promotedDescending().get(0).getVersion();
        return new Change(List.of(version), List.of(), highest);
    }

    private static ModelVersion withStatus(ModelVersion r, ModelStatus s) {
        return ModelVersion.newBuilder(r).setStatus(s).build();
    }

    private void publish(List<ModelVersion> records) {
        Map<String, Object> pp = new HashMap<>(clientProps);
        pp.keySet().removeIf(k -> !ProducerConfig.configNames().contains(k));
        pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "dimstream-registry-admin-" + modelName);
        pp.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        try (var producer = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                for (ModelVersion r : records) {
                    byte[] bytes = serde.toBytes(r);
                    producer.send(new ProducerRecord<>(topics.modelsRegistry(),
                            ModelRecords.registryKey(modelName, r.getVersion()), bytes));
                    producer.send(new ProducerRecord<>(topics.modelsHistory(), modelName, bytes));
                }
                producer.commitTransaction();
            } catch (RuntimeException e) {
                producer.abortTransaction();
                throw e;
            }
        }
    }
}
