package io.dimstream.trainer;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic Site-Net point sets for tests: a few "elements" with fixed 9-d feature vectors and a
 * characteristic radius; each crystal is a random cubic cell with S sites of 1-2 elements (lattice
 * constant from the radii, so species and distances are correlated, as in real crystals), replicated
 * n x n x n into a supercell; distances are Euclidean from each primitive site (in the central cell) to
 * every supercell atom.
 */
public final class SyntheticCrystals {
    private SyntheticCrystals() {}

    public static final int F = 9;

    public static List<FeaturizedCrystal> generate(int count, long seed, int maxSites) {
        Random r = new Random(seed);
        int elements = 6;
        float[][] feat = new float[elements][F];
        Random er = new Random(42);
        for (float[] f : feat) {
            for (int k = 0; k < F; k++) {
                f[k] = (float) er.nextGaussian();
            }
        }
        double[] radius = {0.9, 1.2, 1.5, 1.8, 2.1, 2.4};
        List<FeaturizedCrystal> out = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            int s = 1 + r.nextInt(maxSites);
            int e1 = r.nextInt(elements);
            int e2 = r.nextInt(elements);
            int[] species = new int[s];
            double rsum = 0;
            for (int i = 0; i < s; i++) {
                species[i] = r.nextBoolean() ? e1 : e2;
                rsum += Math.pow(radius[species[i]], 3);
            }
            double a = Math.cbrt(rsum * 4.2) * (0.95 + 0.1 * r.nextDouble());
            double[][] pos = new double[s][3];
            for (int i = 0; i < s; i++) {
                for (int k = 0; k < 3; k++) {
                    pos[i][k] = r.nextDouble() * a;
                }
            }
            int n = s <= 2 ? 3 : 2; // supercell n^3 copies
            int j = s * n * n * n;
            float[] sf = new float[s * F];
            for (int i = 0; i < s; i++) {
                System.arraycopy(feat[species[i]], 0, sf, i * F, F);
            }
            int[] imageOf = new int[j];
            double[][] atom = new double[j][3];
            int idx = 0;
            for (int x = 0; x < n; x++) {
                for (int y = 0; y < n; y++) {
                    for (int z = 0; z < n; z++) {
                        for (int i = 0; i < s; i++) {
                            atom[idx][0] = pos[i][0] + (x - n / 2) * a;
                            atom[idx][1] = pos[i][1] + (y - n / 2) * a;
                            atom[idx][2] = pos[i][2] + (z - n / 2) * a;
                            imageOf[idx++] = i;
                        }
                    }
                }
            }
            float[] d = new float[s * j];
            for (int i = 0; i < s; i++) {
                for (int q = 0; q < j; q++) {
                    double dx = pos[i][0] - atom[q][0];
                    double dy = pos[i][1] - atom[q][1];
                    double dz = pos[i][2] - atom[q][2];
                    d[i * j + q] = (float) Math.sqrt(dx * dx + dy * dy + dz * dz);
                }
            }
            out.add(new FeaturizedCrystal("syn-" + seed + "-" + c, SiteNetFeaturizer.VERSION, s, j, F, sf, d, imageOf,
                    "X" + e1 + "Y" + e2,
                    "synthetic"));
        }
        return out;
    }

    /**
     * The same crystal with per-site neighbour lists (featurizer v2's layout for large cells): row i keeps
     * its k nearest of the J supercell atoms, ascending (ties by atom index).
     */
    public static FeaturizedCrystal withNeighbourLists(FeaturizedCrystal c, int k) {
        int s = c.primSites();
        int j = c.supercellSites();
        k = Math.min(k, j);
        float[] d = new float[s * k];
        int[] img = new int[s * k];
        for (int i = 0; i < s; i++) {
            Integer[] order = new Integer[j];
            for (int a = 0; a < j; a++) {
                order[a] = a;
            }
            final int row = i;
            java.util.Arrays.sort(order, (p, q) -> {
                int cmp = Float.compare(c.distance(row, p), c.distance(row, q));
                return cmp != 0 ? cmp : Integer.compare(p, q);
            });
            for (int q = 0; q < k; q++) {
                d[i * k + q] = c.distance(i, order[q]);
                img[i * k + q] = c.neighbour(i, order[q]);
            }
        }
        return new FeaturizedCrystal(c.id() + "-nl", c.featurizerVersion(), s, k, c.featureDim(), c.siteFeatures(), d,
                img, c.formula(), c.source());
    }

    /** The same crystal and supercell, written in the per-site layout (the shared list repeated on every row). */
    public static FeaturizedCrystal asPerSiteLayout(FeaturizedCrystal c) {
        int s = c.primSites();
        int j = c.supercellSites();
        int[] img = new int[s * j];
        for (int i = 0; i < s; i++) {
            System.arraycopy(c.imageOf(), 0, img, i * j, j);
        }
        return new FeaturizedCrystal(c.id() + "-rows", c.featurizerVersion(), s, j, c.featureDim(), c.siteFeatures(),
                c.distances(), img, c.formula(), c.source());
    }

    /** {@link #generate}, with every third crystal of two or more sites turned into per-site neighbour lists. */
    public static List<FeaturizedCrystal> generateMixed(int count, long seed, int maxSites, int k) {
        List<FeaturizedCrystal> out = new ArrayList<>(generate(count, seed, maxSites));
        for (int c = 0; c < out.size(); c += 3) {
            if (out.get(c).primSites() > 1) {
                out.set(c, withNeighbourLists(out.get(c), k));
            }
        }
        return out;
    }
}
