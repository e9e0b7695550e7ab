package io.dimstream.heads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HeadsTest {

    @Test
    void ridgeRecoversALinearFunction() {
        SplittableRandom r = new SplittableRandom(1);
        double[][] x = new double[60][3];
        double[] y = new double[60];
        for (int i = 0; i < 60; i++) {
            x[i] = new double[] {r.nextDouble(-1, 1), r.nextDouble(-5, 5), 3.0}; // third column constant
            y[i] = 2 * x[i][0] - 0.5 * x[i][1] + 1;
        }
        RidgeHead.Model m = new RidgeHead().fit(x, y);
        assertEquals(1e-3, m.alpha(), 0, "noise-free data should pick the smallest penalty");
        assertEquals(2 * 0.3 - 0.5 * 2 + 1, m.predict(new double[] {0.3, 2, 3}), 1e-3);
        assertTrue(m.looMae() < 1e-3);
    }

    @Test
    void ridgeInterceptOnlyOnHandCase() {
        // one constant feature: the model must predict the mean of y
        double[][] x = {{1}, {1}, {1}, {1}};
        double[] y = {1, 2, 3, 6};
        assertEquals(3.0, new RidgeHead().fit(x, y).predict(new double[] {1}), 1e-12);
    }

    @Test
    void ridgePicksLargerPenaltyForNoise() {
        SplittableRandom r = new SplittableRandom(2);
        int n = 40;
        int d = 30;
        double[][] x = new double[n][d];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                x[i][k] = r.nextDouble(-1, 1);
            }
            y[i] = r.nextDouble(-1, 1); // pure noise
        }
        assertTrue(new RidgeHead().fit(x, y).alpha() >= 10, "pure noise with d close to n needs strong shrinkage");
    }

    @Test
    void mlpLearnsANonlinearFunctionThatRidgeCannot() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 300;
        double[][] x = new double[n][1];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i][0] = r.nextDouble(-2, 2);
            y[i] = x[i][0] * x[i][0];
        }
        double[][] fitX = java.util.Arrays.copyOfRange(x, 0, 240);
        double[] fitY = java.util.Arrays.copyOfRange(y, 0, 240);
        double[][] valX = java.util.Arrays.copyOfRange(x, 240, 300);
        double[] valY = java.util.Arrays.copyOfRange(y, 240, 300);
        double[][] testX = new double[41][1];
        double[] testY = new double[41];
        for (int i = 0; i <= 40; i++) {
            testX[i][0] = -1.9 + 3.8 * i / 40;
            testY[i] = testX[i][0] * testX[i][0];
        }
        MlpHead.Model mlp = new MlpHead().fit(fitX, fitY, valX, valY, 0);
        double mlpMae = mae(mlp.predict(testX), testY);
        double ridgeMae = mae(new RidgeHead().fit(fitX, fitY, valX, valY, 0).predict(testX), testY);
        assertTrue(mlpMae < 0.1, "mlp MAE " + mlpMae);
        assertTrue(ridgeMae > 0.5, "ridge MAE " + ridgeMae);
        // deterministic for a seed
        assertEquals(mlpMae, mae(new MlpHead().fit(fitX, fitY, valX, valY, 0).predict(testX), testY), 0);
    }

    private static double mae(double[] predicted, double[] actual) {
        double s = 0;
        for (int i = 0; i < actual.length; i++) {
            s += Math.abs(predicted[i] - actual[i]);
        }
        return s / actual.length;
    }
}
