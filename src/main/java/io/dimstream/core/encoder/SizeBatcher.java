package io.dimstream.core.encoder;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Groups crystals of similar size into batches so padding stays small: indices are ordered by (S, J),
 * then cut greedily so each batch holds at most {@code maxSites} real primitive sites, at most
 * {@code maxPairs} padded pairs (B x maxS x maxJ) and at most {@code maxBatch} crystals. A crystal
 * larger than the caps gets a batch of its own.
 */
public final class SizeBatcher {
    private SizeBatcher() {}

    /** Batches of indices into {@code crystals}, in size order. */
    public static List<int[]> plan(List<FeaturizedCrystal> crystals, int maxSites, long maxPairs, int maxBatch) {
        List<Integer> order = new ArrayList<>(crystals.size());
        for (int i = 0; i < crystals.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingInt(i -> crystals.get(i).primSites())
                .thenComparingInt(i -> crystals.get(i).supercellSites()));
        return cut(crystals, order, maxSites, maxPairs, maxBatch);
    }

    /** Cuts an already ordered index list into capped batches. */
    public static List<int[]> cut(List<FeaturizedCrystal> crystals, List<Integer> order, int maxSites, long maxPairs,
            int maxBatch) {
        List<int[]> out = new ArrayList<>();
        List<Integer> cur = new ArrayList<>();
        int sumS = 0;
        int maxS = 0;
        int maxJ = 0;
        for (int idx : order) {
            FeaturizedCrystal c = crystals.get(idx);
            int ns = Math.max(maxS, c.primSites());
            int nj = Math.max(maxJ, c.supercellSites());
            boolean fits = cur.isEmpty()
                    || (sumS + c.primSites() <= maxSites
                            && (long) (cur.size() + 1) * ns * nj <= maxPairs
                            && cur.size() + 1 <= maxBatch);
            if (!fits) {
                out.add(cur.stream().mapToInt(Integer::intValue).toArray());
                cur.clear();
                sumS = 0;
                ns = c.primSites();
                nj = c.supercellSites();
            }
            cur.add(idx);
            sumS += c.primSites();
            maxS = ns;
            maxJ = nj;
        }
        if (!cur.isEmpty()) {
            out.add(cur.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
