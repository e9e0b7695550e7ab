package io.dimstream.eval;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.composition.CompositionStats;
import io.dimstream.eval.Method.Representation;
import io.dimstream.heads.FeatureJoin;
import io.dimstream.heads.MlpHead;
import io.dimstream.heads.RegressionHead;
import io.dimstream.heads.RidgeHead;
import io.dimstream.heads.TreeEnsembleHead;
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
    private Map<String, PrototypeCheck.Prototype> prototypes;
    private final List<String> prototypeRows = new ArrayList<>();
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
        if (config.methods().stream().anyMatch(m -> m.representation() == Method.Representation.COMPOSITION_MEAN)
                && composition == null) {
            throw new EvalException("bad-config", "composition-ridge selected but no Magpie tables");
        }
    }

    public Timings timings() {
        return timings;
    }

    /**
     * Also run the structural-similarity check: nearest neighbours of every test structure among the
     * training structures in each representation, scored against these same-prototype keys.
     */
    public Evaluation withPrototypes(Map<String, PrototypeCheck.Prototype> keys) {
        this.prototypes = keys;
        return this;
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
            Map<Representation, double[][]> trainX = new LinkedHashMap<>();
            Map<Representation, double[][]> testX = new LinkedHashMap<>();
            java.util.Set<Representation> reps = java.util.EnumSet.noneOf(Representation.class);
            config.methods().stream().filter(m -> !m.finetune()).forEach(m -> reps.add(m.representation()));
            if (dim != null && (reps.contains(Representation.DIM) || reps.contains(Representation.DIM_COMPOSITION))) {
                RepresentationModel m = dim;
                trainX.put(Representation.DIM, timings.time("embed (DIM)", () -> embedTrain(m, train, cells, "embed train (DIM)")));
                testX.put(Representation.DIM, timings.time("embed (DIM)", () -> toDouble(embedAll(m, test.allFeatures(), "embed test (DIM)"))));
            }
            if (random != null && (reps.contains(Representation.RANDOM) || reps.contains(Representation.RANDOM_COMPOSITION))) {
                RepresentationModel m = random;
                trainX.put(Representation.RANDOM, timings.time("embed (random)", () -> embedTrain(m, train, cells, "embed train (random)")));
                testX.put(Representation.RANDOM, timings.time("embed (random)", () -> toDouble(embedAll(m, test.allFeatures(), "embed test (random)"))));
            }
            for (Representation pooled : List.of(Representation.DIM_LOCAL, Representation.RANDOM_LOCAL)) {
                RepresentationModel m = pooled == Representation.DIM_LOCAL ? dim : random;
                if (reps.contains(pooled) && m != null) {
                    String what = pooled == Representation.DIM_LOCAL ? "DIM" : "random";
                    trainX.put(pooled, timings.time("embed + pooled local (" + what + ")",
                            () -> prototypes == null ? embedPooledUsed(m, train, cells, "embed+local train (" + what + ")")
                                    : toDouble(m.embedWithPooledLocal(train.allFeatures()))));
                    testX.put(pooled, timings.time("embed + pooled local (" + what + ")",
                            () -> toDouble(m.embedWithPooledLocal(test.allFeatures()))));
                }
            }
            if (reps.contains(Representation.COMPOSITION_MEAN)) {
                trainX.put(Representation.COMPOSITION_MEAN, timings.time("composition features", () -> compositionMeans(train)));
                testX.put(Representation.COMPOSITION_MEAN, timings.time("composition features", () -> compositionMeans(test)));
            }
            if (reps.stream().anyMatch(Representation::usesComposition)) {
                trainX.put(Representation.COMPOSITION, timings.time("composition features", () -> compositionStats(train)));
                testX.put(Representation.COMPOSITION, timings.time("composition features", () -> compositionStats(test)));
            }
            for (Representation hybrid : List.of(Representation.DIM_COMPOSITION, Representation.RANDOM_COMPOSITION)) {
                if (reps.contains(hybrid)) {
                    Representation enc = hybrid == Representation.DIM_COMPOSITION ? Representation.DIM : Representation.RANDOM;
                    trainX.put(hybrid, join(train, trainX.get(enc), trainX.get(Representation.COMPOSITION)));
                    testX.put(hybrid, join(test, testX.get(enc), testX.get(Representation.COMPOSITION)));
                }
            }
            if (prototypes != null) {
                timings.time("prototype check", () -> {
                    prototypeCheck(train, test, trainX, testX);
                    return null;
                });
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

    /** All training embeddings when the prototype check needs them, else only the used ones. */
    private double[][] embedTrain(RepresentationModel m, EvalSplit train, List<Cell> cells, String what) {
        if (prototypes == null) {
            return embedUsed(m, train, cells, what);
        }
        return toDouble(embedAll(m, train.allFeatures(), what));
    }

    /** Top-1 and precision@10 of same-prototype neighbours, per available representation and metric. */
    private void prototypeCheck(EvalSplit train, EvalSplit test, Map<Representation, double[][]> trainX,
            Map<Representation, double[][]> testX) {
        String[] trIds = train.ids().toArray(new String[0]);
        String[] teIds = test.ids().toArray(new String[0]);
        String[] trKeys = keys(trIds);
        String[] teKeys = keys(teIds);
        // dim+local / random+local (global embedding + mean and std of the site vectors) when a method uses them:
        // the site-level vectors are where the local DIM objective puts structural information
        for (Representation r : List.of(Representation.DIM, Representation.RANDOM, Representation.DIM_LOCAL,
                Representation.RANDOM_LOCAL, Representation.COMPOSITION)) {
            if (!trainX.containsKey(r)) {
                continue;
            }
            for (PrototypeCheck.Metric metric : PrototypeCheck.Metric.values()) {
                PrototypeCheck.Result res = PrototypeCheck.run(testX.get(r), teIds, teKeys, trainX.get(r), trIds, trKeys,
                        metric);
                String row = String.format(Locale.ROOT, "| %s | %s | %d of %d | %.3f | %.3f | %.4f |", r.prefix(),
                        metric.name().toLowerCase(Locale.ROOT), res.evaluated(), res.queries(), res.top1(), res.precision(),
                        res.chance());
                prototypeRows.add(row);
                log.info("prototype check {}", row);
            }
        }
    }

    private String[] keys(String[] ids) {
        String[] k = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            PrototypeCheck.Prototype p = prototypes.get(ids[i]);
            k[i] = p == null ? null : p.key();
        }
        return k;
    }

    /** The prototype-check table (empty when it did not run). */
    public String prototypeTable() {
        if (prototypeRows.isEmpty()) {
            return "";
        }
        return "| representation | metric | test queries scored | top-1 same prototype | precision@10 | chance |\n"
                + "|---|---|---|---|---|---|\n" + String.join("\n", prototypeRows) + "\n";
    }

    /**
     * Frozen embeddings of the training structures that some labelled subset uses (the heads never
     * see the others), placed at their indices; rows of unused structures stay null.
     */
    private double[][] embedUsed(RepresentationModel m, EvalSplit train, List<Cell> cells, String what) {
        return embedUsed(train, cells, part -> embedAll(m, part, what));
    }

    /** Embedding ⊕ pooled local vectors of the training structures that some labelled subset uses. */
    private double[][] embedPooledUsed(RepresentationModel m, EvalSplit train, List<Cell> cells, String what) {
        return embedUsed(train, cells, part -> {
            log.info("{}: {} structures", what, part.size());
            return m.embedWithPooledLocal(part);
        });
    }

    private static double[][] embedUsed(EvalSplit train, List<Cell> cells,
            java.util.function.Function<List<FeaturizedCrystal>, float[][]> embed) {
        java.util.BitSet used = new java.util.BitSet(train.size());
        for (Cell c : cells) {
            for (int i : c.subset().all()) {
                used.set(i);
            }
        }
        int[] idx = used.stream().toArray();
        double[][] d = toDouble(embed.apply(train.features(idx)));
        double[][] out = new double[train.size()][];
        for (int k = 0; k < idx.length; k++) {
            out[idx[k]] = d[k];
        }
        return out;
    }

    private List<RunResult> runHeads(EvalSplit train, EvalSplit test, Map<Representation, double[][]> trainX,
            Map<Representation, double[][]> testX, RepresentationModel dim, RepresentationModel random, List<Cell> cells) {
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
                        double[][] x = trainX.get(m.representation());
                        RegressionHead.Fitted f = head(m.head()).fit(rows(x, c.subset().fit()),
                                train.labels().values(c.property(), c.subset().fit()),
                                rows(x, c.subset().validation()),
                                train.labels().values(c.property(), c.subset().validation()), c.seed());
                        double[][] tx = rows(testX.get(m.representation()), ti);
                        double[] pred = f.predict(tx);
                        double mae = Metrics.mae(pred, testY);
                        RunResult.Calibration cal = null;
                        if (m.head().hasUncertainty()) {
                            double[] sigma = new double[tx.length];
                            for (int i = 0; i < tx.length; i++) {
                                sigma[i] = f.uncertainty(tx[i]);
                            }
                            cal = Metrics.calibration(pred, sigma, testY);
                        }
                        f.close();
                        results.add(new RunResult(c.property(), m.id(), c.labels(), c.seed(), mae, cal));
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
                                config.finetuneEvalEvery(), c.seed(), config.finetunePatience());
                        double mae = Metrics.mae(base.fineTune(task), testY);
                        results.add(new RunResult(c.property(), m.id(), c.labels(), c.seed(), mae, null));
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

    /** The head of a frozen method: one construction per kind, the same for a DIM method and its control. */
    static RegressionHead head(Method.HeadKind kind) {
        return switch (kind) {
            case RIDGE -> new RidgeHead();
            case MLP -> new MlpHead();
            case RF -> TreeEnsembleHead.of(TreeEnsembleHead.Kind.RF);
            case GBM -> TreeEnsembleHead.of(TreeEnsembleHead.Kind.GBM);
            case FINETUNE -> throw new IllegalArgumentException("fine-tuning has no frozen head");
        };
    }

    /** Embedding ⊕ composition statistics, joined by structure id (rows without an embedding stay null). */
    static double[][] join(EvalSplit split, double[][] embedding, double[][] composition) {
        List<String> ids = split.ids();
        Map<String, double[]> left = new java.util.HashMap<>();
        Map<String, double[]> right = new java.util.HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            if (embedding[i] != null) {
                left.put(ids.get(i), embedding[i]);
            }
            right.put(ids.get(i), composition[i]);
        }
        return FeatureJoin.byId(ids, left, right);
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

    private double[][] compositionMeans(EvalSplit split) {
        double[][] out = new double[split.size()][];
        for (int i = 0; i < split.size(); i++) {
            out[i] = composition.of(split.samples().get(i).composition());
        }
        return out;
    }

    private static double[][] compositionStats(EvalSplit split) {
        CompositionStats cs = CompositionStats.get();
        double[][] out = new double[split.size()][];
        for (int i = 0; i < split.size(); i++) {
            out[i] = cs.of(split.samples().get(i).composition());
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
            sb.append(String.format(Locale.ROOT, "- fine-tuning: %s %d steps of %d crystals, lr %.0e, best checkpoint by "
                    + "validation MAE every %d steps (validation = %.0f%% of each labelled subset, at least %d)%s%n",
                    config.finetunePatience() > 0 ? "early stopping, at most" : "a fixed budget of",
                    config.finetuneSteps(), config.finetuneBatch(), config.finetuneLr(), config.finetuneEvalEvery(),
                    100 * config.validationFraction(), config.minValidation(),
                    config.finetunePatience() > 0 ? String.format(Locale.ROOT, "; stop after %d checks without "
                            + "improvement, learning rate halved after %d", config.finetunePatience(),
                            Math.max(1, config.finetunePatience() / 2)) : ""));
        }
        sb.append("\nMethods:\n\n");
        for (Method m : config.methods()) {
            sb.append("- `").append(m.id()).append("`: ").append(m.description()).append('\n');
        }
        sb.append('\n').append(EvalReport.resultSections(results));
        if (!prototypeRows.isEmpty()) {
            sb.append("## Structural similarity: same-prototype nearest neighbours (test → train)\n\n")
                    .append(prototypeTable()).append('\n');
        }
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
