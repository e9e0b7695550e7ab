package io.dimstream.ingest.kafka;

import io.dimstream.core.LogSafe;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.ingest.RecordLimit;
import io.dimstream.ingest.SubmissionSink;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.Label;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces submissions (key = structure id) and labels (key = id/property) with an idempotent producer
 * (acks=all, enable.idempotence=true: broker-side de-duplication of producer retries). {@link #flush()}
 * waits for every send and fails if any failed (the message names the key, topic and cause). A submission
 * larger than {@link #recordLimit()} is refused by {@link #submit} ({@code ingest.too_large}) before it is sent.
 */
public final class KafkaSubmissionSink implements SubmissionSink {
    private final KafkaProducer<String, byte[]> subs;
    private final AvroSerde<CrystalSubmission> subSerde = AvroSerde.of(CrystalSubmission.class);
    private final RecordLimit limit;
    private final KafkaProducer<String, Label> labels;
    private final String rawTopic;
    private final String labelsTopic;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private boolean closed;

    /**
     * @param clientProps bootstrap.servers and any other producer properties (user values win, except
     *                    idempotence which is always on)
     */
    public KafkaSubmissionSink(Map<String, Object> clientProps, String rawTopic, String labelsTopic) {
        Map<String, Object> p = producerProps(clientProps);
        this.subs = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.limit = IngestKafka.recordLimit(clientProps, rawTopic);
        this.labels = labelsTopic == null ? null
                : new KafkaProducer<>(p, new StringSerializer(), AvroSerde.of(Label.class));
        this.rawTopic = rawTopic;
        this.labelsTopic = labelsTopic;
    }

    static Map<String, Object> producerProps(Map<String, Object> clientProps) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
        p.putAll(clientProps);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return p;
    }

    @Override
    public void submit(CrystalSubmission s) {
        byte[] value = subSerde.toBytes(s);
        limit.check(s.getId(), value);
        String id = s.getId();
        subs.send(new ProducerRecord<>(rawTopic, id, value), (md, e) -> {
            if (e != null) {
                failure.compareAndSet(null, new SendFailure(rawTopic, id, e));
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

    /** A failed send with the topic and key it was for; the message names the cause's class. */
    static final class SendFailure extends Exception {
        SendFailure(String topic, String key, Throwable cause) {
            super("producing " + LogSafe.escape(key) + " to " + topic + " failed: " + cause.getClass().getSimpleName()
                    + ": " + LogSafe.escape(cause.getMessage()), cause, false, false);
        }
    }

    @Override
    public void submitLabel(Label l) {
        if (labels == null) {
            throw new IllegalStateException("no labels topic configured");
        }
        String key = l.getId() + "/" + l.getProperty();
        labels.send(new ProducerRecord<>(labelsTopic, key, l), (md, e) -> {
            if (e != null) {
                failure.compareAndSet(null, new SendFailure(labelsTopic, key, e));
            }
        });
    }

    @Override
    public void flush() {
        subs.flush();
        if (labels != null) {
            labels.flush();
        }
        Exception e = failure.getAndSet(null);
        if (e != null) {
            throw new IllegalStateException(e.getMessage(), e.getCause());
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            flush();
        } finally {
            subs.close();
            if (labels != null) {
                labels.close();
            }
        }
    }
}
