package io.dimstream.cli.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code dimstream bench ...}: single-thread throughput benchmarks (add yours to subcommands). */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Throughput benchmarks (single thread, median of several runs).",
        subcommands = {
            ParseBench.class,
            FeaturizeBench.class,
            TrainBench.class,
            EmbedBench.class,
            IngestBench.class,
            E2eBench.class,
            FailoverBench.class,
            SwapBench.class,
            HeadsBench.class,
            LargeCellBench.class,
            SearchBench.class,
            CorpusBench.class,
        })
public final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * The default dataset: {@code <dimstream.home>/../shared/data/<name>} (the shared data folder
     * next to the checkout), else {@code <dimstream.home>/shared/data/<name>}; null when neither exists.
     */
    public static Path defaultData(String name) {
        String home = System.getProperty("dimstream.home", ".");
        for (Path p : new Path[] {Path.of(home, "..", "shared", "data", name), Path.of(home, "shared", "data", name)}) {
            if (Files.exists(p)) {
                return p.normalize();
            }
        }
        return null;
    }
}
