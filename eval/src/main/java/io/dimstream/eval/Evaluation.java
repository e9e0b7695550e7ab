package io.dimstream.eval;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.heads.MlpHead;
import io.dimstream.heads.RegressionHead;
import io.dimstream.heads.RidgeHead;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The label-masking evaluation (the protocol of the DIM paper): pretrain on the training structures
 * with their labels hidden, then for every property × label count × seed draw a labelled subset of
 * the training split, fit each method on it and score the MAE on every labelled test structure.
 */
public final class Evaluation {

    private static final Logger log = LoggerFactory.getLogger(Evaluation.class);

    private final EvalConfig config;
    private final EncoderBackend backend;
    private final MagpieMean composition;
    private final Timings timings = new Timings();
    private String dimDescription = "";
    private String randomDescription = "";
    private int frozenRuns;
    private int finetuneRuns;

    /**
     * @param backend     the encoder (may be null when no DIM/random method is selected)
     * @param composition the composition featurizer (may be null without composition-ridge)
     */
    public Evaluation(EvalConfig config, EncoderBackend backend, MagpieMean composition) {
        this.config = config;
        this.backend = backend;
        this.composition = composition;
        if ((config.needsDim() || config.needsRandom()) && backend == null) {
            throw new EvalException("bad-config", "DIM/random methods selected but no encoder backend");
        }
        if (config.methods().contains(Method.COMPOSITION_RIDGE) && composition == null) {
            throw new EvalException("bad-config", "composition-ridge selected but no Magpie tables");
        }
    }

    public Timings timings() {
        return timings;
    }

    /** Everything a run produced. */
    public record Outcome(List<RunResult> results, Map<String, Double> timings, List<Path> plots,
            String dimModel, String randomModel) {
    }

    /** Runs the protocol and writes the outputs into {@code outDir}. */
    public Outcome run(EvalSplit train, EvalSplit test, Path outDir) throws IOException {
        for (String p : config.properties()) {
            if (!train.labels().has(p) || !test.labels().has(p)) {
                throw new EvalException("no-labels", "property '" + p + "' is not a label column of both inputs");
            }
        }
        List<RunResult> results = runProtocol(train, test);
        Files.createDirectories(outDir);
        EvalReport.writeResults(outDir.resolve("results.json"), results);
        List<Path> plots = EvalReport.writePlots(outDir, results);
        Map<String, Double> t = timings.asMap();
        EvalReport.writeJson(outDir.resolve("timings.json"), t);
        Files.writeString(outDir.resolve("report.md"), reportMarkdown(results, t, train, test));
        return new Outcome(results, t, plots, dimDescription, randomDescription);
    }

    /** The protocol itself (no files written). */
    public List<RunResult> runProtocol(EvalSplit train, EvalSplit test) {
        RepresentationModel dim = null;
        RepresentationModel random = null;
        try {
            if (config.needsDim()) {
                // Pretraining sees the corpus only: features of the training structures, no labels.
                PretrainCorpus corpus = train.pretrainCorpus();
                if (config.modelDir() != null) {
                    dim = timings.time("load model", () -> backend.load(config.modelDir()));
                } else {
                    log.info("pretraining DIM on {} training structures for {} min (labels hidden)", corpus.size(),
                            config.pretrainMinutes());
                    dim = timings.time("pretrain", () -> backend.pretrain(corpus, config.pretrainMinutes(), config.pretrainSeed()));
                }
                dimDescription = dim.describe();
            }
            if (config.needsRandom()) {
                random = backend.random(config.pretrainSeed() + 1);
                randomDescription = random.describe();
            }
            List<Cell> cells = planCells(train);
            Map<String, double[][]> trainX = new LinkedHashMap<>();
            Map<String, double[][]> testX = new LinkedHashMap<>();
            if (dim != null && (config.methods().contains(Method.DIM_RIDGE) || config.methods().contains(Method.DIM_MLP))) {
                RepresentationModel m = dim;
                trainX.put("dim", timings.time("embed (DIM)", () -> embedUsed(m, train, cells, "embed train (DIM)")));
                testX.put("dim", timings.time("embed (DIM)", () -> toDouble(embedAll(m, test.allFeatures(), "embed test (DIM)"))));
            }
            if (random != null && (config.methods().contains(Method.RANDOM_RIDGE) || config.methods().contains(Method.RANDOM_MLP))) {
                RepresentationModel m = random;
                trainX.put("random", timings.time("embed (random)", () -> embedUsed(m, train, cells, "embed train (random)")));
                testX.put("random", timings.time("embed (random)", () -> toDouble(embedAll(m, test.allFeatures(), "embed test (random)"))));
            }
            if (config.methods().contains(Method.COMPOSITION_RIDGE)) {
                trainX.put("composition", timings.time("composition features", () -> compositionFeatures(train)));
                testX.put("composition", timings.time("composition features", () -> compositionFeatures(test)));
            }
            return runHeads(train, test, trainX, testX, dim, random, cells);
        } finally {
            if (dim != null) {
                dim.close();
            }
            if (random != null) {
                random.close();
            }
        }
    }

    /** One labelled subset: (property, label count, seed) and its fit/validation split. */
    record Cell(String property, int labels, long seed, LabelSampler.Subset subset) {
    }

    /** All labelled subsets of the run, drawn before anything is fitted (progress bars know their size). */
    List<Cell> planCells(EvalSplit train) {
        List<String> ids = train.ids();
        List<Cell> cells = new ArrayList<>();
        for (String p : config.properties()) {
            int[] candidates = train.labels().labelled(p);
            for (long seed : config.seeds()) {
                for (int n : config.labelCounts()) {
                    if (n > candidates.length) {
                        log.warn("skipping {} labels of {}: only {} labelled training structures", n, p, candidates.length);
                        continue;
                    }
                    int[] subset = LabelSampler.sample(ids, candidates, n, seed, p);
                    cells.add(new Cell(p, n, seed, LabelSampler.split(subset, config.validationFraction(),
                            config.minValidation(), LabelSampler.mix(seed, p + "/validation"))));
                }
            }
        }
        return cells;
    }

    /**
     * Frozen embeddings of the training structures that some labelled subset uses (the heads never
     * see the others), placed at their indices; rows of unused structures stay null.
     */
    private double[][] embedUsed(RepresentationModel m, EvalSplit train, List<Cell> cells, String what) {
        java.util.BitSet used = new java.util.BitSet(train.size());
        for (Cell c : cells) {
            for (int i : c.subset().all()) {
                used.set(i);
            }
        }
        int[] idx = used.stream().toArray();
        float[][] e = embedAll(m, train.features(idx), what);
        double[][] out = new double[train.size()][];
        double[][] d = toDouble(e);
        for (int k = 0; k < idx.length; k++) {
            out[idx[k]] = d[k];
        }
        return out;
    }

    private List<RunResult> runHeads(EvalSplit train, EvalSplit test, Map<String, double[][]> trainX,
            Map<String, double[][]> testX, RepresentationModel dim, RepresentationModel random, List<Cell> cells) {
        List<RunResult> results = new ArrayList<>();
        List<Method> frozen = config.methods().stream().filter(m -> !m.finetune()).toList();
        List<Method> tuned = config.methods().stream().filter(Method::finetune).toList();

        Map<String, int[]> testIdx = new LinkedHashMap<>();
        for (String p : config.properties()) {
            testIdx.put(p, test.labels().labelled(p));
            if (testIdx.get(p).length == 0) {
                throw new EvalException("no-labels", "no test structure has a label for '" + p + "'");
            }
        }

        if (!frozen.isEmpty()) {
            long t0 = System.nanoTime();
            try (ProgressBar pb = bar("frozen heads", (long) cells.size() * frozen.size())) {
                for (Cell c : cells) {
                    int[] ti = testIdx.get(c.property());
                    double[] testY = test.labels().values(c.property(), ti);
                    for (Method m : frozen) {
                        pb.setExtraMessage(c.property() + " n=" + c.labels() + " seed=" + c.seed() + " " + m.id());
                        String rep = switch (m) {
                            case DIM_RIDGE, DIM_MLP -> "dim";
                            case RANDOM_RIDGE, RANDOM_MLP -> "random";
                            default -> "composition";
                        };
                        RegressionHead head = (m == Method.DIM_MLP || m == Method.RANDOM_MLP) ? new MlpHead() : new RidgeHead();
                        double[][] x = trainX.get(rep);
                        RegressionHead.Fitted f = head.fit(rows(x, c.subset().fit()),
                                train.labels().values(c.property(), c.subset().fit()),
                                rows(x, c.subset().validation()),
                                train.labels().values(c.property(), c.subset().validation()), c.seed());
                        double mae = Metrics.mae(f.predict(rows(testX.get(rep), ti)), testY);
                        results.add(new RunResult(c.property(), m.id(), c.labels(), c.seed(), mae));
                        pb.step();
                    }
                }
            }
            timings.add("frozen heads", (System.nanoTime() - t0) / 1e9);
            frozenRuns = cells.size() * frozen.size();
        }
        if (!tuned.isEmpty()) {
            long t0 = System.nanoTime();
            try (ProgressBar pb = bar("fine-tune", (long) cells.size() * tuned.size())) {
                for (Cell c : cells) {
                    int[] ti = testIdx.get(c.property());
                    double[] testY = test.labels().values(c.property(), ti);
                    List<FeaturizedCrystal> testCrystals = test.features(ti);
                    for (Method m : tuned) {
                        pb.setExtraMessage(c.property() + " n=" + c.labels() + " seed=" + c.seed() + " " + m.id());
                        RepresentationModel base = m == Method.DIM_FINETUNE ? dim : random;
                        RepresentationModel.FineTuneTask task = new RepresentationModel.FineTuneTask(
                                train.features(c.subset().fit()), train.labels().values(c.property(), c.subset().fit()),
                                train.features(c.subset().validation()),
                                train.labels().values(c.property(), c.subset().validation()),
                                testCrystals, config.finetuneSteps(), config.finetuneBatch(), config.finetuneLr(),
                                config.finetuneEvalEvery(), c.seed());
                        double mae = Metrics.mae(base.fineTune(task), testY);
                        results.add(new RunResult(c.property(), m.id(), c.labels(), c.seed(), mae));
                        pb.step();
                    }
                }
            }
            timings.add("fine-tune", (System.nanoTime() - t0) / 1e9);
            finetuneRuns = cells.size() * tuned.size();
            log.info("fine-tuning: {} runs, {} s per run on average", finetuneRuns,
                    String.format(Locale.ROOT, "%.1f", timings.asMap().get("fine-tune") / finetuneRuns));
        }
        return results;
    }

    private static ProgressBar bar(String name, long max) {
        return new ProgressBarBuilder().setTaskName(name).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(1000).continuousUpdate().build();
    }

    private static float[][] embedAll(RepresentationModel m, List<FeaturizedCrystal> crystals, String what) {
        int chunk = 512;
        float[][] out = new float[crystals.size()][];
        try (ProgressBar pb = bar(what, crystals.size())) {
            for (int s = 0; s < crystals.size(); s += chunk) {
                List<FeaturizedCrystal> part = crystals.subList(s, Math.min(crystals.size(), s + chunk));
                float[][] e = m.embed(part);
                System.arraycopy(e, 0, out, s, e.length);
                pb.stepBy(part.size());
            }
        }
        return out;
    }

    private double[][] compositionFeatures(EvalSplit split) {
        double[][] out = new double[split.size()][];
        for (int i = 0; i < split.size(); i++) {
            out[i] = composition.of(split.samples().get(i).composition());
        }
        return out;
    }

    static double[][] rows(double[][] x, int[] idx) {
        double[][] out = new double[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            out[i] = x[idx[i]];
        }
        return out;
    }

    static double[][] toDouble(float[][] f) {
        double[][] out = new double[f.length][];
        for (int i = 0; i < f.length; i++) {
            out[i] = new double[f[i].length];
            for (int k = 0; k < f[i].length; k++) {
                out[i][k] = f[i][k];
            }
        }
        return out;
    }

    private String reportMarkdown(List<RunResult> results, Map<String, Double> t, EvalSplit train, EvalSplit test) {
        StringBuilder sb = new StringBuilder("# dimstream evaluation (label masking)\n\n");
        sb.append(String.format(Locale.ROOT, "- train structures: %d (labels hidden from pretraining); test structures: %d%n",
                train.size(), test.size()));
        sb.append("- properties: ").append(config.properties()).append("; label counts: ").append(config.labelCounts())
                .append("; seeds: ").append(config.seeds()).append('\n');
        if (!dimDescription.isEmpty()) {
            sb.append("- DIM encoder: ").append(dimDescription).append('\n');
        }
        if (!randomDescription.isEmpty()) {
            sb.append("- control encoder: ").append(randomDescription).append('\n');
        }
        if (config.methods().stream().anyMatch(Method::finetune)) {
            sb.append(String.format(Locale.ROOT, "- fine-tuning: %d steps of %d crystals, lr %.0e, best checkpoint by "
                    + "validation MAE every %d steps (validation = %.0f%% of each labelled subset, at least %d)%n",
                    config.finetuneSteps(), config.finetuneBatch(), config.finetuneLr(), config.finetuneEvalEvery(),
                    100 * config.validationFraction(), config.minValidation()));
        }
        sb.append("\nMethods:\n\n");
        for (Method m : config.methods()) {
            sb.append("- `").append(m.id()).append("`: ").append(m.description()).append('\n');
        }
        sb.append('\n').append(EvalReport.markdownTable(results));
        for (String p : EvalReport.properties(results)) {
            sb.append("![").append(p).append("](mae_vs_labels_").append(p).append(".png)\n\n");
        }
        sb.append("## Timings\n\n").append(EvalReport.timingTable(t));
        if (frozenRuns > 0) {
            sb.append(String.format(Locale.ROOT, "%nfrozen-head runs: %d (%.2f s each on average)%n", frozenRuns,
                    t.getOrDefault("frozen heads", 0.0) / frozenRuns));
        }
        if (finetuneRuns > 0) {
            sb.append(String.format(Locale.ROOT, "%nfine-tuning runs: %d (%.1f s each on average)%n", finetuneRuns,
                    t.getOrDefault("fine-tune", 0.0) / finetuneRuns));
        }
        return sb.toString();
    }
}
