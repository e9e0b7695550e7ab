package io.dimstream.cli;

import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.Budget;
import io.dimstream.trainer.Checkpoint;
import io.dimstream.trainer.DimTrainer;
import io.dimstream.trainer.LrSchedule;
import io.dimstream.trainer.ModelCard;
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
            "Also writes the per-epoch DIR/history.jsonl and DIR/loss_curve.png, and the model card (card.json, MODEL_CARD.md, pretrain_ids.txt.gz).",
            "Re-running with the same --out resumes from DIR/checkpoint.bin.",
            "--epochs, --max-steps and --max-structures are totals of the whole run (a larger value extends it); --minutes applies to each invocation."
        })
public final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "INPUT",
            description = "CSV[.gz] with a 'cif' column, .cif files or directories.")
    List<Path> data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to write.")
    Path out;

    @Option(names = "--epochs", paramLabel = "N", description = "Train until N epochs in total (across resumes).")
    Integer epochs;

    @Option(names = "--minutes", paramLabel = "M", description = "Stop after M minutes of training in this invocation.")
    Double minutes;

    @Option(names = "--max-structures", paramLabel = "N", description = "Stop after N training structures seen in total.")
    Long maxStructures;

    @Option(names = "--max-steps", paramLabel = "N", description = "Stop after N optimizer steps in total.")
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

    @Option(names = "--preset", defaultValue = "default", paramLabel = "NAME",
            description = "Training settings: default, paper (the authors' compact_dim_nocomp_klnorm.yaml: AdamW eps 1e-7,"
                    + " batches of 1,200 sites without a pair cap) or paper-comp (paper plus their composition loss,"
                    + " weight 1.0; docs/pretraining.md). Default: ${DEFAULT-VALUE}.")
    String preset;

    @Option(names = "--composition-weight", paramLabel = "W",
            description = "Weight of the composition loss (a decoder from the global embedding to the element fractions;"
                    + " 0 = off). Overrides the preset's (default and paper: 0, paper-comp: 1.0).")
    Double compositionWeight;

    @Option(names = "--lr", description = "AdamW (peak) learning rate (default 1e-4).")
    Double lr;

    @Option(names = "--lr-schedule", defaultValue = "constant", paramLabel = "KIND",
            description = "constant or cosine (to 0 at the end of the --epochs budget, else of --max-steps). Default: ${DEFAULT-VALUE}.")
    String lrSchedule;

    @Option(names = "--warmup-steps", defaultValue = "0", paramLabel = "N",
            description = "Linear learning-rate warm-up over the first N steps (default: ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Option(names = "--max-sites-per-batch", paramLabel = "N", description = "Batch cap on primitive sites (default 1200).")
    Integer maxSitesPerBatch;

    @Option(names = "--log-every", defaultValue = "0", paramLabel = "STEPS",
            description = "With --no-progress: a progress line (with ETA) every STEPS steps, and at least once a minute.")
    int logEvery;

    @Option(names = "--threads", defaultValue = "0", description = "PyTorch intra-op threads (0 = engine default).")
    int threads;

    @Option(names = "--checkpoint-every", defaultValue = "200", paramLabel = "STEPS", description = "Checkpoint interval (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
            description = "auto (GPU 0 when the PyTorch engine sees one), cpu, gpu or gpu:N; a missing GPU falls back "
                    + "to the CPU with one warning (default: ${DEFAULT-VALUE}). See docs/pretraining.md, \"Training on a GPU\".")
    String device;

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
        TrainConfig preCfg;
        try {
            preCfg = TrainConfig.preset(preset).withLrSchedule(LrSchedule.parse(lrSchedule, warmupSteps));
            if (compositionWeight != null) {
                if (!(compositionWeight >= 0) || compositionWeight.isInfinite()) {
                    throw new IllegalArgumentException("--composition-weight must be a number >= 0, got " + compositionWeight);
                }
                preCfg = preCfg.withWeights(preCfg.weights().withComposition(compositionWeight));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("pretrain: " + e.getMessage());
            return 2;
        }
        if (preCfg.lrSchedule().needsHorizon() && epochs == null && maxSteps == null) {
            System.err.println("pretrain: --lr-schedule " + preCfg.lrSchedule().name()
                    + " needs --epochs or --max-steps (the schedule ends there)");
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
        TrainConfig cfg = preCfg.withSeed(seed).withCheckpointDir(out)
                .withCheckpointEverySteps(checkpointEvery).withProgressBar(!noProgress).withLogEverySteps(logEvery)
                .withDevice(device);
        if (maxSitesPerBatch != null) {
            cfg = cfg.withBatchCaps(maxSitesPerBatch, cfg.maxPairsPerBatch(), cfg.maxBatch());
        }
        if (lr != null) {
            cfg = cfg.withLearningRate(lr);
        }
        Files.createDirectories(out);
        TrainResult r;
        try {
            r = new DimTrainer(cfg).train(split.get(0), split.get(1), budget, Optional.ofNullable(warmStart), null);
        } catch (IllegalArgumentException e) {
            // checkpoint/warm start of another architecture or featurizer, schedule without a horizon
            System.err.println("pretrain: " + e.getMessage());
            return 2;
        }
        Checkpoint full = Checkpoint.read(out.resolve(Checkpoint.FILE_NAME));
        ModelBundle bundle = ModelBundle.create(name, v, r, cfg, full);
        bundle.write(out);
        ModelCard.write(out, new ModelCard.Run(name, v, data, limit, corpus.crystals().size(), corpus.failed(),
                split.get(0).stream().map(FeaturizedCrystal::id).toList(),
                split.get(1).stream().map(FeaturizedCrystal::id).toList(), cfg, budget, r));
        Map<String, Double> m = r.validation();
        System.err.printf("pretrain: %s v%d written to %s: %d steps, %d epochs, %d structures, %.1f structures/s, "
                + "%.0f s of training in total%n", name, v, out, r.steps(), r.epochs(), r.structuresSeen(),
                r.structuresPerSecond(), r.totalWallSeconds());
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
