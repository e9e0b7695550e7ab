package io.dimstream.heads;

/**
 * Fits a head on (embedding, label) rows, choosing hyper-parameters by cross-validation (the predictor's
 * entry point; implementations adapt {@link RegressionHead}s: {@link RidgeLooTrainer}, {@link CrossValidatedTrainer}).
 */
public interface HeadTrainer {

    FittedHead fit(double[][] x, double[] y);

    /** Short name (ridge, mlp). */
    String kind();
}
