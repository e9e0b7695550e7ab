package io.dimstream.trainer.dim;

import io.dimstream.core.encoder.PaddedBatch;
import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One DIM training batch prepared on the host: the real crystals, the batch rolled by half (the
 * partner crystal of each, for false pairs), and three "engineered" false environments per crystal:
 * composition swapped (own structure, partner's site features), structure swapped (partner's structure,
 * own site features) and neighbours permuted (imageOf shuffled among the crystal's atoms; with per-site
 * neighbour lists, among all its rows' entries).
 */
public final class DimBatch {
    public final List<FeaturizedCrystal> crystals;
    public final PaddedBatch real;
    /** null when the batch has a single crystal (no partner). */
    public final PaddedBatch rolled;
    public final PaddedBatch compositionSwapped;
    public final PaddedBatch structureSwapped;
    public final PaddedBatch permuted;
    public final int structures;
    public final long sites;
    /** [B·118] element fractions from each crystal's formula (the composition loss target). */
    public final float[] composition;
    /** [B] 1 where the crystal has a composition target; null when no crystal has one. */
    public final float[] compositionMask;
    /** Crystals with a composition target. */
    public final int compositionCount;

    private DimBatch(List<FeaturizedCrystal> crystals, Random rnd) {
        this.crystals = crystals;
        int n = crystals.size();
        this.real = PaddedBatch.of(crystals);
        List<FeaturizedCrystal> perm = new ArrayList<>(n);
        for (FeaturizedCrystal c : crystals) {
            perm.add(permuteNeighbours(c, rnd));
        }
        this.permuted = PaddedBatch.of(perm);
        if (n >= 2) {
            int h = n / 2;
            List<FeaturizedCrystal> roll = new ArrayList<>(n);
            List<FeaturizedCrystal> comp = new ArrayList<>(n);
            List<FeaturizedCrystal> struct = new ArrayList<>(n);
            for (int b = 0; b < n; b++) {
                FeaturizedCrystal c = crystals.get(b);
                FeaturizedCrystal partner = crystals.get((b + h) % n);
                roll.add(partner);
                comp.add(withFeaturesOf(c, partner));
                struct.add(withFeaturesOf(partner, c));
            }
            this.rolled = PaddedBatch.of(roll);
            this.compositionSwapped = PaddedBatch.of(comp);
            this.structureSwapped = PaddedBatch.of(struct);
        } else {
            this.rolled = null;
            this.compositionSwapped = null;
            this.structureSwapped = null;
        }
        this.structures = n;
        this.sites = crystals.stream().mapToLong(FeaturizedCrystal::primSites).sum();
        float[] comp = new float[n * ElementFractions.ELEMENTS];
        float[] mask = new float[n];
        int count = 0;
        for (int b = 0; b < n; b++) {
            java.util.Optional<float[]> f = ElementFractions.of(crystals.get(b).formula());
            if (f.isPresent()) {
                System.arraycopy(f.get(), 0, comp, b * ElementFractions.ELEMENTS, ElementFractions.ELEMENTS);
                mask[b] = 1f;
                count++;
            }
        }
        this.composition = comp;
        this.compositionMask = count > 0 ? mask : null;
        this.compositionCount = count;
    }

    public static DimBatch of(List<FeaturizedCrystal> crystals, Random rnd) {
        return new DimBatch(crystals, rnd);
    }

    /** The structure of {@code structure} carrying the site features of {@code species} (cycled). */
    static FeaturizedCrystal withFeaturesOf(FeaturizedCrystal structure, FeaturizedCrystal species) {
        int s = structure.primSites();
        int f = structure.featureDim();
        float[] sf = new float[s * f];
        for (int i = 0; i < s; i++) {
            System.arraycopy(species.siteFeatures(), (i % species.primSites()) * f, sf, i * f, f);
        }
        return new FeaturizedCrystal(structure.id(), structure.featurizerVersion(), s, structure.supercellSites(), f, sf,
                structure.distances(), structure.imageOf(), structure.formula(), structure.source());
    }

    static FeaturizedCrystal permuteNeighbours(FeaturizedCrystal c, Random rnd) {
        int[] img = c.imageOf().clone();
        for (int k = img.length - 1; k > 0; k--) {
            int o = rnd.nextInt(k + 1);
            int t = img[k];
            img[k] = img[o];
            img[o] = t;
        }
        return new FeaturizedCrystal(c.id(), c.featurizerVersion(), c.primSites(), c.supercellSites(), c.featureDim(),
                c.siteFeatures(), c.distances(), img, c.formula(), c.source());
    }
}
