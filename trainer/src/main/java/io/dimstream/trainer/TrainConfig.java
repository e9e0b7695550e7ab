package io.dimstream.trainer;

import io.dimstream.trainer.dim.DimObjective.DimWeights;
import io.dimstream.trainer.model.SiteNetConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Everything that shapes a training run. Defaults follow the DIM paper's compact Site-Net model, except
 * the pair cap and AdamW's eps (see {@link #paper()} and docs/pretraining.md).
 *
 * @param arch                 encoder and critic architecture
 * @param weights              loss weights (DIM local/global 1.0, KL local/global 0.1)
 * @param learningRate         AdamW (peak) learning rate (1e-4)
 * @param weightDecay          AdamW decoupled weight decay (1e-4)
 * @param amsgrad              AMSGrad variant (true)
 * @param maxSitesPerBatch     cap on real primitive sites per batch (1200)
 * @param maxPairsPerBatch     cap on padded pairs B*S*J per batch (12,000: keeps the [B,S,J,64] activations
 *                             cache-sized; on CPU larger batches are memory-bound and several times slower
 *                             per structure. Raise it on a GPU.)
 * @param maxBatch             cap on crystals per batch
 * @param seed                 seed of init, batch order, noise and false pairs
 * @param checkpointDir        where checkpoint.bin and history.jsonl are written (and resumed from when present)
 * @param checkpointEverySteps also checkpoint every this many steps (0 = only at epoch ends and the end)
 * @param progressBar          draw a console progress bar (otherwise progress lines with ETA go to the log)
 * @param lrSchedule           learning-rate schedule (constant, no warm-up)
 * @param adamEps              AdamW epsilon (1e-8, PyTorch's default; the paper's config uses 1e-7)
 * @param logEverySteps        without a progress bar: a progress line every this many steps, and at least
 *                             once a minute (0 = once a minute only)
 * @param device               where to train: {@code auto} (a GPU when the engine sees one, else the CPU),
 *                             {@code cpu}, {@code gpu} or {@code gpu:N}; see {@link TrainingDevice}
 */
public record TrainConfig(
        SiteNetConfig arch,
        DimWeights weights,
        double learningRate,
        double weightDecay,
        boolean amsgrad,
        int maxSitesPerBatch,
        long maxPairsPerBatch,
        int maxBatch,
        long seed,
        Optional<Path> checkpointDir,
        int checkpointEverySteps,
        boolean progressBar,
        LrSchedule lrSchedule,
        double adamEps,
        int logEverySteps,
        String device) {

    /** Pair cap meaning "no cap beyond the site cap" (the paper batches by sites only). */
    public static final long NO_PAIR_CAP = Long.MAX_VALUE;

    public TrainConfig {
        if (lrSchedule == null) {
            lrSchedule = LrSchedule.constant();
        }
        if (device == null) {
            device = "auto";
        }
        TrainingDevice.parse(device); // fails early on a malformed spec
    }

    public static TrainConfig defaults() {
        return new TrainConfig(SiteNetConfig.defaults(), DimWeights.defaults(), 1e-4, 1e-4, true, 1200, 12_000L, 512,
                0L, Optional.empty(), 200, true, LrSchedule.constant(), 1e-8, 0, "auto");
    }

    /**
     * The authors' {@code compact_dim_nocomp_klnorm.yaml}: AdamW with amsgrad, lr 1e-4, eps 1e-7, weight
     * decay 1e-4, dynamic batches of 1,200 sites with no extra pair cap, DIM weights 1.0, KL weights 0.1,
     * Mish, pre-pool [64, 128], post-pool [64, 64], dot spaces 128 (the architecture is
     * {@link SiteNetConfig#defaults()}). Site features stay dimstream's featurizer (docs/pretraining.md).
     */
    public static TrainConfig paper() {
        return defaults().withBatchCaps(1200, NO_PAIR_CAP, Integer.MAX_VALUE).withAdamEps(1e-7);
    }

    /**
     * The authors' second configuration: {@link #paper()} plus the composition loss (weight 1.0), a decoder
     * from the global embedding to the element fractions.
     */
    public static TrainConfig paperComposition() {
        return paper().withWeights(DimWeights.defaults().withComposition(1.0));
    }

    /** A preset by name: {@code default}, {@code paper} or {@code paper-comp}. */
    public static TrainConfig preset(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "default" -> defaults();
            case "paper" -> paper();
            case "paper-comp" -> paperComposition();
            default -> throw new IllegalArgumentException("unknown preset '" + name
                    + "' (expected default, paper or paper-comp)");
        };
    }

    public TrainConfig withWeights(DimWeights w) {
        return new TrainConfig(arch, w, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, checkpointEverySteps, progressBar, lrSchedule, adamEps, logEverySteps, device);
    }

    public TrainConfig withArch(SiteNetConfig a) {
        return new TrainConfig(a, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, checkpointEverySteps, progressBar, lrSchedule, adamEps, logEverySteps, device);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, s, checkpointDir, checkpointEverySteps, progressBar, lrSchedule, adamEps, logEverySteps, device);
    }

    public TrainConfig withLearningRate(double lr) {
        return new TrainConfig(arch, weights, lr, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch, maxBatch,
                seed, checkpointDir, checkpointEverySteps, progressBar, lrSchedule, adamEps, logEverySteps, device);
    }

    public TrainConfig withBatchCaps(int sites, long pairs, int batch) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, sites, pairs, batch, seed,
                checkpointDir, checkpointEverySteps, progressBar, lrSchedule, adamEps, logEverySteps, device);
    }

    public TrainConfig withCheckpointDir(Path dir) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, Optional.ofNullable(dir), checkpointEverySteps, progressBar, lrSchedule, adamEps,
                logEverySteps, device);
    }

    public TrainConfig withCheckpointEverySteps(int n) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, n, progressBar, lrSchedule, adamEps, logEverySteps, device);
    }

    public TrainConfig withProgressBar(boolean on) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, checkpointEverySteps, on, lrSchedule, adamEps, logEverySteps, device);
    }

    public TrainConfig withLrSchedule(LrSchedule s) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, checkpointEverySteps, progressBar, s, adamEps, logEverySteps, device);
    }

    public TrainConfig withAdamEps(double eps) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, checkpointEverySteps, progressBar, lrSchedule, eps, logEverySteps, device);
    }

    public TrainConfig withLogEverySteps(int n) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, checkpointEverySteps, progressBar, lrSchedule, adamEps, n, device);
    }

    public TrainConfig withDevice(String d) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, checkpointEverySteps, progressBar, lrSchedule, adamEps, logEverySteps, d);
    }

    /** Flat description for model.json. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", arch.toMap());
        m.put("dimWeightLocal", weights.localDim());
        m.put("dimWeightGlobal", weights.globalDim());
        m.put("klWeightLocal", weights.klLocal());
        m.put("klWeightGlobal", weights.klGlobal());
        m.put("compositionWeight", weights.composition());
        m.put("optimizer", amsgrad ? "AdamW(amsgrad)" : "AdamW");
        m.put("learningRate", learningRate);
        m.put("lrSchedule", lrSchedule.name());
        m.put("warmupSteps", lrSchedule.warmupSteps());
        m.put("adamEps", adamEps);
        m.put("weightDecay", weightDecay);
        m.put("maxSitesPerBatch", maxSitesPerBatch);
        m.put("maxPairsPerBatch", maxPairsPerBatch == NO_PAIR_CAP ? "none" : maxPairsPerBatch);
        m.put("maxBatch", maxBatch == Integer.MAX_VALUE ? "none" : maxBatch);
        m.put("seed", seed);
        return m;
    }
}
