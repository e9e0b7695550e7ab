package io.dimstream.ingest.kafka;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.ingest.SubmissionSink;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.Label;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces submissions (key = structure id) and labels (key = id/property) with an idempotent producer
 * (acks=all, enable.idempotence=true: broker-side de-duplication of producer retries). {@link #flush()}
 * waits for every send and fails if any failed.
 */
public final class KafkaSubmissionSink implements SubmissionSink {
    private final KafkaProducer<String, CrystalSubmission> subs;
    private final KafkaProducer<String, Label> labels;
    private final String rawTopic;
    private final String labelsTopic;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    /**
     * @param clientProps bootstrap.servers and any other producer properties (user values win, except
     *                    idempotence which is always on)
     */
    public KafkaSubmissionSink(Map<String, Object> clientProps, String rawTopic, String labelsTopic) {
        Map<String, Object> p = producerProps(clientProps);
        this.subs = new KafkaProducer<>(p, new StringSerializer(), AvroSerde.of(CrystalSubmission.class));
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
        subs.send(new ProducerRecord<>(rawTopic, s.getId(), s), (md, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            }
        });
    }

    @Override
    public void submitLabel(Label l) {
        if (labels == null) {
            throw new IllegalStateException("no labels topic configured");
        }
        labels.send(new ProducerRecord<>(labelsTopic, l.getId() + "/" + l.getProperty(), l), (md, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
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
            throw new IllegalStateException("producing to Kafka failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
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
