package io.dimstream.core.ops;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The operations side every service has: its meter registry ({@link OpsMetrics}), health checks with a
 * "kafka" readiness check (cluster answers) and a "kafka-connection" liveness check (DOWN once Kafka has
 * been unreachable for {@link #KAFKA_LIVENESS_GRACE}), the admin client behind that check, and the
 * {@code /metrics}, {@code /health}, {@code /ready} endpoint. A service's subclass registers its own
 * meters and checks in its constructor, then calls {@link #serve(OpsConfig)}.
 */
public abstract class ServiceOps implements AutoCloseable {

    protected final OpsMetrics metrics;
    protected final HealthChecks checks = new HealthChecks();
    protected final Admin admin;
    private OpsServer server;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param service      the {@code service} tag of every meter (streams, trainer, predictor)
     * @param clientProps  the service's Kafka client properties (admin keys are taken from them)
     * @param clientId     the admin client's id unless the properties set one
     */
    protected ServiceOps(String service, Map<String, Object> clientProps, String clientId) {
        this.metrics = new OpsMetrics(service);
        Map<String, Object> a = new HashMap<>(clientProps);
        a.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(k));
        a.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        this.admin = Admin.create(a);
        HealthCheck cluster = KafkaOps.clusterCheck(admin, Duration.ofSeconds(3), Duration.ofSeconds(5));
        checks.readiness("kafka", cluster);
        checks.liveness("kafka-connection", KafkaOps.connectionLiveness(cluster, KAFKA_LIVENESS_GRACE, System::nanoTime));
    }

    /** How long Kafka may be unreachable before {@code /health} reports DOWN (readiness says so at once). */
    public static final Duration KAFKA_LIVENESS_GRACE = Duration.ofSeconds(60);

    /** Starts the endpoint ({@code metrics.port}; -1 = none) once meters and checks are registered. */
    protected final void serve(OpsConfig ops) {
        this.server = OpsServer.start(ops, metrics, checks);
    }

    public OpsMetrics metrics() {
        return metrics;
    }

    public HealthChecks checks() {
        return checks;
    }

    /** The endpoint, or null when {@code metrics.port=-1}. */
    public OpsServer server() {
        return server;
    }

    /** Closes what the subclass added (before the admin client and the registry close). */
    protected void closeService() {
    }

    @Override
    public final void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (server != null) {
            server.close();
        }
        closeService();
        admin.close(Duration.ofSeconds(5));
        metrics.close();
    }
}
