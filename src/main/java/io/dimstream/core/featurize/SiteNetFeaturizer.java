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
 *   <li>Large cells (version 2): when S &gt; {@link Config#maxPrimSites()} or S·J &gt;
 *       {@link Config#maxDistancePairs()}, steps 2–3 are replaced by per-site neighbour lists: each
 *       primitive site sees its K = N nearest atoms of the periodic crystal ({@link NearestNeighbours}),
 *       so the J axis of row i is "the K nearest atoms of site i" and imageOf has one list per row.
 *       Cells within the supercell limits are featurized exactly as in version 1.</li>
 *   <li>Resource limits: S &gt; {@link Config#maxSites()} or S·K &gt; {@link Config#maxPairs()} is
 *       rejected with a {@link FeaturizerException} naming the limit.</li>
 * </ol>
 *
 * <p>Deterministic (same input → identical output) and thread-safe: one instance may be shared; the
 * only state is a few counters.
 */
public final class SiteNetFeaturizer {

    /**
     * Version of the featurization algorithm, carried on every output. Bump on any change of output.
     * Version 2 added per-site neighbour lists for cells above the supercell limits; its output for every
     * structure version 1 accepted is identical to version 1's.
     */
    public static final int VERSION = 2;

    /**
     * Whether weights trained on features of version {@code trainedOn} are a valid starting point for
     * training or fine-tuning on this version's features (resume, warm start). True for this version and
     * for version 1, whose inputs version 2 featurizes identically. Embedding still requires the model's
     * featurizer version to equal {@link #VERSION} (its graph and its training data are of that version).
     */
    public static boolean weightsCompatible(int trainedOn) {
        return trainedOn == VERSION || trainedOn == 1;
    }

    /**
     * Featurizer settings.
     *
     * @param maxSupercellAtoms      N: the supercell has at most max(N, S) atoms; also K, the neighbours
     *                               per site of large cells (default 50)
     * @param maxPrimSites           largest primitive cell S featurized with the supercell (default 64);
     *                               larger cells get per-site neighbour lists
     * @param maxDistancePairs       largest supercell tensor S·J (default 4096 = 64·64); larger ones get
     *                               per-site neighbour lists
     * @param maxSites               resource limit: largest accepted primitive cell (default 2,000)
     * @param maxPairs               resource limit: largest accepted S·K of a neighbour-list cell
     *                               (default 100,000 = 2,000 · 50)
     * @param primitiveSiteTolerance site tolerance of the primitive-cell search, Angstrom (default 0.5)
     */
    public record Config(int maxSupercellAtoms, int maxPrimSites, int maxDistancePairs, int maxSites, long maxPairs,
            double primitiveSiteTolerance) {

        /** The defaults of featurizer version 2 (the first three are version 1's limits). */
        public static final Config DEFAULTS = new Config(50, 64, 4096, 2000, 100_000, 0.5);

        /** Supercell limits and tolerance with the default resource limits. */
        public Config(int maxSupercellAtoms, int maxPrimSites, int maxDistancePairs, double primitiveSiteTolerance) {
            this(maxSupercellAtoms, maxPrimSites, maxDistancePairs, DEFAULT_MAX_SITES, DEFAULT_MAX_PAIRS,
                    primitiveSiteTolerance);
        }

        public static final int DEFAULT_MAX_SITES = 2000;
        public static final long DEFAULT_MAX_PAIRS = 100_000;

        public Config {
            if (maxSupercellAtoms < 1 || maxPrimSites < 1 || maxDistancePairs < 1 || maxSites < 1 || maxPairs < 1) {
                throw new IllegalArgumentException("featurizer limits must be positive: N=" + maxSupercellAtoms
                        + ", maxPrimSites=" + maxPrimSites + ", maxDistancePairs=" + maxDistancePairs
                        + ", maxSites=" + maxSites + ", maxPairs=" + maxPairs);
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
    private final LongAdder neighbourListCount = new LongAdder();

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
        if (sn > config.maxSites()) {
            throw new FeaturizerException(FeaturizerException.TOO_MANY_SITES, "primitive cell has " + sn
                    + " sites, more than the limit of " + config.maxSites() + " (featurizer maxSites)");
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
        float[] features = new float[sn * MagpieFeatures.DIM];
        long imputed = 0;
        for (int i = 0; i < sn; i++) {
            imputed += siteFeatures(prim.site(i), i, features, i * MagpieFeatures.DIM);
        }
        if (imputed > 0) {
            imputedValues.add(imputed);
        }
        if (sn > config.maxPrimSites() || jn * sn > config.maxDistancePairs()) {
            return neighbourLists(prim, l, frac, sn, features, id, source);
        }
        int j = (int) jn;
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
        return new FeaturizedCrystal(id, VERSION, sn, j, MagpieFeatures.DIM, features, distances, imageOf,
                prim.reducedFormula(), source);
    }

    /** Step 2–3 for cells above the supercell limits: each site's K = N nearest atoms. */
    private FeaturizedCrystal neighbourLists(Structure prim, double[][] l, double[] frac, int sn, float[] features,
            String id, String source) throws FeaturizerException {
        int k = config.maxSupercellAtoms();
        long pairs = (long) sn * k;
        if (pairs > config.maxPairs()) {
            throw new FeaturizerException(FeaturizerException.TOO_MANY_PAIRS, "neighbour lists would hold " + sn
                    + " x " + k + " = " + pairs + " pairs, more than the limit of " + config.maxPairs()
                    + " (featurizer maxPairs)");
        }
        float[] distances = new float[sn * k];
        int[] imageOf = new int[sn * k];
        try {
            NearestNeighbours.compute(l, frac, sn, k, distances, imageOf);
        } catch (IllegalArgumentException e) {
            throw new FeaturizerException(FeaturizerException.BAD_GEOMETRY, e.getMessage());
        }
        neighbourListCount.increment();
        return new FeaturizedCrystal(id, VERSION, sn, k, MagpieFeatures.DIM, features, distances, imageOf,
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

    /** Structures above the supercell limits, featurized with per-site neighbour lists by this instance. */
    public long neighbourListCount() {
        return neighbourListCount.sum();
    }

    /** Imputed Magpie table values used so far (summed over sites and species) by this instance. */
    public long imputedValueCount() {
        return imputedValues.sum();
    }
}
