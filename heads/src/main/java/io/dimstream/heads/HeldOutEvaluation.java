package io.dimstream.heads;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Held-out evaluation of a head on embeddings: ids are split deterministically by a hash of the id (the
 * same id always lands on the same side, whatever else is in the set), the head is fitted on the train
 * side and scored on the test side, next to the baseline of predicting the train mean.
 */
public final class HeldOutEvaluation {
    private HeldOutEvaluation() {
    }

    /**
     * @param nTrain       labelled structures used for fitting
     * @param nTest        held-out structures scored
     * @param mae          test mean absolute error of the head
     * @param baselineMae  test MAE of always predicting the train mean
     * @param cvMae        the head's cross-validated MAE on the train side
     */
    public record Result(int nTrain, int nTest, double mae, double baselineMae, double cvMae, String head) {
    }

    /** Evaluates on the ids present in both maps. */
    public static Result evaluate(Map<String, float[]> embeddings, Map<String, Double> labels, double testFraction, HeadTrainer trainer) {
        List<double[]> trX = new ArrayList<>();
        List<Double> trY = new ArrayList<>();
        List<double[]> teX = new ArrayList<>();
        List<Double> teY = new ArrayList<>();
        for (Map.Entry<String, Double> e : new TreeMap<>(labels).entrySet()) {
            float[] v = embeddings.get(e.getKey());
            if (v == null || e.getValue() == null || !Double.isFinite(e.getValue())) {
                continue;
            }
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                d[i] = v[i];
            }
            if (io.dimstream.core.HeldOutSplit.isHeldOut(e.getKey(), testFraction)) {
                teX.add(d);
                teY.add(e.getValue());
            } else {
                trX.add(d);
                trY.add(e.getValue());
            }
        }
        if (trX.size() < 2 || teX.isEmpty()) {
            throw new IllegalArgumentException("need at least 2 training and 1 test structure, have " + trX.size() + " and " + teX.size());
        }
        double[] y = trY.stream().mapToDouble(Double::doubleValue).toArray();
        FittedHead fit = trainer.fit(trX.toArray(new double[0][]), y);
        double mean = 0;
        for (double v : y) {
            mean += v;
        }
        mean /= y.length;
        double abs = 0;
        double base = 0;
        for (int i = 0; i < teX.size(); i++) {
            abs += Math.abs(fit.head().predict(teX.get(i)) - teY.get(i));
            base += Math.abs(mean - teY.get(i));
        }
        return new Result(trX.size(), teX.size(), abs / teX.size(), base / teX.size(), fit.cvMae(), fit.head().describe());
    }
}
