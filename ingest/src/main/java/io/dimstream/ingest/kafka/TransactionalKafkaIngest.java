package io.dimstream.ingest.kafka;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.ingest.ContentHash;
import io.dimstream.ingest.SubmissionSink;
import io.dimstream.ingest.Watermark;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.IngestWatermark;
import io.dimstream.schemas.Label;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sink and state in one Kafka transaction per batch: the batch's submissions (or labels), their content
 * hashes and the source's watermark are committed atomically, so after a crash a read_committed consumer
 * sees either the whole batch with its watermark or none of it, and the re-run produces it exactly once.
 * The transactional.id is derived from the source key: a second ingester of the same source fences the
 * first (and aborts its open transaction) instead of racing it.
 *
 * <p>Consumers of {@code crystals.raw} should read with {@code isolation.level=read_committed} (Kafka
 * Streams with exactly_once_v2 does) to never see records of an aborted batch.
 */
public final class TransactionalKafkaIngest extends CachedIngestState implements SubmissionSink {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionalKafkaIngest.class);

    private final String rawTopic;
    private final String labelsTopic;
    private final String watermarkTopic;
    private final String hashTopic;
    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde<CrystalSubmission> subSerde = AvroSerde.of(CrystalSubmission.class);
    private final AvroSerde<Label> labelSerde = AvroSerde.of(Label.class);
    private final AvroSerde<IngestWatermark> wmSerde = AvroSerde.of(IngestWatermark.class);
    private boolean inTransaction;

    /**
     * @param ownerKey the source key (or any stable name of this ingester): it names the transactional.id
     */
    public TransactionalKafkaIngest(Map<String, Object> clientProps, String rawTopic, String labelsTopic,
                                    String watermarkTopic, String hashTopic, int hashPartitions, String ownerKey) {
        this.rawTopic = rawTopic;
        this.labelsTopic = labelsTopic;
        this.watermarkTopic = watermarkTopic;
        this.hashTopic = hashTopic;
        Map<String, Object> p = KafkaSubmissionSink.producerProps(clientProps);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(ownerKey));
        // initTransactions first: it fences an older ingester of the same source and aborts its open
        // transaction, so the state read below is final
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        KafkaIngestState.ensureTopics(clientProps, watermarkTopic, hashTopic, hashPartitions);
        producer.initTransactions();
        KafkaIngestState.loadState(clientProps, watermarkTopic, hashTopic, watermarks, hashes);
        LOG.info("ingest state (transactional, id {}): {} watermarks, {} content hashes",
                transactionalId(ownerKey), watermarks.size(), hashes.size());
    }

    public TransactionalKafkaIngest(Map<String, Object> clientProps, String rawTopic, String labelsTopic, String ownerKey) {
        this(clientProps, rawTopic, labelsTopic, KafkaIngestState.DEFAULT_WATERMARK_TOPIC, KafkaIngestState.DEFAULT_HASH_TOPIC, 3, ownerKey);
    }

    static String transactionalId(String ownerKey) {
        return "dimstream-ingest-" + ContentHash.of("owner", ownerKey).substring(0, 16);
    }

    private void begin() {
        if (!inTransaction) {
            producer.beginTransaction();
            inTransaction = true;
        }
    }

    @Override
    public void submit(CrystalSubmission s) {
        begin();
        producer.send(new ProducerRecord<>(rawTopic, s.getId(), subSerde.toBytes(s)));
    }

    @Override
    public void submitLabel(Label l) {
        begin();
        producer.send(new ProducerRecord<>(labelsTopic, l.getId() + "/" + l.getProperty(), labelSerde.toBytes(l)));
    }

    /** Sends are flushed by the commit; nothing is durable before it. */
    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public synchronized void commit(String sourceKey, Watermark watermark, long recordsProduced) {
        IngestWatermark prev = watermarks.get(sourceKey);
        boolean moved = watermark != null || prev == null || prev.getRecordsProduced() != recordsProduced;
        if (!inTransaction && pending.isEmpty() && !moved) {
            return;
        }
        IngestWatermark w = null;
        try {
            begin();
            for (Map.Entry<String, String> e : pending.entrySet()) {
                producer.send(new ProducerRecord<>(hashTopic, e.getKey(), e.getValue().getBytes(StandardCharsets.UTF_8)));
            }
            if (moved) {
                Map<String, String> pos = watermark != null ? new TreeMap<>(watermark.position())
                        : prev != null ? prev.getPosition() : Map.of();
                w = IngestWatermark.newBuilder().setSource(sourceKey).setPosition(pos)
                        .setRecordsProduced(recordsProduced).setUpdatedAt(Instant.now()).build();
                producer.send(new ProducerRecord<>(watermarkTopic, sourceKey, wmSerde.toBytes(w)));
            }
            producer.commitTransaction();
            inTransaction = false;
        } catch (KafkaException e) {
            inTransaction = false;
            try {
                producer.abortTransaction();
            } catch (KafkaException ignored) {
                // fenced or fatal: nothing to abort from here
            }
            throw new IllegalStateException("committing the ingest transaction failed (the batch will be re-read): " + e.getMessage(), e);
        }
        pending.clear();
        if (w != null) {
            watermarks.put(sourceKey, w);
        }
    }

    @Override
    public void close() {
        try {
            if (inTransaction) {
                producer.abortTransaction(); // an uncommitted batch is re-read next time
            }
        } catch (KafkaException e) {
            LOG.debug("abort on close: {}", e.getMessage());
        } finally {
            producer.close();
        }
    }
}
