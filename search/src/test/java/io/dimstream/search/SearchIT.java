package io.dimstream.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.core.Sha256;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Helpers of the search service's broker tests: real MP structures, real models, HTTP calls, waiting. */
final class SearchIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Path CORE_SAMPLE = Path.of("..", "src", "test", "resources", "mp-sample.csv.gz");
    static final Path TINY_MODEL = Path.of("..", "src", "test", "resources", "encoder", "tiny-model");
    static final Path BASE_MODEL = Path.of("..", "models", "base");

    private SearchIT() {
    }

    /** The 200 real MP structures of core's test resources. */
    static List<RawCif> mpSample() throws Exception {
        try (var reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(CORE_SAMPLE)),
                StandardCharsets.UTF_8)); var s = CifInputs.csv(reader, "mp-sample.csv.gz")) {
            return s.toList();
        }
    }

    /** A model directory's ONNX model as a PROMOTED registry record with the given version number. */
    static ModelVersion model(Path dir, int version) throws Exception {
        ModelMetadata m = ModelMetadata.read(dir.resolve("model.json"));
        byte[] onnx = Files.readAllBytes(dir.resolve("model.onnx"));
        ModelMetadata v = new ModelMetadata(m.name(), version, m.featurizerVersion(), m.featureDim(), m.embeddingDim(),
                m.localDim(), m.inputs(), m.outputs(), m.metrics(), Sha256.hex(onnx), Instant.now().toString(), m.config());
        return ModelRecords.toRecord(v, onnx, version > 1 ? version - 1 : null, 0, ModelStatus.PROMOTED);
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 * 1024 * 1024);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    static <T extends SpecificRecord> void send(KafkaProducer<String, byte[]> p, String topic, String key, T value, Class<T> type) {
        p.send(new ProducerRecord<>(topic, key, AvroSerde.of(type).serialize(topic, value)));
    }

    static void publish(KafkaProducer<String, byte[]> p, Topics t, ModelVersion mv) {
        send(p, t.modelsRegistry(), mv.getModelName(), mv, ModelVersion.class);
        send(p, t.modelsHistory(), mv.getModelName(), mv, ModelVersion.class);
        p.flush();
    }

    static void ingest(KafkaProducer<String, byte[]> p, Topics t, String id, String cif) {
        send(p, t.raw(), id, CrystalSubmission.newBuilder().setId(id).setSource("test").setPayload(cif)
                .setSubmittedAt(Instant.now()).build(), CrystalSubmission.class);
    }

    /** Topic names prefixed per test, as the streams tests do. */
    static Map<String, String> topicNames(String prefix) {
        Map<String, String> m = new HashMap<>();
        for (var e : Topics.DEFAULTS.entrySet()) {
            m.put(e.getKey(), prefix + "." + e.getValue());
        }
        return m;
    }

    record Response(int status, JsonNode body) {
    }

    static Response get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), JSON.readTree(r.body()));
    }

    static Response post(String url, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), JSON.readTree(r.body()));
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static void waitFor(String what, BooleanSupplier cond, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
