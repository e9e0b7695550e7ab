package io.dimstream.predict.heads;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        LinearHead ols = RidgeRegression.fit(x, y, 0);
        assertEquals(2.0, ols.weights()[0], 1e-12);
        assertEquals(1.0, ols.intercept(), 1e-12);
        LinearHead r1 = RidgeRegression.fit(x, y, 1);
        assertEquals(1.5, r1.weights()[0], 1e-12);
        assertEquals(1.5, r1.intercept(), 1e-12);
        assertEquals(1.5, r1.predict(new double[] {0}), 1e-12);
        assertEquals(4.5, r1.predict(new float[] {2f}), 1e-12);
        LinearHead r3 = RidgeRegression.fit(x, y, 3);
        assertEquals(1.0, r3.weights()[0], 1e-12);
        assertEquals(2.0, r3.intercept(), 1e-12);
    }

    @Test
    void constantColumnsGetZeroWeightAndScaleDoesNotMatter() {
        // second column constant; third = 1000 × first: standardisation makes ridge scale-invariant
        double[][] x = {{0, 7, 0}, {1, 7, 1000}, {2, 7, 2000}, {3, 7, 3000}};
        double[] y = {1, 2, 4, 5};
        LinearHead h = RidgeRegression.fit(x, y, 0.5);
        assertEquals(0.0, h.weights()[1], 0);
        assertEquals(h.weights()[0], 1000 * h.weights()[2], 1e-9);
        double[][] x1 = {{0}, {1}, {2}, {3}};
        LinearHead h1 = RidgeRegression.fit(x1, y, 0.25); // two identical standardised columns share λ: 2β each
        assertEquals(h1.predict(new double[] {1.5}), h.predict(new double[] {1.5, 7, 1500}), 1e-9);
    }

    @Test
    void crossValidationPicksSmallLambdaForCleanLinearData() {
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
        FittedHead f = new RidgeCvTrainer().fit(x, y);
        assertTrue(f.cvMae() > 0.04 && f.cvMae() < 0.06, "cv MAE " + f.cvMae());
        assertTrue(f.details().get("lambda") <= 1.0, "lambda " + f.details().get("lambda"));
        LinearHead h = (LinearHead) f.head();
        assertEquals(3.0, h.weights()[0], 0.02);
        assertEquals(-2.0, h.weights()[1], 0.02);
        assertEquals(0.5, h.intercept(), 0.02);
        assertEquals(n, f.n());
    }

    @Test
    void crossValidationShrinksWhenThereIsNoSignal() {
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
        FittedHead f = new RidgeCvTrainer().fit(x, y);
        assertTrue(f.details().get("lambda") >= 100, "lambda " + f.details().get("lambda"));
        // predicting ~the mean: MAE of a standard normal is sqrt(2/pi) = 0.80
        assertTrue(f.cvMae() > 0.65 && f.cvMae() < 1.0, "cv MAE " + f.cvMae());
        // deterministic: same data, same head
        assertEquals(f.cvMae(), new RidgeCvTrainer().fit(x, y).cvMae(), 0);
    }

    @Test
    void tooFewRowsGiveAHeadWithoutCvMae() {
        FittedHead f = new RidgeCvTrainer().fit(new double[][] {{0}, {1}, {2}}, new double[] {1, 3, 5});
        assertTrue(Double.isNaN(f.cvMae()));
        assertEquals(3, f.n());
    }
}
