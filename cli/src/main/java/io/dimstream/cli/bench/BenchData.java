package io.dimstream.cli.bench;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.data.Corpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Benchmark inputs: the first N featurized structures of a CIF corpus (default: the shared MP train set). */
final class BenchData {
    private BenchData() {}

    static Path defaultData() {
        String shared = System.getProperty("dimstream.shared.dir");
        if (shared != null && Files.exists(Path.of(shared, "train.csv.gz"))) {
            return Path.of(shared, "train.csv.gz");
        }
        Path p = BenchCommand.defaultData("train.csv.gz");
        return p != null ? p : Path.of("shared", "data", "train.csv.gz");
    }

    static List<FeaturizedCrystal> load(Path data, int count) throws IOException {
        Path p = data != null ? data : defaultData();
        if (!Files.exists(p)) {
            throw new IOException("benchmark data " + p + " not found (pass --data CSV[.gz])");
        }
        return Corpus.load(List.of(p), count, new SiteNetFeaturizer()).crystals();
    }

    static String sizes(List<FeaturizedCrystal> cs) {
        int[] s = cs.stream().mapToInt(FeaturizedCrystal::primSites).sorted().toArray();
        int[] j = cs.stream().mapToInt(FeaturizedCrystal::supercellSites).sorted().toArray();
        return String.format("%d structures, median S %d (max %d), median J %d (max %d)", cs.size(), s[s.length / 2],
                s[s.length - 1], j[j.length / 2], j[j.length - 1]);
    }

    /** CPU time of this process (all threads, incl. native), ns. */
    static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    static String load() {
        double l = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return String.format("load average %.1f on %d cores", l, Runtime.getRuntime().availableProcessors());
    }

    /** A /proc/self/status field in KiB (0 where /proc is missing). */
    static long kib(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
