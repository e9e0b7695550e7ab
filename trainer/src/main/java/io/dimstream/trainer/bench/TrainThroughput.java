package io.dimstream.trainer.bench;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.Budget;
import io.dimstream.trainer.DimTrainer;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.TrainListener;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** Training throughput: real optimizer steps of {@link DimTrainer}, timed after warm-up steps. */
public final class TrainThroughput {
    private TrainThroughput() {}

    /**
     * @param structuresPerSecond measured structures / measured wall time
     * @param medianStepMillis    median step time
     * @param medianStructuresPerStep median batch size
     */
    public record Result(int steps, long structures, double seconds, double structuresPerSecond, double medianStepMillis,
            double medianStructuresPerStep, long pairs, double pairsPerSecond, long epochStructures, long epochPairs,
            int epochSteps) {
        /** One epoch's wall time at the measured pair rate (the batches timed are a random draw of the epoch's). */
        public double epochSecondsEstimate() {
            return epochPairs / pairsPerSecond;
        }
    }

    /** S x J pairs of a crystal (J = its neighbour or supercell atoms). */
    static long pairs(FeaturizedCrystal c) {
        return (long) c.primSites() * c.supercellSites();
    }

    /**
     * Times {@code steps} optimizer steps after {@code warmupSteps}, on the batches training draws: the epoch
     * plan of the whole of {@code crystals} (shuffled, size-bucketed, batch order shuffled), in its order.
     */
    public static Result measure(List<FeaturizedCrystal> crystals, TrainConfig cfg, int warmupSteps, int steps) {
        DimTrainer planner = new DimTrainer(cfg.withProgressBar(false));
        List<int[]> plan = planner.epochPlan(crystals, 0);
        long epochPairs = 0;
        for (FeaturizedCrystal c : crystals) {
            epochPairs += pairs(c);
        }
        long[] stepPairs = new long[plan.size()];
        for (int i = 0; i < plan.size(); i++) {
            for (int idx : plan.get(i)) {
                stepPairs[i] += pairs(crystals.get(idx));
            }
        }
        List<long[]> marks = new ArrayList<>();
        long[] start = new long[1];
        new DimTrainer(cfg.withProgressBar(false)).train(crystals, List.of(), Budget.steps(warmupSteps + steps),
                Optional.empty(), new TrainListener() {
                    long last = System.nanoTime();
                    long seen;

                    @Override
                    public void onStep(Step s) {
                        long now = System.nanoTime();
                        if (s.step() == warmupSteps) {
                            start[0] = now;
                        } else if (s.step() > warmupSteps) {
                            int k = (int) ((s.step() - 1) % stepPairs.length);
                            marks.add(new long[] {now - last, s.structuresSeen() - seen, stepPairs[k]});
                        }
                        last = now;
                        seen = s.structuresSeen();
                    }
                });
        long end = System.nanoTime();
        long n = marks.stream().mapToLong(m -> m[1]).sum();
        long p = marks.stream().mapToLong(m -> m[2]).sum();
        double secs = (end - start[0]) / 1e9;
        List<Double> ms = new ArrayList<>();
        List<Double> per = new ArrayList<>();
        for (long[] m : marks) {
            ms.add(m[0] / 1e6);
            per.add((double) m[1]);
        }
        return new Result(marks.size(), n, secs, n / secs, median(ms), median(per), p, p / secs, crystals.size(),
                epochPairs, plan.size());
    }

    static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int k = s.size();
        return k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
    }
}
