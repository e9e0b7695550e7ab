package io.dimstream.heads;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link HeadTrainer} adapter over {@link RidgeHead}: the penalty is chosen from {@link RidgeHead#ALPHAS} by
 * exact leave-one-out MAE on all labelled rows (the same algorithm as the label-masking evaluation), and
 * the reported CV error is that leave-one-out error. Deterministic: no folds, no seed.
 */
public final class RidgeLooTrainer implements HeadTrainer {
    private final RidgeHead ridge;

    public RidgeLooTrainer(double... alphas) {
        this.ridge = new RidgeHead(alphas);
    }

    public RidgeLooTrainer() {
        this.ridge = new RidgeHead();
    }

    @Override
    public String kind() {
        return "ridge";
    }

    @Override
    public FittedHead fit(double[][] x, double[] y) {
        RidgeHead.Model m = ridge.fit(x, y);
        Map<String, Double> details = new LinkedHashMap<>();
        details.put("alpha", m.alpha());
        details.put("looMae", m.looMae());
        return new FittedHead(m, m.looMae(), m.looRmse(), x.length, details, kind());
    }
}
