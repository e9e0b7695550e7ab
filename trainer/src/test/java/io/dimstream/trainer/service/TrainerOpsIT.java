package io.dimstream.trainer.service;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.Topics;
import io.dimstream.core.ops.ModelSigning;
import io.dimstream.core.ops.ModelVerifier;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.trainer.SyntheticCrystals;
import io.dimstream.trainer.ops.TrainerOps;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trainer metrics on its ops endpoint after a round, and records signed with the configured key. */
class TrainerOpsIT {

    @TempDir
    Path dir;

    static double sample(String exposition, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + "[^\\n]* ([0-9.eE+-]+|NaN)$").matcher(exposition);
        if (!m.find()) {
            throw new AssertionError("no " + series + " in\n" + exposition);
        }
        return Double.parseDouble(m.group(1));
    }

    @Test
    void roundShowsOnMetricsAndPublishedRecordIsSigned() throws Exception {
        KeyPair kp = ModelSigning.generate();
        Path key = dir.resolve("signing.key");
        Files.writeString(key, ModelSigning.privateKeyPem(kp.getPrivate()));
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().tempDir().build().start()) {
            Map<String, String> m = new HashMap<>();
            m.put(TrainerConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
            m.put(TrainerConfig.DATA_DIR, dir.resolve("trainer").toString());
            m.put(TrainerConfig.LEASE_TOPIC, "ops.lease");
            m.put(TrainerConfig.TOPICS_PARTITIONS, "2");
            m.put("session.timeout.ms", "6000");
            m.put("metrics.port", "0");
            m.put("model.signing.private.key.file", key.toString());
            TrainerConfig cfg = new TrainerConfig(m);
            Topics t = cfg.topics();
            TrainerServiceIT.ScriptedTrainer st = new TrainerServiceIT.ScriptedTrainer();
            st.lossByVersion.put(1, 5.0);
            List<FeaturizedCrystal> corpus = SyntheticCrystals.generate(120, 1, 6);
            try (TrainerService svc = new TrainerService(cfg, st); TrainerOps ops = TrainerOps.attach(svc, cfg)) {
                AvroSerde<CrystalFeatures> serde = AvroSerde.of(CrystalFeatures.class);
                Properties p = new Properties();
                p.put("bootstrap.servers", broker.bootstrapServers());
                try (var prod = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
                    for (FeaturizedCrystal f : corpus) {
                        prod.send(new ProducerRecord<>(t.features(), f.id(), serde.serialize(t.features(), f.toAvro(1, 2))));
                    }
                }
                HttpClient http = HttpClient.newHttpClient();
                String before = http.send(HttpRequest.newBuilder(URI.create(ops.server().url("/metrics"))).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertEquals(0.0, sample(before, "dimstream_trainer_runs_total{model=\"sitenet-dim\",service=\"trainer\",status=\"PROMOTED\"}"));

                var r = svc.runOnce(Duration.ofSeconds(60));
                assertEquals(ModelStatus.PROMOTED, r.status());
                String after = http.send(HttpRequest.newBuilder(URI.create(ops.server().url("/metrics"))).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertEquals(1.0, sample(after, "dimstream_trainer_runs_total{model=\"sitenet-dim\",service=\"trainer\",status=\"PROMOTED\"}"));
                assertEquals(0.0, sample(after, "dimstream_trainer_runs_total{model=\"sitenet-dim\",service=\"trainer\",status=\"REJECTED\"}"));
                assertEquals(120.0, sample(after, "dimstream_trainer_corpus_size{"));
                assertEquals(5.0, sample(after, "dimstream_trainer_last_val_dim_loss{"));
                assertEquals(1.0, sample(after, "dimstream_trainer_last_version{"));
                assertEquals(1.0, sample(after, "dimstream_trainer_run_seconds_count{"));
                assertTrue(sample(after, "dimstream_trainer_run_seconds_sum{") > 0);
                assertEquals(r.trainSize(), (int) sample(after, "dimstream_trainer_last_train_size{"));
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(ops.server().url("/ready"))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ready.statusCode(), ready.body());
            }

            // the registry record carries a valid Ed25519 signature
            Properties cp = new Properties();
            cp.put("bootstrap.servers", broker.bootstrapServers());
            cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (var c = new KafkaConsumer<>(cp, new StringDeserializer(), AvroSerde.of(ModelVersion.class))) {
                TopicPartition tp = new TopicPartition(t.modelsRegistry(), 0);
                c.assign(List.of(tp));
                c.seekToBeginning(List.of(tp));
                ModelVersion mv = null;
                long deadline = System.currentTimeMillis() + 20_000;
                while (mv == null && System.currentTimeMillis() < deadline) {
                    for (var rec : c.poll(Duration.ofMillis(200))) {
                        mv = rec.value();
                    }
                }
                ModelVersion got = mv;
                assertEquals(1, got.getVersion());
                byte[] onnx = new byte[got.getOnnx().remaining()];
                got.getOnnx().duplicate().get(onnx);
                assertDoesNotThrow(() -> new ModelVerifier(1 << 26, kp.getPublic(), true).verify(got, onnx));
            }
        }
    }
}
