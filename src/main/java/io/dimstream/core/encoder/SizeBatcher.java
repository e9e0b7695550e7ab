package io.dimstream.core.encoder;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Groups crystals of similar size into batches so padding stays small: indices are ordered by (S, J),
 * then cut greedily so each batch holds at most {@code maxSites} real primitive sites, at most
 * {@code maxPairs} padded pairs (B x maxS x maxJ), at most {@code maxBatch} crystals, and padded pairs
 * at most {@link #MAX_PADDING_FACTOR} x the real pairs (for batches above {@link #SMALL_BATCH_PAIRS}). A crystal
 * larger than the caps gets a batch of its own.
 */
public final class SizeBatcher {
    /** A batch is cut when its padded pairs would exceed this multiple of its real pairs... */
    public static final double MAX_PADDING_FACTOR = 1.5;
    /** ...unless it is this small anyway (tiny batches cost more in per-call overhead than in padding). */
    public static final long SMALL_BATCH_PAIRS = 16_384;

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

    /**
     * Fixed cost of one inference call, in padded-pair equivalents: ONNX Runtime's per-call and
     * per-node overhead on the CPU, measured with the default Site-Net graph (a call of one median
     * crystal costs about as much as ~{@value} extra padded pairs). Used by {@link #planMinCost}.
     */
    public static final long CALL_OVERHEAD_PAIRS = 128;

    /**
     * Batches of indices into {@code crystals} that minimise the estimated inference cost
     * Σ (call overhead + padded pairs) under the same caps as {@link #plan}: crystals are ordered
     * by (S, J) and the order is cut by dynamic programming instead of greedily. For a small batch of
     * mixed sizes (the live streaming path: 10–60 crystals) the greedy cut pads every crystal to the
     * largest one; this one splits off the outliers when padding them costs more than another call.
     */
    public static List<int[]> planMinCost(List<FeaturizedCrystal> crystals, int maxSites, long maxPairs, int maxBatch,
                                          long callOverheadPairs) {
        int n = crystals.size();
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingInt(i -> crystals.get(i).primSites())
                .thenComparingInt(i -> crystals.get(i).supercellSites()));
        long[] best = new long[n + 1];
        int[] cutAt = new int[n + 1];
        for (int end = 1; end <= n; end++) {
            best[end] = Long.MAX_VALUE;
            int maxS = 0;
            int maxJ = 0;
            long sumS = 0;
            // the group is order[start .. end-1], grown backwards while it fits the caps
            for (int start = end - 1; start >= 0 && end - start <= Math.max(1, maxBatch); start--) {
                FeaturizedCrystal c = crystals.get(order.get(start));
                maxS = Math.max(maxS, c.primSites());
                maxJ = Math.max(maxJ, c.supercellSites());
                sumS += c.primSites();
                long padded = (long) (end - start) * maxS * maxJ;
                if (end - start > 1 && (sumS > maxSites || padded > maxPairs)) {
                    break; // caps only grow as the group grows
                }
                long cost = best[start] + callOverheadPairs + padded;
                if (cost < best[end]) {
                    best[end] = cost;
                    cutAt[end] = start;
                }
            }
        }
        List<int[]> out = new ArrayList<>();
        for (int end = n; end > 0; end = cutAt[end]) {
            int start = cutAt[end];
            int[] g = new int[end - start];
            for (int k = start; k < end; k++) {
                g[k - start] = order.get(k);
            }
            out.add(g);
        }
        java.util.Collections.reverse(out);
        return out;
    }

    /** Cuts an already ordered index list into capped batches. */
    public static List<int[]> cut(List<FeaturizedCrystal> crystals, List<Integer> order, int maxSites, long maxPairs,
            int maxBatch) {
        return cut(crystals, order, maxSites, maxPairs, maxBatch, MAX_PADDING_FACTOR);
    }

    /** As {@link #cut(List, List, int, long, int)} with a given padding-waste factor. */
    public static List<int[]> cut(List<FeaturizedCrystal> crystals, List<Integer> order, int maxSites, long maxPairs,
            int maxBatch, double maxPaddingFactor) {
        List<int[]> out = new ArrayList<>();
        List<Integer> cur = new ArrayList<>();
        int sumS = 0;
        long realPairs = 0;
        int maxS = 0;
        int maxJ = 0;
        for (int idx : order) {
            FeaturizedCrystal c = crystals.get(idx);
            int ns = Math.max(maxS, c.primSites());
            int nj = Math.max(maxJ, c.supercellSites());
            long padded = (long) (cur.size() + 1) * ns * nj;
            long real = realPairs + (long) c.primSites() * c.supercellSites();
            boolean fits = cur.isEmpty()
                    || (sumS + c.primSites() <= maxSites
                            && padded <= maxPairs
                            && cur.size() + 1 <= maxBatch
                            && (padded <= SMALL_BATCH_PAIRS || padded <= maxPaddingFactor * real));
            if (!fits) {
                out.add(cur.stream().mapToInt(Integer::intValue).toArray());
                cur.clear();
                sumS = 0;
                realPairs = 0;
                ns = c.primSites();
                nj = c.supercellSites();
            }
            cur.add(idx);
            sumS += c.primSites();
            realPairs += (long) c.primSites() * c.supercellSites();
            maxS = ns;
            maxJ = nj;
        }
        if (!cur.isEmpty()) {
            out.add(cur.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    /**
     * Gives every batch of one crystal a partner: a DIM training or validation batch needs one for its
     * false pairs. Only a crystal that alone exceeds the caps (a large cell) makes a batch of one, and
     * such batches come in runs (the plan is in size order): a run is cut into pairs of neighbours, an odd
     * one left over joins the pair before it (or, in a run of one, the batch before it, else the one after).
     * A joined batch therefore holds at most three crystals and exceeds the caps by at most two large
     * cells; plans without batches of one are returned unchanged.
     */
    public static List<int[]> joinSingletons(List<int[]> plan) {
        if (plan.size() < 2) {
            return plan;
        }
        List<int[]> out = new ArrayList<>();
        int i = 0;
        while (i < plan.size()) {
            if (plan.get(i).length != 1) {
                out.add(plan.get(i++));
                continue;
            }
            int end = i;
            while (end < plan.size() && plan.get(end).length == 1) {
                end++;
            }
            int run = end - i;
            if (run == 1) {
                if (!out.isEmpty()) {
                    out.set(out.size() - 1, concat(out.get(out.size() - 1), plan.get(i)));
                } else if (end < plan.size()) {
                    out.add(concat(plan.get(i), plan.get(end)));
                    end++;
                } else {
                    out.add(plan.get(i));
                }
            } else {
                for (int k = i; k + 1 < end; k += 2) {
                    out.add(concat(plan.get(k), plan.get(k + 1)));
                }
                if (run % 2 == 1) {
                    out.set(out.size() - 1, concat(out.get(out.size() - 1), plan.get(end - 1)));
                }
            }
            i = end;
        }
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
