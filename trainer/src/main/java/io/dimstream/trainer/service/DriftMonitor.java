package io.dimstream.trainer.service;

import io.dimstream.trainer.dim.ElementFractions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * How much the structures that arrived since the last training round differ from the corpus the serving
 * model was trained on: the Jensen–Shannon divergence (bits, 0..1) of their element distributions (the
 * sum of each structure's element fractions from its reduced formula) and of their site-count
 * distributions (primitive sites in powers-of-two bins), each minus what the same number of structures
 * drawn from the reference itself would show (a bootstrap over a reservoir sample of it: a small sample's
 * divergence is positive even without a shift, 0.07 bits at 100 structures and 0.006 at 1,000 for the
 * MP element distribution). The drift score is the larger excess.
 *
 * <p>Calibration on the shared MP data (reference = train split, recent = val structures, 300 of them):
 * an unbiased sample scores ≈ 0 (−0.001 … 0.008); a run of lithium compounds 0.16 (elements); a run of
 * cells with ≥ 40 sites 0.49 (sizes). The default threshold 0.05 sits between.
 *
 * <p>Memory is bounded: two histograms per side and a reservoir of at most {@code reservoirSize}
 * reference structures. Not thread-safe.
 */
public final class DriftMonitor {

    /** Powers-of-two bins of the site count: 1, 2–3, 4–7, …, ≥ 2048. */
    static final int SIZE_BINS = 12;
    private static final int BOOTSTRAP_DRAWS = 30;
    private static final int MAX_BOOTSTRAP_SAMPLE = 50_000;

    /** One measurement. */
    public record Drift(double score, double elementJs, double elementNull, double sizeJs, double sizeNull,
                        int recent, int reference) {
        /** The excess of the element divergence over its no-shift expectation. */
        public double elementExcess() {
            return elementJs - elementNull;
        }

        public double sizeExcess() {
            return sizeJs - sizeNull;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "drift %.3f (elements %.3f - %.3f expected, sites %.3f - %.3f "
                    + "expected; %d recent vs %d reference structures)", score, elementJs, elementNull, sizeJs, sizeNull,
                    recent, reference);
        }
    }

    /** One structure as the monitor sees it: sparse element fractions and a size bin. */
    record Sample(int[] elements, float[] fractions, int sizeBin) {
    }

    private final int reservoirSize;
    private final long seed;
    private final double[] refElements = new double[ElementFractions.ELEMENTS];
    private final double[] refSizes = new double[SIZE_BINS];
    private final double[] recentElements = new double[ElementFractions.ELEMENTS];
    private final double[] recentSizes = new double[SIZE_BINS];
    private final List<Sample> reservoir = new ArrayList<>();
    private int referenceCount;
    private int recentCount;
    private SplittableRandom rng;

    public DriftMonitor(int reservoirSize, long seed) {
        if (reservoirSize < 1) {
            throw new IllegalArgumentException("reservoir size must be >= 1");
        }
        this.reservoirSize = reservoirSize;
        this.seed = seed;
        this.rng = new SplittableRandom(seed);
    }

    /** A structure from its reduced formula and primitive site count; empty when the formula has no element. */
    static Optional<Sample> sample(String formula, int sites) {
        Optional<float[]> fr = ElementFractions.of(formula);
        if (fr.isEmpty()) {
            return Optional.empty();
        }
        float[] dense = fr.get();
        int n = 0;
        for (float f : dense) {
            if (f > 0) {
                n++;
            }
        }
        int[] el = new int[n];
        float[] v = new float[n];
        int k = 0;
        for (int i = 0; i < dense.length; i++) {
            if (dense[i] > 0) {
                el[k] = i;
                v[k++] = dense[i];
            }
        }
        return Optional.of(new Sample(el, v, sizeBin(sites)));
    }

    static int sizeBin(int sites) {
        int b = 31 - Integer.numberOfLeadingZeros(Math.max(1, sites));
        return Math.min(SIZE_BINS - 1, b);
    }

    private static void add(double[] elements, double[] sizes, Sample s) {
        for (int i = 0; i < s.elements().length; i++) {
            elements[s.elements()[i]] += s.fractions()[i];
        }
        sizes[s.sizeBin()] += 1;
    }

    /**
     * Starts over with a new reference (the corpus a new version was trained on); the recent window is
     * emptied.
     */
    public void resetReference(Iterable<Sample> corpus) {
        startReference();
        for (Sample s : corpus) {
            addReference(s);
        }
        clearRecent();
    }

    /**
     * {@link #resetReference} one sample at a time (a corpus streamed from disk): {@code startReference}, then
     * {@link #addReference} per sample, then {@link #clearRecent}.
     */
    public void startReference() {
        java.util.Arrays.fill(refElements, 0);
        java.util.Arrays.fill(refSizes, 0);
        reservoir.clear();
        referenceCount = 0;
        rng = new SplittableRandom(seed);
    }

    /** One sample of the new reference (see {@link #startReference}). */
    public void addReference(Sample s) {
        add(refElements, refSizes, s);
        referenceCount++;
        if (reservoir.size() < reservoirSize) { // reservoir sampling (Algorithm R)
            reservoir.add(s);
        } else {
            int j = rng.nextInt(referenceCount);
            if (j < reservoirSize) {
                reservoir.set(j, s);
            }
        }
    }

    /** Empties the recent window (after a training round). */
    public void clearRecent() {
        java.util.Arrays.fill(recentElements, 0);
        java.util.Arrays.fill(recentSizes, 0);
        recentCount = 0;
    }

    /** A structure that arrived (or changed) since the last round. */
    public void observe(String formula, int sites) {
        sample(formula, sites).ifPresent(s -> {
            add(recentElements, recentSizes, s);
            recentCount++;
        });
    }

    public int recentCount() {
        return recentCount;
    }

    public int referenceCount() {
        return referenceCount;
    }

    /** The drift of the recent window against the reference; empty without both. */
    public Optional<Drift> measure() {
        if (recentCount == 0 || referenceCount == 0) {
            return Optional.empty();
        }
        double ej = js(recentElements, refElements);
        double sj = js(recentSizes, refSizes);
        // what a sample of the same size from the reference itself shows (finite-sample bias of JS)
        SplittableRandom r = new SplittableRandom(seed ^ recentCount);
        double eNull = 0;
        double sNull = 0;
        int n = Math.min(recentCount, MAX_BOOTSTRAP_SAMPLE); // beyond this the no-shift divergence is ~0
        double[] be = new double[refElements.length];
        double[] bs = new double[SIZE_BINS];
        for (int d = 0; d < BOOTSTRAP_DRAWS; d++) {
            java.util.Arrays.fill(be, 0);
            java.util.Arrays.fill(bs, 0);
            for (int i = 0; i < n; i++) {
                add(be, bs, reservoir.get(r.nextInt(reservoir.size())));
            }
            eNull += js(be, refElements);
            sNull += js(bs, refSizes);
        }
        eNull /= BOOTSTRAP_DRAWS;
        sNull /= BOOTSTRAP_DRAWS;
        double score = Math.max(0, Math.max(ej - eNull, sj - sNull));
        return Optional.of(new Drift(score, ej, eNull, sj, sNull, recentCount, referenceCount));
    }

    /** Jensen–Shannon divergence in bits of two unnormalised histograms. */
    static double js(double[] p, double[] q) {
        double tp = 0;
        double tq = 0;
        for (int i = 0; i < p.length; i++) {
            tp += p[i];
            tq += q[i];
        }
        if (tp == 0 || tq == 0) {
            return 0;
        }
        double d = 0;
        for (int i = 0; i < p.length; i++) {
            double a = p[i] / tp;
            double b = q[i] / tq;
            double m = (a + b) / 2;
            if (a > 0) {
                d += 0.5 * a * Math.log(a / m);
            }
            if (b > 0) {
                d += 0.5 * b * Math.log(b / m);
            }
        }
        return d / Math.log(2);
    }
}
