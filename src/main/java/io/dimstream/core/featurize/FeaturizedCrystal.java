package io.dimstream.core.featurize;

import io.dimstream.schemas.CrystalFeatures;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Site-Net point set of one crystal: the input of the encoder. Plain Java twin of the Avro
 * {@link CrystalFeatures} record (convert with {@link #toAvro} / {@link #fromAvro}).
 *
 * @param id                structure id
 * @param featurizerVersion version of the featurizer algorithm that made it
 * @param primSites         S, sites of the primitive cell
 * @param supercellSites    J: atoms of the near-cubic supercell, or K, the neighbours of each site
 *                          (featurizer v2 for cells above the supercell limits)
 * @param featureDim        F, features per site
 * @param siteFeatures      S x F standardised site features, row-major
 * @param distances         S x J distances (Angstrom), row-major: minimum-image distances to the
 *                          supercell atoms, or to each site's K nearest atoms, ascending
 * @param imageOf           primitive site index of each atom: J entries shared by every row (supercell),
 *                          or S x J entries, one list per row (per-site neighbour lists); see
 *                          {@link #perSiteNeighbours()}
 * @param formula           reduced formula
 * @param source            provenance
 */
public record FeaturizedCrystal(
        String id,
        int featurizerVersion,
        int primSites,
        int supercellSites,
        int featureDim,
        float[] siteFeatures,
        float[] distances,
        int[] imageOf,
        String formula,
        String source) {

    public FeaturizedCrystal {
        Objects.requireNonNull(id, "id");
        if (siteFeatures.length != primSites * featureDim) {
            throw new IllegalArgumentException("siteFeatures has " + siteFeatures.length + " values, expected S*F = "
                    + primSites + "*" + featureDim);
        }
        if (distances.length != primSites * supercellSites) {
            throw new IllegalArgumentException("distances has " + distances.length + " values, expected S*J = "
                    + primSites + "*" + supercellSites);
        }
        if (imageOf.length != supercellSites && imageOf.length != primSites * supercellSites) {
            throw new IllegalArgumentException("imageOf has " + imageOf.length + " entries, expected J = "
                    + supercellSites + " (supercell) or S*J = " + primSites + "*" + supercellSites + " (per site)");
        }
        for (int j : imageOf) {
            if (j < 0 || j >= primSites) {
                throw new IllegalArgumentException("imageOf entry " + j + " outside [0, " + primSites + ")");
            }
        }
        formula = formula == null ? "" : formula;
        source = source == null ? "" : source;
    }

    public float siteFeature(int site, int k) {
        return siteFeatures[site * featureDim + k];
    }

    public float distance(int i, int j) {
        return distances[i * supercellSites + j];
    }

    /**
     * Whether every site has its own neighbour list (imageOf has S·J entries: featurizer v2's K nearest
     * atoms) rather than one supercell shared by all rows (J entries). A one-site crystal is both.
     */
    public boolean perSiteNeighbours() {
        return primSites > 1 && imageOf.length == primSites * supercellSites;
    }

    /** The primitive site that atom j of row i is an image of, in either layout. */
    public int neighbour(int i, int j) {
        return perSiteNeighbours() ? imageOf[i * supercellSites + j] : imageOf[j];
    }

    public CrystalFeatures toAvro(long submittedAt, long featurizedAt) {
        return CrystalFeatures.newBuilder()
                .setId(id)
                .setFeaturizerVersion(featurizerVersion)
                .setPrimSites(primSites)
                .setSupercellSites(supercellSites)
                .setFeatureDim(featureDim)
                .setSiteFeatures(floats(siteFeatures))
                .setDistances(floats(distances))
                .setImageOf(ints(imageOf))
                .setFormula(formula)
                .setSource(source)
                .setSubmittedAt(java.time.Instant.ofEpochMilli(submittedAt))
                .setFeaturizedAt(java.time.Instant.ofEpochMilli(featurizedAt))
                .build();
    }

    public static FeaturizedCrystal fromAvro(CrystalFeatures r) {
        return new FeaturizedCrystal(
                r.getId(),
                r.getFeaturizerVersion(),
                r.getPrimSites(),
                r.getSupercellSites(),
                r.getFeatureDim(),
                toFloatArray(r.getSiteFeatures()),
                toFloatArray(r.getDistances()),
                toIntArray(r.getImageOf()),
                r.getFormula(),
                r.getSource());
    }

    private static List<Float> floats(float[] a) {
        List<Float> l = new ArrayList<>(a.length);
        for (float f : a) {
            l.add(f);
        }
        return l;
    }

    private static List<Integer> ints(int[] a) {
        List<Integer> l = new ArrayList<>(a.length);
        for (int v : a) {
            l.add(v);
        }
        return l;
    }

    private static float[] toFloatArray(List<Float> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }

    private static int[] toIntArray(List<Integer> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }
}
