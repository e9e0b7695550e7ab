package io.dimstream.ingest.kafka;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.TopicReadiness;
import io.dimstream.ingest.IngestState;
import io.dimstream.ingest.Watermark;
import io.dimstream.schemas.IngestWatermark;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link IngestState} in two compacted topics: watermarks ({@code crystals.ingest.watermarks}, key = source
 * key, value {@link IngestWatermark}) and content hashes ({@code crystals.ingest.hashes}, key = structure
 * id, value = hex sha256). Both are read to their end when this opens, so a restarted ingester resumes
 * where the last one committed. {@link #commit} writes pending hashes, then the watermark, and waits.
 */
public final class KafkaIngestState extends CachedIngestState {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngestState.class);
    public static final String DEFAULT_WATERMARK_TOPIC = "crystals.ingest.watermarks";
    public static final String DEFAULT_HASH_TOPIC = "crystals.ingest.hashes";

    private final String watermarkTopic;
    private final String hashTopic;
    private final KafkaProducer<String, String> hashProducer;
    private final KafkaProducer<String, IngestWatermark> wmProducer;

    public KafkaIngestState(Map<String, Object> clientProps, String watermarkTopic, String hashTopic, int hashPartitions) {
        this.watermarkTopic = watermarkTopic;
        this.hashTopic = hashTopic;
        ensureTopics(clientProps, watermarkTopic, hashTopic, hashPartitions);
        AvroSerde<IngestWatermark> serde = AvroSerde.of(IngestWatermark.class);
        loadState(clientProps, watermarkTopic, hashTopic, watermarks, hashes);
        LOG.info("ingest state: {} watermarks, {} content hashes", watermarks.size(), hashes.size());
        Map<String, Object> p = KafkaSubmissionSink.producerProps(clientProps);
        this.hashProducer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        this.wmProducer = new KafkaProducer<>(p, new StringSerializer(), serde);
    }

    public KafkaIngestState(Map<String, Object> clientProps) {
        this(clientProps, DEFAULT_WATERMARK_TOPIC, DEFAULT_HASH_TOPIC, 3);
    }

    /** Reads both compacted state topics to their end (read_committed) into the maps. */
    static void loadState(Map<String, Object> clientProps, String watermarkTopic, String hashTopic,
                          Map<String, IngestWatermark> watermarks, Map<String, String> hashes) {
        AvroSerde<IngestWatermark> serde = AvroSerde.of(IngestWatermark.class);
        load(clientProps, watermarkTopic, (k, v) -> {
            if (v == null) {
                watermarks.remove(k);
            } else {
                watermarks.put(k, serde.fromBytes(v));
            }
        });
        load(clientProps, hashTopic, (k, v) -> {
            if (v == null) {
                hashes.remove(k);
            } else {
                hashes.put(k, new String(v, java.nio.charset.StandardCharsets.UTF_8));
            }
        });
    }

    static void ensureTopics(Map<String, Object> clientProps, String watermarkTopic, String hashTopic, int hashPartitions) {
        Map<String, Object> a = new HashMap<>(clientProps);
        a.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(k));
        try (Admin admin = Admin.create(a)) {
            List<NewTopic> topics = List.of(
                    new NewTopic(watermarkTopic, Optional.of(1), Optional.empty()).configs(Map.of("cleanup.policy", "compact")),
                    new NewTopic(hashTopic, Optional.of(hashPartitions), Optional.empty()).configs(Map.of("cleanup.policy", "compact")));
            for (var f : admin.createTopics(topics).values().values()) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create ingest state topics: " + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            TopicReadiness.await(admin, List.of(watermarkTopic, hashTopic), Duration.ofSeconds(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void load(Map<String, Object> clientProps, String topic, java.util.function.BiConsumer<String, byte[]> apply) {
        Map<String, Object> c = new HashMap<>(clientProps);
        c.keySet().removeIf(k -> !ConsumerConfig.configNames().contains(k));
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                tps.add(new TopicPartition(topic, pi.partition()));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            // Read up to the log end, not the last stable offset: right after a previous run's
            // commitTransaction() returns, its commit markers may not be written yet, and the LSO
            // would stop us just before that run's last watermark. A read_committed consumer
            // moves past the markers once they land; an open foreign transaction is waited for
            // at most LOAD_TIMEOUT.
            Map<TopicPartition, Long> end = logEndOffsets(c, tps);
            long deadline = System.nanoTime() + LOAD_TIMEOUT.toNanos();
            while (true) {
                boolean done = true;
                for (TopicPartition tp : tps) {
                    if (consumer.position(tp) < end.get(tp)) {
                        done = false;
                    }
                }
                if (done) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    LOG.warn("ingest state topic {}: an open transaction kept records beyond offset {} unreadable for {} s; "
                            + "continuing with the committed state", topic, consumer.position(tps.get(0)), LOAD_TIMEOUT.toSeconds());
                    break;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    apply.accept(r.key(), r.value());
                }
            }
        }
    }

    private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(30);

    /** End of each partition's log including not-yet-stable records (read_uncommitted view). */
    private static Map<TopicPartition, Long> logEndOffsets(Map<String, Object> consumerProps, List<TopicPartition> tps) {
        Map<String, Object> c = new HashMap<>(consumerProps);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        try (KafkaConsumer<String, byte[]> probe = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            return probe.endOffsets(tps);
        }
    }

    @Override
    public synchronized void commit(String sourceKey, Watermark watermark, long recordsProduced) {
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        for (Map.Entry<String, String> e : pending.entrySet()) {
            hashProducer.send(new ProducerRecord<>(hashTopic, e.getKey(), e.getValue()), (md, ex) -> {
                if (ex != null) {
                    failed.compareAndSet(null, ex);
                }
            });
        }
        hashProducer.flush();
        if (failed.get() != null) {
            throw new IllegalStateException("cannot store content hashes: " + failed.get().getMessage(), failed.get());
        }
        pendingCommitted();
        IngestWatermark prev = watermarks.get(sourceKey);
        Map<String, String> pos = watermark != null ? new TreeMap<>(watermark.position())
                : prev != null ? prev.getPosition() : Map.of();
        if (watermark == null && prev != null && prev.getRecordsProduced() == recordsProduced) {
            return; // nothing moved
        }
        IngestWatermark w = IngestWatermark.newBuilder().setSource(sourceKey).setPosition(pos)
                .setRecordsProduced(recordsProduced).setUpdatedAt(Instant.now()).build();
        try {
            wmProducer.send(new ProducerRecord<>(watermarkTopic, sourceKey, w)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while storing the watermark", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("cannot store the watermark: " + e.getCause().getMessage(), e.getCause());
        }
        watermarks.put(sourceKey, w);
    }

    /** All stored watermarks (for {@code ingest --status}). */
    public Map<String, IngestWatermark> watermarks() {
        return new TreeMap<>(watermarks);
    }

    @Override
    public void close() {
        hashProducer.close();
        wmProducer.close();
    }
}
