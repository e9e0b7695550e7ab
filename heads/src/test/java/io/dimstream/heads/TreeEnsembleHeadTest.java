package io.dimstream.heads;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TreeEnsembleHeadTest {

    /** y = step in x0 + smooth in x1 + noise; x2..x4 are distractors. */
    static double[][] x(int n, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[n][5];
        for (double[] row : x) {
            for (int k = 0; k < row.length; k++) {
                row[k] = r.nextDouble() * 2 - 1;
            }
        }
        return x;
    }

    static double[] y(double[][] x, double noise, long seed) {
        Random r = new Random(seed);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i][0] > 0 ? 2 : -1) + Math.sin(3 * x[i][1]) + noise * r.nextGaussian();
        }
        return y;
    }

    static double mae(double[] p, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += Math.abs(p[i] - y[i]);
        }
        return s / y.length;
    }

    @Test
    void bothKindsLearnANonLinearTargetFarBetterThanTheMean() {
        double[][] fx = x(400, 1);
        double[][] vx = x(100, 2);
        double[][] tx = x(500, 3);
        double[] fy = y(fx, 0.1, 4);
        double[] vy = y(vx, 0.1, 5);
        double[] ty = y(tx, 0.0, 6);
        double meanMae = mae(new double[ty.length], ty); // mean of y is ~0.5; predicting 0 is a fair baseline
        for (TreeEnsembleHead.Kind k : TreeEnsembleHead.Kind.values()) {
            TreeEnsembleHead h = new TreeEnsembleHead(k, 100, 1.0, 500, 2);
            try (TreeEnsembleHead.Model m = h.fit(fx, fy, vx, vy, 7)) {
                double e = mae(m.predict(tx), ty);
                assertTrue(e < 0.25 * meanMae, k + ": test MAE " + e + " vs baseline " + meanMae);
            }
        }
    }

    @Test
    void deterministicPerSeedAndDifferentAcrossSeeds() {
        double[][] fx = x(200, 11);
        double[][] vx = x(50, 12);
        double[] fy = y(fx, 0.3, 13);
        double[] vy = y(vx, 0.3, 14);
        double[][] tx = x(50, 15);
        for (TreeEnsembleHead.Kind k : TreeEnsembleHead.Kind.values()) {
            TreeEnsembleHead h = new TreeEnsembleHead(k, 50, 0.5, 200, 2);
            double[][] a;
            double[][] b;
            double[][] c;
            try (TreeEnsembleHead.Model m = h.fit(fx, fy, vx, vy, 3)) {
                a = m.predictWithUncertainty(tx);
            }
            try (TreeEnsembleHead.Model m = h.fit(fx, fy, vx, vy, 3)) {
                b = m.predictWithUncertainty(tx);
            }
            try (TreeEnsembleHead.Model m = h.fit(fx, fy, vx, vy, 4)) {
                c = m.predictWithUncertainty(tx);
            }
            for (int i = 0; i < tx.length; i++) {
                assertArrayEquals(a[i], b[i], 0.0, k + " row " + i);
            }
            boolean differs = false;
            for (int i = 0; i < tx.length; i++) {
                differs |= a[i][0] != c[i][0];
            }
            assertTrue(differs, k + ": another seed gives another ensemble");
        }
    }

    @Test
    void uncertaintyIsCalibratedAndLargerWhereTheNoiseIs() {
        // noise 0.05 for x3 < 0, 1.0 for x3 > 0: sigma must follow it, and about 68 % of errors lie within 1 sigma
        Random r = new Random(21);
        int n = 2000;
        double[][] x = x(n, 22);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = x[i][0] + (x[i][3] > 0 ? 1.0 : 0.05) * r.nextGaussian();
        }
        double[][] fx = java.util.Arrays.copyOfRange(x, 0, 1200);
        double[] fy = java.util.Arrays.copyOfRange(y, 0, 1200);
        double[][] vx = java.util.Arrays.copyOfRange(x, 1200, 1500);
        double[] vy = java.util.Arrays.copyOfRange(y, 1200, 1500);
        try (TreeEnsembleHead.Model m = new TreeEnsembleHead(TreeEnsembleHead.Kind.RF, 100, 1.0, 1, 2)
                .fit(fx, fy, vx, vy, 1)) {
            double[][] pu = m.predictWithUncertainty(java.util.Arrays.copyOfRange(x, 1500, n));
            double quiet = 0;
            double noisy = 0;
            int nq = 0;
            int within = 0;
            for (int i = 0; i < pu.length; i++) {
                double[] row = x[1500 + i];
                if (row[3] > 0) {
                    noisy += pu[i][1];
                } else {
                    quiet += pu[i][1];
                    nq++;
                }
                within += Math.abs(y[1500 + i] - pu[i][0]) <= pu[i][1] ? 1 : 0;
            }
            quiet /= nq;
            noisy /= pu.length - nq;
            assertTrue(noisy > 2 * quiet, "sigma noisy " + noisy + " vs quiet " + quiet);
            double share = within / (double) pu.length;
            assertTrue(share > 0.5 && share < 0.85, "share within 1 sigma " + share);
        }
    }

    @Test
    void tooFewRowsIsAClearHeadError() {
        HeadException e = assertThrows(HeadException.class,
                () -> TreeEnsembleHead.of(TreeEnsembleHead.Kind.RF).fit(new double[][] {{1}}, new double[] {1},
                        new double[0][], new double[0], 0));
        assertEquals("head.too_few_labels", e.code());
    }
}
