package io.dimstream.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpsServerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();
    private OpsMetrics metrics;
    private HealthChecks checks;
    private OpsServer server;

    @BeforeEach
    void start() {
        metrics = new OpsMetrics("test-service");
        checks = new HealthChecks();
        server = OpsServer.start(OpsConfig.ephemeral(), metrics, checks);
    }

    @AfterEach
    void stop() {
        server.close();
        metrics.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url(path))).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static double sample(String exposition, String seriesPrefix) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(seriesPrefix) + "[^\\n]* ([0-9.eE+-]+|NaN)$").matcher(exposition);
        if (!m.find()) {
            throw new AssertionError("no sample " + seriesPrefix + " in:\n" + exposition);
        }
        return Double.parseDouble(m.group(1));
    }

    @Test
    void bindsLoopbackAndServesCountersThatMove() throws Exception {
        assertTrue(server.url("/").startsWith("http://127.0.0.1:"), server.url("/"));
        Counter c = Counter.builder("dimstream.records.in").tag("stage", "featurize").register(metrics.registry());
        Timer t = Timer.builder("dimstream.inference.latency").register(metrics.registry());

        HttpResponse<String> r1 = get("/metrics");
        assertEquals(200, r1.statusCode());
        assertTrue(r1.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        assertEquals(0.0, sample(r1.body(), "dimstream_records_in_total{service=\"test-service\",stage=\"featurize\"}"));

        c.increment(7);
        t.record(Duration.ofMillis(12));
        t.record(Duration.ofMillis(30));
        String body = get("/metrics").body();
        assertEquals(7.0, sample(body, "dimstream_records_in_total{service=\"test-service\",stage=\"featurize\"}"));
        assertEquals(2.0, sample(body, "dimstream_inference_latency_seconds_count{service=\"test-service\"}"));
        assertEquals(0.042, sample(body, "dimstream_inference_latency_seconds_sum{service=\"test-service\"}"), 1e-9);
        // JVM meters are bound too
        assertTrue(body.contains("jvm_memory_used_bytes{"), "JVM meters missing");
    }

    @Test
    void openMetricsOnRequest() throws Exception {
        Counter.builder("dimstream.swaps").register(metrics.registry()).increment();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url("/metrics")))
                .header("Accept", "application/openmetrics-text; version=1.0.0").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
        assertTrue(r.body().strip().endsWith("# EOF"), "OpenMetrics ends with # EOF");
    }

    @Test
    void healthAndReadinessFollowChecks() throws Exception {
        HttpResponse<String> h = get("/health");
        assertEquals(200, h.statusCode());
        assertEquals("UP", json.readTree(h.body()).get("status").asText());
        assertEquals("test-service", json.readTree(h.body()).get("service").asText());
        assertEquals(200, get("/ready").statusCode());

        AtomicReference<CheckResult> kafka = new AtomicReference<>(CheckResult.down("no answer from Kafka"));
        AtomicReference<CheckResult> model = new AtomicReference<>(CheckResult.waiting("waiting for the first model"));
        checks.readiness("kafka", kafka::get).readiness("model", model::get);

        HttpResponse<String> r = get("/ready");
        assertEquals(503, r.statusCode());
        JsonNode body = json.readTree(r.body());
        assertEquals("DOWN", body.get("status").asText());
        assertEquals("DOWN", body.at("/checks/kafka/status").asText());
        assertEquals("no answer from Kafka", body.at("/checks/kafka/detail").asText());
        assertEquals("WAITING", body.at("/checks/model/status").asText());
        assertEquals(200, get("/health").statusCode(), "readiness checks do not affect liveness");

        kafka.set(CheckResult.up("cluster x, 1 broker(s)"));
        r = get("/ready");
        assertEquals(200, r.statusCode(), "waiting for the first model counts as ready");
        assertEquals("WAITING", json.readTree(r.body()).get("status").asText());

        model.set(CheckResult.up("serving v1"));
        assertEquals("UP", json.readTree(get("/ready").body()).get("status").asText());

        checks.liveness("stream-threads", () -> {
            throw new IllegalStateException("thread died");
        });
        HttpResponse<String> dead = get("/health");
        assertEquals(503, dead.statusCode());
        assertEquals("IllegalStateException: thread died", json.readTree(dead.body()).at("/checks/stream-threads/detail").asText());
        assertEquals(503, get("/ready").statusCode(), "a dead service is not ready");
    }

    @Test
    void unknownPathsAndMethods() throws Exception {
        assertEquals(404, get("/nope").statusCode());
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(server.url("/metrics")))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void configParsing() {
        assertEquals(new OpsConfig("127.0.0.1", 9464), OpsConfig.from(java.util.Map.of()));
        assertEquals(new OpsConfig("0.0.0.0", 9500),
                OpsConfig.from(java.util.Map.of("metrics.port", "9500", "metrics.bind.address", "0.0.0.0")));
        assertEquals(null, OpsServer.start(OpsConfig.disabled(), metrics, checks));
        assertEquals(1234, OpsConfig.defaults().withPort(1234).port());
        assertEquals(9465, OpsConfig.from(java.util.Map.of(), OpsConfig.TRAINER_PORT).port());
        assertEquals(7000, OpsConfig.from(java.util.Map.of("metrics.port", "7000"), OpsConfig.TRAINER_PORT).port());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> OpsConfig.from(java.util.Map.of("metrics.port", "many")));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new OpsConfig("x", 70000));
    }

    @Test
    void portInUseIsAClearError() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class,
                () -> OpsServer.start(new OpsConfig("127.0.0.1", server.port()), metrics, checks));
        assertTrue(e.getMessage().contains("cannot listen for metrics on 127.0.0.1:" + server.port()), e.getMessage());
    }
}
