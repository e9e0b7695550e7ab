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
        description = {"Fit per-property heads (ridge by default, or a small MLP) on the embeddings of labelled structures",
            "of the current model version and publish predictions for every embedding to crystals.predictions.",
            "Settings: see docs/ingest-and-predict.md (bootstrap.servers, properties, head, cv.folds, min.labels, debounce.ms)."})
public final class PredictCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with the predictor settings.")
    Path config;

    @Option(names = {"-b", "--bootstrap-servers"}, description = "Overrides bootstrap.servers of the config.")
    String bootstrapServers;

    @Option(names = "--head", description = "Overrides head (ridge | mlp).")
    String head;

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
        try {
            svc.run();
        } finally {
            done.countDown();
        }
        System.out.println("predict: " + svc.fits() + " fits, " + svc.published() + " predictions published; last: " + svc.lastFitSummary());
        return 0;
    }
}
