package io.dimstream.cli.service;

import io.dimstream.trainer.service.CandidateTrainers;
import io.dimstream.trainer.service.TrainerConfig;
import io.dimstream.trainer.service.TrainerService;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dimstream trainer --config FILE [--once]}: the trainer service. */
@Command(name = "trainer", mixinStandardHelpOptions = true,
        description = {
            "Run the trainer service: re-pretrain the DIM encoder as the corpus grows and publish gated models.",
            "It follows crystals.features into a local corpus and re-pretrains every schedule.interval.ms when >= min.new.structures arrived (or once with --once).",
            "It gates the candidate and publishes it to models.registry + models.history; it stops on SIGTERM."
        })
public final class TrainerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(TrainerCommand.class);

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--once", description = "Catch up with the features topic, train and publish one version, exit.")
    boolean once;

    @Override
    public Integer call() throws Exception {
        TrainerConfig cfg = TrainerConfig.load(kafka.config(), kafka.overrides());
        return KafkaOptions.onLargeStack("dimstream-trainer", () -> {
            TrainerService opened;
            try {
                opened = new TrainerService(cfg, CandidateTrainers.create(cfg));
            } catch (io.dimstream.core.DimstreamException e) {
                // e.g. corpus.locked: another trainer has the disk corpus open; one line, no stack trace
                System.err.println("trainer: " + e.code() + ": " + e.getMessage());
                return 2;
            }
            try (TrainerService svc = opened) {
                if (once) {
                    var r = svc.runOnce(Duration.ofMinutes(5));
                    System.out.printf("%s v%d %s: %s%n", cfg.getString(TrainerConfig.MODEL_NAME), r.version(), r.status(),
                            r.reason());
                    return 0;
                }
                Thread hook = new Thread(() -> {
                    log.info("signal received: stopping the trainer");
                    try {
                        svc.close();
                    } catch (Exception e) {
                        log.warn("trainer close: {}", e.toString());
                    }
                }, "dimstream-trainer-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                try (var ops = io.dimstream.trainer.ops.TrainerOps.attach(svc, cfg)) {
                    svc.run();
                }
                return 0;
            }
        });
    }
}
