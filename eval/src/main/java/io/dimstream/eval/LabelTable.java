package io.dimstream.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Property labels of a split: for each property one value per sample (same order as the split's
 * samples), {@code NaN} where the structure has no label.
 */
public final class LabelTable {

    private final int size;
    private final Map<String, double[]> values = new LinkedHashMap<>();

    public LabelTable(int size) {
        this.size = size;
    }

    public LabelTable put(String property, double[] perSample) {
        if (perSample.length != size) {
            throw new IllegalArgumentException("property " + property + " has " + perSample.length
                    + " values for " + size + " samples");
        }
        values.put(property, perSample.clone());
        return this;
    }

    public int size() {
        return size;
    }

    public Set<String> properties() {
        return values.keySet();
    }

    public boolean has(String property) {
        return values.containsKey(property);
    }

    public double get(String property, int sample) {
        return column(property)[sample];
    }

    public double[] values(String property, int[] samples) {
        double[] col = column(property);
        double[] out = new double[samples.length];
        for (int i = 0; i < samples.length; i++) {
            out[i] = col[samples[i]];
        }
        return out;
    }

    /** Indices of samples with a finite label for the property. */
    public int[] labelled(String property) {
        double[] col = column(property);
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < col.length; i++) {
            if (Double.isFinite(col[i])) {
                idx.add(i);
            }
        }
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    private double[] column(String property) {
        double[] col = values.get(property);
        if (col == null) {
            throw new EvalException("no-labels", "no labels for property '" + property + "' (have " + values.keySet() + ")");
        }
        return col;
    }
}
