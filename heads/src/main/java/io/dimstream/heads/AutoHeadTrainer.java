package io.dimstream.heads;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code head=auto}: fits every candidate head and keeps the one with the lowest cross-validated MAE (ties
 * and NaNs: the earlier candidate). The CV MAEs of all candidates are kept in the result's details
 * ({@code cvMae.<kind>}) and logged, so an operator sees why a head was chosen.
 */
public final class AutoHeadTrainer implements HeadTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(AutoHeadTrainer.class);

    private final List<HeadTrainer> candidates;
    private String lastChoice = "";

    public AutoHeadTrainer(List<HeadTrainer> candidates) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("auto needs at least one candidate head");
        }
        this.candidates = List.copyOf(candidates);
    }

    /** ridge, rf and gbm (the MLP is left out: on frozen embeddings it rarely beats them and costs most). */
    public static AutoHeadTrainer standard(int folds, long seed) {
        return new AutoHeadTrainer(List.of(new RidgeLooTrainer(), CrossValidatedTrainer.rf(folds, seed),
                CrossValidatedTrainer.gbm(folds, seed)));
    }

    @Override
    public String kind() {
        return "auto";
    }

    /** The kind chosen by the last fit (empty before the first). */
    public String lastChoice() {
        return lastChoice;
    }

    @Override
    public FittedHead fit(double[][] x, double[] y) {
        FittedHead best = null;
        String bestKind = "";
        Map<String, Double> cv = new LinkedHashMap<>();
        for (HeadTrainer t : candidates) {
            FittedHead f = t.fit(x, y);
            cv.put("cvMae." + t.kind(), f.cvMae());
            if (best == null || (Double.isFinite(f.cvMae()) && !(f.cvMae() >= best.cvMae()))) {
                best = f;
                bestKind = t.kind();
            }
        }
        lastChoice = bestKind;
        LOG.info("head=auto chose {} on {} rows (cross-validated MAE per head: {})", bestKind, x.length, cv);
        Map<String, Double> details = new LinkedHashMap<>(best.details());
        details.putAll(cv);
        return new FittedHead(best.head(), best.cvMae(), best.cvRmse(), best.n(), details, bestKind);
    }
}
