package io.dimstream.cli;

import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.Budget;
import io.dimstream.trainer.Checkpoint;
import io.dimstream.trainer.DimTrainer;
import io.dimstream.trainer.ModelBundle;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.TrainResult;
import io.dimstream.trainer.data.Corpus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dimstream pretrain --data CSV --out DIR [budget]}: DIM pretraining → model directory. */
@Command(
        name = "pretrain",
        mixinStandardHelpOptions = true,
        description = {
            "Pretrain the Site-Net encoder with Deep InfoMax (DJL/PyTorch; see docs/encoder.md).",
            "Reads CIF inputs, featurizes them and holds out --val-fraction for validation.",
            "Trains within the budget (default 1 epoch) and writes DIR/model.onnx, DIR/model.json and DIR/checkpoint.bin.",
            "Re-running with the same --out resumes from DIR/checkpoint.bin (e.g. after a crash)."
        })
public final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "INPUT",
            description = "CSV[.gz] with a 'cif' column, .cif files or directories.")
    List<Path> data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to write.")
    Path out;

    @Option(names = "--epochs", paramLabel = "N", description = "Stop after N epochs.")
    Integer epochs;

    @Option(names = "--minutes", paramLabel = "M", description = "Stop after M minutes of training.")
    Double minutes;

    @Option(names = "--max-structures", paramLabel = "N", description = "Stop after N training structures seen.")
    Long maxStructures;

    @Option(names = "--max-steps", paramLabel = "N", description = "Stop after N optimizer steps.")
    Long maxSteps;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--warm-start", paramLabel = "DIR", description = "Start from the weights of a previous model directory.")
    Path warmStart;

    @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "Read at most N input records (0 = all).")
    long limit;

    @Option(names = "--val-fraction", defaultValue = "0.05", description = "Held-out validation share (default: ${DEFAULT-VALUE}).")
    double valFraction;

    @Option(names = "--name", defaultValue = ModelBundle.DEFAULT_NAME, description = "Model name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--model-version", paramLabel = "V", description = "Model version (default: warm start's + 1, else 1).")
    Integer version;

    @Option(names = "--lr", description = "AdamW learning rate (default 1e-4).")
    Double lr;

    @Option(names = "--max-sites-per-batch", defaultValue = "1200", description = "Batch cap on primitive sites (default: ${DEFAULT-VALUE}).")
    int maxSitesPerBatch;

    @Option(names = "--threads", defaultValue = "0", description = "PyTorch intra-op threads (0 = engine default).")
    int threads;

    @Option(names = "--checkpoint-every", defaultValue = "200", paramLabel = "STEPS", description = "Checkpoint interval (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        Budget budget;
        try {
            budget = epochs == null && minutes == null && maxStructures == null && maxSteps == null ? Budget.epochs(1)
                    : new Budget(epochs == null ? 0 : epochs,
                            minutes == null ? null : Duration.ofMillis((long) (minutes * 60_000)),
                            maxSteps == null ? 0 : maxSteps, maxStructures == null ? 0 : maxStructures);
        } catch (IllegalArgumentException e) {
            System.err.println("pretrain: " + e.getMessage());
            return 2;
        }
        int v = version != null ? version : 1;
        if (warmStart != null) {
            Path wj = warmStart.resolve(ModelMetadata.FILE_NAME);
            if (!Files.isRegularFile(warmStart.resolve(Checkpoint.FILE_NAME))) {
                System.err.println("pretrain: warm start " + warmStart + " has no " + Checkpoint.FILE_NAME);
                return 2;
            }
            if (version == null && Files.isRegularFile(wj)) {
                v = ModelMetadata.read(wj).version() + 1;
            }
        }
        long t0 = System.nanoTime();
        Corpus corpus = Corpus.load(data, limit, new SiteNetFeaturizer());
        if (corpus.crystals().isEmpty()) {
            System.err.println("pretrain: no structures could be featurized from " + data);
            return 1;
        }
        List<List<FeaturizedCrystal>> split = Corpus.split(corpus.crystals(), valFraction, seed);
        System.err.printf("pretrain: %d structures featurized (%d skipped) in %.1f s; %d train, %d validation%n",
                corpus.crystals().size(), corpus.failed(), (System.nanoTime() - t0) / 1e9, split.get(0).size(),
                split.get(1).size());
        TrainConfig cfg = TrainConfig.defaults().withSeed(seed).withCheckpointDir(out)
                .withCheckpointEverySteps(checkpointEvery).withProgressBar(!noProgress);
        cfg = cfg.withBatchCaps(maxSitesPerBatch, cfg.maxPairsPerBatch(), cfg.maxBatch());
        if (lr != null) {
            cfg = cfg.withLearningRate(lr);
        }
        Files.createDirectories(out);
        TrainResult r = new DimTrainer(cfg).train(split.get(0), split.get(1), budget, Optional.ofNullable(warmStart),
                null);
        Checkpoint full = Checkpoint.read(out.resolve(Checkpoint.FILE_NAME));
        ModelBundle bundle = ModelBundle.create(name, v, r, cfg, full);
        bundle.write(out);
        Map<String, Double> m = r.validation();
        System.err.printf("pretrain: %s v%d written to %s: %d steps, %d structures, %.1f structures/s%n", name, v, out,
                r.steps(), r.structuresSeen(), r.structuresPerSecond());
        if (!m.isEmpty()) {
            System.err.printf("pretrain: validation local DIM %.4f (was %s), global DIM %.4f (was %s), "
                    + "local critic acc %.3f, global critic acc %.3f%n", m.get("val_local_dim"),
                    fmt(r.initialValidation().get("val_local_dim")), m.get("val_global_dim"),
                    fmt(r.initialValidation().get("val_global_dim")), m.getOrDefault("val_local_acc", Double.NaN),
                    m.getOrDefault("val_global_acc", Double.NaN));
        }
        return 0;
    }

    private static String fmt(Double d) {
        return d == null ? "n/a" : String.format("%.4f", d);
    }
}
