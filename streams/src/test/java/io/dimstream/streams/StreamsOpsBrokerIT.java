package io.dimstream.streams;

import static io.dimstream.streams.E2eSupport.MODEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.ops.ModelSigning;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.streams.ops.StreamsOps;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production streams app on a real broker with its ops endpoint: /metrics counters move while
 * structures flow, /ready follows the model, and model records that fail verification (tampered
 * bytes, forged or missing Ed25519 signature) are refused while the old model keeps serving.
 */
class StreamsOpsBrokerIT {

    static final KeyPair KEYS = ModelSigning.generate();
    static final KeyPair FORGER = ModelSigning.generate();
    static EmbeddedKafkaBroker broker;
    static List<RawCif> mp;
    final HttpClient http = HttpClient.newHttpClient();
    final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.builder().tempDir().build().start();
        mp = E2eSupport.mpSample();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    Map<String, String> config(String prefix) {
        Map<String, String> m = E2eSupport.appConfig(broker.bootstrapServers(), tmp, prefix);
        m.put("metrics.port", "0");
        m.put("model.signing.public.key", ModelSigning.publicKeyBase64(KEYS.getPublic()));
        return m;
    }

    String get(StreamsOps ops, String path, int expectStatus) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(ops.server().url(path))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(expectStatus, r.statusCode(), path + ": " + r.body());
        return r.body();
    }

    /** The value of the first sample whose series starts with {@code series} (0 when absent). */
    static double sample(String exposition, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + "[^\\n]* ([0-9.eE+-]+|NaN)$").matcher(exposition);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    double metric(StreamsOps ops, String series) throws Exception {
        return sample(get(ops, "/metrics", 200), series);
    }

    void awaitMetric(StreamsOps ops, String series, double atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        double v = 0;
        while (System.nanoTime() < deadline) {
            v = metric(ops, series);
            if (v >= atLeast) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(series + " stayed at " + v + " < " + atLeast);
    }

    static ModelVersion signed(ModelVersion mv, KeyPair k) {
        return ModelSigning.signRecord(mv, k.getPrivate());
    }

    void sendStructures(org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> p, String topic, int from, int to) {
        for (RawCif r : mp.subList(from, to)) {
            E2eSupport.send(p, topic, r.id(), E2eSupport.submission(r.id(), r.text()), CrystalSubmission.class);
        }
        p.flush();
    }

    @Test
    void metricsMoveReadinessFollowsTheModelAndUnverifiedModelsAreRefused() throws Exception {
        StreamsAppConfig cfg = new StreamsAppConfig(config("ops"));
        var t = cfg.topics();
        prepareTopics(cfg, Map.of());
        StreamsApp app = StreamsMain.create(cfg);
        String in = "dimstream_records_in_total{model=\"sitenet-dim\",service=\"streams\",stage=\"featurize\"}";
        String outEmb = "dimstream_records_out_total{mode=\"live\",model=\"sitenet-dim\",service=\"streams\",stage=\"embed\"}";
        String version = "dimstream_model_serving_version{model=\"sitenet-dim\",service=\"streams\"}";
        try (StreamsOps ops = StreamsOps.attach(app, cfg); app; var producer = E2eSupport.producer(broker.bootstrapServers())) {
            app.start();
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)));
            JsonNode waiting = json.readTree(get(ops, "/ready", 200));
            assertEquals("WAITING", waiting.at("/checks/model/status").asText(), waiting.toString());
            assertEquals("UP", waiting.at("/checks/kafka/status").asText(), waiting.toString());
            assertEquals(0.0, metric(ops, version));
            assertEquals("UP", json.readTree(get(ops, "/health", 200)).get("status").asText());

            E2eSupport.send(producer, t.modelsRegistry(), MODEL, signed(E2eSupport.realModel(1, 11), KEYS), ModelVersion.class);
            assertTrue(app.models().awaitVersion(1, Duration.ofSeconds(60)), app.models().lastRejection());
            JsonNode ready = json.readTree(get(ops, "/ready", 200));
            assertEquals("UP", ready.get("status").asText(), ready.toString());
            assertEquals("serving sitenet-dim v1", ready.at("/checks/model/detail").asText());
            assertEquals(1.0, metric(ops, version));

            // wave 1, then wave 2 with a broken CIF: the counters move between scrapes
            sendStructures(producer, t.raw(), 0, 12);
            awaitMetric(ops, outEmb, 12);
            String first = get(ops, "/metrics", 200);
            assertEquals(12.0, sample(first, in));
            sendStructures(producer, t.raw(), 12, 24);
            E2eSupport.send(producer, t.raw(), "broken", E2eSupport.submission("broken", "data_x\n_cell_length_a 3\n"),
                    CrystalSubmission.class);
            producer.flush();
            awaitMetric(ops, outEmb, 24);
            awaitMetric(ops, "dimstream_records_dlq_total{model=\"sitenet-dim\",reason=\"cif.", 1);
            String second = get(ops, "/metrics", 200);
            assertEquals(25.0, sample(second, in));
            assertTrue(sample(second, "dimstream_inference_latency_seconds_count") > sample(first,
                    "dimstream_inference_latency_seconds_count"), "inference timer moved");
            assertTrue(sample(second, "dimstream_embed_batch_size_sum{mode=\"live\"") >= 24);
            assertTrue(second.contains("kafka_stream_"), "Kafka Streams metrics bound");
            assertTrue(second.contains("dimstream_consumer_group_lag{group=\"ops-app\""), "lag gauge");

            // refused: tampered bytes (sha256), forged signature, unsigned
            ModelVersion v2 = signed(E2eSupport.realModel(2, 22), KEYS);
            byte[] bytes = new byte[v2.getOnnx().remaining()];
            v2.getOnnx().duplicate().get(bytes);
            bytes[bytes.length / 2] ^= 0x01;
            ModelVersion tampered = ModelVersion.newBuilder(v2).setOnnx(ByteBuffer.wrap(bytes)).build();
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, tampered, ModelVersion.class);
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, signed(E2eSupport.realModel(3, 33), FORGER), ModelVersion.class);
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, E2eSupport.realModel(4, 44), ModelVersion.class);
            producer.flush();
            awaitMetric(ops, "dimstream_model_rejections_total{model=\"sitenet-dim\",reason=\"signature_missing\"", 1);
            String rej = get(ops, "/metrics", 200);
            assertEquals(1.0, sample(rej, "dimstream_model_rejections_total{model=\"sitenet-dim\",reason=\"sha256_mismatch\""));
            assertEquals(1.0, sample(rej, "dimstream_model_rejections_total{model=\"sitenet-dim\",reason=\"signature_invalid\""));
            assertEquals(1.0, sample(rej, version), "v1 keeps serving");
            assertEquals(1.0, sample(rej, "dimstream_model_swaps_total"));
            assertEquals(1, app.models().currentVersion().orElse(0));
            assertTrue(app.models().lastRejection().startsWith("v4 signature_missing"), app.models().lastRejection());

            // v1 still embeds new structures
            sendStructures(producer, t.raw(), 24, 30);
            awaitMetric(ops, outEmb, 30);
            var emb = E2eSupport.readUntil(broker.bootstrapServers(), t.embeddings(), CrystalEmbedding.class,
                    l -> l.size() >= 30, Duration.ofSeconds(60), Duration.ofMillis(500));
            assertEquals(30, emb.stream().map(ConsumerRecord::key).distinct().count());
            assertTrue(emb.stream().allMatch(r -> r.value().getModelVersion() == 1), "every embedding made by v1");

            // a properly signed newer version is accepted
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, signed(E2eSupport.realModel(5, 55), KEYS), ModelVersion.class);
            producer.flush();
            assertTrue(app.models().awaitVersion(5, Duration.ofSeconds(60)), app.models().lastRejection());
            assertEquals(5.0, metric(ops, version));
            awaitMetric(ops, "dimstream_model_swaps_total", 2);

            // once everything is consumed the measured lag drops to 0
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long lag = -1;
            while (System.nanoTime() < deadline && (lag = ops.lag().refresh()) != 0) {
                Thread.sleep(200);
            }
            assertEquals(0, lag, ops.lag().lastError() + " " + ops.lag().lag());
            assertTrue(ops.lag().lag().keySet().stream().anyMatch(tp -> tp.topic().equals(t.raw())), ops.lag().lag().toString());
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
