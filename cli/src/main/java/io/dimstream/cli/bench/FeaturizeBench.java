package io.dimstream.cli.bench;

import io.dimstream.core.cif.CifException;
import io.dimstream.core.cif.CifParser;
import io.dimstream.core.crystal.PrimitiveCell;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.FeaturizerException;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream bench featurize}: end-to-end featurization throughput on one thread — CIF parse +
 * primitive cell + near-cubic supercell + distance tensor + site features, per structure. The CIF
 * texts are loaded into memory first (CSV reading and gunzip are not timed); a warm-up run precedes
 * the timed runs; the median is reported, along with the time split between the stages.
 */
@Command(name = "featurize", mixinStandardHelpOptions = true,
        description = "Featurize throughput, parse+primitive+supercell+distances+features (structures/s, 1 thread, median of --runs).")
public final class FeaturizeBench implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "CSV", description = "CSV(.gz) with a cif column (default: shared train.csv.gz).")
    Path data;

    @Option(names = "--limit", defaultValue = "0", description = "Use only the first N rows (0 = all).")
    int limit;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs (default: ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() throws Exception {
        Path path = data != null ? data : BenchCommand.defaultData("train.csv.gz");
        if (path == null) {
            System.err.println("bench featurize: no --data given and shared data/train.csv.gz not found");
            return 2;
        }
        if (runs < 1) {
            System.err.println("bench featurize: --runs must be at least 1");
            return 2;
        }
        List<String> texts = new ArrayList<>();
        try (Stream<RawCif> s = CifInputs.read(path)) {
            for (RawCif r : (Iterable<RawCif>) s::iterator) {
                texts.add(r.text());
                if (limit > 0 && texts.size() >= limit) {
                    break;
                }
            }
        }
        int n = texts.size();
        System.out.printf(Locale.ROOT, "bench featurize: %d CIFs from %s, featurizer v%d %s, %d timed runs, 1 thread, Java %s%n",
                n, path, SiteNetFeaturizer.VERSION, SiteNetFeaturizer.Config.DEFAULTS, runs, Runtime.version());
        CifParser parser = new CifParser();
        SiteNetFeaturizer featurizer = new SiteNetFeaturizer();

        // warm-up, and statistics of the output
        Map<String, Integer> errors = new TreeMap<>();
        List<Integer> sList = new ArrayList<>();
        List<Integer> jList = new ArrayList<>();
        List<Structure> parsed = new ArrayList<>(n);
        for (String t : texts) {
            try {
                for (Structure s : parser.parse(t, "bench")) {
                    parsed.add(s);
                    FeaturizedCrystal f = featurizer.featurize(s, "bench", "bench");
                    sList.add(f.primSites());
                    jList.add(f.supercellSites());
                }
            } catch (CifException e) {
                errors.merge(e.code(), 1, Integer::sum);
            } catch (FeaturizerException e) {
                errors.merge(e.code(), 1, Integer::sum);
            }
        }

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean cpuClock = threads.isCurrentThreadCpuTimeSupported();
        double[] rates = new double[runs];
        double[] cpuRates = new double[runs];
        long sink = 0;
        for (int r = 0; r < runs; r++) {
            long c0 = cpuClock ? threads.getCurrentThreadCpuTime() : 0;
            long t0 = System.nanoTime();
            for (String t : texts) {
                try {
                    for (Structure s : parser.parse(t, "bench")) {
                        sink += featurizer.featurize(s, "bench", "bench").distances().length;
                    }
                } catch (CifException | FeaturizerException e) {
                    sink--;
                }
            }
            long dt = System.nanoTime() - t0;
            long dc = cpuClock ? threads.getCurrentThreadCpuTime() - c0 : dt;
            rates[r] = n / (dt / 1e9);
            cpuRates[r] = n / (dc / 1e9);
            System.out.printf(Locale.ROOT, "  run %d: %,.0f structures/s wall (%.1f us/structure), %,.0f structures per CPU-second%n",
                    r + 1, rates[r], dt / 1e3 / n, cpuRates[r]);
        }
        double total = median(rates);
        double totalCpu = median(cpuRates);

        // stage split: parse alone, primitive alone, supercell+distances+features alone (medians)
        double[] parseUs = new double[runs];
        double[] primUs = new double[runs];
        double[] cellUs = new double[runs];
        List<Structure> prims = new ArrayList<>(parsed.size());
        for (Structure s : parsed) {
            prims.add(PrimitiveCell.find(s, PrimitiveCell.DEFAULT_SITE_TOLERANCE));
        }
        for (int r = 0; r < runs; r++) {
            long t0 = cpuClock ? threads.getCurrentThreadCpuTime() : System.nanoTime();
            for (String t : texts) {
                try {
                    sink += parser.parse(t, "bench").size();
                } catch (CifException e) {
                    sink--;
                }
            }
            long t1 = cpuClock ? threads.getCurrentThreadCpuTime() : System.nanoTime();
            for (Structure s : parsed) {
                sink += PrimitiveCell.find(s, PrimitiveCell.DEFAULT_SITE_TOLERANCE).size();
            }
            long t2 = cpuClock ? threads.getCurrentThreadCpuTime() : System.nanoTime();
            for (Structure p : prims) {
                try {
                    sink += featurizer.featurizeGivenCell(p, "bench", "bench").supercellSites();
                } catch (FeaturizerException e) {
                    sink--;
                }
            }
            long t3 = cpuClock ? threads.getCurrentThreadCpuTime() : System.nanoTime();
            parseUs[r] = (t1 - t0) / 1e3 / n;
            primUs[r] = (t2 - t1) / 1e3 / Math.max(1, parsed.size());
            cellUs[r] = (t3 - t2) / 1e3 / Math.max(1, prims.size());
        }
        System.out.printf(Locale.ROOT, "featurize end-to-end: median %,.0f structures/s/thread wall-clock (%.1f us/structure), "
                + "median %,.0f structures per thread CPU-second (%.1f us; the figure for a dedicated core on a shared machine)%n",
                total, 1e6 / total, totalCpu, 1e6 / totalCpu);
        System.out.printf(Locale.ROOT, "  stages (median thread-CPU us/structure): parse %.1f, primitive cell %.1f, supercell+distances+features %.1f%n",
                median(parseUs), median(primUs), median(cellUs));
        System.out.printf(Locale.ROOT, "  output: %d point sets, S median %d (max %d), J median %d (max %d), S*J median %d; rejected %s; checksum %d%n",
                sList.size(), pct(sList, 50), pct(sList, 100), pct(jList, 50), pct(jList, 100), pctProduct(sList, jList), errors, sink);
        return 0;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static int pct(List<Integer> v, int p) {
        if (v.isEmpty()) {
            return 0;
        }
        int[] a = v.stream().mapToInt(Integer::intValue).sorted().toArray();
        return a[Math.min(a.length - 1, (int) ((long) p * (a.length - 1) / 100))];
    }

    private static int pctProduct(List<Integer> s, List<Integer> j) {
        List<Integer> prod = new ArrayList<>(s.size());
        for (int i = 0; i < s.size(); i++) {
            prod.add(s.get(i) * j.get(i));
        }
        return pct(prod, 50);
    }
}
