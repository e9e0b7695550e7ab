package io.dimstream.predict.ops;

import io.dimstream.core.ops.OpsConfig;
import io.dimstream.core.ops.ServiceOps;
import io.dimstream.predict.PredictorConfig;
import io.dimstream.predict.PredictorService;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/** Metrics ({@code dimstream_predictor_*}) and health of the predictor service, plus its ops endpoint. */
public final class PredictorOps extends ServiceOps {

    public PredictorOps(PredictorService svc, PredictorConfig cfg, OpsConfig ops) {
        super("predictor", cfg.kafka(), "dimstream-predictor-ops");
        bind(metrics.registry(), svc);
        serve(ops);
    }

    public static void bind(MeterRegistry r, PredictorService svc) {
        FunctionCounter.builder("dimstream.predictor.fits", svc, PredictorService::fits)
                .description("Prediction head refits").register(r);
        FunctionCounter.builder("dimstream.predictor.predictions", svc, PredictorService::published)
                .description("Predictions published").register(r);
    }
}
