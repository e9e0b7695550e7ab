package io.dimstream.core.encoder;

import java.util.Arrays;

/**
 * The accuracy contract a reduced {@link Precision} must meet before it may serve: per-crystal cosine
 * similarity to the fp32 embedding at least {@value #MIN_COSINE} (checked on the shared data by the tests
 * and reported by {@code bench embed --precision}); downstream MAE is checked by {@code evaluate --precision}.
 */
public final class PrecisionContract {
    /** Minimum per-crystal cosine similarity to fp32. */
    public static final double MIN_COSINE = 0.999;

    private PrecisionContract() {}

    /** Cosine similarity of each row pair, sorted ascending (element 0 is the worst crystal). */
    public static double[] cosines(float[][] reference, float[][] other) {
        if (reference.length != other.length) {
            throw new IllegalArgumentException(reference.length + " reference rows, " + other.length + " others");
        }
        double[] c = new double[reference.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = cosine(reference[i], other[i]);
        }
        Arrays.sort(c);
        return c;
    }

    /** Cosine similarity; two zero vectors count as identical (1), one zero vector as 0. */
    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int k = 0; k < a.length; k++) {
            dot += (double) a[k] * b[k];
            na += (double) a[k] * a[k];
            nb += (double) b[k] * b[k];
        }
        if (na == 0 && nb == 0) {
            return 1;
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}
