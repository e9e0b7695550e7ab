package io.dimstream.core.featurize;

import io.dimstream.core.crystal.Element;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Per-element site features of the Site-Net featurizer: 8 Magpie properties plus the oxidation
 * state, standardised with fixed constants.
 *
 * <p><b>Tables.</b> The 8 Magpie tables are bundled under
 * {@code io/dimstream/core/featurize/magpie/} (see the NOTICE there: Ward et al. 2016, via matminer,
 * BSD licence). They cover Z = 1..112 (AtomicRadius 1..103); "Missing"/"None" entries are unknown.
 *
 * <p><b>Imputation rule</b> (applied once, at class load; every filled value is flagged in
 * {@link #isImputed}):
 * <ol>
 *   <li>Z = 113..118 are past the tables: Number = Z, Row = 7, Column = Z - 100 (periodic table).</li>
 *   <li>Any other unknown value of property p for element e is copied from the element that has a
 *       table value for p, lies in the same periodic-table Column as e, and minimises
 *       (|Row difference|, |Z difference|, Z), in that order. E.g. the noble gases' electronegativity
 *       comes from Kr (3.0) or Xe (2.6), At's ionisation energy from I, Fr's density from Cs.
 *       Every column has such a donor for every property, so no value is ever NaN.</li>
 * </ol>
 *
 * <p><b>Standardisation.</b> Feature k is {@code (value - MEAN[k]) / STD[k]}. For the 8 Magpie
 * properties MEAN/STD are the mean and population standard deviation of the imputed table values
 * over the elements Z = 1..103 (H..Lr), each element weighted once; they were computed once and are
 * hard-coded here (a unit test recomputes them from the bundled tables). The oxidation state uses
 * MEAN = 0 and STD = 3 (a fixed scale mapping the common states -4..+8 to about [-1.3, 2.7]); an
 * unknown oxidation state is 0 before standardisation.
 */
public final class MagpieFeatures {

    /** Feature names, in output order. */
    public static final List<String> NAMES = List.of(
            "Number", "AtomicWeight", "Row", "Column", "FirstIonizationEnergy", "Electronegativity",
            "AtomicRadius", "Density", "OxidationState");

    /** Features per site (F = 9). */
    public static final int DIM = 9;
    /** Number of Magpie table properties (the first 8 features). */
    public static final int MAGPIE_DIM = 8;
    /** Index of the oxidation state feature. */
    public static final int OXIDATION = 8;
    /** Elements the standardisation constants were computed over: Z = 1..STATS_MAX_Z. */
    public static final int STATS_MAX_Z = 103;

    /** Standardisation means, per feature (see class doc). */
    public static final double[] MEAN = {
        52.0,
        126.87009786388352,
        5.0,
        7.902912621359223,
        7.9696612262135895,
        1.7570873786407777,
        1.4913592233009705,
        7982.601188349515,
        0.0
    };

    /** Standardisation scales (population standard deviations for the Magpie properties). */
    public static final double[] STD = {
        29.732137494637012,
        78.05697577524124,
        1.5703564619142139,
        5.75640557195806,
        3.322336114828793,
        0.6577763084640735,
        0.42982734972343356,
        5974.287083414611,
        3.0
    };

    private static final String RESOURCE_DIR = "/io/dimstream/core/featurize/magpie/";
    private static final int NZ = Element.values().length;

    /** Raw (unstandardised) values after imputation, [Z-1][k]. */
    private static final double[][] RAW;
    /** Standardised values, [Z-1][k], k < 8. */
    private static final double[][] STANDARDISED;
    private static final boolean[][] IMPUTED;
    private static final int[] IMPUTED_COUNT;

    static {
        double[][] table = readTables();
        IMPUTED = new boolean[NZ][MAGPIE_DIM];
        RAW = impute(table, IMPUTED);
        STANDARDISED = new double[NZ][MAGPIE_DIM];
        IMPUTED_COUNT = new int[NZ];
        for (int z = 0; z < NZ; z++) {
            for (int k = 0; k < MAGPIE_DIM; k++) {
                STANDARDISED[z][k] = (RAW[z][k] - MEAN[k]) / STD[k];
                if (IMPUTED[z][k]) {
                    IMPUTED_COUNT[z]++;
                }
            }
        }
    }

    private MagpieFeatures() {
    }

    /** Raw value of Magpie property k (0..7) for an element, after imputation. Never NaN. */
    public static double raw(Element e, int k) {
        return RAW[e.ordinal()][k];
    }

    /** Standardised value of Magpie property k (0..7) for an element. */
    public static double standardised(Element e, int k) {
        return STANDARDISED[e.ordinal()][k];
    }

    /** Whether property k of this element was imputed (not in the Magpie table). */
    public static boolean isImputed(Element e, int k) {
        return IMPUTED[e.ordinal()][k];
    }

    /** How many of the 8 Magpie properties of this element are imputed. */
    public static int imputedCount(Element e) {
        return IMPUTED_COUNT[e.ordinal()];
    }

    /** Standardised oxidation state; NaN (unknown) maps to raw 0. */
    public static double standardisedOxidation(double oxidationState) {
        double ox = Double.isNaN(oxidationState) ? 0.0 : oxidationState;
        return (ox - MEAN[OXIDATION]) / STD[OXIDATION];
    }

    /**
     * The bundled tables as read, [Z-1][k] for Z = 1..118, NaN where the table has no value (or
     * does not reach Z). Package-private for the test that recomputes the constants.
     */
    static double[][] readTables() {
        double[][] t = new double[NZ][MAGPIE_DIM];
        for (double[] row : t) {
            Arrays.fill(row, Double.NaN);
        }
        for (int k = 0; k < MAGPIE_DIM; k++) {
            String name = NAMES.get(k);
            try (InputStream in = MagpieFeatures.class.getResourceAsStream(RESOURCE_DIR + name + ".table")) {
                if (in == null) {
                    throw new IllegalStateException("Magpie table resource missing: " + name + ".table");
                }
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                String line;
                int z = 0;
                while ((line = r.readLine()) != null && z < NZ) {
                    String s = line.strip();
                    if (s.isEmpty()) {
                        break; // trailing blank line: the table ends here
                    }
                    t[z][k] = parseValue(s);
                    z++;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read Magpie table " + name, e);
            }
        }
        return t;
    }

    private static double parseValue(String s) {
        if (s.equalsIgnoreCase("Missing") || s.equalsIgnoreCase("None") || s.equalsIgnoreCase("nan")) {
            return Double.NaN;
        }
        return Double.parseDouble(s);
    }

    /** The documented imputation rule (see class doc). Package-private for tests. */
    static double[][] impute(double[][] table, boolean[][] imputedOut) {
        double[][] v = new double[NZ][];
        for (int z = 0; z < NZ; z++) {
            v[z] = table[z].clone();
        }
        // rule 1: Number, Row, Column are structural facts of the periodic table
        for (int z = 0; z < NZ; z++) {
            int zz = z + 1;
            if (Double.isNaN(v[z][0])) {
                v[z][0] = zz;
                imputedOut[z][0] = true;
            }
            if (Double.isNaN(v[z][2]) && zz >= 113) {
                v[z][2] = 7;
                imputedOut[z][2] = true;
            }
            if (Double.isNaN(v[z][3]) && zz >= 113) {
                v[z][3] = zz - 100;
                imputedOut[z][3] = true;
            }
            if (Double.isNaN(v[z][2]) || Double.isNaN(v[z][3])) {
                throw new IllegalStateException("Magpie tables lack Row/Column for Z=" + zz);
            }
        }
        // rule 2: nearest same-column donor with a table value
        for (int z = 0; z < NZ; z++) {
            for (int k = 0; k < MAGPIE_DIM; k++) {
                if (!Double.isNaN(v[z][k])) {
                    continue;
                }
                int best = -1;
                double bestRow = Double.MAX_VALUE;
                int bestDz = Integer.MAX_VALUE;
                for (int w = 0; w < NZ; w++) {
                    if (Double.isNaN(table[w][k]) || v[w][3] != v[z][3]) {
                        continue;
                    }
                    double dRow = Math.abs(v[w][2] - v[z][2]);
                    int dz = Math.abs(w - z);
                    if (dRow < bestRow || (dRow == bestRow && dz < bestDz)) {
                        best = w;
                        bestRow = dRow;
                        bestDz = dz;
                    }
                }
                if (best < 0) {
                    throw new IllegalStateException("no same-column donor for " + NAMES.get(k) + " of Z=" + (z + 1));
                }
                v[z][k] = table[best][k];
                imputedOut[z][k] = true;
            }
        }
        return v;
    }
}
