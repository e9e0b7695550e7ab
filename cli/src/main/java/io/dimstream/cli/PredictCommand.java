package io.dimstream.cli;

import io.dimstream.predict.PredictorConfig;
import io.dimstream.predict.PredictorService;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dimstream predict --config FILE}: the property predictor service (runs until stopped). */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Fit property-prediction heads on the embeddings and publish predictions to crystals.predictions.",
            "Per property, a head (ridge by default, or a small MLP) is fitted on the embeddings of the labelled structures of the current model version; every embedding gets a prediction.",
            "Settings: see docs/ingest-and-predict.md (bootstrap.servers, properties, head, cv.folds, min.labels, debounce.ms)."})
public final class PredictCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with the predictor settings.")
    Path config;

    @Option(names = {"-b", "--bootstrap-servers"}, description = "Overrides bootstrap.servers of the config.")
    String bootstrapServers;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Port of the /metrics, /health, /ready endpoint (overrides metrics.port; 0 = any free port, -1 = none).")
    Integer metricsPort;

    @Option(names = "--head", description = "Overrides head (ridge | mlp).")
    String head;

    @Option(names = "--evaluate", paramLabel = "CSV", description = "Instead of running: score the published predictions of the held-out ids against this labels CSV and exit.")
    Path evaluate;

    @Option(names = "--holdout", defaultValue = "0.1", description = "With --evaluate: the held-out fraction given to 'ingest --labels --holdout' (default ${DEFAULT-VALUE}).")
    double holdout;

    @Option(names = "--properties", split = ",", description = "With --evaluate: properties to score (default: those of the config, else band_gap,formation_energy_per_atom).")
    java.util.List<String> properties;

    @Option(names = "--id-column", defaultValue = "material_id", description = "With --evaluate: id column of the CSV.")
    String idColumn;

    private int evaluate(PredictorConfig cfg) throws Exception {
        java.util.List<String> props = properties != null ? properties
                : !cfg.properties().isEmpty() ? cfg.properties() : java.util.List.of("band_gap", "formation_energy_per_atom");
        java.util.Map<String, java.util.Map<String, Double>> truth = new java.util.LinkedHashMap<>();
        props.forEach(pr -> truth.put(pr, new java.util.HashMap<>()));
        java.io.InputStream in = java.nio.file.Files.newInputStream(evaluate);
        if (evaluate.toString().endsWith(".gz")) {
            in = new java.util.zip.GZIPInputStream(in, 1 << 16);
        }
        try (var reader = new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8);
             var parser = org.apache.commons.csv.CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).build().parse(reader)) {
            for (var rec : parser) {
                for (String pr : props) {
                    String v = rec.isSet(pr) ? rec.get(pr).trim() : "";
                    if (!v.isEmpty()) {
                        try {
                            truth.get(pr).put(rec.get(idColumn), Double.parseDouble(v));
                        } catch (NumberFormatException ignored) {
                            // not a label
                        }
                    }
                }
            }
        }
        var latest = io.dimstream.predict.PredictionEvaluator.latestPredictions(cfg.kafka(), cfg.topics().predictions());
        var scores = io.dimstream.predict.PredictionEvaluator.score(latest, truth, holdout);
        for (var sc : scores.values()) {
            System.out.printf(java.util.Locale.ROOT,
                    "held-out %s: MAE %.4f on %d structures (model v%d, head v%d fitted on %d labels, head CV MAE %.4f)%n",
                    sc.property(), sc.mae(), sc.n(), sc.modelVersion(), sc.headVersion(), sc.labelsUsed(), sc.cvMae());
        }
        return 0;
    }

    @Override
    public Integer call() throws Exception {
        Properties p = new Properties();
        if (config != null) {
            try (var r = java.nio.file.Files.newBufferedReader(config)) {
                p.load(r);
            }
        }
        if (bootstrapServers != null) {
            p.setProperty("bootstrap.servers", bootstrapServers);
        }
        if (head != null) {
            p.setProperty("head", head);
        }
        p.putIfAbsent("bootstrap.servers", "127.0.0.1:9092");
        PredictorConfig cfg;
        try {
            cfg = PredictorConfig.from(p);
        } catch (IllegalArgumentException e) {
            System.err.println("predict: bad config: " + e.getMessage());
            return 2;
        }
        if (evaluate != null) {
            return evaluate(cfg);
        }
        PredictorService svc = new PredictorService(cfg);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            svc.stop();
            try {
                done.await(15, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                // exiting
            }
        }));
        try (var ops = new io.dimstream.predict.ops.PredictorOps(svc, cfg,
                io.dimstream.core.ops.OpsConfig.from(p, io.dimstream.core.ops.OpsConfig.PREDICTOR_PORT).withPort(metricsPort))) {
            svc.run();
        } finally {
            done.countDown();
        }
        System.out.println("predict: " + svc.fits() + " fits, " + svc.published() + " predictions published; last: " + svc.lastFitSummary());
        return 0;
    }
}
