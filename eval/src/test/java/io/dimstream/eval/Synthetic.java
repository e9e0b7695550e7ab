package io.dimstream.eval;

import io.dimstream.core.crystal.Element;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.heads.RegressionHead;
import io.dimstream.heads.RidgeHead;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Small synthetic splits for protocol tests: labels are smooth functions of the site features. */
final class Synthetic {

    static final int F = 9;

    private Synthetic() {
    }

    static EvalSplit split(String name, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<EvalSample> samples = new ArrayList<>();
        double[] fe = new double[n];
        double[] gap = new double[n];
        Element[] pool = {Element.bySymbol("Na").orElseThrow(), Element.bySymbol("Cl").orElseThrow(),
            Element.bySymbol("O").orElseThrow(), Element.bySymbol("Fe").orElseThrow()};
        for (int i = 0; i < n; i++) {
            int s = 1 + r.nextInt(3);
            int j = 2 * s;
            float[] sf = new float[s * F];
            for (int k = 0; k < sf.length; k++) {
                sf[k] = (float) r.nextDouble(-1, 1);
            }
            float[] d = new float[s * j];
            for (int k = 0; k < d.length; k++) {
                d[k] = (float) r.nextDouble(1, 4);
            }
            int[] img = new int[j];
            for (int k = 0; k < j; k++) {
                img[k] = k % s;
            }
            String id = name + "-" + i;
            samples.add(new EvalSample(id, new FeaturizedCrystal(id, io.dimstream.core.featurize.SiteNetFeaturizer.VERSION, s, j, F, sf, d, img, "X", name),
                    Map.of(pool[i % 4], 1.0 + r.nextInt(3), pool[(i + 1) % 4], 1.0)));
            double m0 = 0;
            double m1 = 0;
            for (int a = 0; a < s; a++) {
                m0 += sf[a * F] / s;
                m1 += sf[a * F + 1] / s;
            }
            fe[i] = 2 * m0 - m1 + 0.05 * r.nextGaussian();
            gap[i] = Math.max(0, 3 * m1 + 0.5);
        }
        LabelTable t = new LabelTable(n).put("formation_energy_per_atom", fe).put("band_gap", gap);
        return new EvalSplit(name, samples, t);
    }

    /** Mean site features: what a perfect encoder for these labels would output. */
    static float[] meanFeatures(FeaturizedCrystal c) {
        float[] e = new float[F];
        for (int a = 0; a < c.primSites(); a++) {
            for (int k = 0; k < F; k++) {
                e[k] += c.siteFeature(a, k) / c.primSites();
            }
        }
        return e;
    }

    /** A backend that records what pretraining received; "DIM" embeds mean features, "random" noise. */
    static final class SpyBackend implements EncoderBackend {
        final List<PretrainCorpus> pretrainCalls = new ArrayList<>();

        @Override
        public RepresentationModel pretrain(PretrainCorpus corpus, double minutes, long seed) {
            pretrainCalls.add(corpus);
            return new Model(true, seed);
        }

        @Override
        public RepresentationModel load(java.nio.file.Path modelDir) {
            return new Model(true, 0);
        }

        @Override
        public RepresentationModel random(long seed) {
            return new Model(false, seed);
        }
    }

    static final class Model implements RepresentationModel {
        final boolean informative;
        final long seed;

        Model(boolean informative, long seed) {
            this.informative = informative;
            this.seed = seed;
        }

        @Override
        public String describe() {
            return informative ? "spy DIM" : "spy random";
        }

        float[] embed(FeaturizedCrystal c) {
            if (informative) {
                return meanFeatures(c);
            }
            SplittableRandom r = new SplittableRandom(c.id().hashCode() * 31L + seed);
            float[] e = new float[F];
            for (int k = 0; k < F; k++) {
                e[k] = (float) r.nextDouble();
            }
            return e;
        }

        @Override
        public float[][] embed(List<FeaturizedCrystal> crystals) {
            return crystals.stream().map(this::embed).toArray(float[][]::new);
        }

        /** The embedding plus a per-crystal site count as the "pooled local" part. */
        @Override
        public float[][] embedWithPooledLocal(List<FeaturizedCrystal> crystals) {
            return crystals.stream().map(c -> {
                float[] e = embed(c);
                float[] out = java.util.Arrays.copyOf(e, e.length + 1);
                out[e.length] = c.primSites();
                return out;
            }).toArray(float[][]::new);
        }

        @Override
        public double[] fineTune(FineTuneTask task) {
            double[][] x = Evaluation.toDouble(embed(task.fit()));
            double[][] xv = Evaluation.toDouble(embed(task.validation()));
            RegressionHead.Fitted f = new RidgeHead().fit(x, task.fitY(), xv, task.validationY(), task.seed());
            return f.predict(Evaluation.toDouble(embed(task.predict())));
        }

        @Override
        public void close() {
        }
    }
}
