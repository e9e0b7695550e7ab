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
                + "passes, critics, backward, AdamW) on the default architecture, timed after warm-up.")
public final class TrainBench implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "CSV", description = "CIF corpus (default: shared train.csv.gz).")
    Path data;

    @Option(names = "--structures", defaultValue = "600", description = "Structures to load (default: ${DEFAULT-VALUE}).")
    int structures;

    @Option(names = "--steps", defaultValue = "8", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", defaultValue = "2", description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        List<FeaturizedCrystal> cs = BenchData.load(data, structures);
        System.out.println("bench train: " + BenchData.sizes(cs) + ", " + threads + " threads");
        TrainThroughput.Result r = TrainThroughput.measure(cs, TrainConfig.defaults(), warmup, steps);
        System.out.printf("bench train: %d steps, %d structures in %.1f s: %.1f structures/s "
                + "(median step %.0f ms, median %.0f structures/step)%n", r.steps(), r.structures(), r.seconds(),
                r.structuresPerSecond(), r.medianStepMillis(), r.medianStructuresPerStep());
        return 0;
    }
}
