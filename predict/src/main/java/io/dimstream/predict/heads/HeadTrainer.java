package io.dimstream.predict.heads;

/** Fits a head on (embedding, label) rows, choosing hyper-parameters by k-fold cross-validation. */
public interface HeadTrainer {

    FittedHead fit(double[][] x, double[] y);

    /** Short name (ridge, mlp). */
    String kind();
}
