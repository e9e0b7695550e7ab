package io.dimstream.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Synthetic embeddings for the index tests: clustered Gaussian vectors (like embeddings: families of similar structures). */
final class TestVectors {

    private TestVectors() {
    }

    /** {@code n} vectors of width {@code dim} around {@code clusters} random centres (spread 0.35 per axis). */
    static float[][] clustered(int n, int dim, int clusters, long seed) {
        Random r = new Random(seed);
        float[][] centres = new float[clusters][dim];
        for (float[] c : centres) {
            for (int i = 0; i < dim; i++) {
                c[i] = (float) r.nextGaussian();
            }
        }
        float[][] v = new float[n][dim];
        for (int j = 0; j < n; j++) {
            float[] c = centres[r.nextInt(clusters)];
            for (int i = 0; i < dim; i++) {
                v[j][i] = c[i] + (float) (0.35 * r.nextGaussian());
            }
        }
        return v;
    }

    /** Brute-force top-k by cosine distance (double precision), the query's own id excluded. */
    static List<String> bruteForce(float[][] corpus, float[] q, int k, int self) {
        List<double[]> all = new ArrayList<>();
        for (int j = 0; j < corpus.length; j++) {
            if (j != self) {
                all.add(new double[] {Vectors.cosineDistance(q, corpus[j]), j});
            }
        }
        all.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : id((int) a[1]).compareTo(id((int) b[1])));
        return all.subList(0, k).stream().map(a -> id((int) a[1])).toList();
    }

    static String id(int j) {
        return String.format("mp-%05d", j);
    }
}
