package io.dimstream.trainer.eval;

/** A regression head fitted on fixed feature vectors (frozen embeddings or composition features). */
public interface RegressionHead {

    /**
     * Fits on the labelled subset and returns the fitted predictor.
     *
     * @param fitX  rows used for fitting
     * @param fitY  their targets
     * @param valX  held-out rows of the labelled subset for model selection (may be empty; heads
     *              that select internally, like ridge's leave-one-out, fit on fit + validation)
     * @param valY  their targets
     * @param seed  seed for any randomness (initialisation, batch order)
     */
    Fitted fit(double[][] fitX, double[] fitY, double[][] valX, double[] valY, long seed);

    /** A fitted head. */
    interface Fitted {
        double predict(double[] x);

        default double[] predict(double[][] x) {
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = predict(x[i]);
            }
            return out;
        }
    }
}
