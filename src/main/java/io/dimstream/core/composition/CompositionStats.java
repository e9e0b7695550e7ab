package io.dimstream.core.composition;

import io.dimstream.core.crystal.Element;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Magpie-style composition statistics (Ward et al., npj Comput. Mater. 2016): the one composition
 * featurization of the product, used by the evaluation's {@code composition-*} and hybrid methods and by
 * the predictor's hybrid heads.
 *
 * <p>For each of the 12 elemental properties in {@link #PROPERTIES} (Magpie tables bundled with the
 * featurizer) six statistics over the atom fractions f_e of the composition: minimum, maximum, range,
 * fraction-weighted mean, fraction-weighted mean absolute deviation from that mean, and the value of the
 * most abundant element (ties: the mean of the tied elements' values); then the number of elements and
 * the stoichiometric p-norms (sum f_e^p)^(1/p) for p = 2, 3, 5, 7, 10. That makes 12 x 6 + 1 + 5 = 78
 * features, named by {@link #names()}.
 *
 * <p>Missing table values (a few heavy elements lack some properties) are replaced by the mean of that
 * property over the elements that have it, so every composition of known elements gets a finite vector.
 * Immutable and thread-safe.
 */
public final class CompositionStats {

    /** The elemental properties, in feature order (file names of the bundled Magpie tables). */
    public static final List<String> PROPERTIES = List.of("Number", "MendeleevNumber", "AtomicWeight", "Row",
            "Column", "CovalentRadius", "AtomicRadius", "Electronegativity", "FirstIonizationEnergy", "NValence",
            "GSvolume_pa", "Density");

    /** The statistics per property, in feature order. */
    public static final List<String> STATISTICS = List.of("min", "max", "range", "mean", "avg_dev", "mode");

    /** The stoichiometric p-norms. */
    public static final int[] P_NORMS = {2, 3, 5, 7, 10};

    private static final String RESOURCE_DIR = "/io/dimstream/core/featurize/magpie/";
    private static final CompositionStats DEFAULT = new CompositionStats();

    /** [Z][property], imputed. */
    private final double[][] table;
    private final List<String> names;

    private CompositionStats() {
        int maxZ = 0;
        for (Element e : Element.values()) {
            maxZ = Math.max(maxZ, e.z());
        }
        double[][] t = new double[maxZ + 1][PROPERTIES.size()];
        for (int k = 0; k < PROPERTIES.size(); k++) {
            double[] col = readTable(PROPERTIES.get(k), maxZ);
            double sum = 0;
            int n = 0;
            for (int z = 1; z <= maxZ; z++) {
                if (Double.isFinite(col[z])) {
                    sum += col[z];
                    n++;
                }
            }
            double mean = n == 0 ? 0 : sum / n;
            for (int z = 0; z <= maxZ; z++) {
                t[z][k] = Double.isFinite(col[z]) ? col[z] : mean;
            }
        }
        this.table = t;
        List<String> nm = new ArrayList<>();
        for (String p : PROPERTIES) {
            for (String s : STATISTICS) {
                nm.add(s + "_" + p);
            }
        }
        nm.add("n_elements");
        for (int p : P_NORMS) {
            nm.add("p" + p + "_norm");
        }
        this.names = Collections.unmodifiableList(nm);
    }

    /** The shared instance (tables are read once). */
    public static CompositionStats get() {
        return DEFAULT;
    }

    /** Feature names, in output order. */
    public List<String> names() {
        return names;
    }

    public int dim() {
        return names.size();
    }

    /** The (imputed) table value of one property for one element. */
    public double value(Element e, int property) {
        return table[e.z()][property];
    }

    /**
     * The statistics of a composition (amounts per element, any positive scale: atoms per cell, fractions,
     * occupancy sums).
     *
     * @throws IllegalArgumentException for an empty composition or a non-positive / non-finite amount
     */
    public double[] of(Map<Element, Double> composition) {
        int m = composition.size();
        if (m == 0) {
            throw new IllegalArgumentException("empty composition");
        }
        Element[] el = new Element[m];
        double[] f = new double[m];
        double total = 0;
        int i = 0;
        for (Map.Entry<Element, Double> e : composition.entrySet()) {
            double a = e.getValue() == null ? Double.NaN : e.getValue();
            if (!(a > 0) || !Double.isFinite(a)) {
                throw new IllegalArgumentException("amount of " + e.getKey().symbol() + " is " + a + ", not positive");
            }
            el[i] = e.getKey();
            f[i] = a;
            total += a;
            i++;
        }
        double maxF = 0;
        for (int j = 0; j < m; j++) {
            f[j] /= total;
            maxF = Math.max(maxF, f[j]);
        }
        double[] out = new double[dim()];
        int o = 0;
        for (int k = 0; k < PROPERTIES.size(); k++) {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            double mean = 0;
            double modeSum = 0;
            int modeCount = 0;
            for (int j = 0; j < m; j++) {
                double v = table[el[j].z()][k];
                min = Math.min(min, v);
                max = Math.max(max, v);
                mean += f[j] * v;
                if (f[j] >= maxF - 1e-12) {
                    modeSum += v;
                    modeCount++;
                }
            }
            double dev = 0;
            for (int j = 0; j < m; j++) {
                dev += f[j] * Math.abs(table[el[j].z()][k] - mean);
            }
            out[o++] = min;
            out[o++] = max;
            out[o++] = max - min;
            out[o++] = mean;
            out[o++] = dev;
            out[o++] = modeSum / modeCount;
        }
        out[o++] = m;
        for (int p : P_NORMS) {
            double s = 0;
            for (double x : f) {
                s += Math.pow(x, p);
            }
            out[o++] = Math.pow(s, 1.0 / p);
        }
        return out;
    }

    /** One bundled table as read: index Z (1-based), NaN where missing or beyond the table. */
    static double[] readTable(String name, int maxZ) {
        double[] col = new double[maxZ + 1];
        Arrays.fill(col, Double.NaN);
        try (InputStream in = CompositionStats.class.getResourceAsStream(RESOURCE_DIR + name + ".table")) {
            if (in == null) {
                throw new IllegalStateException("Magpie table resource missing: " + name + ".table");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String line;
            int z = 1;
            while ((line = r.readLine()) != null && z <= maxZ) {
                String s = line.strip();
                if (s.isEmpty() && z > 1) {
                    break;
                }
                col[z++] = parse(s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Magpie table " + name, e);
        }
        return col;
    }

    private static double parse(String s) {
        if (s.isEmpty() || s.equalsIgnoreCase("Missing") || s.equalsIgnoreCase("None") || s.equalsIgnoreCase("nan")) {
            return Double.NaN;
        }
        return Double.parseDouble(s);
    }
}
