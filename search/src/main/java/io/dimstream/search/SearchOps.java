package io.dimstream.search;

import io.dimstream.core.kafka.ServiceConfig;
import io.dimstream.core.ops.CheckResult;
import io.dimstream.core.ops.OpsConfig;
import io.dimstream.core.ops.ServiceOps;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;

/**
 * Metrics ({@code dimstream_search_*}) and health of the search service on the ops endpoint every service has
 * ({@code metrics.port}, default {@value #PORT}; {@code /metrics}, {@code /health}, {@code /ready}).
 */
public final class SearchOps extends ServiceOps {

    /** The search service's default ops port (streams 9464, trainer 9465, predictor 9466). */
    public static final int PORT = 9467;

    public SearchOps(SearchService svc, SearchConfig cfg, OpsConfig ops) {
        super("search", kafka(cfg), "dimstream-search-ops");
        bind(metrics.registry(), svc);
        checks.readiness("index", () -> {
            SearchState.Serving s = svc.state().serving();
            if (svc.failure() != null) {
                return CheckResult.down("consumer stopped: " + svc.failure());
            }
            if (s == null) {
                return CheckResult.waiting("no embeddings indexed yet");
            }
            return svc.caughtUp() ? CheckResult.up("serving v" + s.version() + ", " + s.index().size() + " embeddings")
                    : CheckResult.waiting("catching up (serving v" + s.version() + ")");
        });
        serve(ops);
    }

    private static Map<String, Object> kafka(SearchConfig cfg) {
        Map<String, Object> m = new HashMap<>(cfg.passThrough());
        m.put("bootstrap.servers", cfg.getString(ServiceConfig.BOOTSTRAP_SERVERS));
        return m;
    }

    public static void bind(MeterRegistry r, SearchService svc) {
        Gauge.builder("dimstream.search.serving.version", svc, s -> s.state().serving() == null ? -1 : s.state().serving().version())
                .description("Model version the index serves (-1: none)").register(r);
        Gauge.builder("dimstream.search.serving.embeddings", svc, s -> s.state().serving() == null ? 0 : s.state().serving().index().size())
                .description("Embeddings in the serving version's index").register(r);
        Gauge.builder("dimstream.search.pending.versions", svc, s -> s.state().pending().size())
                .description("Newer versions being indexed until their backfill completes").register(r);
        FunctionCounter.builder("dimstream.search.indexed", svc, s -> s.state().stats().total())
                .description("Embeddings indexed").register(r);
        FunctionCounter.builder("dimstream.search.switches", svc, s -> s.state().switches())
                .description("Version switches").register(r);
        FunctionCounter.builder("dimstream.search.duplicates", svc, SearchService::duplicatesReported)
                .description("Near duplicates published").register(r);
        Gauge.builder("dimstream.search.freshness.p50.ms", svc, s -> s.state().stats().freshnessPercentile(0.5))
                .description("Submission to searchable, median of the recent live embeddings (-1: none)").register(r);
        Gauge.builder("dimstream.search.freshness.p99.ms", svc, s -> s.state().stats().freshnessPercentile(0.99))
                .description("Submission to searchable, 99th percentile of the recent live embeddings (-1: none)").register(r);
    }
}
