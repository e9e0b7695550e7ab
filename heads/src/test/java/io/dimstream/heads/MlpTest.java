package io.dimstream.heads;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MlpTest {
    @Test
    void learnsANonLinearTargetThatRidgeCannot() {
        Random r = new Random(3);
        int n = 600;
        double[][] x = new double[n][4];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 4; j++) {
                x[i][j] = r.nextGaussian();
            }
            y[i] = x[i][0] * x[i][0] + 0.5 * Math.abs(x[i][1]); // even function: no linear signal
        }
        FittedHead ridge = new RidgeLooTrainer().fit(x, y);
        FittedHead mlp = CrossValidatedTrainer.mlp(5, 7).fit(x, y);
        assertTrue(mlp.cvMae() < 0.5 * ridge.cvMae(), "mlp " + mlp.cvMae() + " vs ridge " + ridge.cvMae());
    }
}
