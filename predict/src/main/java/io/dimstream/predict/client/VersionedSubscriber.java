package io.dimstream.predict.client;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A typed Kafka consumer of dimstream records that carry a model version, passing on only records of the
 * latest version: the highest PROMOTED version in the model registry when the subscriber opens (if the
 * registry topic exists), raised whenever a record of a higher version arrives. Records of older versions
 * are dropped (and counted), so a consumer never mixes embedding spaces. Not thread-safe (like
 * {@link KafkaConsumer}).
 */
public class VersionedSubscriber<T extends SpecificRecord> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VersionedSubscriber.class);

    private final KafkaConsumer<String, T> consumer;
    private final ToIntFunction<T> version;
    private int latest;
    private long dropped;

    VersionedSubscriber(Map<String, Object> props, String topic, Class<T> type, ToIntFunction<T> version,
                        String registryTopic, String modelName) {
        this.version = version;
        Map<String, Object> p = new HashMap<>(props);
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.latest = registryTopic == null ? -1 : promotedVersion(p, registryTopic, modelName);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), AvroSerde.of(type));
        if (p.get(ConsumerConfig.GROUP_ID_CONFIG) != null) {
            consumer.subscribe(List.of(topic));
        } else {
            // no group: read every partition from the beginning
            List<TopicPartition> tps = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(pi -> new TopicPartition(topic, pi.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
        }
    }

    /** Highest PROMOTED version of the model in the (compacted) registry topic, or -1. */
    static int promotedVersion(Map<String, Object> props, String registryTopic, String modelName) {
        Map<String, Object> p = new HashMap<>(props);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        AvroSerde<ModelVersion> serde = AvroSerde.of(ModelVersion.class);
        int best = -1;
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            var parts = c.listTopics(Duration.ofSeconds(10)).get(registryTopic);
            if (parts == null) {
                return -1;
            }
            List<TopicPartition> tps = parts.stream().map(pi -> new TopicPartition(registryTopic, pi.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 30_000;
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    try {
                        ModelVersion mv = serde.fromBytes(r.value());
                        if ((modelName == null || modelName.equals(mv.getModelName())) && mv.getStatus() == ModelStatus.PROMOTED) {
                            best = Math.max(best, mv.getVersion());
                        }
                    } catch (RuntimeException e) {
                        LOG.debug("skipping registry record: {}", e.getMessage());
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot read the model registry {}: {} (following the stream's versions only)", registryTopic, e.getMessage());
        }
        return best;
    }

    /** Records of the latest model version, in partition order. */
    public List<T> poll(Duration timeout) {
        List<T> out = new ArrayList<>();
        for (ConsumerRecord<String, T> r : consumer.poll(timeout)) {
            T v = r.value();
            if (v == null) {
                continue;
            }
            int ver = version.applyAsInt(v);
            if (ver > latest) {
                if (latest >= 0) {
                    LOG.info("model version {} -> {}: older records are dropped from now on", latest, ver);
                    int newest = ver;
                    int before = out.size();
                    out.removeIf(x -> version.applyAsInt(x) < newest);
                    dropped += before - out.size();
                }
                latest = ver;
            }
            if (ver < latest) {
                dropped++;
                continue;
            }
            out.add(v);
        }
        return out;
    }

    /** The model version records are filtered to (-1 before any is known). */
    public int latestVersion() {
        return latest;
    }

    /** Records dropped because a newer model version exists. */
    public long dropped() {
        return dropped;
    }

    /** Commits the consumed offsets (when a group.id is set and auto-commit is off). */
    public void commitSync() {
        consumer.commitSync();
    }

    /** The underlying consumer, for anything not wrapped here. */
    public KafkaConsumer<String, T> consumer() {
        return consumer;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
