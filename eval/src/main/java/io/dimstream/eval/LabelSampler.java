package io.dimstream.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws the labelled training subsets of the label-masking protocol, reproducibly from a seed.
 *
 * <p>For one (property, seed) the candidates (training structures that have a finite label for the
 * property) are put in id order and shuffled once with the seed; the subset of size n is the first n
 * of that permutation. Subsets are therefore nested (the 50-label subset is inside the 100-label
 * one of the same seed), which keeps the curves over label counts comparable, and they do not
 * depend on the order of the input file. Within a subset a validation part (for early stopping /
 * best-checkpoint selection) is split off the same way with a derived seed.
 */
public final class LabelSampler {

    private LabelSampler() {
    }

    /** A labelled subset: indices into the training samples, split into fit and validation parts. */
    public record Subset(int[] all, int[] fit, int[] validation) {
    }

    /**
     * @param ids        ids of all training samples (index = sample index)
     * @param candidates indices of samples that have the label
     * @param n          subset size
     * @param seed       the run seed
     * @param property   property name (mixed into the seed so properties draw independently)
     */
    public static int[] sample(List<String> ids, int[] candidates, int n, long seed, String property) {
        if (n > candidates.length) {
            throw new EvalException("too-few-labels", "asked for " + n + " labelled structures of '" + property
                    + "' but only " + candidates.length + " training structures have that label");
        }
        if (n <= 0) {
            throw new EvalException("bad-label-count", "label count must be positive, got " + n);
        }
        List<Integer> order = new ArrayList<>(candidates.length);
        for (int c : candidates) {
            order.add(c);
        }
        order.sort(Comparator.comparing(ids::get));
        int[] perm = order.stream().mapToInt(Integer::intValue).toArray();
        SplittableRandom rnd = new SplittableRandom(mix(seed, property));
        for (int i = perm.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] out = new int[n];
        System.arraycopy(perm, 0, out, 0, n);
        return out;
    }

    /**
     * Splits a subset into fit and validation parts: {@code round(fraction * n)} validation
     * samples, at least {@code minValidation} (and at least one fit sample is always kept).
     */
    public static Subset split(int[] subset, double fraction, int minValidation, long seed) {
        int n = subset.length;
        int nVal = (int) Math.max(minValidation, Math.round(fraction * n));
        nVal = Math.min(nVal, n - 1);
        int[] perm = subset.clone();
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int i = perm.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] val = new int[nVal];
        int[] fit = new int[n - nVal];
        System.arraycopy(perm, 0, val, 0, nVal);
        System.arraycopy(perm, nVal, fit, 0, n - nVal);
        return new Subset(subset.clone(), fit, val);
    }

    static long mix(long seed, String property) {
        long h = seed * 0x9E3779B97F4A7C15L + property.hashCode();
        h ^= (h >>> 33);
        h *= 0xff51afd7ed558ccdL;
        h ^= (h >>> 33);
        return h;
    }
}
