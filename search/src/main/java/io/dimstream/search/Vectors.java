package io.dimstream.search;

import java.util.List;

/** Unit-length copies of embeddings and the search's distance: cosine distance 1 − cos(a, b). */
public final class Vectors {

    private Vectors() {
    }

    /** A unit-length copy of {@code v}; a zero or non-finite vector is refused ({@code search.zero_vector}). */
    public static float[] unit(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        if (!(s > 0) || !Double.isFinite(s)) {
            throw new SearchException(SearchException.ZERO_VECTOR, "the vector has zero or non-finite length");
        }
        double inv = 1.0 / Math.sqrt(s);
        float[] u = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = (float) (v[i] * inv);
        }
        return u;
    }

    public static float[] of(List<Float> v) {
        float[] a = new float[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        return a;
    }

    /** Dot product of two unit vectors = their cosine. */
    static double dot(float[] a, float[] b, int offset) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[offset + i];
        }
        return s;
    }

    /** Cosine distance of two unit vectors, clamped to [0, 2]. */
    static double distanceFromDot(double dot) {
        return Math.max(0, Math.min(2, 1 - dot));
    }

    /** Cosine distance of two raw vectors (the reference: used by tests and checks). */
    public static double cosineDistance(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return distanceFromDot(ab / Math.sqrt(aa * bb));
    }
}
