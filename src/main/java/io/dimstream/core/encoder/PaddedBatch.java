package io.dimstream.core.encoder;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.List;

/**
 * A batch of point sets padded to common S (primitive sites) and J (supercell atoms, or neighbours per
 * site), row-major, with 0/1 masks. Padded entries are zero (distances 0, image index 0): the model masks
 * them out, so their values never reach a result. Every row of a crystal has the same number of real
 * atoms, so one atom mask per crystal serves all its rows.
 */
public final class PaddedBatch {
    public final int batch;
    public final int maxSites;
    public final int maxAtoms;
    public final int featureDim;
    /** [B, S, F] */
    public final float[] siteFeatures;
    /** [B, S, J] */
    public final float[] distances;
    /**
     * R: 1 when every crystal of the batch has one supercell shared by its rows, else S (some crystal has
     * per-site neighbour lists; shared ones are repeated on every row).
     */
    public final int imageRows;
    /** [B, R, J] primitive site index of each atom (of each row when R = S) */
    public final long[] imageOf;
    /** [B, S] */
    public final float[] siteMask;
    /** [B, J] */
    public final float[] atomMask;
    /** real S per crystal */
    public final int[] sites;
    /** real J per crystal */
    public final int[] atoms;

    private PaddedBatch(int b, int s, int j, int f, int r) {
        batch = b;
        maxSites = s;
        maxAtoms = j;
        featureDim = f;
        imageRows = r;
        siteFeatures = new float[b * s * f];
        distances = new float[b * s * j];
        imageOf = new long[b * r * j];
        siteMask = new float[b * s];
        atomMask = new float[b * j];
        sites = new int[b];
        atoms = new int[b];
    }

    public static PaddedBatch of(List<FeaturizedCrystal> crystals) {
        return of(crystals, 1, 1);
    }

    /** Pads to at least {@code minSites} x {@code minAtoms} (tests use it to add extra padding). */
    public static PaddedBatch of(List<FeaturizedCrystal> crystals, int minSites, int minAtoms) {
        if (crystals.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int f = crystals.get(0).featureDim();
        int s = minSites;
        int j = minAtoms;
        boolean perSite = false;
        for (FeaturizedCrystal c : crystals) {
            perSite |= c.perSiteNeighbours();
            if (c.featureDim() != f) {
                throw new EncoderException(EncoderException.FEATURE_DIM_MISMATCH, "crystal " + c.id() + " has "
                        + c.featureDim() + " features per site, the batch has " + f);
            }
            s = Math.max(s, c.primSites());
            j = Math.max(j, c.supercellSites());
        }
        int r = perSite ? s : 1;
        PaddedBatch p = new PaddedBatch(crystals.size(), s, j, f, r);
        for (int b = 0; b < crystals.size(); b++) {
            FeaturizedCrystal c = crystals.get(b);
            int cs = c.primSites();
            int cj = c.supercellSites();
            p.sites[b] = cs;
            p.atoms[b] = cj;
            System.arraycopy(c.siteFeatures(), 0, p.siteFeatures, b * s * f, cs * f);
            for (int i = 0; i < cs; i++) {
                System.arraycopy(c.distances(), i * cj, p.distances, (b * s + i) * j, cj);
                p.siteMask[b * s + i] = 1f;
            }
            for (int a = 0; a < cj; a++) {
                p.atomMask[b * j + a] = 1f;
            }
            for (int row = 0; row < (perSite ? cs : 1); row++) {
                int base = (b * r + row) * j;
                for (int a = 0; a < cj; a++) {
                    p.imageOf[base + a] = c.neighbour(row, a);
                }
            }
        }
        return p;
    }

    /** Padded pair count B*S*J: the cost driver. */
    public long paddedPairs() {
        return (long) batch * maxSites * maxAtoms;
    }
}
