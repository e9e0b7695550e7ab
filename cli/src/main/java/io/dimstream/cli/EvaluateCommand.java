package io.dimstream.cli;

import io.dimstream.heads.HeadException;
import io.dimstream.eval.DimBackend;
import io.dimstream.eval.EvalConfig;
import io.dimstream.eval.EvalData;
import io.dimstream.eval.EvalException;
import io.dimstream.eval.EvalReport;
import io.dimstream.eval.EvalSplit;
import io.dimstream.eval.Evaluation;
import io.dimstream.eval.MagpieMean;
import io.dimstream.eval.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream evaluate}: the label-masking evaluation of the DIM paper on the product's own
 * code — pretrain on the training structures with labels hidden, then compare heads on frozen DIM
 * embeddings, a random-init control, a composition baseline and fine-tuning, over label counts and
 * seeds. Writes results.json, report.md (table + timings), PNG plots and timings.json.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Label-masking evaluation: does DIM pretraining help with few labels?")
public final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--from-results", split = ",", paramLabel = "JSON",
            description = "Write the report, tables and plots of existing results.json files (merged) into --out, without "
                    + "running anything (e.g. frozen and fine-tuning runs made separately).")
    List<Path> fromResults;

    @Option(names = "--train", description = "Training CSV(.gz) with a cif column and label columns (required unless --from-results).")
    Path train;

    @Option(names = "--test", description = "Test CSV(.gz), scored on every labelled row (required unless --from-results).")
    Path test;

    @Option(names = "--out", required = true, description = "output folder")
    Path out;

    @Option(names = "--quick", description = "CI-sized run: 3000 training and 800 test structures, 2 seeds, short budgets")
    boolean quick;

    @Option(names = "--properties", split = ",", description = "label columns (default: formation_energy_per_atom,band_gap)")
    List<String> properties;

    @Option(names = "--labels", split = ",", description = "label counts (default: 50,100,250,1000)")
    List<Integer> labels;

    @Option(names = "--seeds", split = ",", description = "Seeds (default 0,1,2,3,4; quick: 0,1).")
    List<Long> seeds;

    @Option(names = "--methods", split = ",", description = "A subset of: ${COMPLETION-CANDIDATES} (default: all).",
            completionCandidates = MethodIds.class)
    List<String> methods;

    /** The method ids, for the help text. */
    static final class MethodIds extends ArrayList<String> {
        MethodIds() {
            for (Method m : Method.values()) {
                add(m.id());
            }
        }
    }

    @Option(names = "--prototypes", paramLabel = "CSV", description = "Same-prototype keys (tools/prototypes.py output) for "
            + "the structural-similarity check (default: <dimstream home>/tools/data/prototypes.csv.gz when present).")
    Path prototypes;

    @Option(names = "--no-prototypes", description = "Skip the structural-similarity check.")
    boolean noPrototypes;

    @Option(names = "--allow-pretrain-overlap", description = "Run even when test structures were part of the model's "
            + "pretraining data (the model card's pretrain_ids.txt.gz); the default refuses.")
    boolean allowOverlap;

    @Option(names = "--model", description = "reuse this pretrained model folder instead of pretraining")
    Path model;

    @Option(names = "--pretrain-minutes", description = "DIM pretraining budget (default 15; quick: 2)")
    Double pretrainMinutes;

    @Option(names = "--finetune-steps", description = "Cap on optimiser steps per fine-tuning run (default 2000; quick: 40).")
    Integer finetuneSteps;

    @Option(names = "--finetune-patience", description = "Validation checks (every 20 steps) without improvement before "
            + "fine-tuning stops; the learning rate halves after half of them. 0 = a fixed budget of --finetune-steps "
            + "(default 15; quick: 0).")
    Integer finetunePatience;

    @Option(names = "--max-train", description = "use at most this many training structures (seeded sample)")
    Integer maxTrain;

    @Option(names = "--max-test", description = "use at most this many test structures (seeded sample)")
    Integer maxTest;

    @Option(names = "--precision", converter = PrecisionConverter.class, defaultValue = "fp32",
            description = "Graph precision of the frozen embeddings (fp32, int8, fp16): the downstream side of the "
                    + "reduced-precision accuracy contract (default: ${DEFAULT-VALUE}).")
    io.dimstream.core.encoder.Precision precision;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: the engine's choice; 1 is faster on a busy machine)")
    Integer threads;

    static final int QUICK_TRAIN = 3000;
    static final int QUICK_TEST = 800;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        if (fromResults != null) {
            return reportOnly();
        }
        if (train == null || test == null) {
            System.err.println("evaluate: --train and --test are required (or --from-results)");
            return 2;
        }
        if (threads != null) {
            System.setProperty("ai.djl.pytorch.num_threads", threads.toString());
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        EvalConfig cfg = EvalConfig.defaults();
        if (quick) {
            cfg = cfg.withSeeds(List.of(0L, 1L)).withPretrain(2, null).withFinetune(40, 16, 1e-3, 10).withPatience(0);
        }
        Set<Method> ms = EnumSet.allOf(Method.class);
        if (methods != null) {
            ms = EnumSet.noneOf(Method.class);
            for (String m : methods) {
                ms.add(Method.byId(m.trim()));
            }
        }
        cfg = cfg.with(properties != null ? properties : cfg.properties(), labels != null ? labels : cfg.labelCounts(), ms);
        if (seeds != null) {
            cfg = cfg.withSeeds(seeds);
        }
        if (pretrainMinutes != null || model != null) {
            cfg = cfg.withPretrain(pretrainMinutes != null ? pretrainMinutes : cfg.pretrainMinutes(), model);
        }
        if (finetunePatience != null) {
            cfg = cfg.withPatience(finetunePatience);
        }
        if (finetuneSteps != null) {
            cfg = cfg.withFinetune(finetuneSteps, cfg.finetuneBatch(), cfg.finetuneLr(), cfg.finetuneEvalEvery());
        }
        if (model != null && model.toString().equals("base")) {
            model = io.dimstream.trainer.BaseModel.defaultDir();
            cfg = cfg.withPretrain(cfg.pretrainMinutes(), model);
        }
        int nTrain = maxTrain != null ? maxTrain : quick ? QUICK_TRAIN : Integer.MAX_VALUE;
        int nTest = maxTest != null ? maxTest : quick ? QUICK_TEST : Integer.MAX_VALUE;
        try {
            EvalConfig c = cfg;
            Evaluation ev = new Evaluation(c, (c.needsDim() || c.needsRandom()) ? new DimBackend(quick
                    // quick: half-size DIM batches (about half the peak memory of pretraining)
                    ? io.dimstream.trainer.TrainConfig.defaults().withBatchCaps(600, 200_000L, 256)
                    : io.dimstream.trainer.TrainConfig.defaults(),
                    c.modelDir() == null ? out.resolve("model") : null).withPrecision(precision) : null,
                    c.methods().stream().anyMatch(m -> m.representation() == Method.Representation.COMPOSITION_MEAN)
                            ? MagpieMean.fromFeaturizerTables() : null);
            EvalSplit tr = ev.timings().time("load + featurize", () -> EvalData.load(train, "train", c.properties(), nTrain, 7));
            EvalSplit te = ev.timings().time("load + featurize", () -> EvalData.load(test, "test", c.properties(), nTest, 8));
            if (c.modelDir() != null) {
                int overlap = pretrainOverlap(c.modelDir(), te);
                if (overlap > 0 && !allowOverlap) {
                    System.err.printf("evaluate: %d of %d test structures were in the pretraining data of %s (its "
                            + "pretrain_ids.txt.gz): the comparison would not be fair; use another test split or "
                            + "--allow-pretrain-overlap%n", overlap, te.size(), c.modelDir());
                    return 2;
                } else if (overlap > 0) {
                    System.err.printf("evaluate: WARNING: %d of %d test structures were in the pretraining data of %s%n",
                            overlap, te.size(), c.modelDir());
                }
            }
            Path protoFile = prototypes != null ? prototypes
                    : io.dimstream.trainer.BaseModel.home().resolve("tools/data/prototypes.csv.gz");
            if (!noPrototypes && java.nio.file.Files.isRegularFile(protoFile)) {
                ev.withPrototypes(io.dimstream.eval.PrototypeCheck.readPrototypes(protoFile));
            } else if (prototypes != null && !noPrototypes) {
                System.err.println("evaluate: prototype file " + prototypes + " not found");
                return 2;
            }
            Evaluation.Outcome o = ev.run(tr, te, out);
            System.out.println();
            System.out.print(EvalReport.markdownTable(o.results()));
            System.out.print(EvalReport.comparisonTable(o.results()));
            System.out.print(EvalReport.calibrationTable(o.results()));
            System.out.print(ev.prototypeTable());
            System.out.println(EvalReport.timingTable(o.timings()));
            List<String> files = new ArrayList<>(List.of(out.resolve("results.json").toString(), out.resolve("report.md").toString()));
            o.plots().forEach(p -> files.add(p.toString()));
            System.out.printf(Locale.ROOT, "wrote %s (wall time %.1f min)%n", String.join(", ", files),
                    (System.nanoTime() - t0) / 6e10);
            return 0;
        } catch (EvalException e) {
            System.err.println("evaluate: " + e.code() + ": " + e.getMessage());
            return 2;
        } catch (HeadException e) {
            System.err.println("evaluate: " + e.code() + ": " + e.getMessage());
            return 2;
        }
    }

    /** Test structures that the model's card lists among its pretraining ids (0 when it has no such list). */
    static int pretrainOverlap(Path modelDir, EvalSplit test) throws java.io.IOException {
        if (!java.nio.file.Files.isRegularFile(modelDir.resolve(io.dimstream.trainer.ModelCard.IDS_FILE))) {
            return 0;
        }
        java.util.Set<String> seen = new java.util.HashSet<>(io.dimstream.trainer.ModelCard.readIds(modelDir));
        int n = 0;
        for (String id : test.ids()) {
            n += seen.contains(id) ? 1 : 0;
        }
        return n;
    }

    /** {@code --from-results}: merge results files and write results.json, report.md and the plots. */
    private int reportOnly() throws java.io.IOException {
        List<io.dimstream.eval.RunResult> all = new ArrayList<>();
        for (Path f : fromResults) {
            if (!java.nio.file.Files.isRegularFile(f)) {
                System.err.println("evaluate: results file " + f + " not found");
                return 2;
            }
            all.addAll(EvalReport.readResults(f));
        }
        java.nio.file.Files.createDirectories(out);
        EvalReport.writeResults(out.resolve("results.json"), all);
        String md = "# dimstream evaluation (label masking), merged from " + fromResults + "\n\n"
                + EvalReport.resultSections(all);
        java.nio.file.Files.writeString(out.resolve("report.md"), md);
        List<Path> plots = EvalReport.writePlots(out, all);
        System.out.print(md);
        System.out.println("wrote " + out.resolve("results.json") + ", " + out.resolve("report.md") + ", " + plots);
        return 0;
    }
}
