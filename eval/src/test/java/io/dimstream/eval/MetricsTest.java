package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void maeOnHandCheckedCase() {
        // |1-2| + |2-2| + |3-5| = 3 over 3 rows
        assertEquals(1.0, Metrics.mae(new double[] {1, 2, 3}, new double[] {2, 2, 5}), 1e-12);
        assertEquals(0.25, Metrics.mae(new double[] {-0.5, 0.5}, new double[] {-0.25, 0.25}), 1e-12);
    }

    @Test
    void quartilesInterpolateLikeNumpy() {
        double[] v = {4, 1, 3, 2}; // sorted 1 2 3 4
        assertEquals(2.5, Metrics.median(v), 1e-12);
        assertEquals(1.75, Metrics.quantile(v, 0.25), 1e-12); // numpy.percentile(v, 25)
        assertEquals(3.25, Metrics.quantile(v, 0.75), 1e-12);
        Metrics.Summary s = Metrics.summarize(v);
        assertEquals(1.5, s.iqr(), 1e-12);
        assertEquals(4, s.n());
        assertEquals(7.0, Metrics.median(new double[] {7}), 0);
        assertEquals(2.0, Metrics.median(new double[] {5, 2, 1}), 0);
    }

    @Test
    void rejectsMismatchedOrEmptyInput() {
        assertThrows(IllegalArgumentException.class, () -> Metrics.mae(new double[] {1}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> Metrics.mae(new double[0], new double[0]));
        assertThrows(IllegalArgumentException.class, () -> Metrics.quantile(new double[0], 0.5));
    }

    @org.junit.jupiter.api.Test
    void calibrationCountsErrorsWithinOneAndTwoSigmaAndRanksThem() {
        double[] truth = {0, 0, 0, 0};
        double[] pred = {0.5, 1.5, 2.5, 0.1};
        double[] sigma = {1, 1, 1, 0.05};
        RunResult.Calibration c = Metrics.calibration(pred, sigma, truth);
        org.junit.jupiter.api.Assertions.assertEquals(0.25, c.within1(), 1e-12); // 0.5 only
        org.junit.jupiter.api.Assertions.assertEquals(0.75, c.within2(), 1e-12); // 0.5, 1.5 and 0.1 (= 2 x 0.05)
        // |error| ranks 2,3,4,1; sigma ranks 3,3,3,1 (ties averaged): positive correlation
        org.junit.jupiter.api.Assertions.assertEquals(0.7745966692414834, c.spearman(), 1e-12);
        org.junit.jupiter.api.Assertions.assertEquals(1.0, Metrics.spearman(new double[] {1, 2, 3}, new double[] {10, 20, 30}), 1e-12);
        org.junit.jupiter.api.Assertions.assertEquals(-1.0, Metrics.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
    }
}
