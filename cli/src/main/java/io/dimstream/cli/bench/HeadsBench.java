package io.dimstream.cli.bench;

import io.dimstream.heads.CrossValidatedTrainer;
import io.dimstream.heads.Head;
import io.dimstream.heads.HeadTrainer;
import io.dimstream.heads.RidgeLooTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream bench heads}: fit and predict time of the predictor's heads on synthetic regression data
 * (a non-linear target of the first features plus noise), at several row and feature counts.
 */
@Command(name = "heads", mixinStandardHelpOptions = true,
        description = "Fit and predict time of the regression heads (ridge, mlp, rf, gbm) as the predictor runs them "
                + "(one fit with the inner validation split, no cross-validation), on synthetic data; medians of "
                + "--repeats runs.")
public final class HeadsBench implements Callable<Integer> {

    @Option(names = "--rows", split = ",", defaultValue = "1000,30000", description = "Labelled rows (default: ${DEFAULT-VALUE}).")
    List<Integer> rows;

    @Option(names = "--features", split = ",", defaultValue = "64,200", description = "Features per row (default: ${DEFAULT-VALUE}).")
    List<Integer> features;

    @Option(names = "--heads", split = ",", defaultValue = "ridge,rf,gbm,mlp", description = "Heads (default: ${DEFAULT-VALUE}).")
    List<String> heads;

    @Option(names = "--predict", defaultValue = "10000", description = "Rows predicted per timing (default: ${DEFAULT-VALUE}).")
    int predictRows;

    @Option(names = "--repeats", defaultValue = "3", description = "Runs per cell; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Override
    public Integer call() {
        System.out.printf("bench heads: %s, %d cores%n", BenchData.load(), Runtime.getRuntime().availableProcessors());
        System.out.println("| head | rows | features | fit (s) | predict (rows/s) |");
        System.out.println("|---|---|---|---|---|");
        for (String h : heads) {
            for (int n : rows) {
                for (int d : features) {
                    double[][] x = data(n, d, 1);
                    double[] y = target(x, 2);
                    double[][] px = data(predictRows, d, 3);
                    double[] fit = new double[repeats];
                    double[] pred = new double[repeats];
                    for (int r = 0; r < repeats; r++) {
                        long t0 = System.nanoTime();
                        Head head = trainer(h).fit(x, y).head();
                        long t1 = System.nanoTime();
                        double sink = 0;
                        for (double v : head.predictAll(px)) {
                            sink += v;
                        }
                        long t2 = System.nanoTime();
                        if (Double.isNaN(sink)) {
                            System.out.println("NaN prediction");
                        }
                        fit[r] = (t1 - t0) / 1e9;
                        pred[r] = predictRows / ((t2 - t1) / 1e9);
                        head.close();
                    }
                    System.out.printf(Locale.ROOT, "| %s | %d | %d | %.2f | %.0f |%n", h, n, d, median(fit), median(pred));
                }
            }
        }
        return 0;
    }

    /** One fit, as the predictor refits (cross-validation multiplies it by folds + 1). */
    private static HeadTrainer trainer(String h) {
        HeadTrainer single = switch (h) {
            case "ridge" -> new RidgeLooTrainer();
            case "rf" -> CrossValidatedTrainer.rf(2, 42);
            case "gbm" -> CrossValidatedTrainer.gbm(2, 42);
            case "mlp" -> CrossValidatedTrainer.mlp(2, 42);
            default -> throw new IllegalArgumentException("unknown head '" + h + "' (ridge, rf, gbm, mlp)");
        };
        return single instanceof CrossValidatedTrainer cv ? cv.withoutCrossValidation() : single;
    }

    static double[][] data(int n, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int k = 0; k < d; k++) {
                row[k] = r.nextDouble() * 2 - 1;
            }
        }
        return x;
    }

    static double[] target(double[][] x, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.sin(3 * x[i][0]) + x[i][1] * x[i][2] + 0.1 * (r.nextDouble() - 0.5);
        }
        return y;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
