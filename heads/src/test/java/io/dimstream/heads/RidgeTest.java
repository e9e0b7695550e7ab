package io.dimstream.heads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RidgeTest {

    @Test
    void handCheckedOneDimensionalCase() {
        // x = 0,1,2; y = 1,3,5 (y = 2x + 1). Standardised: mu = 1, sigma = sqrt(2/3), z = (x-1)/sigma, Σz² = 3,
        // Σz(y-3) = 4/sigma. beta = (4/sigma)/(3 + λ); w = beta/sigma = 4/(2/3)/(3+λ) = 6/(3+λ); b = 3 - w.
        double[][] x = {{0}, {1}, {2}};
        double[] y = {1, 3, 5};
        RidgeHead.Model ols = new RidgeHead(0).fit(x, y);
        assertEquals(2.0, ols.weightsOriginalUnits()[0], 1e-12);
        assertEquals(1.0, ols.predict(new double[] {0}), 1e-12);
        RidgeHead.Model r1 = new RidgeHead(1).fit(x, y);
        assertEquals(1.5, r1.weightsOriginalUnits()[0], 1e-12);
        assertEquals(1.5, r1.predict(new double[] {0}), 1e-12);
        assertEquals(4.5, r1.predict(new float[] {2f}), 1e-12);
        RidgeHead.Model r3 = new RidgeHead(3).fit(x, y);
        assertEquals(1.0, r3.weightsOriginalUnits()[0], 1e-12);
        assertEquals(2.0, r3.predict(new double[] {0}), 1e-12);
        // a one-value grid reports that value; a grid picks the lowest leave-one-out MAE (here the smallest α)
        assertEquals(1.0, r1.alpha(), 0);
        assertEquals(0.0, new RidgeHead(3, 1, 0).fit(x, y).alpha(), 0);
        assertThrows(IllegalArgumentException.class, () -> r1.predict(new double[] {1, 2}));
    }

    @Test
    void leaveOneOutErrorOfOlsOnThreePointsIsHandChecked() {
        // x = 0,1,2; y = 0,0,3. OLS (α = 0) fit: y = 1.5x - 0.5, residuals 0.5, -1, 0.5; leverages 5/6, 1/3, 5/6;
        // LOO residuals 3, -1.5, 3 → LOO MAE 2.5, RMSE sqrt((9 + 2.25 + 9) / 3) = sqrt(6.75).
        RidgeHead.Model m = new RidgeHead(0).fit(new double[][] {{0}, {1}, {2}}, new double[] {0, 0, 3});
        assertEquals(2.5, m.looMae(), 1e-9);
        assertEquals(Math.sqrt(6.75), m.looRmse(), 1e-9);
    }

    @Test
    void constantColumnsGetZeroWeightAndScaleDoesNotMatter() {
        // second column constant; third = 1000 × first: standardisation makes ridge scale-invariant
        double[][] x = {{0, 7, 0}, {1, 7, 1000}, {2, 7, 2000}, {3, 7, 3000}};
        double[] y = {1, 2, 4, 5};
        RidgeHead.Model h = new RidgeHead(0.5).fit(x, y);
        double[] w = h.weightsOriginalUnits();
        assertEquals(0.0, w[1], 0);
        assertEquals(w[0], 1000 * w[2], 1e-9);
        double[][] x1 = {{0}, {1}, {2}, {3}};
        RidgeHead.Model h1 = new RidgeHead(0.25).fit(x1, y); // two identical standardised columns share α: 2β each
        assertEquals(h1.predict(new double[] {1.5}), h.predict(new double[] {1.5, 7, 1500}), 1e-9);
    }

    @Test
    void leaveOneOutPicksSmallPenaltyForCleanLinearData() {
        Random r = new Random(1);
        int n = 300;
        int d = 8;
        double[][] x = new double[n][d];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = r.nextGaussian();
            }
            y[i] = 3 * x[i][0] - 2 * x[i][1] + 0.5 + (r.nextDouble() - 0.5) * 0.2; // noise U(-0.1, 0.1): MAE 0.05
        }
        FittedHead f = new RidgeLooTrainer().fit(x, y);
        assertTrue(f.cvMae() > 0.04 && f.cvMae() < 0.06, "cv MAE " + f.cvMae());
        assertTrue(f.details().get("alpha") <= 1.0, "alpha " + f.details().get("alpha"));
        RidgeHead.Model h = (RidgeHead.Model) f.head();
        assertEquals(3.0, h.weightsOriginalUnits()[0], 0.02);
        assertEquals(-2.0, h.weightsOriginalUnits()[1], 0.02);
        assertEquals(0.5, h.predict(new double[d]), 0.02);
        assertEquals(f.cvMae(), h.looMae(), 0);
        assertTrue(f.cvRmse() >= f.cvMae());
        assertEquals(n, f.n());
    }

    @Test
    void leaveOneOutShrinksWhenThereIsNoSignal() {
        Random r = new Random(2);
        int n = 60;
        int d = 40;
        double[][] x = new double[n][d];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = r.nextGaussian();
            }
            y[i] = r.nextGaussian();
        }
        FittedHead f = new RidgeLooTrainer().fit(x, y);
        assertTrue(f.details().get("alpha") >= 100, "alpha " + f.details().get("alpha"));
        // predicting ~the mean: MAE of a standard normal is sqrt(2/pi) = 0.80
        assertTrue(f.cvMae() > 0.65 && f.cvMae() < 1.0, "cv MAE " + f.cvMae());
        // deterministic: same data, same head
        assertEquals(f.cvMae(), new RidgeLooTrainer().fit(x, y).cvMae(), 0);
    }

    @Test
    void tooFewRowsAreRejectedWithACode() {
        new RidgeLooTrainer().fit(new double[][] {{0}, {1}}, new double[] {1, 3}); // 2 rows: fine
        HeadException e = assertThrows(HeadException.class, () -> new RidgeLooTrainer().fit(new double[][] {{0}}, new double[] {1}));
        assertEquals("head.too_few_labels", e.code());
    }
}
