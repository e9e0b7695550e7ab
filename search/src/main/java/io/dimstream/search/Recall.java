package io.dimstream.search;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Recall@k of an approximate index against the exact one (the benchmark's and the tests' measure). */
public final class Recall {

    private Recall() {
    }

    /**
     * Mean share of the exact top-k found by {@code approx}, over the first {@code queries} rows of
     * {@code vectors} used as queries, each excluding the corpus entry with its own id (ids
     * {@code ids[i]}).
     */
    public static double at(VectorIndex approx, VectorIndex exact, float[][] vectors, String[] ids, int queries, int k) {
        double sum = 0;
        int n = Math.min(queries, vectors.length);
        for (int i = 0; i < n; i++) {
            SearchFilter f = SearchFilter.excluding(ids[i]);
            List<Neighbour> truth = exact.search(vectors[i], k, f);
            Set<String> got = new HashSet<>();
            approx.search(vectors[i], k, f).forEach(x -> got.add(x.id()));
            long hit = truth.stream().filter(t -> got.contains(t.id())).count();
            sum += truth.isEmpty() ? 1 : (double) hit / truth.size();
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * Recall@k counting ties: an approximate hit counts when its distance is within 1e-6 of the exact k-th
     * distance or nearer (several corpus entries at the same distance, e.g. duplicate structures, are
     * interchangeable; the id-based {@link #at} counts only the ones exact search happened to pick).
     */
    public static double atWithTies(VectorIndex approx, VectorIndex exact, float[][] vectors, String[] ids, int queries, int k) {
        double sum = 0;
        int n = Math.min(queries, vectors.length);
        for (int i = 0; i < n; i++) {
            SearchFilter f = SearchFilter.excluding(ids[i]);
            List<Neighbour> truth = exact.search(vectors[i], k, f);
            if (truth.isEmpty()) {
                sum += 1;
                continue;
            }
            double kth = truth.get(truth.size() - 1).distance();
            long hit = approx.search(vectors[i], k, f).stream().filter(x -> x.distance() <= kth + 1e-6).count();
            sum += Math.min(hit, truth.size()) / (double) truth.size();
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** {@link #at(VectorIndex, VectorIndex, float[][], String[], int, int)} with ids {@code mp-%05d}. */
    static double at(VectorIndex approx, VectorIndex exact, float[][] vectors, int queries, int k) {
        String[] ids = new String[vectors.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = String.format("mp-%05d", i);
        }
        return at(approx, exact, vectors, ids, queries, k);
    }
}
