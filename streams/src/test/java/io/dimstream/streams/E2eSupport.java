package io.dimstream.streams;

import ai.djl.ndarray.NDManager;
import io.dimstream.core.Sha256;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.onnx.OnnxExporter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Helpers for the end-to-end tests: real MP structures, real (untrained) ONNX models, clients. */
final class E2eSupport {

    static final String MODEL = "sitenet-dim";

    private E2eSupport() {
    }

    /** The bundled 150 real Materials Project structures. */
    static List<RawCif> mpSample() throws Exception {
        var in = E2eSupport.class.getResourceAsStream("/mp/mp-sample-150.csv.gz");
        var reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8));
        try (var s = CifInputs.csv(reader, "mp-sample-150.csv.gz")) {
            return s.toList();
        }
    }

    static CrystalSubmission submission(String id, String cif) {
        return CrystalSubmission.newBuilder().setId(id).setSource("test").setPayload(cif)
                .setSubmittedAt(Instant.now()).build();
    }

    /** A real Site-Net ONNX model (tiny architecture, random weights from {@code seed}). */
    static ModelVersion realModel(int version, long seed) {
        SiteNetConfig cfg = SiteNetConfig.tiny(9);
        try (NDManager m = NDManager.newBaseManager(); Params p = Params.init(m, cfg, seed)) {
            byte[] onnx = OnnxExporter.export(cfg, p.toHost(), MODEL, version);
            ModelMetadata meta = new ModelMetadata(MODEL, version, io.dimstream.core.featurize.SiteNetFeaturizer.VERSION, cfg.featureDim(), cfg.embeddingDim(),
                    cfg.localDim(), OnnxExporter.inputs(cfg), OnnxExporter.outputs(cfg), Map.of("val_dim_loss", 1.0),
                    Sha256.hex(onnx), Instant.now().toString(), cfg.toMap());
            return ModelRecords.toRecord(meta, onnx, version > 1 ? version - 1 : null, 0, ModelStatus.PROMOTED);
        }
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 * 1024 * 1024);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    static <T extends SpecificRecord> void send(KafkaProducer<String, byte[]> p, String topic, String key, T value,
                                                Class<T> type) {
        p.send(new ProducerRecord<>(topic, key, AvroSerde.of(type).serialize(topic, value)));
    }

    /**
     * Reads a topic from the start with read_committed until {@code done} holds for what was read
     * (then keeps reading for {@code quiet} to catch late duplicates) or the timeout passes.
     */
    static <T extends SpecificRecord> List<ConsumerRecord<String, T>> readUntil(
            String bootstrap, String topic, Class<T> type, Predicate<List<ConsumerRecord<String, T>>> done,
            Duration timeout, Duration quiet) {
        AvroSerde<T> serde = AvroSerde.of(type);
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, T>> out = new ArrayList<>();
        try (var c = new KafkaConsumer<>(cp, new StringDeserializer(), serde)) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(pi -> new TopicPartition(topic, pi.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + timeout.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
                if (quietUntil == Long.MAX_VALUE && done.test(out)) {
                    quietUntil = System.nanoTime() + quiet.toNanos();
                }
            }
        }
        return out;
    }

    /**
     * Streams-app config shared by the broker tests: small batches, 2 partitions, CPU encoder with one
     * thread, fast commits, and every topic name prefixed so tests on one broker never share topics.
     */
    static Map<String, String> appConfig(String bootstrapServers, java.nio.file.Path stateRoot, String prefix) {
        Map<String, String> m = new java.util.HashMap<>();
        m.put(StreamsAppConfig.BOOTSTRAP_SERVERS, bootstrapServers);
        m.put(StreamsAppConfig.APPLICATION_ID, prefix + "-app");
        m.put(StreamsAppConfig.STATE_DIR, stateRoot.resolve(prefix + "-state").toString());
        m.put(StreamsAppConfig.BATCH_SIZE, "8");
        m.put(StreamsAppConfig.BATCH_MAX_WAIT_MS, "100");
        m.put(StreamsAppConfig.TOPICS_PARTITIONS, "2");
        m.put(StreamsAppConfig.ENCODER_DEVICE, "cpu");
        m.put(StreamsAppConfig.ENCODER_THREADS, "1");
        m.put("commit.interval.ms", "100");
        for (var e : io.dimstream.core.kafka.Topics.DEFAULTS.entrySet()) {
            m.put(e.getKey(), prefix + "." + e.getValue());
        }
        return m;
    }
}
