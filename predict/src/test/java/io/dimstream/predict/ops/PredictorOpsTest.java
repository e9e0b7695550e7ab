package io.dimstream.predict.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.core.ops.OpsConfig;
import io.dimstream.predict.PredictorConfig;
import io.dimstream.predict.PredictorService;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The predictor's endpoint: its meters are there, and readiness is DOWN while Kafka does not answer. */
class PredictorOpsTest {

    @Test
    void metricsAndReadinessWithoutKafka() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort(); // nothing listens here once closed
        }
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", "127.0.0.1:" + closedPort);
        p.setProperty("kafka.reconnect.backoff.max.ms", "200");
        PredictorConfig cfg = PredictorConfig.from(p);
        PredictorService svc = new PredictorService(cfg);
        HttpClient http = HttpClient.newHttpClient();
        try (PredictorOps ops = new PredictorOps(svc, cfg, OpsConfig.ephemeral())) {
            String metrics = http.send(HttpRequest.newBuilder(URI.create(ops.server().url("/metrics"))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("dimstream_predictor_fits_total{service=\"predictor\"} 0.0"), metrics);
            assertTrue(metrics.contains("dimstream_predictor_predictions_total{service=\"predictor\"} 0.0"), metrics);
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(ops.server().url("/ready"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, ready.statusCode());
            JsonNode body = new ObjectMapper().readTree(ready.body());
            assertEquals("DOWN", body.at("/checks/kafka/status").asText(), ready.body());
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(ops.server().url("/health"))).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "alive though not ready");
        }
    }
}
