package io.dimstream.heads;

import java.util.Map;

/**
 * A head fitted on all labelled rows, with its cross-validated quality (exact leave-one-out for ridge, k-fold
 * for the MLP).
 *
 * @param head     the head refitted on all rows with the chosen hyper-parameters
 * @param cvMae    cross-validated mean absolute error of the chosen setting (NaN if too few rows)
 * @param cvRmse   same, root mean squared error
 * @param n        rows used
 * @param details  chosen hyper-parameters (for logs/reports)
 * @param kind     the head's kind (ridge, mlp, rf, gbm), published with every prediction
 */
public record FittedHead(Head head, double cvMae, double cvRmse, int n, Map<String, Double> details, String kind) {
    public FittedHead {
        details = Map.copyOf(details);
    }

    /**
     * The 1σ uncertainty published with a prediction: the head's own per-row value when it has one (tree
     * ensembles), else its cross-validated RMSE (the same for every row; NaN with too few labels).
     */
    public double uncertainty(double[] x) {
        double u = head.uncertainty(x);
        return Double.isFinite(u) ? u : cvRmse;
    }
}
