package io.dimstream.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.core.composition.CompositionStats;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.eval.PrototypeCheck;
import io.dimstream.search.CifEmbedder;
import io.dimstream.search.ExactIndex;
import io.dimstream.search.HnswIndex;
import io.dimstream.search.Meta;
import io.dimstream.search.Neighbour;
import io.dimstream.search.Recall;
import io.dimstream.search.SearchFilter;
import io.dimstream.search.VectorIndex;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream bench search}: the search index on real embeddings (the shared train set embedded with the
 * base model), grown to larger sizes with perturbed copies: recall@k of HNSW against exact search, index
 * build time, memory and disk, query latency p50/p99 (one thread); optionally the same-prototype quality of
 * the search (val queries → train corpus) against composition statistics, with eval's {@link PrototypeCheck}.
 */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = {"Similar-structure search: recall@k of the HNSW index vs exact search, build time, memory and query latency p50/p99 at each --sizes.",
            "Sizes beyond the real embeddings are filled with perturbed copies of them; --recall-only skips the timings.",
            "With --prototypes and --test: same-prototype top-1 / precision@k of the search vs composition statistics."})
public final class SearchBench implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "CSV", description = "Corpus CIFs (default: shared train.csv.gz).")
    Path data;

    @Option(names = "--embeddings", paramLabel = "JSONL",
            description = "Corpus embeddings as written by 'dimstream embed' (instead of embedding --data).")
    Path embeddings;

    @Option(names = "--save-embeddings", paramLabel = "JSONL", description = "Write the corpus embeddings here (reuse with --embeddings).")
    Path saveEmbeddings;

    @Option(names = "--model", paramLabel = "DIR", description = "Model (default: the base model models/base).")
    Path model;

    @Option(names = "--structures", defaultValue = "0", description = "Use at most this many corpus structures (0 = all).")
    int structures;

    @Option(names = "--sizes", defaultValue = "30000,1000000", split = ",",
            description = "Index sizes (default: ${DEFAULT-VALUE}); sizes beyond the real embeddings are filled with perturbed copies.")
    List<Integer> sizes;

    @Option(names = "--perturb", defaultValue = "0.1",
            description = "Noise of a synthetic copy, in units of each dimension's standard deviation (default: ${DEFAULT-VALUE}).")
    double perturb;

    @Option(names = "--queries", defaultValue = "1000", description = "Queries (corpus members, each excluding itself; default: ${DEFAULT-VALUE}).")
    int queries;

    @Option(names = "--k", defaultValue = "10", description = "Neighbours per query (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--m", defaultValue = "16", description = "HNSW degree M (default: ${DEFAULT-VALUE}).")
    int m;

    @Option(names = "--beam", defaultValue = "100", description = "HNSW construction beam width (default: ${DEFAULT-VALUE}).")
    int beam;

    @Option(names = "--candidates", defaultValue = "100", split = ",",
            description = "HNSW search candidates (ef), one or several (default: ${DEFAULT-VALUE}).")
    List<Integer> candidates;

    @Option(names = "--recall-only", description = "Only recall (no build/latency/memory figures: for a loaded machine).")
    boolean recallOnly;

    @Option(names = "--prototypes", paramLabel = "FILE", description = "Prototype table (tools/data/prototypes.csv.gz) for the quality check.")
    Path prototypes;

    @Option(names = "--test", paramLabel = "CSV", description = "Query CIFs of the quality check (e.g. shared val.csv.gz).")
    Path test;

    @Option(names = "--duplicates", description = "Nearest-neighbour distances of the real corpus: how many fall under each"
            + " near-duplicate threshold, and how many of those pairs share formula and prototype (needs --data, --prototypes).")
    boolean duplicates;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime threads when embedding (default: ${DEFAULT-VALUE}).")
    int threads;

    record Corpus(String[] ids, float[][] vectors, List<CifEmbedder.Embedded> embedded) {
    }

    @Override
    public Integer call() throws Exception {
        Corpus corpus = embeddings != null ? readEmbeddings(embeddings) : embed(data != null ? data : BenchData.defaultData());
        System.out.printf(Locale.ROOT, "bench search: %d real embeddings of width %d%s%n", corpus.ids().length,
                corpus.vectors()[0].length, recallOnly ? " (recall only)" : ", " + BenchData.load());
        if (saveEmbeddings != null) {
            writeEmbeddings(corpus, saveEmbeddings);
        }
        for (int size : sizes) {
            if (size > 0) {
                measure(corpus, size);
            }
        }
        if (duplicates) {
            duplicates(corpus);
        }
        if (prototypes != null && test != null) {
            quality(corpus);
        }
        return 0;
    }

    private void measure(Corpus real, int size) throws IOException {
        float[][] v = grow(real.vectors(), size, perturb, 7);
        String[] ids = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            ids[i] = i < real.ids().length ? real.ids()[i] : real.ids()[i % real.ids().length] + "~" + (i / real.ids().length);
        }
        int nq = Math.min(queries, v.length);
        // queries: a fixed random sample of the corpus, moved to the front (Recall takes the first rows)
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Collections.shuffle(Arrays.asList(order), new Random(11));
        float[][] qv = new float[nq][];
        String[] qid = new String[nq];
        for (int i = 0; i < nq; i++) {
            qv[i] = v[order[i]];
            qid[i] = ids[order[i]];
        }
        Path dir = Files.createTempDirectory("dimstream-bench-search");
        long heap0 = usedHeap();
        long t0 = System.nanoTime();
        ExactIndex exact = new ExactIndex();
        for (int i = 0; i < v.length; i++) {
            exact.upsert(ids[i], v[i], Meta.UNKNOWN);
        }
        double exactBuild = (System.nanoTime() - t0) / 1e9;
        long heapExact = usedHeap() - heap0;
        HnswIndex.Params p = new HnswIndex.Params(m, beam, candidates.get(0));
        long h0 = usedHeap();
        t0 = System.nanoTime();
        try (HnswIndex hnsw = HnswIndex.open(dir, p)) {
            for (int i = 0; i < v.length; i++) {
                hnsw.upsert(ids[i], v[i], Meta.UNKNOWN);
            }
            hnsw.commit(Map.of());
            hnsw.refresh();
            double build = (System.nanoTime() - t0) / 1e9;
            long heapHnsw = usedHeap() - h0;
            long t1 = System.nanoTime();
            hnsw.optimize();
            double merge = (System.nanoTime() - t1) / 1e9;
            long disk = diskBytes(dir);
            System.out.printf(Locale.ROOT, "bench search: %,d vectors (%,d real, %,d perturbed copies): HNSW M=%d beam=%d%n",
                    v.length, Math.min(v.length, real.ids().length), Math.max(0, v.length - real.ids().length), m, beam);
            if (!recallOnly) {
                System.out.printf(Locale.ROOT, "bench search:   build: exact %.1f s (heap +%d MiB); HNSW %.1f s (heap +%d MiB), "
                        + "merge to one segment %.1f s, on disk %d MiB%n", exactBuild, heapExact >> 20, build,
                        Math.max(0, heapHnsw) >> 20, merge, disk >> 20);
            }
            for (int c : candidates) {
                {
                    VectorIndex idx = hnsw.withCandidates(c);
                    double recall = Recall.at(idx, exact, qv, qid, nq, k);
                    double ties = Recall.atWithTies(idx, exact, qv, qid, nq, k);
                    System.out.printf(Locale.ROOT, "bench search:   candidates %d: recall@%d vs exact = %.4f by id, %.4f counting"
                            + " equal-distance ties (%d queries)%n", c, k, recall, ties, nq);
                    if (!recallOnly) {
                        latency("HNSW (candidates " + c + ")", idx, qv, qid);
                    }
                }
            }
            if (!recallOnly) {
                latency("exact", exact, Arrays.copyOf(qv, Math.min(nq, 200)), qid);
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private void latency(String label, VectorIndex idx, float[][] qv, String[] qid) {
        int warm = Math.min(200, qv.length);
        for (int i = 0; i < warm; i++) {
            idx.search(qv[i], k, SearchFilter.excluding(qid[i]));
        }
        long[] t = new long[qv.length];
        for (int i = 0; i < qv.length; i++) {
            long t0 = System.nanoTime();
            idx.search(qv[i], k, SearchFilter.excluding(qid[i]));
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        System.out.printf(Locale.ROOT, "bench search:   query latency %s, one thread, %d queries: p50 %.2f ms, p99 %.2f ms%n",
                label, t.length, t[t.length / 2] / 1e6, t[Math.min(t.length - 1, (int) Math.ceil(0.99 * t.length) - 1)] / 1e6);
    }

    /** The first {@code size} rows: the real vectors, then copies of them plus Gaussian noise (per-dimension sd × noise). */
    static float[][] grow(float[][] real, int size, double noise, long seed) {
        int dim = real[0].length;
        double[] sd = new double[dim];
        double[] mean = new double[dim];
        for (float[] r : real) {
            for (int d = 0; d < dim; d++) {
                mean[d] += r[d] / real.length;
            }
        }
        for (float[] r : real) {
            for (int d = 0; d < dim; d++) {
                sd[d] += (r[d] - mean[d]) * (r[d] - mean[d]) / real.length;
            }
        }
        Random rnd = new Random(seed);
        float[][] out = new float[size][];
        for (int i = 0; i < size; i++) {
            if (i < real.length) {
                out[i] = real[i];
                continue;
            }
            float[] base = real[i % real.length];
            out[i] = new float[dim];
            for (int d = 0; d < dim; d++) {
                out[i][d] = (float) (base[d] + noise * Math.sqrt(sd[d]) * rnd.nextGaussian());
            }
        }
        return out;
    }

    private Corpus embed(Path csv) throws IOException {
        List<CifEmbedder.Embedded> all = embedAll(csv, structures);
        String[] ids = all.stream().map(CifEmbedder.Embedded::id).toArray(String[]::new);
        float[][] v = all.stream().map(CifEmbedder.Embedded::vector).toArray(float[][]::new);
        return new Corpus(ids, v, all);
    }

    private List<CifEmbedder.Embedded> embedAll(Path csv, int limit) throws IOException {
        Path dir = model != null ? model : io.dimstream.trainer.BaseModel.defaultDir();
        int[] failed = {0};
        List<CifEmbedder.Embedded> out = new ArrayList<>();
        try (OnnxEncoder enc = OnnxEncoder.load(dir, OnnxEncoder.Options.defaults().withDevice("auto").withThreads(threads)
                .withMaxBatch(256)); Stream<RawCif> s = CifInputs.read(csv)) {
            CifEmbedder e = new CifEmbedder(enc, 256);
            List<RawCif> chunk = new ArrayList<>();
            var it = s.iterator();
            while (it.hasNext() && (limit <= 0 || out.size() + chunk.size() < limit)) {
                chunk.add(it.next());
                if (chunk.size() == 2048) {
                    out.addAll(e.embed(chunk, f -> failed[0]++));
                    chunk.clear();
                }
            }
            out.addAll(e.embed(chunk, f -> failed[0]++));
        }
        System.out.printf(Locale.ROOT, "bench search: embedded %d structures of %s with %s (%d failed)%n", out.size(), csv, dir, failed[0]);
        return out;
    }

    private static Corpus readEmbeddings(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> ids = new ArrayList<>();
        List<float[]> v = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = json.readTree(line);
                float[] e = new float[n.get("embedding").size()];
                for (int i = 0; i < e.length; i++) {
                    e[i] = (float) n.get("embedding").get(i).asDouble();
                }
                ids.add(n.get("id").asText());
                v.add(e);
            }
        }
        return new Corpus(ids.toArray(String[]::new), v.toArray(float[][]::new), List.of());
    }

    private static void writeEmbeddings(Corpus c, Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < c.ids().length; i++) {
                StringBuilder sb = new StringBuilder("{\"id\":").append(new ObjectMapper().writeValueAsString(c.ids()[i]))
                        .append(",\"embedding\":[");
                for (int d = 0; d < c.vectors()[i].length; d++) {
                    sb.append(d == 0 ? "" : ",").append(c.vectors()[i][d]);
                }
                w.write(sb.append("]}\n").toString());
            }
        }
    }

    /** Same-prototype neighbours, val → train: the served search (HNSW, cosine) and exact cosine vs composition statistics. */
    private void quality(Corpus corpus) throws IOException {
        if (corpus.embedded().isEmpty()) {
            System.out.println("bench search: quality needs --data (compositions), not --embeddings: skipped");
            return;
        }
        Map<String, PrototypeCheck.Prototype> protos = PrototypeCheck.readPrototypes(prototypes);
        List<CifEmbedder.Embedded> q = embedAll(test, 0);
        String[] cIds = corpus.ids();
        String[] cKeys = Arrays.stream(cIds).map(id -> key(protos, id)).toArray(String[]::new);
        String[] qIds = q.stream().map(CifEmbedder.Embedded::id).toArray(String[]::new);
        String[] qKeys = Arrays.stream(qIds).map(id -> key(protos, id)).toArray(String[]::new);
        Map<String, Integer> row = new HashMap<>();
        for (int j = 0; j < cIds.length; j++) {
            row.putIfAbsent(cIds[j], j);
        }
        try (HnswIndex hnsw = HnswIndex.inMemory(new HnswIndex.Params(m, beam, Math.max(k, candidates.get(0))))) {
            for (int j = 0; j < cIds.length; j++) {
                hnsw.upsert(cIds[j], corpus.vectors()[j], Meta.UNKNOWN);
            }
            hnsw.refresh();
            PrototypeCheck.Result served = PrototypeCheck.run(qIds, qKeys, cIds, cKeys, PrototypeCheck.Metric.COSINE, k,
                    (i, self, kk) -> hnsw.search(q.get(i).vector(), kk, SearchFilter.excluding(qIds[i])).stream()
                            .map(Neighbour::id).mapToInt(row::get).toArray());
            double[][] cv = toDouble(corpus.vectors());
            double[][] qv = toDouble(q.stream().map(CifEmbedder.Embedded::vector).toArray(float[][]::new));
            PrototypeCheck.Result exactCos = PrototypeCheck.run(qv, qIds, qKeys, cv, cIds, cKeys, PrototypeCheck.Metric.COSINE, k);
            CompositionStats cs = CompositionStats.get();
            double[][] cc = corpus.embedded().stream().map(e -> cs.of(e.composition())).toArray(double[][]::new);
            double[][] qc = q.stream().map(e -> cs.of(e.composition())).toArray(double[][]::new);
            PrototypeCheck.Result compE = PrototypeCheck.run(qc, qIds, qKeys, cc, cIds, cKeys, PrototypeCheck.Metric.EUCLIDEAN_STANDARDIZED, k);
            PrototypeCheck.Result compC = PrototypeCheck.run(qc, qIds, qKeys, cc, cIds, cKeys, PrototypeCheck.Metric.COSINE, k);
            System.out.printf(Locale.ROOT, "bench search: quality, %s → %s, %d queries scored (prototype in the corpus):%n",
                    test.getFileName(), data != null ? data.getFileName() : "train", served.evaluated());
            System.out.println("| search | metric | top-1 same prototype | precision@" + k + " | chance |");
            System.out.println("|---|---|---|---|---|");
            row("embedding, HNSW index (as served)", "cosine", served);
            row("embedding, exact", "cosine", exactCos);
            row("composition statistics, exact", "Euclidean, standardized", compE);
            row("composition statistics, exact", "cosine", compC);
        }
    }

    /** For thresholds 1e-6 .. 1e-1: structures whose nearest other structure is closer, and whether the pair is alike. */
    private void duplicates(Corpus corpus) throws IOException {
        if (corpus.embedded().isEmpty()) {
            System.out.println("bench search: --duplicates needs --data (formulas), not --embeddings: skipped");
            return;
        }
        Map<String, PrototypeCheck.Prototype> protos = prototypes == null ? Map.of() : PrototypeCheck.readPrototypes(prototypes);
        ExactIndex exact = new ExactIndex();
        for (CifEmbedder.Embedded e : corpus.embedded()) {
            exact.upsert(e.id(), e.vector(), e.meta());
        }
        double[] thresholds = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1};
        int[] under = new int[thresholds.length];
        int[] sameFormula = new int[thresholds.length];
        int[] sameProto = new int[thresholds.length];
        double[] nn = new double[corpus.embedded().size()];
        int i = 0;
        for (CifEmbedder.Embedded e : corpus.embedded()) {
            Neighbour n = exact.search(e.vector(), 1, SearchFilter.excluding(e.id())).get(0);
            nn[i++] = n.distance();
            Meta other = exact.meta(n.id());
            for (int t = 0; t < thresholds.length; t++) {
                if (n.distance() <= thresholds[t]) {
                    under[t]++;
                    sameFormula[t] += e.meta().formula().equals(other.formula()) ? 1 : 0;
                    String a = key(protos, e.id());
                    sameProto[t] += !a.isEmpty() && a.equals(key(protos, n.id())) ? 1 : 0;
                }
            }
        }
        Arrays.sort(nn);
        System.out.printf(Locale.ROOT, "bench search: nearest-neighbour cosine distance over %d structures: min %.2e, p1 %.2e,"
                + " p10 %.2e, median %.2e%n", nn.length, nn[0], nn[nn.length / 100], nn[nn.length / 10], nn[nn.length / 2]);
        System.out.println("| threshold | structures with a neighbour this close | same reduced formula | same prototype |");
        System.out.println("|---|---|---|---|");
        for (int t = 0; t < thresholds.length; t++) {
            System.out.printf(Locale.ROOT, "| %.0e | %d (%.2f %%) | %d | %d |%n", thresholds[t], under[t], 100.0 * under[t] / nn.length,
                    sameFormula[t], sameProto[t]);
        }
    }

    private static void row(String what, String metric, PrototypeCheck.Result r) {
        System.out.printf(Locale.ROOT, "| %s | %s | %.3f | %.3f | %.4f |%n", what, metric, r.top1(), r.precision(), r.chance());
    }

    private static String key(Map<String, PrototypeCheck.Prototype> protos, String id) {
        PrototypeCheck.Prototype p = protos.get(id);
        return p == null ? "" : p.key();
    }

    private static double[][] toDouble(float[][] f) {
        double[][] d = new double[f.length][];
        for (int i = 0; i < f.length; i++) {
            d[i] = new double[f[i].length];
            for (int j = 0; j < f[i].length; j++) {
                d[i][j] = f[i][j];
            }
        }
        return d;
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static long diskBytes(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
