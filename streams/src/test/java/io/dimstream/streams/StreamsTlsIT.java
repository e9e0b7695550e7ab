package io.dimstream.streams;

import static io.dimstream.streams.E2eSupport.MODEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.broker.TestCertificates;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.streams.ops.StreamsOps;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streams app against a broker whose only client listener is mutual TLS on 127.0.0.1, with
 * certificates made by the test: security settings pass straight through the app's config to every
 * client it makes (Kafka Streams' producer/consumers/admin and the ops admin client), and records flow.
 */
class StreamsTlsIT {

    @TempDir
    Path tmp;

    @Test
    void streamsAppRunsOverMutualTls() throws Exception {
        TestCertificates tls = TestCertificates.generate(tmp.resolve("tls"));
        List<RawCif> mp = E2eSupport.mpSample().subList(0, 10);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().tempDir().clientListenerProtocol("SSL")
                .brokerProperties(tls.brokerListenerProperties("client", true)).build().start()) {
            String bootstrap = broker.bootstrapServers();
            Map<String, Object> sec = tls.clientProperties(true);

            // without a client certificate the broker refuses the connection
            Map<String, Object> noCert = new HashMap<>(tls.clientProperties(false));
            noCert.put("bootstrap.servers", bootstrap);
            noCert.put("default.api.timeout.ms", 5000);
            noCert.put("request.timeout.ms", 3000);
            try (Admin a = Admin.create(noCert)) {
                var e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> a.describeCluster().nodes().get());
                assertTrue(e.getCause() instanceof org.apache.kafka.common.errors.SslAuthenticationException
                        || e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException, e.getCause().toString());
            }

            Map<String, String> m = new HashMap<>();
            m.put(StreamsAppConfig.BOOTSTRAP_SERVERS, bootstrap);
            m.put(StreamsAppConfig.APPLICATION_ID, "tls-app");
            m.put(StreamsAppConfig.STATE_DIR, tmp.resolve("state").toString());
            m.put(StreamsAppConfig.BATCH_SIZE, "4");
            m.put(StreamsAppConfig.BATCH_MAX_WAIT_MS, "100");
            m.put(StreamsAppConfig.TOPICS_PARTITIONS, "2");
            m.put(StreamsAppConfig.ENCODER_DEVICE, "cpu");
            m.put(StreamsAppConfig.ENCODER_THREADS, "1");
            m.put("commit.interval.ms", "100");
            m.put("metrics.port", "0");
            sec.forEach((k, v) -> m.put(k, v.toString())); // security.protocol=SSL, ssl.* pass straight through
            StreamsAppConfig cfg = new StreamsAppConfig(m);
            var t = cfg.topics();

            Map<String, Object> pp = new HashMap<>(sec);
            pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            pp.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 * 1024 * 1024);
            prepareTopics(cfg, sec);
        StreamsApp app = StreamsMain.create(cfg);
            try (StreamsOps ops = StreamsOps.attach(app, cfg); app;
                 var producer = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer())) {
                app.start();
                assertTrue(app.awaitRunning(Duration.ofSeconds(90)), "RUNNING over TLS: " + app.state());
                assertEquals("UP", ops.checks().ready().checks().get("kafka").state().name(),
                        ops.checks().ready().checks().toString());
                producer.send(new ProducerRecord<>(t.modelsRegistry(), MODEL,
                        AvroSerde.of(ModelVersion.class).toBytes(E2eSupport.realModel(1, 7)))).get();
                assertTrue(app.models().awaitVersion(1, Duration.ofSeconds(60)), app.models().lastRejection());
                for (RawCif r : mp) {
                    producer.send(new ProducerRecord<>(t.raw(), r.id(),
                            AvroSerde.of(CrystalSubmission.class).toBytes(E2eSupport.submission(r.id(), r.text()))));
                }
                producer.flush();

                Map<String, Object> cp = new HashMap<>(sec);
                cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
                Set<String> embedded = new HashSet<>();
                AvroSerde<CrystalEmbedding> serde = AvroSerde.of(CrystalEmbedding.class);
                try (var c = new KafkaConsumer<>(cp, new StringDeserializer(), serde)) {
                    List<TopicPartition> tps = c.partitionsFor(t.embeddings()).stream()
                            .map(pi -> new TopicPartition(t.embeddings(), pi.partition())).toList();
                    c.assign(tps);
                    c.seekToBeginning(tps);
                    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                    while (embedded.size() < mp.size() && System.nanoTime() < deadline) {
                        for (var r : c.poll(Duration.ofMillis(200))) {
                            assertEquals(1, r.value().getModelVersion());
                            embedded.add(r.key());
                        }
                    }
                }
                assertEquals(mp.stream().map(RawCif::id).collect(java.util.stream.Collectors.toSet()), embedded);
            }
        }
    }

    /** Creates the app's topics (Topics.ensure waits for leaders of the ones it creates; StreamsApp.start waits for all it uses). */
    static void prepareTopics(StreamsAppConfig cfg, Map<String, Object> security) {
        Map<String, Object> a = new HashMap<>(security);
        a.put("bootstrap.servers", cfg.getString(StreamsAppConfig.BOOTSTRAP_SERVERS));
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(a)) {
            var t = cfg.topics();
            t.ensureAll(admin, cfg.getInt(StreamsAppConfig.TOPICS_PARTITIONS), java.util.Optional.empty());
        }
    }
}
