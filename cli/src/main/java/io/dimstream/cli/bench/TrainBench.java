package io.dimstream.cli.bench;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.bench.TrainThroughput;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dimstream bench train}: DIM training throughput (structures/s) on DJL/PyTorch. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "DIM pretraining throughput: full optimizer steps (encoder, 3 engineered false-environment "
                + "passes, critics, backward, AdamW) on the default architecture, timed after warm-up, on the batches "
                + "training draws (the whole corpus, shuffled size buckets); reports structures/s and pairs/s.")
public final class TrainBench implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "CSV", description = "CIF corpus (default: shared train.csv.gz).")
    Path data;

    @Option(names = "--structures", defaultValue = "0",
            description = "Structures to load (0 = the whole file, the training mix; default: ${DEFAULT-VALUE}).")
    int structures;

    @Option(names = "--steps", defaultValue = "200",
            description = "Timed steps: the first batches of a training epoch's plan, i.e. a random draw of its "
                    + "size-bucketed batches (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "5", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", defaultValue = "2", description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--max-pairs", defaultValue = "0",
            description = "Cap on padded pairs per training batch (0 = TrainConfig default).")
    long maxPairs;

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        List<FeaturizedCrystal> cs = BenchData.load(data, structures);
        System.out.println("bench train: " + BenchData.sizes(cs) + ", " + threads + " threads");
        long cpu0 = BenchData.cpuNanos();
        TrainThroughput.Result r = TrainThroughput.measure(cs, maxPairs > 0 ? TrainConfig.defaults()
                .withBatchCaps(TrainConfig.defaults().maxSitesPerBatch(), maxPairs, TrainConfig.defaults().maxBatch())
                : TrainConfig.defaults(), warmup, steps);
        double cpuSecs = (BenchData.cpuNanos() - cpu0) / 1e9;
        System.out.printf("bench train: %d steps, %d structures in %.1f s: %.1f structures/s "
                + "(median step %.0f ms, median %.0f structures/step)%n", r.steps(), r.structures(), r.seconds(),
                r.structuresPerSecond(), r.medianStepMillis(), r.medianStructuresPerStep());
        System.out.printf("bench train: %.0f pairs/s (S x J); the epoch: %d structures, %d batches, %.2e pairs, "
                + "~%.0f s at this pair rate%n", r.pairsPerSecond(), r.epochStructures(), r.epochSteps(),
                (double) r.epochPairs(), r.epochSecondsEstimate());
        System.out.printf("bench train: process CPU %.1f s for warm-up + timed steps (%s)%n", cpuSecs,
                BenchData.load());
        return 0;
    }
}
