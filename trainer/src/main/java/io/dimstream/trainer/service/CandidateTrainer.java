package io.dimstream.trainer.service;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the trainer service needs from the DIM training code: train a candidate (optionally
 * warm-started from a parent) within a budget, score a model's DIM loss on a validation set, and
 * check that its ONNX export computes what the trained weights compute.
 */
public interface CandidateTrainer {

    /** Limits of one training run. */
    record Budget(Duration wallClock, int maxSteps, java.util.function.BooleanSupplier stop) {
        public Budget {
            if (stop == null) {
                stop = () -> false;
            }
        }

        public Budget(Duration wallClock, int maxSteps) {
            this(wallClock, maxSteps, null);
        }
    }

    /**
     * Trains version {@code version} of {@code modelName} on {@code train} (in memory, or streamed in blocks
     * from the disk corpus: it must not be materialised) ({@code validation} is for
     * the trainer's own monitoring; the gate scores it separately with {@link #validationLoss}).
     *
     * @param parent the serving version's trained model to warm-start from, if available
     */
    TrainedModel train(String modelName, int version, io.dimstream.trainer.TrainingData train,
                       List<FeaturizedCrystal> validation, Optional<TrainedModel> parent, Budget budget) throws Exception;

    /** {@link #train(String, int, io.dimstream.trainer.TrainingData, List, Optional, Budget)} on a list in memory. */
    default TrainedModel train(String modelName, int version, List<FeaturizedCrystal> train,
                               List<FeaturizedCrystal> validation, Optional<TrainedModel> parent, Budget budget)
            throws Exception {
        return train(modelName, version, io.dimstream.trainer.TrainingData.of(train), validation, parent, budget);
    }

    /** Mean DIM loss of {@code model} on {@code validation} (deterministic for a given input). */
    double validationLoss(TrainedModel model, List<FeaturizedCrystal> validation) throws Exception;

    /** Largest absolute difference between the trained weights' and the ONNX export's embeddings. */
    double onnxParity(TrainedModel model, List<FeaturizedCrystal> sample) throws Exception;
}
