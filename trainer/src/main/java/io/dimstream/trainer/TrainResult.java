package io.dimstream.trainer;

import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import java.util.List;
import java.util.Map;

/**
 * Outcome of {@link DimTrainer#train}.
 *
 * @param arch                architecture of the weights
 * @param weights             trained weights (host copies; encoder and critics)
 * @param featurizerVersion   featurizer version of the training data
 * @param initialValidation   validation metrics before the first step of this run (empty if no val set)
 * @param validation          validation metrics after the last step ({@code val_local_dim},
 *                            {@code val_global_dim}, {@code val_kl_local}, {@code val_kl_global},
 *                            {@code val_total}, {@code val_local_acc}, {@code val_global_acc}, critic
 *                            scores {@code val_local_true}/{@code val_local_false}/...)
 * @param history             per-epoch records
 * @param steps               optimizer steps in total (including resumed ones)
 * @param structuresSeen      training structures seen in total
 * @param seconds             wall time of this run
 * @param structuresPerSecond training throughput of this run
 * @param resumed             whether the run resumed from a checkpoint
 * @param epochs              finished epochs in total (including resumed ones)
 * @param totalWallSeconds    training wall time summed over every invocation of the run
 * @param lastLearningRate    learning rate of the last step
 */
public record TrainResult(
        SiteNetConfig arch,
        Map<String, Params.Tensor> weights,
        int featurizerVersion,
        Map<String, Double> initialValidation,
        Map<String, Double> validation,
        List<TrainListener.Epoch> history,
        long steps,
        long structuresSeen,
        double seconds,
        double structuresPerSecond,
        boolean resumed,
        int epochs,
        double totalWallSeconds,
        double lastLearningRate) {}
