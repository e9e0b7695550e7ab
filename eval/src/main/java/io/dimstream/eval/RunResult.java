package io.dimstream.eval;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One run of the protocol: a method fitted on {@code labels} labelled structures drawn with {@code seed},
 * its test MAE and, for heads that give a per-structure uncertainty, its calibration on the test set.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunResult(String property, String method, int labels, long seed, double mae, Calibration calibration) {

    public RunResult(String property, String method, int labels, long seed, double mae) {
        this(property, method, labels, seed, mae, null);
    }

    /**
     * How well the predicted 1σ describes the test errors.
     *
     * @param within1  share of test structures with |error| &le; σ (0.683 for a calibrated normal σ)
     * @param within2  share with |error| &le; 2σ (0.954)
     * @param spearman Spearman rank correlation between |error| and σ (higher: σ ranks the errors)
     */
    public record Calibration(double within1, double within2, double spearman) {
    }
}
