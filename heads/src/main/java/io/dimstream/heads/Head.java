package io.dimstream.heads;

/**
 * A fitted regression head: embedding in, property value out. Immutable and thread-safe. Heads backed by
 * native memory (the XGBoost ensembles) release it in {@link #close()}; for the others it does nothing,
 * and an unclosed head is still released by the garbage collector.
 */
public interface Head extends AutoCloseable {

    @Override
    default void close() {
    }

    /** Input dimension. */
    int dim();

    double predict(double[] x);

    default double predict(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return predict(d);
    }

    /**
     * A calibrated 1σ uncertainty of {@link #predict(double[])} for this row, or NaN when the head has no
     * per-row uncertainty (callers then fall back to the head's cross-validated RMSE).
     */
    default double uncertainty(double[] x) {
        return Double.NaN;
    }

    /** Predictions for many rows (tree ensembles predict a batch in one native call). */
    default double[] predictAll(double[][] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = predict(x[i]);
        }
        return out;
    }

    /** Short description (kind and hyper-parameters), e.g. {@code ridge(alpha=0.1, loo)}. */
    String describe();
}
