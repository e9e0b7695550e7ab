package io.dimstream.eval;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.List;

/** An encoder (pretrained or random) as used by the evaluation. */
public interface RepresentationModel extends AutoCloseable {

    /** Short description for the report (e.g. "DIM, 20 min, 12 epochs"). */
    String describe();

    /** Frozen embeddings, one row per crystal, in order. */
    float[][] embed(List<FeaturizedCrystal> crystals);

    /** Frozen embedding ⊕ mean and std over sites of the local site vectors, one row per crystal, in order. */
    float[][] embedWithPooledLocal(List<FeaturizedCrystal> crystals);

    /**
     * Fine-tunes a copy of this encoder with a fresh regression head on the task's fit part, keeps
     * the weights of the step with the lowest validation MAE, and returns its predictions for the
     * task's {@code predict} crystals. This model's own weights are not changed.
     */
    double[] fineTune(FineTuneTask task);

    @Override
    void close();

    /** A fine-tuning job: labelled fit and validation parts, the crystals to predict, a budget. */
    record FineTuneTask(
            List<FeaturizedCrystal> fit,
            double[] fitY,
            List<FeaturizedCrystal> validation,
            double[] validationY,
            List<FeaturizedCrystal> predict,
            int steps,
            int batchSize,
            double learningRate,
            int evalEvery,
            long seed,
            int patience) {

        /** A fixed budget of {@code steps} (no early stopping). */
        public FineTuneTask(List<FeaturizedCrystal> fit, double[] fitY, List<FeaturizedCrystal> validation,
                double[] validationY, List<FeaturizedCrystal> predict, int steps, int batchSize, double learningRate,
                int evalEvery, long seed) {
            this(fit, fitY, validation, validationY, predict, steps, batchSize, learningRate, evalEvery, seed, 0);
        }
    }
}
