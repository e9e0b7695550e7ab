package io.dimstream.core.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SizeBatcherTest {

    static FeaturizedCrystal crystal(String id, int s, int j) {
        int[] img = new int[j];
        for (int a = 0; a < j; a++) {
            img[a] = a % s;
        }
        return new FeaturizedCrystal(id, 1, s, j, 1, new float[s], new float[s * j], img, "", "");
    }

    /** Σ (overhead + padded pairs) of a plan; also checks each index appears exactly once. */
    static long cost(List<FeaturizedCrystal> cs, List<int[]> plan, long overhead) {
        boolean[] seen = new boolean[cs.size()];
        long total = 0;
        for (int[] g : plan) {
            int maxS = 0;
            int maxJ = 0;
            for (int i : g) {
                assertTrue(!seen[i], "index " + i + " planned twice");
                seen[i] = true;
                maxS = Math.max(maxS, cs.get(i).primSites());
                maxJ = Math.max(maxJ, cs.get(i).supercellSites());
            }
            total += overhead + (long) g.length * maxS * maxJ;
        }
        for (int i = 0; i < seen.length; i++) {
            assertTrue(seen[i], "index " + i + " not planned");
        }
        return total;
    }

    @Test
    void smallMixedBatchSplitsOffTheOutlierInsteadOfPaddingEveryoneToIt() {
        List<FeaturizedCrystal> cs = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            cs.add(crystal("small" + i, 4, 32));
        }
        cs.add(crystal("big", 12, 40));
        // the encoder's caps: 8,192 padded pairs per call
        List<int[]> greedy = SizeBatcher.plan(cs, 4096, 8192, 256);
        assertEquals(1, greedy.size(), "the greedy cut pads all 16 to 12 x 40");
        List<int[]> best = SizeBatcher.planMinCost(cs, 4096, 8192, 256, 128);
        assertEquals(2, best.size());
        assertEquals(15, best.get(0).length);
        assertEquals(List.of(15), List.of(best.get(1)[0]));
        // 2 calls: 2 * 128 + 15 * 4 * 32 + 12 * 40 = 2,656 padded-pair equivalents instead of 128 + 16 * 480
        assertEquals(2656, cost(cs, best, 128));
        assertEquals(128 + 16 * 12 * 40, cost(cs, greedy, 128));
    }

    @Test
    void equalSizesStayInOneCallAndCapsHold() {
        List<FeaturizedCrystal> cs = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            cs.add(crystal("c" + i, 6, 40));
        }
        assertEquals(1, SizeBatcher.planMinCost(cs, 4096, 1 << 20, 256, 128).size());
        List<int[]> capped = SizeBatcher.planMinCost(cs, 4096, 6 * 40 * 8, 256, 128);
        assertEquals(7, capped.size(), "8 crystals per call by the pair cap");
        for (int[] g : capped) {
            assertTrue(g.length <= 8);
        }
        for (int[] g : SizeBatcher.planMinCost(cs, 4096, 1 << 20, 16, 128)) {
            assertTrue(g.length <= 16, "batch cap");
        }
        for (int[] g : SizeBatcher.planMinCost(cs, 30, 1 << 20, 256, 128)) {
            assertTrue(g.length <= 5, "site cap: 5 x 6 sites");
        }
    }

    @Test
    void neverCostsMoreThanTheGreedyCutOnRandomBatches() {
        Random r = new Random(11);
        for (int trial = 0; trial < 300; trial++) {
            List<FeaturizedCrystal> cs = new ArrayList<>();
            int n = 1 + r.nextInt(80);
            for (int i = 0; i < n; i++) {
                int s = 1 + (int) Math.min(63, Math.abs(r.nextGaussian() * 10));
                cs.add(crystal("r" + i, s, Math.min(64, s * (2 + r.nextInt(12)))));
            }
            long best = cost(cs, SizeBatcher.planMinCost(cs, 1200, 8192, 256, 128), 128);
            long greedy = cost(cs, SizeBatcher.plan(cs, 1200, 8192, 256), 128);
            assertTrue(best <= greedy, "trial " + trial + ": " + best + " > greedy " + greedy);
        }
    }

    @Test
    void emptyAndOversizedInputs() {
        assertEquals(0, SizeBatcher.planMinCost(List.of(), 10, 10, 10, 128).size());
        List<FeaturizedCrystal> huge = List.of(crystal("a", 64, 64), crystal("b", 64, 64));
        List<int[]> plan = SizeBatcher.planMinCost(huge, 10, 100, 10, 128);
        assertEquals(2, plan.size(), "a crystal over the caps gets a call of its own");
    }

    @Test
    void singletonBatchesJoinANeighbourSoEveryDimBatchHasAPartner() {
        // a lone singleton joins the batch before it; the first one joins the batch after it
        java.util.List<int[]> joined = SizeBatcher.joinSingletons(java.util.List.of(new int[] {0}, new int[] {1, 2},
                new int[] {3}, new int[] {4, 5}));
        assertEquals(2, joined.size());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 1, 2, 3}, joined.get(0));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {4, 5}, joined.get(1));
        // a run of singletons (the large cells at the end of a size-ordered plan) is cut into pairs, never
        // gathered into one huge batch; an odd one left over makes a triple
        java.util.List<int[]> plan = new java.util.ArrayList<>(java.util.List.of(new int[] {0, 1}));
        for (int k = 2; k < 9; k++) {
            plan.add(new int[] {k});
        }
        java.util.List<int[]> run = SizeBatcher.joinSingletons(plan);
        assertEquals(4, run.size());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 1}, run.get(0));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 3}, run.get(1));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {4, 5}, run.get(2));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {6, 7, 8}, run.get(3));
        for (int[] b : run) {
            org.junit.jupiter.api.Assertions.assertTrue(b.length >= 2 && b.length <= 3);
        }
        // nothing to join: unchanged; a plan of one batch stays as it is
        java.util.List<int[]> none = java.util.List.of(new int[] {0, 1}, new int[] {2, 3});
        assertEquals(none, SizeBatcher.joinSingletons(none));
        assertEquals(1, SizeBatcher.joinSingletons(java.util.List.<int[]>of(new int[] {7})).size());
    }
}
