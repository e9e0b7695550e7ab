package io.dimstream.cli.bench;

import io.dimstream.core.LogSafe;
import io.dimstream.core.cif.CifException;
import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.trainer.Budget;
import io.dimstream.trainer.DimTrainer;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.TrainListener;
import io.dimstream.trainer.TrainingData;
import io.dimstream.trainer.service.DiskCorpus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream bench corpus}: the trainer's disk corpus at scale (issue 20). Builds a synthetic corpus
 * from a CIF set (every structure, then copies of them with perturbed fractional coordinates and lattices,
 * each with its own id, featurized like real input) into two {@link DiskCorpus} stores, a small one (the
 * first {@code --small}) and a large one (the first {@code --structures}), then trains the same number of
 * DJL steps streaming from each in a fresh JVM and reports steps/s, structures/s and the process's memory
 * (VmRSS, VmHWM). A third run trains from the small corpus loaded into memory (the memory store), for scale.
 */
@Command(name = "corpus", mixinStandardHelpOptions = true,
        description = "Trainer corpus on disk: build a synthetic corpus of perturbed copies (distinct ids) into "
                + "RocksDB stores of --small and --structures structures, then train --steps DJL steps streaming "
                + "from each (a fresh JVM per run) and report steps/s, structures/s, RSS, size on disk, build time.")
public final class CorpusBench implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(CorpusBench.class);

    @Option(names = "--data", paramLabel = "CSV", description = "CIF corpus copied (default: shared train.csv.gz).")
    Path data;

    @Option(names = "--structures", defaultValue = "1000000",
            description = "Structures of the large corpus (default: ${DEFAULT-VALUE}).")
    int structures;

    @Option(names = "--small", defaultValue = "30000",
            description = "Structures of the small corpus (the first of the same sequence; default: ${DEFAULT-VALUE}).")
    int small;

    @Option(names = "--steps", defaultValue = "200", description = "Timed training steps per run (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "5", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", defaultValue = "1", description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--build-threads", defaultValue = "1",
            description = "Threads featurizing the copies (default: ${DEFAULT-VALUE}).")
    int buildThreads;

    @Option(names = "--block", defaultValue = "4096",
            description = "Structures per shuffled block (corpus.block.size; default: ${DEFAULT-VALUE}).")
    int block;

    @Option(names = "--cache-mb", defaultValue = "64", description = "RocksDB block cache, MiB (corpus.cache.mb; "
            + "default: ${DEFAULT-VALUE}).")
    int cacheMb;

    @Option(names = "--heap", defaultValue = "2g", description = "-Xmx of each training JVM (default: ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--sigma-frac", defaultValue = "0.01",
            description = "Std. dev. of the fractional-coordinate noise of a copy (default: ${DEFAULT-VALUE}).")
    double sigmaFrac;

    @Option(names = "--sigma-strain", defaultValue = "0.01",
            description = "Std. dev. of the lattice strain of a copy (default: ${DEFAULT-VALUE}).")
    double sigmaStrain;

    @Option(names = "--seed", defaultValue = "1", description = "Perturbation and training seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where the stores go (default: a temp dir).")
    Path dir;

    @Option(names = "--keep", description = "Keep the stores afterwards (rerun with --reuse).")
    boolean keep;

    @Option(names = "--reuse", description = "Use the stores in --dir when they hold the sizes asked for.")
    boolean reuse;

    @Option(names = "--no-memory-run", description = "Skip the run from the small corpus in memory.")
    boolean noMemoryRun;

    /** Internal: one training run in this JVM ({@code disk} or {@code memory}) on the store at --dir. */
    @Option(names = "--train-run", hidden = true)
    String trainRun;

    @Override
    public Integer call() throws Exception {
        if (trainRun != null) {
            return trainHere();
        }
        Path root = dir != null ? dir : Files.createTempDirectory("dimstream-bench-corpus-");
        Path smallDir = root.resolve("small");
        Path largeDir = root.resolve("large");
        System.out.printf("bench corpus: %d and %d structures, %d timed steps (after %d) per run, %d PyTorch thread(s), "
                + "block %d, cache %d MiB, training JVMs -Xmx%s; stores under %s%n", small, structures, steps, warmup,
                threads, block, cacheMb, heap, root);
        Map<String, String> build = new LinkedHashMap<>();
        try {
            if (reuse && sizeOf(smallDir) == small && sizeOf(largeDir) == structures) {
                System.out.println("bench corpus: reusing the stores in " + root);
                build.put("build", "reused");
            } else {
                build = build(smallDir, largeDir);
            }
            long smallBytes = bytes(smallDir);
            long largeBytes = bytes(largeDir);
            System.out.printf("bench corpus: on disk %s (%d structures, %.0f B/structure) and %s (%d, %.0f B/structure)%n",
                    mib(smallBytes), small, smallBytes / (double) small, mib(largeBytes), structures,
                    largeBytes / (double) structures);
            List<Map<String, String>> runs = new ArrayList<>();
            runs.add(child("disk", largeDir, structures));
            runs.add(child("disk", smallDir, small));
            if (!noMemoryRun) {
                runs.add(child("memory", smallDir, small));
            }
            System.out.println();
            System.out.printf("%-7s %10s %8s %12s %9s %11s %10s %14s %9s %9s %10s %10s%n", "store", "corpus", "steps/s",
                    "structures/s", "pairs/s", "RSS@train", "epoch s", "epoch struct/s", "VmRSS", "VmHWM", "heap@GC",
                    "on disk");
            for (Map<String, String> r : runs) {
                long n = Long.parseLong(r.get("corpus"));
                double es = Double.parseDouble(r.get("epoch_s"));
                System.out.printf("%-7s %,10d %8.2f %12.1f %9.0f %7s MiB %10.1f %14.0f %5s MiB %5s MiB %6s MiB %10s%n",
                        r.get("store"), n, Double.parseDouble(r.get("steps_per_s")),
                        Double.parseDouble(r.get("structures_per_s")), Double.parseDouble(r.get("pairs_per_s")),
                        r.get("train_rss_mib"), es, Long.parseLong(r.get("epoch_structures")) / Math.max(es, 1e-9),
                        r.get("rss_mib"), r.get("hwm_mib"), r.get("heap_mib"),
                        "disk".equals(r.get("store")) ? mib(n == structures ? largeBytes : smallBytes) : "-");
            }
            System.out.println("(steps/s, structures/s, pairs/s: the timed training steps; RSS@train: VmRSS after them; "
                    + "epoch: one whole epoch read through the batcher without training; VmRSS, VmHWM, heap@GC: "
                    + "at the end, heap after a full GC)");
            System.out.printf("bench corpus: %s; %s%n", build, BenchData.load());
        } finally {
            if (!keep) {
                deleteTree(smallDir);
                deleteTree(largeDir);
                if (dir == null) {
                    deleteTree(root);
                }
            } else {
                System.out.println("bench corpus: stores kept in " + root + " (rerun with --dir " + root + " --reuse)");
            }
        }
        return 0;
    }

    private long sizeOf(Path d) {
        if (!Files.isDirectory(d)) {
            return -1;
        }
        try (DiskCorpus c = new DiskCorpus(d, 8L << 20)) {
            return c.size();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long bytes(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static String mib(long bytes) {
        return bytes >= 10L << 30 ? String.format("%.1f GiB", bytes / (double) (1L << 30))
                : String.format("%.0f MiB", bytes / (double) (1L << 20));
    }

    /** A copy of {@code s}: lattice strained by I + e (e symmetric, entries ~ N(0, sigmaStrain)), sites moved. */
    static Structure perturb(Structure s, String id, SplittableRandom r, double sigmaFrac, double sigmaStrain) {
        double[][] e = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = i; j < 3; j++) {
                e[i][j] = e[j][i] = sigmaStrain * gaussian(r);
            }
        }
        double[][] m = s.lattice().matrix();
        double[][] out = new double[3][3];
        for (int row = 0; row < 3; row++) { // rows are lattice vectors: v' = v (I + e)
            for (int c = 0; c < 3; c++) {
                double v = 0;
                for (int k = 0; k < 3; k++) {
                    v += m[row][k] * ((k == c ? 1 : 0) + e[k][c]);
                }
                out[row][c] = v;
            }
        }
        List<Site> sites = new ArrayList<>(s.size());
        for (Site site : s.sites()) {
            double[] f = site.frac();
            double[] g = new double[3];
            for (int k = 0; k < 3; k++) {
                double x = f[k] + sigmaFrac * gaussian(r);
                g[k] = x - Math.floor(x);
            }
            sites.add(site.withFrac(g));
        }
        return new Structure(id, new Lattice(out), sites);
    }

    private static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private Map<String, String> build(Path smallDir, Path largeDir) throws Exception {
        deleteTree(smallDir);
        deleteTree(largeDir);
        Path p = data != null ? data : BenchData.defaultData();
        if (!Files.exists(p)) {
            throw new IOException("benchmark data " + p + " not found (pass --data CSV[.gz])");
        }
        long t0 = System.nanoTime();
        List<Structure> base = new ArrayList<>();
        try (Stream<RawCif> s = CifInputs.read(List.of(p))) {
            s.forEach(raw -> {
                try {
                    base.addAll(CifInputs.parse(raw));
                } catch (CifException e) {
                    LOG.debug("{}: {}", LogSafe.escape(raw.id()), e.getMessage());
                }
            });
        }
        System.out.printf("bench corpus: %d structures parsed from %s in %.1f s%n", base.size(), p,
                (System.nanoTime() - t0) / 1e9);
        SiteNetFeaturizer featurizer = new SiteNetFeaturizer();
        int target = Math.max(small, structures);
        long written = 0;
        long failed = 0;
        long avroBytes = 0;
        long t1 = System.nanoTime();
        long lastPrint = t1;
        ForkJoinPool pool = new ForkJoinPool(Math.max(1, buildThreads));
        try (DiskCorpus sc = new DiskCorpus(smallDir, (long) cacheMb << 20);
             DiskCorpus lc = new DiskCorpus(largeDir, (long) cacheMb << 20)) {
            int chunk = 2048;
            for (long j0 = 0; written < target; j0 += chunk) {
                final long from = j0;
                List<Optional<FeaturizedCrystal>> got = pool.submit(() -> IntStream.range(0, chunk).parallel()
                        .mapToObj(k -> copy(base, from + k, featurizer)).toList()).get();
                for (Optional<FeaturizedCrystal> f : got) {
                    if (f.isEmpty()) {
                        failed++;
                        continue;
                    }
                    if (written >= target) {
                        break;
                    }
                    var avro = f.get().toAvro(0, 0);
                    if (written < small) {
                        sc.apply(f.get().id(), avro);
                    }
                    if (written < structures) {
                        lc.apply(f.get().id(), avro);
                    }
                    avroBytes += 4L * (f.get().distances().length + f.get().siteFeatures().length)
                            + f.get().imageOf().length;
                    written++;
                }
                long now = System.nanoTime();
                if (now - lastPrint > 30e9) {
                    lastPrint = now;
                    double rate = written / ((now - t1) / 1e9);
                    System.out.printf("bench corpus: built %,d / %,d (%.0f structures/s, ETA %.0f s, %s on disk)%n",
                            written, target, rate, (target - written) / rate, mib(bytes(largeDir) + bytes(smallDir)));
                }
            }
            sc.flush();
            lc.flush();
        } finally {
            pool.shutdown();
        }
        double secs = (System.nanoTime() - t1) / 1e9;
        System.out.printf("bench corpus: built %,d structures (%,d copies failed to featurize) in %.0f s: %.0f "
                + "structures/s incl. featurizing, %d thread(s); raw feature arrays %.0f B/structure%n", written, failed,
                secs, written / secs, buildThreads, avroBytes / (double) Math.max(1, written));
        Map<String, String> m = new LinkedHashMap<>();
        m.put("build", String.format("built %,d structures in %.0f s (%.0f/s)", written, secs, written / secs));
        return m;
    }

    /** Structure {@code j} of the sequence: copy j / B of base structure j % B (copy 0 is the original). */
    private Optional<FeaturizedCrystal> copy(List<Structure> base, long j, SiteNetFeaturizer featurizer) {
        Structure b = base.get((int) (j % base.size()));
        long copy = j / base.size();
        String id = copy == 0 ? b.id() : b.id() + "~" + copy;
        Structure s = copy == 0 ? b.withId(id)
                : perturb(b, id, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + j), sigmaFrac, sigmaStrain);
        try {
            return Optional.of(featurizer.featurize(s, id, "bench-corpus"));
        } catch (RuntimeException e) { // FeaturizerException (too many sites, ...) and degenerate copies
            return Optional.empty();
        }
    }

    /** Runs one training run in a fresh JVM and reads its result line. */
    private Map<String, String> child(String store, Path storeDir, int size) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-D")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.dimstream.cli.Main", "bench", "corpus",
                "--train-run", store, "--dir", storeDir.toString(), "--steps", Integer.toString(steps), "--warmup",
                Integer.toString(warmup), "--threads", Integer.toString(threads), "--block", Integer.toString(block),
                "--cache-mb", Integer.toString(cacheMb), "--seed", Long.toString(seed)));
        System.out.printf("bench corpus: training %d steps from the %,d-structure corpus (%s store), fresh JVM...%n",
                warmup + steps, size, store);
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Map<String, String> result = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("RESULT ")) {
                    for (String kv : line.substring(7).trim().split(" ")) {
                        int eq = kv.indexOf('=');
                        result.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                } else {
                    System.out.println("  | " + line);
                }
            }
        }
        int rc = proc.waitFor();
        if (rc != 0 || result.isEmpty()) {
            throw new IllegalStateException("the training run (" + store + ", " + size + ") exited with " + rc);
        }
        return result;
    }

    /** One training run: {@code --steps} after {@code --warmup} DJL steps, default architecture. */
    private int trainHere() throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        try (DiskCorpus c = new DiskCorpus(dir, (long) cacheMb << 20)) {
            long n = c.size();
            TrainingData td;
            if ("memory".equals(trainRun)) {
                List<FeaturizedCrystal> all = new ArrayList<>((int) n);
                c.forEach(all::add);
                all.sort(Comparator.comparing(FeaturizedCrystal::id));
                td = TrainingData.of(all);
            } else {
                td = TrainingData.streamed(n, () -> c.firstMatching(id -> true, f -> true, 1).stream().findFirst(),
                        e -> c.blocks(seed, e, block));
            }
            TrainConfig cfg = TrainConfig.defaults().withSeed(seed).withProgressBar(false);
            long[] start = new long[1];
            long[] seenAtStart = new long[1];
            long[] seenEnd = new long[1];
            long[] pairs = new long[1]; // S x J of the batches handed to the trainer (one per step)
            long[] pairsAtStart = new long[1];
            TrainingData source = td;
            TrainingData counted = new TrainingData() {
                @Override
                public long size() {
                    return source.size();
                }

                @Override
                public Optional<FeaturizedCrystal> first() {
                    return source.first();
                }

                @Override
                public EpochBatches epoch(DimTrainer trainer, int epoch) {
                    EpochBatches b = source.epoch(trainer, epoch);
                    return new EpochBatches() {
                        @Override
                        public int planned() {
                            return b.planned();
                        }

                        @Override
                        public boolean hasNext() {
                            return b.hasNext();
                        }

                        @Override
                        public List<FeaturizedCrystal> next() {
                            List<FeaturizedCrystal> batch = b.next();
                            for (FeaturizedCrystal f : batch) {
                                pairs[0] += (long) f.primSites() * f.supercellSites();
                            }
                            return batch;
                        }

                        @Override
                        public void close() {
                            b.close();
                        }
                    };
                }
            };
            new DimTrainer(cfg).train(counted, List.of(), Budget.steps(warmup + steps), Optional.empty(), new TrainListener() {
                @Override
                public void onStep(Step s) {
                    if (s.step() == warmup) {
                        start[0] = System.nanoTime();
                        seenAtStart[0] = s.structuresSeen();
                        pairsAtStart[0] = pairs[0];
                    }
                    seenEnd[0] = s.structuresSeen();
                    if (s.step() % 50 == 0) {
                        System.out.printf("step %d: %d structures, %s MiB RSS%n", s.step(), s.structuresSeen(),
                                BenchData.kib("VmRSS") / 1024);
                    }
                }
            });
            double secs = (System.nanoTime() - start[0]) / 1e9;
            long structuresTimed = seenEnd[0] - seenAtStart[0];
            long pairsTimed = pairs[0] - pairsAtStart[0];
            long trainRss = BenchData.kib("VmRSS") / 1024;
            // then one whole epoch through the batcher, without training: the read cost of an epoch and the
            // memory of a full pass over the corpus
            System.out.printf("reading one whole epoch (%,d structures) through the batcher...%n", n);
            long e0 = System.nanoTime();
            long epochStructures = 0;
            try (TrainingData.EpochBatches b = td.epoch(new DimTrainer(cfg), 1)) {
                while (b.hasNext()) {
                    epochStructures += b.next().size();
                }
            }
            double epochSecs = (System.nanoTime() - e0) / 1e9;
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            long heapUsed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            java.lang.ref.Reference.reachabilityFence(td); // the memory run's corpus counts in the heap figure
            System.out.printf("RESULT store=%s corpus=%d steps=%d seconds=%.2f steps_per_s=%.3f structures_per_s=%.2f "
                    + "pairs_per_s=%.0f train_rss_mib=%d epoch_structures=%d epoch_s=%.1f rss_mib=%d hwm_mib=%d "
                    + "heap_mib=%d decoded=%d%n", trainRun, n, steps, secs, steps / secs, structuresTimed / secs,
                    pairsTimed / secs, trainRss, epochStructures, epochSecs, BenchData.kib("VmRSS") / 1024, BenchData.kib("VmHWM") / 1024,
                    heapUsed >> 20, c.decodedRecords());
        }
        return 0;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> w = Files.walk(p)) {
            for (Path x : w.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}
