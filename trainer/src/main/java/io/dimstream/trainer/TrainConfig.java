package io.dimstream.trainer;

import io.dimstream.trainer.dim.DimObjective.DimWeights;
import io.dimstream.trainer.model.SiteNetConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Everything that shapes a training run. Defaults follow the DIM paper's compact Site-Net model.
 *
 * @param arch                 encoder and critic architecture
 * @param weights              loss weights (DIM local/global 1.0, KL local/global 0.1)
 * @param learningRate         AdamW learning rate (1e-4)
 * @param weightDecay          AdamW decoupled weight decay (1e-4)
 * @param amsgrad              AMSGrad variant (true)
 * @param maxSitesPerBatch     cap on real primitive sites per batch (1200)
 * @param maxPairsPerBatch     cap on padded pairs B*S*J per batch (12,000: keeps the [B,S,J,64] activations
 *                             cache-sized; on CPU larger batches are memory-bound and several times slower
 *                             per structure. Raise it on a GPU.)
 * @param maxBatch             cap on crystals per batch
 * @param seed                 seed of init, batch order, noise and false pairs
 * @param checkpointDir        where checkpoint.bin is written (and resumed from when present)
 * @param checkpointEverySteps also checkpoint every this many steps (0 = only at epoch ends and the end)
 * @param progressBar          draw a console progress bar
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
        boolean progressBar) {

    public static TrainConfig defaults() {
        return new TrainConfig(SiteNetConfig.defaults(), DimWeights.defaults(), 1e-4, 1e-4, true, 1200, 12_000L, 512,
                0L, Optional.empty(), 200, true);
    }

    public TrainConfig withArch(SiteNetConfig a) {
        return new TrainConfig(a, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, checkpointEverySteps, progressBar);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, s, checkpointDir, checkpointEverySteps, progressBar);
    }

    public TrainConfig withLearningRate(double lr) {
        return new TrainConfig(arch, weights, lr, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch, maxBatch,
                seed, checkpointDir, checkpointEverySteps, progressBar);
    }

    public TrainConfig withBatchCaps(int sites, long pairs, int batch) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, sites, pairs, batch, seed,
                checkpointDir, checkpointEverySteps, progressBar);
    }

    public TrainConfig withCheckpointDir(Path dir) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, Optional.ofNullable(dir), checkpointEverySteps, progressBar);
    }

    public TrainConfig withCheckpointEverySteps(int n) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, n, progressBar);
    }

    public TrainConfig withProgressBar(boolean on) {
        return new TrainConfig(arch, weights, learningRate, weightDecay, amsgrad, maxSitesPerBatch, maxPairsPerBatch,
                maxBatch, seed, checkpointDir, checkpointEverySteps, on);
    }

    /** Flat description for model.json. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", arch.toMap());
        m.put("dimWeightLocal", weights.localDim());
        m.put("dimWeightGlobal", weights.globalDim());
        m.put("klWeightLocal", weights.klLocal());
        m.put("klWeightGlobal", weights.klGlobal());
        m.put("optimizer", amsgrad ? "AdamW(amsgrad)" : "AdamW");
        m.put("learningRate", learningRate);
        m.put("weightDecay", weightDecay);
        m.put("maxSitesPerBatch", maxSitesPerBatch);
        m.put("maxPairsPerBatch", maxPairsPerBatch);
        m.put("maxBatch", maxBatch);
        m.put("seed", seed);
        return m;
    }
}
