package io.dimstream.trainer;

import java.util.Map;

/** Progress callbacks of {@link DimTrainer} (called on the training thread). */
public interface TrainListener {
    TrainListener NONE = new TrainListener() {};

    /** One optimizer step done. */
    record Step(int epoch, long step, long structuresSeen, double loss, double structuresPerSecond) {}

    /** An epoch done, with validation metrics (empty when there is no validation set). */
    record Epoch(int epoch, long step, double trainLoss, Map<String, Double> validation) {}

    default void onStep(Step s) {}

    default void onEpoch(Epoch e) {}
}
