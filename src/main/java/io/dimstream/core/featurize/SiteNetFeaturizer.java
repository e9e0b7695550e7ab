package io.dimstream.core.featurize;

import io.dimstream.core.crystal.Lattice;
import io.dimstream.core.crystal.LatticeAutomorphisms;
import io.dimstream.core.crystal.PrimitiveCell;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Site-Net featurizer, version {@value #VERSION}: turns a {@link Structure} into the point set the
 * encoder reads ({@link FeaturizedCrystal}). See {@code docs/featurizer.md} for the full algorithm.
 *
 * <ol>
 *   <li>Primitive cell, Niggli-reduced (site tolerance {@link Config#primitiveSiteTolerance()}); S sites.</li>
 *   <li>Near-cubic supercell with at most N = {@link Config#maxSupercellAtoms()} atoms
 *       ({@link NearCubicSupercell}); J = det(M)·S atoms.</li>
 *   <li>Interaction tensor D (S×J exact minimum-image distances) and imageOf ({@link InteractionTensor}).</li>
 *   <li>Site features, 9 per site ({@link MagpieFeatures}); for a disordered site the occupancy-weighted
 *       mean over its species, weights normalised by the site's total occupancy (vacancies carry no
 *       features).</li>
 *   <li>Limits: S &gt; {@link Config#maxPrimSites()} or S·J &gt; {@link Config#maxDistancePairs()} is
 *       rejected with a {@link FeaturizerException}.</li>
 * </ol>
 *
 * <p>Deterministic (same input → identical output) and thread-safe: one instance may be shared; the
 * only state is a few counters.
 */
public final class SiteNetFeaturizer {

    /** Version of the featurization algorithm, carried on every output. Bump on any change of output. */
    public static final int VERSION = 1;

    /**
     * Featurizer settings.
     *
     * @param maxSupercellAtoms      N: the supercell has at most max(N, S) atoms (default 50)
     * @param maxPrimSites           largest accepted primitive cell S (default 64)
     * @param maxDistancePairs       largest accepted S·J (default 4096 = 64·64)
     * @param primitiveSiteTolerance site tolerance of the primitive-cell search, Angstrom (default 0.5)
     */
    public record Config(int maxSupercellAtoms, int maxPrimSites, int maxDistancePairs, double primitiveSiteTolerance) {

        /** The defaults of featurizer version 1. */
        public static final Config DEFAULTS = new Config(50, 64, 4096, 0.5);

        public Config {
            if (maxSupercellAtoms < 1 || maxPrimSites < 1 || maxDistancePairs < 1) {
                throw new IllegalArgumentException("featurizer limits must be positive: N=" + maxSupercellAtoms
                        + ", maxPrimSites=" + maxPrimSites + ", maxDistancePairs=" + maxDistancePairs);
            }
            if (!(primitiveSiteTolerance > 0)) {
                throw new IllegalArgumentException("primitive site tolerance must be positive: " + primitiveSiteTolerance);
            }
        }
    }

    private final Config config;
    private final LongAdder featurized = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder imputedValues = new LongAdder();
    private final LongAdder multiCandidate = new LongAdder();

    public SiteNetFeaturizer() {
        this(Config.DEFAULTS);
    }

    public SiteNetFeaturizer(Config config) {
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /**
     * Featurizes one structure.
     *
     * @param s      the structure (any cell of the crystal)
     * @param id     id carried on the output
     * @param source provenance carried on the output
     * @throws FeaturizerException when the structure is rejected (see {@link FeaturizerException#code()})
     */
    public FeaturizedCrystal featurize(Structure s, String id, String source) throws FeaturizerException {
        try {
            FeaturizedCrystal f = featurizeCell(primitive(s), id, source);
            featurized.increment();
            return f;
        } catch (FeaturizerException e) {
            rejected.increment();
            throw e;
        }
    }

    /** Step 1: the primitive, Niggli-reduced cell. */
    Structure primitive(Structure s) throws FeaturizerException {
        if (s.size() == 0) {
            throw new FeaturizerException(FeaturizerException.EMPTY_STRUCTURE, "structure has no sites");
        }
        try {
            return PrimitiveCell.find(s, config.primitiveSiteTolerance());
        } catch (RuntimeException e) {
            throw new FeaturizerException(FeaturizerException.PRIMITIVE_CELL_FAILED,
                    "primitive-cell search failed: " + e.getMessage(), e);
        }
    }

    /**
     * Steps 2–5 only: featurizes the structure in the cell it is given, skipping the primitive-cell
     * search. For callers that already hold the primitive Niggli-reduced cell, and for benchmarks;
     * the output equals {@link #featurize} only when the input is that cell.
     */
    public FeaturizedCrystal featurizeGivenCell(Structure cell, String id, String source) throws FeaturizerException {
        if (cell.size() == 0) {
            throw new FeaturizerException(FeaturizerException.EMPTY_STRUCTURE, "structure has no sites");
        }
        return featurizeCell(cell, id, source);
    }

    /** Steps 2–5 on a cell taken as primitive. */
    FeaturizedCrystal featurizeCell(Structure prim, String id, String source) throws FeaturizerException {
        int sn = prim.size();
        if (sn == 0) {
            throw new FeaturizerException(FeaturizerException.EMPTY_STRUCTURE, "structure has no sites");
        }
        if (sn > config.maxPrimSites()) {
            throw new FeaturizerException(FeaturizerException.TOO_MANY_SITES, "primitive cell has " + sn
                    + " sites, more than the limit of " + config.maxPrimSites());
        }
        Lattice lattice = prim.lattice();
        double[][] l = lattice.matrix();
        double[] frac = new double[3 * sn];
        for (int i = 0; i < sn; i++) {
            Site site = prim.site(i);
            for (int k = 0; k < 3; k++) {
                double f = site.frac(k);
                if (!Double.isFinite(f)) {
                    throw new FeaturizerException(FeaturizerException.BAD_GEOMETRY,
                            "site " + i + " has a non-finite fractional coordinate");
                }
                f -= Math.floor(f);
                frac[3 * i + k] = f >= 1.0 ? 0.0 : f;
            }
        }
        NearCubicSupercell cell;
        try {
            cell = NearCubicSupercell.of(l, sn, config.maxSupercellAtoms());
        } catch (IllegalArgumentException e) {
            throw new FeaturizerException(FeaturizerException.BAD_GEOMETRY, e.getMessage());
        }
        long jn = (long) cell.multiplicity() * sn;
        if (jn * sn > config.maxDistancePairs()) {
            throw new FeaturizerException(FeaturizerException.TOO_MANY_PAIRS, "distance tensor would be " + sn + " x "
                    + jn + " = " + (jn * sn) + " entries, more than the limit of " + config.maxDistancePairs());
        }
        int j = (int) jn;
        float[] features = new float[sn * MagpieFeatures.DIM];
        long imputed = 0;
        for (int i = 0; i < sn; i++) {
            imputed += siteFeatures(prim.site(i), i, features, i * MagpieFeatures.DIM);
        }
        float[] distances = new float[sn * j];
        // step 2a: canonical choice among the equivalent Niggli bases (one candidate in the common case)
        List<int[][]> candidates = sn == 1 ? List.of()
                : CanonicalBasis.candidates(LatticeAutomorphisms.proper(l, LatticeAutomorphisms.DEFAULT_REL_TOL),
                        cell.matrix(), l, frac, sn, features, MagpieFeatures.DIM);
        if (candidates.size() <= 1) {
            InteractionTensor.compute(l, frac, sn, cell, distances);
        } else {
            CanonicalBasis.choose(l, frac, sn, cell, features, MagpieFeatures.DIM, candidates, distances);
            multiCandidate.increment();
        }
        int[] imageOf = new int[j];
        for (int a = 0; a < j; a++) {
            imageOf[a] = a % sn;
        }
        if (imputed > 0) {
            imputedValues.add(imputed);
        }
        return new FeaturizedCrystal(id, VERSION, sn, j, MagpieFeatures.DIM, features, distances, imageOf,
                prim.reducedFormula(), source);
    }

    /** Writes the 9 standardised features of a site; returns how many imputed table values it used. */
    private static int siteFeatures(Site site, int index, float[] out, int off) throws FeaturizerException {
        Map<Species, Double> species = site.species();
        double total = 0;
        for (double occ : species.values()) {
            if (!(occ >= 0) || Double.isInfinite(occ)) {
                throw new FeaturizerException(FeaturizerException.BAD_GEOMETRY,
                        "site " + index + " has an invalid occupancy " + occ);
            }
            total += occ;
        }
        if (!(total > 0)) {
            throw new FeaturizerException(FeaturizerException.BAD_GEOMETRY, "site " + index + " has total occupancy 0");
        }
        double[] acc = new double[MagpieFeatures.DIM];
        int imputed = 0;
        for (Map.Entry<Species, Double> e : species.entrySet()) {
            double w = e.getValue() / total;
            if (w == 0) {
                continue;
            }
            Species sp = e.getKey();
            for (int k = 0; k < MagpieFeatures.MAGPIE_DIM; k++) {
                acc[k] += w * MagpieFeatures.standardised(sp.element(), k);
            }
            acc[MagpieFeatures.OXIDATION] += w * MagpieFeatures.standardisedOxidation(sp.oxidationState());
            imputed += MagpieFeatures.imputedCount(sp.element());
        }
        for (int k = 0; k < MagpieFeatures.DIM; k++) {
            out[off + k] = (float) acc[k];
        }
        return imputed;
    }

    /** Structures featurized successfully by this instance. */
    public long featurizedCount() {
        return featurized.sum();
    }

    /** Structures rejected by this instance. */
    public long rejectedCount() {
        return rejected.sum();
    }

    /**
     * Structures whose Niggli cell had several inequivalent supercell candidates (a crystal less
     * symmetric than its lattice), so that the canonical one was chosen by signature (step 2a).
     */
    public long canonicalChoiceCount() {
        return multiCandidate.sum();
    }

    /** Imputed Magpie table values used so far (summed over sites and species) by this instance. */
    public long imputedValueCount() {
        return imputedValues.sum();
    }
}
