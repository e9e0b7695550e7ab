package io.dimstream.cli.bench;

import io.dimstream.core.cif.CifException;
import io.dimstream.core.cif.CifParser;
import io.dimstream.core.crystal.PrimitiveCell;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream bench parse}: CIF parsing throughput on one thread. The CIF texts are loaded
 * into memory first (CSV reading and gunzip are not timed); each run parses every text to full
 * cells; --warmup untimed runs precede the timed runs and the median is reported. With
 * {@code --primitive} the primitive-cell search is timed separately on the parsed structures.
 * Both wall-clock rates and rates per CPU-second of the benchmark thread are printed; the latter
 * are the per-core figures on a loaded, shared machine.
 */
@Command(name = "parse", mixinStandardHelpOptions = true,
        description = "CIF parse throughput (structures/s, single thread, median of --runs).")
public final class ParseBench implements Callable<Integer> {

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    @Option(names = "--data", paramLabel = "CSV", description = "CSV(.gz) with a cif column (default: shared train.csv.gz).")
    Path data;

    @Option(names = "--limit", defaultValue = "0", description = "Use only the first N rows (0 = all).")
    int limit;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed warm-up runs (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--primitive", description = "Also time PrimitiveCell.find (0.5 Å) on the parsed structures.")
    boolean primitive;

    @Override
    public Integer call() throws Exception {
        Path path = data != null ? data : BenchCommand.defaultData("train.csv.gz");
        if (path == null) {
            System.err.println("bench parse: no --data given and shared data/train.csv.gz not found");
            return 2;
        }
        List<String> texts = new ArrayList<>();
        long chars = 0;
        try (Stream<RawCif> s = CifInputs.read(path)) {
            for (RawCif r : (Iterable<RawCif>) s::iterator) {
                texts.add(r.text());
                chars += r.text().length();
                if (limit > 0 && texts.size() >= limit) {
                    break;
                }
            }
        }
        int n = texts.size();
        System.out.printf(Locale.ROOT, "bench parse: %d CIFs (%.1f MB of text) from %s, %d timed runs, 1 thread, Java %s%n",
                n, chars / 1e6, path, runs, Runtime.version());
        CifParser parser = new CifParser();
        List<Structure> parsed = new ArrayList<>(n);
        int errors = 0;
        for (String t : texts) { // warm-up + collect structures
            try {
                parsed.addAll(parser.parse(t, "bench"));
            } catch (CifException e) {
                errors++;
            }
        }
        long sink = 0;
        for (int w = 1; w < warmup; w++) {
            for (String t : texts) {
                try {
                    sink += parser.parse(t, "bench").size();
                } catch (CifException e) {
                    sink--;
                }
            }
        }
        double[] rates = new double[runs];
        double[] cpuRates = new double[runs];
        for (int r = 0; r < runs; r++) {
            long c0 = CPU.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (String t : texts) {
                try {
                    sink += parser.parse(t, "bench").size();
                } catch (CifException e) {
                    sink--;
                }
            }
            long dt = System.nanoTime() - t0;
            long dc = CPU.getCurrentThreadCpuTime() - c0;
            rates[r] = n / (dt / 1e9);
            cpuRates[r] = n / (dc / 1e9);
            System.out.printf(Locale.ROOT, "  run %d: %,.0f structures/s wall (%.2f us/structure), %,.0f structures per CPU-second%n",
                    r + 1, rates[r], dt / 1e3 / n, cpuRates[r]);
        }
        System.out.printf(Locale.ROOT, "parse: median %,.0f structures/s wall, %,.0f structures per CPU-second, 1 thread (%d errors, checksum %d)%n",
                median(rates), median(cpuRates), errors, sink);
        if (primitive) {
            double[] prates = new double[runs];
            double[] pcpu = new double[runs];
            int reduced = 0;
            for (int w = 0; w < Math.max(1, warmup); w++) {
                reduced = 0;
                for (Structure s : parsed) {
                    if (PrimitiveCell.find(s, PrimitiveCell.DEFAULT_SITE_TOLERANCE).size() < s.size()) {
                        reduced++;
                    }
                }
            }
            for (int r = 0; r < runs; r++) {
                long c0 = CPU.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                for (Structure s : parsed) {
                    sink += PrimitiveCell.find(s, PrimitiveCell.DEFAULT_SITE_TOLERANCE).size();
                }
                long dt = System.nanoTime() - t0;
                prates[r] = parsed.size() / (dt / 1e9);
                pcpu[r] = parsed.size() / ((CPU.getCurrentThreadCpuTime() - c0) / 1e9);
            }
            double pm = median(prates);
            double pc = median(pcpu);
            System.out.printf(Locale.ROOT, "primitive: median %,.0f structures/s wall (%.1f us/structure), %,.0f per CPU-second (%.1f us); %d of %d cells reduced%n",
                    pm, 1e6 / pm, pc, 1e6 / pc, reduced, parsed.size());
        }
        return 0;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
