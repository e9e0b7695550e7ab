package io.dimstream.eval;

import io.dimstream.core.crystal.Element;
import java.util.List;
import java.util.Map;

/**
 * The composition-only baseline's features: the atom-fraction-weighted mean of per-element Magpie
 * properties over a composition. Missing table entries (NaN) are replaced by the mean of that
 * property over the elements that have it, so every composition gets a full vector.
 */
public final class MagpieMean {

    private final List<String> names;
    private final double[][] byZ;

    /**
     * @param names property names (columns)
     * @param byZ   rows indexed by atomic number (row 0 unused), one value per property, NaN if missing
     */
    public MagpieMean(List<String> names, double[][] byZ) {
        this.names = List.copyOf(names);
        int d = names.size();
        double[] mean = new double[d];
        int[] count = new int[d];
        for (double[] row : byZ) {
            if (row == null) {
                continue;
            }
            for (int k = 0; k < d; k++) {
                if (Double.isFinite(row[k])) {
                    mean[k] += row[k];
                    count[k]++;
                }
            }
        }
        for (int k = 0; k < d; k++) {
            mean[k] = count[k] > 0 ? mean[k] / count[k] : 0;
        }
        this.byZ = new double[byZ.length][];
        for (int z = 0; z < byZ.length; z++) {
            double[] row = new double[d];
            for (int k = 0; k < d; k++) {
                double v = byZ[z] == null ? Double.NaN : byZ[z][k];
                row[k] = Double.isFinite(v) ? v : mean[k];
            }
            this.byZ[z] = row;
        }
    }

    /**
     * The composition baseline's table: the 8 Magpie element properties of the featurizer
     * ({@link io.dimstream.core.featurize.MagpieFeatures}, raw values after its imputation).
     */
    public static MagpieMean fromFeaturizerTables() {
        int maxZ = 0;
        for (Element e : Element.values()) {
            maxZ = Math.max(maxZ, e.z());
        }
        int d = io.dimstream.core.featurize.MagpieFeatures.MAGPIE_DIM;
        double[][] byZ = new double[maxZ + 1][];
        for (Element e : Element.values()) {
            double[] row = new double[d];
            for (int k = 0; k < d; k++) {
                row[k] = io.dimstream.core.featurize.MagpieFeatures.raw(e, k);
            }
            byZ[e.z()] = row;
        }
        return new MagpieMean(io.dimstream.core.featurize.MagpieFeatures.NAMES.subList(0, d), byZ);
    }

    public List<String> names() {
        return names;
    }

    public int dim() {
        return names.size();
    }

    public double[] of(Map<Element, Double> composition) {
        double[] out = new double[names.size()];
        double total = 0;
        for (double a : composition.values()) {
            total += a;
        }
        if (total <= 0) {
            throw new EvalException("bad-input", "empty composition");
        }
        for (Map.Entry<Element, Double> e : composition.entrySet()) {
            int z = e.getKey().z();
            if (z >= byZ.length) {
                throw new EvalException("bad-input", "no Magpie row for element " + e.getKey().symbol());
            }
            double f = e.getValue() / total;
            double[] row = byZ[z];
            for (int k = 0; k < out.length; k++) {
                out[k] += f * row[k];
            }
        }
        return out;
    }
}
