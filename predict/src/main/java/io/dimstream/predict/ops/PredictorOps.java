package io.dimstream.predict.ops;

import io.dimstream.core.ops.HealthChecks;
import io.dimstream.core.ops.KafkaOps;
import io.dimstream.core.ops.OpsConfig;
import io.dimstream.core.ops.OpsMetrics;
import io.dimstream.core.ops.OpsServer;
import io.dimstream.predict.PredictorConfig;
import io.dimstream.predict.PredictorService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Metrics ({@code dimstream_predictor_*}) and health of the predictor service, plus its ops endpoint. */
public final class PredictorOps implements AutoCloseable {

    private final OpsMetrics metrics = new OpsMetrics("predictor");
    private final HealthChecks checks = new HealthChecks();
    private final Admin admin;
    private final OpsServer server;

    public PredictorOps(PredictorService svc, PredictorConfig cfg, OpsConfig ops) {
        bind(metrics.registry(), svc);
        Map<String, Object> adminProps = new HashMap<>(cfg.kafka());
        adminProps.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(k));
        adminProps.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "dimstream-predictor-ops");
        this.admin = Admin.create(adminProps);
        checks.readiness("kafka", KafkaOps.clusterCheck(admin, Duration.ofSeconds(3), Duration.ofSeconds(5)));
        this.server = OpsServer.start(ops, metrics, checks);
    }

    public static void bind(MeterRegistry r, PredictorService svc) {
        FunctionCounter.builder("dimstream.predictor.fits", svc, PredictorService::fits)
                .description("Prediction head refits").register(r);
        FunctionCounter.builder("dimstream.predictor.predictions", svc, PredictorService::published)
                .description("Predictions published").register(r);
    }

    public OpsMetrics metrics() {
        return metrics;
    }

    public OpsServer server() {
        return server;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        admin.close(Duration.ofSeconds(5));
        metrics.close();
    }
}
