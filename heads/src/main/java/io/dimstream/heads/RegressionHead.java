package io.dimstream.heads;

/**
 * A regression head fitted on fixed feature vectors (frozen embeddings or composition features). The one
 * implementation of the heads: the label-masking evaluation ({@code io.dimstream.eval}) calls it
 * directly with its own fit/validation split; the predictor reaches it through the {@link HeadTrainer}
 * adapters ({@link RidgeLooTrainer}, {@link CrossValidatedTrainer}).
 */
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
    interface Fitted extends Head {

        default double[] predict(double[][] x) {
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = predict(x[i]);
            }
            return out;
        }
    }
}
