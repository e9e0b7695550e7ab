package io.dimstream.ingest.kafka;

import io.dimstream.core.LogSafe;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.ingest.ContentHash;
import io.dimstream.ingest.RecordLimit;
import io.dimstream.ingest.SubmissionSink;
import io.dimstream.ingest.Watermark;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.IngestWatermark;
import io.dimstream.schemas.Label;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
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
    private final RecordLimit limit;
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
    private boolean inTransaction;
    private boolean closed;

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
        this.limit = IngestKafka.recordLimit(clientProps, rawTopic);
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
        byte[] value = subSerde.toBytes(s);
        limit.check(s.getId(), value); // before the send: a refused send would doom the whole transaction
        send(rawTopic, s.getId(), value);
    }

    @Override
    public void submitLabel(Label l) {
        send(labelsTopic, l.getId() + "/" + l.getProperty(), labelSerde.toBytes(l));
    }

    private void send(String topic, String key, byte[] value) {
        begin();
        producer.send(new ProducerRecord<>(topic, key, value), (md, e) -> {
            if (e != null) {
                sendFailure.compareAndSet(null, new KafkaSubmissionSink.SendFailure(topic, key, e));
            }
        });
    }

    @Override
    public String rawTopic() {
        return rawTopic;
    }

    /** The largest record this sink sends (see {@link IngestKafka#recordLimit}). */
    public RecordLimit recordLimit() {
        return limit;
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
            producer.flush(); // every send of the batch has completed and called back
            failIfASendFailed();
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
            Exception failedSend = sendFailure.getAndSet(null);
            abortQuietly();
            rollbackHashes();
            throw failedSend != null ? aborted(failedSend.getMessage(), failedSend.getCause())
                    : aborted(e.getClass().getSimpleName() + ": " + LogSafe.escape(e.getMessage()), e);
        }
        pendingCommitted();
        if (w != null) {
            watermarks.put(sourceKey, w);
        }
    }

    /** A record of the batch was refused: the transaction can only be aborted; the error says which and why. */
    private void failIfASendFailed() {
        Exception failedSend = sendFailure.getAndSet(null);
        if (failedSend != null) {
            abortQuietly();
            rollbackHashes();
            throw aborted(failedSend.getMessage(), failedSend.getCause());
        }
    }

    private static IllegalStateException aborted(String why, Throwable cause) {
        return new IllegalStateException("the ingest transaction was aborted (the batch will be re-read): " + why, cause);
    }

    private void abortQuietly() {
        if (inTransaction) {
            inTransaction = false;
            try {
                producer.abortTransaction();
            } catch (KafkaException e) {
                LOG.debug("abort: {}", e.toString()); // fenced or fatal: nothing to abort from here
            }
        }
    }

    /** Aborts the open transaction and forgets the hashes put since the last commit. */
    @Override
    public synchronized void rollback() {
        abortQuietly();
        sendFailure.set(null);
        rollbackHashes();
    }

    /** Sink and state are one object: closing it twice (as sink and as state) closes the producer once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            abortQuietly(); // an uncommitted batch is re-read next time
        } finally {
            producer.close();
        }
    }
}
