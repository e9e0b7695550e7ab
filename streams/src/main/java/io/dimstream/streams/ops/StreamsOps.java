package io.dimstream.streams.ops;

import io.dimstream.core.ops.CheckResult;
import io.dimstream.core.ops.ConsumerLagMonitor;
import io.dimstream.core.ops.OpsConfig;
import io.dimstream.core.ops.ServiceOps;
import io.dimstream.streams.BackfillStatus;
import io.dimstream.streams.StreamsApp;
import io.dimstream.streams.StreamsAppConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Metrics, health and readiness of one streams app instance: the app's counters as tagged meters
 * ({@link CounterMetrics}), the serving model version, backfill progress, Kafka Streams' own metrics
 * ({@code kafka_stream_*}), consumer lag of the application's group, and the {@code /metrics},
 * {@code /health}, {@code /ready} endpoint.
 *
 * <ul>
 *   <li>liveness: the Kafka Streams client is not in ERROR (its threads are replaced on failure;
 *       ERROR means it gave up);</li>
 *   <li>readiness: Kafka answers, the app is RUNNING (REBALANCING counts as waiting), and a model
 *       serves, or the app is explicitly waiting for the first one (features still flow).</li>
 * </ul>
 * Create it before {@link StreamsApp#start()} so that no counter increment is missed.
 */
public final class StreamsOps extends ServiceOps {

    public static final String SERVING_VERSION = "dimstream.model.serving.version";
    public static final String BACKFILL_EMBEDDED = "dimstream.backfill.embedded";
    public static final String BACKFILL_CORPUS = "dimstream.backfill.corpus";
    public static final String BACKFILL_PROGRESS = "dimstream.backfill.progress";

    private final ConsumerLagMonitor lag;

    private StreamsOps(StreamsApp app, StreamsAppConfig cfg, OpsConfig ops) {
        super("streams", clientProperties(cfg), cfg.getString(StreamsAppConfig.APPLICATION_ID) + "-ops");
        String model = cfg.getString(StreamsAppConfig.MODEL_NAME);
        String appId = cfg.getString(StreamsAppConfig.APPLICATION_ID);
        var registry = metrics.registry();
        app.counters().addListener(new CounterMetrics(registry, Tags.of("model", model)));

        Gauge.builder(SERVING_VERSION, app.models(), m -> m.currentVersion().orElse(0))
                .description("Version of the model serving embeddings (0 = none yet)").tag("model", model)
                .register(registry);
        BackfillStatus bf = app.backfill();
        Gauge.builder(BACKFILL_EMBEDDED, bf, b -> b.tasks().values().stream()
                        .mapToLong(BackfillStatus.TaskProgress::embedded).sum())
                .description("Records re-embedded by the current backfill (this instance's tasks)").register(registry);
        Gauge.builder(BACKFILL_CORPUS, bf, b -> b.tasks().values().stream()
                        .mapToLong(BackfillStatus.TaskProgress::corpusSize).sum())
                .description("Corpus size the current backfill walks (this instance's tasks)").register(registry);
        Gauge.builder(BACKFILL_PROGRESS, bf, StreamsOps::progress)
                .description("Share of the corpus scanned by the current backfill, 0..1 (1 = done or none)")
                .register(registry);

        KafkaStreamsMetrics ksm = new KafkaStreamsMetrics(app.kafkaStreams(), Tags.of("application", appId));
        ksm.bindTo(registry);
        metrics.closeWith(ksm);

        this.lag = new ConsumerLagMonitor(admin, appId, registry, Duration.ofSeconds(5)).start(Duration.ofSeconds(10));

        checks.liveness("streams", () -> app.state() == KafkaStreams.State.ERROR
                ? CheckResult.down("Kafka Streams is in ERROR") : CheckResult.up(app.state().name()));
        checks.readiness("streams", () -> switch (app.state()) {
            case RUNNING -> CheckResult.up("RUNNING");
            case REBALANCING -> CheckResult.waiting("REBALANCING");
            default -> CheckResult.down(app.state().name());
        });
        checks.readiness("model", () -> app.models().currentVersion()
                .map(v -> CheckResult.up("serving " + model + " v" + v))
                .orElseGet(() -> CheckResult.waiting("waiting for the first " + model + " model (features still flow)"
                        + (app.models().lastRejection().isEmpty() ? "" : "; last rejected: " + app.models().lastRejection()))));
        serve(ops);
    }

    private static Map<String, Object> clientProperties(StreamsAppConfig cfg) {
        Map<String, Object> m = new HashMap<>(cfg.passThrough());
        m.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.getString(StreamsAppConfig.BOOTSTRAP_SERVERS));
        return m;
    }

    /** Binds metrics and checks to {@code app} and starts the endpoint ({@code metrics.port}, -1 = none). */
    public static StreamsOps attach(StreamsApp app, StreamsAppConfig cfg) {
        return new StreamsOps(app, cfg, OpsConfig.from(cfg.originals()));
    }

    public static StreamsOps attach(StreamsApp app, StreamsAppConfig cfg, OpsConfig ops) {
        return new StreamsOps(app, cfg, ops);
    }

    private static double progress(BackfillStatus b) {
        long scanned = 0;
        long corpus = 0;
        for (BackfillStatus.TaskProgress p : b.tasks().values()) {
            if (p.done()) {
                scanned += p.corpusSize();
            } else {
                scanned += p.scanned();
            }
            corpus += p.corpusSize();
        }
        return corpus == 0 ? 1.0 : Math.min(1.0, (double) scanned / corpus);
    }

    public ConsumerLagMonitor lag() {
        return lag;
    }

    @Override
    protected void closeService() {
        lag.close();
    }
}
