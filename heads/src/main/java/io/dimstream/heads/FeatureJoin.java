package io.dimstream.heads;

import java.util.List;
import java.util.Map;

/**
 * Hybrid feature vectors: two feature sets of the same structures (e.g. the DIM embedding and the
 * composition statistics) concatenated per structure id. Joining by id, never by position, keeps the two
 * halves of a row about the same structure whatever order each set was produced in.
 */
public final class FeatureJoin {
    private FeatureJoin() {
    }

    /**
     * @param ids   the rows wanted, in output order
     * @param left  first feature set by id
     * @param right second feature set by id
     * @return one row per id, left ⊕ right; null where either side lacks the id
     */
    public static double[][] byId(List<String> ids, Map<String, double[]> left, Map<String, double[]> right) {
        double[][] out = new double[ids.size()][];
        for (int i = 0; i < ids.size(); i++) {
            double[] a = left.get(ids.get(i));
            double[] b = right.get(ids.get(i));
            if (a == null || b == null) {
                continue;
            }
            double[] row = new double[a.length + b.length];
            System.arraycopy(a, 0, row, 0, a.length);
            System.arraycopy(b, 0, row, a.length, b.length);
            out[i] = row;
        }
        return out;
    }
}
