package io.dimstream.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The structural-similarity check of issue #14: do nearest neighbours in a representation space (DIM
 * embeddings, composition statistics, ...) share the query's crystal prototype?
 *
 * <p>Prototype keys come from {@code tools/prototypes.py} ({@code tools/data/prototypes.csv.gz}: spglib
 * space group | anonymized reduced formula | sorted Wyckoff letters, symprec 0.1; read with
 * {@link #readPrototypes}). For each query, its {@code k} nearest corpus vectors (the corpus entry with the
 * query's own id excluded) are found under a {@link Metric}; reported over the queries whose prototype
 * occurs in the corpus (other than the query itself): the top-1 same-prototype rate, precision@k (share of
 * the k neighbours with the query's prototype, averaged over queries), and the chance level (expected
 * precision of k random corpus entries). Ties are broken by corpus order. Queries or corpus entries with a
 * blank key (symmetry analysis failed) never count as matches; such queries are skipped.
 */
public final class PrototypeCheck {

    /** Distance used for the neighbour search. */
    public enum Metric {
        /** Euclidean after standardising each column by the corpus mean and standard deviation. */
        EUCLIDEAN_STANDARDIZED,
        /** Cosine similarity of the raw vectors (a zero vector has similarity 0 to everything). */
        COSINE
    }

    /**
     * @param metric    the distance
     * @param k         neighbours per query
     * @param queries   queries given
     * @param evaluated queries whose prototype occurs in the corpus (the denominators)
     * @param top1      share of evaluated queries whose nearest neighbour has their prototype
     * @param precision mean share of the k nearest neighbours with the query's prototype
     * @param chance    mean share of the corpus (the query excluded) with the query's prototype
     */
    public record Result(Metric metric, int k, int queries, int evaluated, double top1, double precision,
            double chance) {}

    private PrototypeCheck() {}

    /** {@link #run(double[][], String[], String[], double[][], String[], String[], Metric, int)} with k = 10. */
    public static Result run(double[][] queries, String[] queryIds, String[] queryKeys, double[][] corpus,
            String[] corpusIds, String[] corpusKeys, Metric metric) {
        return run(queries, queryIds, queryKeys, corpus, corpusIds, corpusKeys, metric, 10);
    }

    /**
     * Runs the check.
     *
     * @param queries    query vectors (rows)
     * @param queryIds   ids of the queries (a corpus row with the same id is never a neighbour)
     * @param queryKeys  prototype keys of the queries
     * @param corpus     corpus vectors, same width as the queries
     * @param corpusIds  ids of the corpus rows
     * @param corpusKeys prototype keys of the corpus rows
     * @param metric     the distance
     * @param k          neighbours per query (precision@k)
     */
    public static Result run(double[][] queries, String[] queryIds, String[] queryKeys, double[][] corpus,
            String[] corpusIds, String[] corpusKeys, Metric metric, int k) {
        if (queries.length != queryIds.length || queries.length != queryKeys.length) {
            throw new IllegalArgumentException("queries: " + queries.length + " vectors, " + queryIds.length + " ids, "
                    + queryKeys.length + " keys");
        }
        if (corpus.length != corpusIds.length || corpus.length != corpusKeys.length) {
            throw new IllegalArgumentException("corpus: " + corpus.length + " vectors, " + corpusIds.length + " ids, "
                    + corpusKeys.length + " keys");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        int dim = corpus.length == 0 ? 0 : corpus[0].length;
        for (double[][] m : List.of(queries, corpus)) {
            for (double[] row : m) {
                if (row.length != dim) {
                    throw new IllegalArgumentException("vectors of width " + row.length + " and " + dim);
                }
            }
        }
        double[][] q = transform(queries, corpus, metric);
        double[][] c = transform(corpus, corpus, metric);
        // bounded insertion: the k lowest scores (distance, or -cosine), first come first on ties
        Search brute = (i, self, kk) -> {
            int[] best = new int[kk];
            double[] bestScore = new double[kk];
            int n = 0;
            for (int j = 0; j < c.length; j++) {
                if (j == self) {
                    continue;
                }
                double sc = score(q[i], c[j], metric);
                if (n < kk || sc < bestScore[n - 1]) {
                    int pos = Math.min(n, kk - 1);
                    while (pos > 0 && bestScore[pos - 1] > sc) {
                        bestScore[pos] = bestScore[pos - 1];
                        best[pos] = best[pos - 1];
                        pos--;
                    }
                    bestScore[pos] = sc;
                    best[pos] = j;
                    n = Math.min(n + 1, kk);
                }
            }
            return Arrays.copyOf(best, n);
        };
        return run(queryIds, queryKeys, corpusIds, corpusKeys, metric, k, brute);
    }

    /**
     * A neighbour search over the corpus rows (brute force here; an index such as the search service's
     * elsewhere): the rows of the {@code k} nearest corpus entries of query {@code query}, nearest first, never
     * {@code self} (the corpus row with the query's id, or -1).
     */
    @FunctionalInterface
    public interface Search {
        int[] nearest(int query, int self, int k);
    }

    /**
     * Scores the neighbours that {@code search} finds with the same rules as the brute-force check (queries
     * with a blank key or whose prototype does not occur in the rest of the corpus are skipped).
     *
     * @param metric the metric {@code search} ranks by (reported in the result)
     */
    public static Result run(String[] queryIds, String[] queryKeys, String[] corpusIds, String[] corpusKeys, Metric metric,
            int k, Search search) {
        if (queryIds.length != queryKeys.length || corpusIds.length != corpusKeys.length) {
            throw new IllegalArgumentException("ids and keys differ in length");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        Map<String, Integer> keyCount = new HashMap<>();
        for (String key : corpusKeys) {
            if (!blank(key)) {
                keyCount.merge(key, 1, Integer::sum);
            }
        }
        Map<String, Integer> corpusIndex = new HashMap<>();
        for (int j = 0; j < corpusIds.length; j++) {
            corpusIndex.putIfAbsent(corpusIds[j], j);
        }
        int evaluated = 0;
        double top1 = 0;
        double precision = 0;
        double chance = 0;
        for (int i = 0; i < queryIds.length; i++) {
            String key = queryKeys[i];
            if (blank(key)) {
                continue;
            }
            int self = corpusIndex.getOrDefault(queryIds[i], -1);
            int same = keyCount.getOrDefault(key, 0) - (self >= 0 && key.equals(corpusKeys[self]) ? 1 : 0);
            int others = corpusIds.length - (self >= 0 ? 1 : 0);
            if (same <= 0 || others <= 0) {
                continue;
            }
            int[] best = search.nearest(i, self, k);
            int n = Math.min(best.length, k);
            if (n == 0) {
                continue;
            }
            evaluated++;
            top1 += key.equals(corpusKeys[best[0]]) ? 1 : 0;
            int hits = 0;
            for (int r = 0; r < n; r++) {
                hits += key.equals(corpusKeys[best[r]]) ? 1 : 0;
            }
            precision += (double) hits / n;
            chance += (double) same / others;
        }
        return new Result(metric, k, queryIds.length, evaluated, evaluated == 0 ? Double.NaN : top1 / evaluated,
                evaluated == 0 ? Double.NaN : precision / evaluated, evaluated == 0 ? Double.NaN : chance / evaluated);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** Standardised copies (Euclidean) or unit-length copies (cosine) of {@code rows}. */
    private static double[][] transform(double[][] rows, double[][] corpus, Metric metric) {
        double[][] out = new double[rows.length][];
        if (metric == Metric.COSINE) {
            for (int i = 0; i < rows.length; i++) {
                double norm = 0;
                for (double v : rows[i]) {
                    norm += v * v;
                }
                norm = Math.sqrt(norm);
                out[i] = new double[rows[i].length];
                for (int d = 0; d < rows[i].length; d++) {
                    out[i][d] = norm == 0 ? 0 : rows[i][d] / norm;
                }
            }
            return out;
        }
        int dim = corpus.length == 0 ? 0 : corpus[0].length;
        double[] mean = new double[dim];
        double[] sd = new double[dim];
        for (double[] r : corpus) {
            for (int d = 0; d < dim; d++) {
                mean[d] += r[d] / corpus.length;
            }
        }
        for (double[] r : corpus) {
            for (int d = 0; d < dim; d++) {
                sd[d] += (r[d] - mean[d]) * (r[d] - mean[d]) / corpus.length;
            }
        }
        for (int d = 0; d < dim; d++) {
            sd[d] = sd[d] > 0 ? Math.sqrt(sd[d]) : 1; // a constant column carries no information: left centred
        }
        for (int i = 0; i < rows.length; i++) {
            out[i] = new double[dim];
            for (int d = 0; d < dim; d++) {
                out[i][d] = (rows[i][d] - mean[d]) / sd[d];
            }
        }
        return out;
    }

    /** Lower is nearer: squared distance, or minus the cosine of unit vectors. */
    private static double score(double[] a, double[] b, Metric metric) {
        double s = 0;
        if (metric == Metric.COSINE) {
            for (int d = 0; d < a.length; d++) {
                s += a[d] * b[d];
            }
            return -s;
        }
        for (int d = 0; d < a.length; d++) {
            double x = a[d] - b[d];
            s += x * x;
        }
        return s;
    }

    /** One row of {@code tools/data/prototypes.csv.gz}. */
    public record Prototype(String id, String split, String key) {}

    /**
     * Reads {@code tools/data/prototypes.csv.gz} (or an uncompressed copy): columns
     * {@code id,split,spacegroup,anonymous_formula,wyckoff,prototype}; id → row, in file order.
     */
    public static Map<String, Prototype> readPrototypes(Path file) throws IOException {
        Map<String, Prototype> out = new LinkedHashMap<>();
        try (InputStream raw = Files.newInputStream(file);
                BufferedReader in = new BufferedReader(new InputStreamReader(
                        file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw, StandardCharsets.UTF_8))) {
            String header = in.readLine();
            List<String> cols = header == null ? List.of() : Arrays.asList(header.split(",", -1));
            int id = cols.indexOf("id");
            int split = cols.indexOf("split");
            int key = cols.indexOf("prototype");
            if (id < 0 || split < 0 || key < 0) {
                throw new IOException(file + ": expected columns id, split and prototype, got " + header);
            }
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split(",", -1);
                if (f.length != cols.size()) {
                    throw new IOException(file + ": line with " + f.length + " fields, header has " + cols.size()
                            + ": " + line);
                }
                out.put(f[id], new Prototype(f[id], f[split], f[key]));
            }
        }
        return out;
    }
}
