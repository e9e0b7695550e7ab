package io.dimstream.trainer.ops;

import io.dimstream.core.ops.CheckResult;
import io.dimstream.core.ops.OpsConfig;
import io.dimstream.core.ops.ServiceOps;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.trainer.service.TrainerConfig;
import io.dimstream.trainer.service.TrainerService;
import io.dimstream.trainer.service.TrainerService.RoundResult;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Metrics and health of the trainer service, read from its state on each scrape: rounds by outcome,
 * round durations, corpus size, the last round's losses and sizes, lease ownership; readiness =
 * Kafka answers. Serves {@code /metrics}, {@code /health}, {@code /ready} on {@code metrics.port}.
 */
public final class TrainerOps extends ServiceOps {

    private TrainerOps(TrainerService svc, TrainerConfig cfg, OpsConfig ops) {
        super("trainer", cfg.clientProperties(), "dimstream-trainer-ops");
        bind(metrics.registry(), svc, cfg.getString(TrainerConfig.MODEL_NAME));
        checks.readiness("lease", () -> svc.isLeader() ? CheckResult.up("active trainer")
                : CheckResult.waiting("standby: another trainer holds the lease"));
        serve(ops);
    }

    public static TrainerOps attach(TrainerService svc, TrainerConfig cfg) {
        return new TrainerOps(svc, cfg, OpsConfig.from(cfg.originals(), OpsConfig.TRAINER_PORT));
    }

    public static TrainerOps attach(TrainerService svc, TrainerConfig cfg, OpsConfig ops) {
        return new TrainerOps(svc, cfg, ops);
    }

    /** Registers the trainer meters on {@code r} (also used by tests without a server). */
    public static void bind(MeterRegistry r, TrainerService svc, String model) {
        for (ModelStatus s : List.of(ModelStatus.PROMOTED, ModelStatus.REJECTED)) {
            FunctionCounter.builder("dimstream.trainer.runs", svc, t -> t.rounds().stream().filter(x -> x.status() == s).count())
                    .description("Training rounds by outcome").tag("model", model).tag("status", s.name()).register(r);
        }
        FunctionTimer.builder("dimstream.trainer.run", svc, t -> t.rounds().size(),
                        t -> t.rounds().stream().mapToLong(RoundResult::millis).sum(), TimeUnit.MILLISECONDS)
                .description("Duration of training rounds (train + gate + publish)").tag("model", model).register(r);
        Gauge.builder("dimstream.trainer.corpus.size", svc, t -> t.corpus().size())
                .description("Structures in the trainer's local corpus").tag("model", model).register(r);
        gauge(r, svc, model, "dimstream.trainer.last.val.dim.loss", "Validation DIM loss of the last candidate",
                RoundResult::valLoss);
        gauge(r, svc, model, "dimstream.trainer.last.parent.val.dim.loss",
                "Validation DIM loss of the serving version on the same split (NaN for a first version)",
                RoundResult::parentValLoss);
        gauge(r, svc, model, "dimstream.trainer.last.train.size", "Training set size of the last round",
                RoundResult::trainSize);
        gauge(r, svc, model, "dimstream.trainer.last.version", "Version trained by the last round", RoundResult::version);
        gauge(r, svc, model, "dimstream.trainer.last.onnx.parity", "ONNX parity (max abs) of the last candidate",
                RoundResult::parity);
        Gauge.builder("dimstream.trainer.drift", svc, TrainerService::lastDrift)
                .description("Drift of the structures since the last round against the corpus it trained on "
                        + "(Jensen-Shannon bits over the no-shift expectation; NaN before the first check)")
                .tag("model", model).register(r);
        Gauge.builder("dimstream.trainer.leader", svc, t -> t.isLeader() ? 1 : 0)
                .description("1 while this trainer holds the lease").tag("model", model).register(r);
    }

    private static void gauge(MeterRegistry r, TrainerService svc, String model, String name, String description,
                              ToDoubleFunction<RoundResult> f) {
        Gauge.builder(name, svc, t -> {
            List<RoundResult> rs = t.rounds();
            return rs.isEmpty() ? Double.NaN : f.applyAsDouble(rs.get(rs.size() - 1));
        }).description(description).tag("model", model).register(r);
    }
}
