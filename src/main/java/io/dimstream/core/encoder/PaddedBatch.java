package io.dimstream.core.encoder;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.List;

/**
 * A batch of point sets padded to common S (primitive sites) and J (supercell atoms), row-major, with
 * 0/1 masks. Padded entries are zero (distances 0, image index 0): the model masks them out, so their
 * values never reach a result.
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
    /** [B, J] primitive site index of each supercell atom */
    public final long[] imageOf;
    /** [B, S] */
    public final float[] siteMask;
    /** [B, J] */
    public final float[] atomMask;
    /** real S per crystal */
    public final int[] sites;
    /** real J per crystal */
    public final int[] atoms;

    private PaddedBatch(int b, int s, int j, int f) {
        batch = b;
        maxSites = s;
        maxAtoms = j;
        featureDim = f;
        siteFeatures = new float[b * s * f];
        distances = new float[b * s * j];
        imageOf = new long[b * j];
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
        for (FeaturizedCrystal c : crystals) {
            if (c.featureDim() != f) {
                throw new EncoderException(EncoderException.FEATURE_DIM_MISMATCH, "crystal " + c.id() + " has "
                        + c.featureDim() + " features per site, the batch has " + f);
            }
            s = Math.max(s, c.primSites());
            j = Math.max(j, c.supercellSites());
        }
        PaddedBatch p = new PaddedBatch(crystals.size(), s, j, f);
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
            int[] img = c.imageOf();
            for (int a = 0; a < cj; a++) {
                p.imageOf[b * j + a] = img[a];
                p.atomMask[b * j + a] = 1f;
            }
        }
        return p;
    }

    /** Padded pair count B*S*J: the cost driver. */
    public long paddedPairs() {
        return (long) batch * maxSites * maxAtoms;
    }
}
