package io.dimstream.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.dimstream.core.encoder.SizeBatcher;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.dim.AdamW;
import io.dimstream.trainer.dim.DimBatch;
import io.dimstream.trainer.dim.DimObjective;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.model.SiteNetModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deep InfoMax pretraining of the Site-Net encoder on DJL (PyTorch engine; CPU, or the engine's default
 * GPU when present).
 *
 * <p>Reproducible: weights are initialised from the seed, each epoch's batch plan comes from
 * (seed, epoch) and each step's noise and false pairs from (seed, step), so a run resumed from a
 * checkpoint continues exactly where it stopped. With {@code checkpointDir} set, {@code checkpoint.bin}
 * is written every {@code checkpointEverySteps} steps, at each epoch end and at the end, and an existing
 * one is resumed. Warm start loads only the weights of a previous model directory (fresh optimizer).
 * There is no RNG state to save: the position (epoch, batch, step) plus the seed is the RNG state. The
 * checkpoint also carries AdamW's step count, the partial epoch loss, the loss EMA and the summed wall time,
 * and the learning rate is a pure function of the step ({@link LrSchedule}), so a resumed run reproduces an
 * uninterrupted one (weights equal to float rounding, history lines equal except wall time).
 *
 * <p>Budgets: epochs, steps and structures are absolute targets counted from the start of the run (a
 * re-invocation with a larger target extends it); time is per invocation.
 *
 * <p>With {@code checkpointDir}: {@code history.jsonl} gets one line per finished epoch ({@link TrainHistory},
 * written before the epoch's checkpoint; lines past the checkpoint's epoch are dropped on resume) and
 * {@code loss_curve.png} is redrawn from it after each epoch ({@link LossCurve}). Without a progress bar a
 * progress line with ETA goes to the log every {@code logEverySteps} steps and at least once a minute.
 *
 * <p>Batches: crystals of similar size (S, then J, in buckets) are grouped, capped by real primitive sites
 * ({@code maxSitesPerBatch}, default 1200) and padded pairs; batch order is shuffled per epoch.
 */
public final class DimTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(DimTrainer.class);

    /** Padding waste allowed in training batches (the size-bucketed order keeps it low anyway). */
    static final double TRAIN_PADDING_FACTOR = 3.0;

    /** Above this many epochs the cosine horizon and ETA use epochs x (batches of epoch 0) instead of the sum. */
    static final int EXACT_HORIZON_MAX_EPOCHS = 1000;

    /** Without a progress bar, the longest gap between two progress lines. */
    static final long PROGRESS_LOG_NANOS = 60_000_000_000L;

    private final TrainConfig config;

    public DimTrainer(TrainConfig config) {
        this.config = config;
    }

    public TrainConfig config() {
        return config;
    }

    /**
     * Trains within the budget. Callable from any thread: PyTorch's grad mode is per thread (on by default;
     * DJL switches it off only on the thread that first loads the engine), and this trainer needs it off
     * outside its gradient collector (in-place optimizer updates on leaf tensors), so it is switched off for
     * the call and the caller's mode is restored afterwards.
     */
    public TrainResult train(List<FeaturizedCrystal> train, List<FeaturizedCrystal> val, Budget budget,
            Optional<Path> warmStartDir, TrainListener listener) {
        for (List<FeaturizedCrystal> l : List.of(train, val)) {
            for (FeaturizedCrystal c : l) {
                if (!train.isEmpty() && (c.featurizerVersion() != train.get(0).featurizerVersion()
                        || c.featureDim() != train.get(0).featureDim())) {
                    throw new IllegalArgumentException("crystal " + c.id() + " has featurizer version "
                            + c.featurizerVersion() + " / " + c.featureDim() + " features; the data set starts with "
                            + train.get(0).featurizerVersion() + " / " + train.get(0).featureDim());
                }
            }
        }
        return train(TrainingData.of(train), val, budget, warmStartDir, listener);
    }

    /**
     * Trains on {@code train} (in memory, or streamed in blocks: {@link TrainingData}) within the budget; see
     * {@link #train(List, List, Budget, Optional, TrainListener)}. A streamed source is checked batch by batch:
     * a structure of another featurizer version or feature count than the first one fails the run.
     */
    public TrainResult train(TrainingData train, List<FeaturizedCrystal> val, Budget budget,
            Optional<Path> warmStartDir, TrainListener listener) {
        boolean previous = gradModeOff();
        try {
            return trainWithGradModeOff(train, val, budget, warmStartDir, listener);
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /** Weights trained on featurizer {@code trainedOn} may continue on data of featurizer {@code data}. */
    static boolean weightsCompatible(int trainedOn, int data) {
        return trainedOn == data || (data == SiteNetFeaturizer.VERSION && SiteNetFeaturizer.weightsCompatible(trainedOn));
    }

    /**
     * Loads the PyTorch engine if needed and switches the calling thread's grad mode off.
     *
     * @return the thread's grad mode before
     */
    static boolean gradModeOff() {
        Engine.getEngine("PyTorch");
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        return previous;
    }

    private TrainResult trainWithGradModeOff(TrainingData train, List<FeaturizedCrystal> val, Budget budget,
            Optional<Path> warmStartDir, TrainListener listener) {
        FeaturizedCrystal head = train.first()
                .orElseThrow(() -> new IllegalArgumentException("no training structures"));
        int fv = head.featurizerVersion();
        int fd = head.featureDim();
        for (FeaturizedCrystal c : val) {
            checkInput(c, fv, fd);
        }
        SiteNetConfig arch = config.arch().featureDim() == fd ? config.arch() : config.arch().withFeatureDim(fd);
        listener = listener == null ? TrainListener.NONE : listener;

        Optional<Path> ckptFile = config.checkpointDir().map(d -> d.resolve(Checkpoint.FILE_NAME));
        Checkpoint resume = null;
        if (ckptFile.isPresent() && Files.isRegularFile(ckptFile.get())) {
            resume = readCheckpoint(ckptFile.get());
            if (!resume.arch().equals(arch)) {
                throw new IllegalArgumentException("checkpoint " + ckptFile.get() + " has another architecture");
            }
            LOG.info("resuming from {} (epoch {}, step {})", ckptFile.get(), resume.epoch(), resume.step());
            if (!weightsCompatible(resume.featurizerVersion(), fv)) {
                throw new IllegalArgumentException("checkpoint " + ckptFile.get() + " was trained on featurizer v"
                        + resume.featurizerVersion() + ", the data is v" + fv);
            }
            if (resume.featurizerVersion() != fv) {
                LOG.warn("checkpoint was trained on featurizer v{}, continuing on v{} data (v{} featurizes every v{} "
                        + "input identically and adds the structures v{} rejected; the epoch's batch plan changes)",
                        resume.featurizerVersion(), fv, fv, resume.featurizerVersion(), resume.featurizerVersion());
            }
            Object was = resume.run().get("lrSchedule");
            if (was instanceof Map<?, ?> m && !LrSchedule.fromMap(castMap(m)).equals(config.lrSchedule())) {
                LOG.warn("checkpoint was trained with learning-rate schedule {}, continuing with {}", m,
                        config.lrSchedule().toMap());
            }
        }
        Optional<Path> historyFile = config.checkpointDir().map(d -> d.resolve(TrainHistory.FILE_NAME));
        if (historyFile.isPresent()) {
            try {
                int dropped = TrainHistory.truncate(historyFile.get(), resume == null ? 0 : resume.epoch());
                if (dropped > 0) {
                    LOG.info("{}: dropped {} line(s) past the checkpoint's epoch {}", historyFile.get(), dropped,
                            resume == null ? 0 : resume.epoch());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + historyFile.get() + ": " + e.getMessage(), e);
            }
        }

        try (NDManager base = NDManager.newBaseManager(TrainingDevice.select(config.device()))) {
            Params params;
            if (resume != null) {
                params = Params.fromHost(base, resume.weights());
            } else if (warmStartDir.isPresent()) {
                Checkpoint warm = readCheckpoint(warmStartDir.get().resolve(Checkpoint.FILE_NAME));
                if (!warm.arch().equals(arch)) {
                    throw new IllegalArgumentException("warm start " + warmStartDir.get()
                            + " has another architecture than this run");
                }
                if (!weightsCompatible(warm.featurizerVersion(), fv)) {
                    throw new IllegalArgumentException("warm start " + warmStartDir.get() + " was trained on featurizer v"
                            + warm.featurizerVersion() + ", the data is v" + fv);
                }
                if (warm.featurizerVersion() != fv) {
                    LOG.info("warm start {} was trained on featurizer v{}; continuing on v{} data (v{} featurizes "
                            + "every v{} input identically)", warmStartDir.get(), warm.featurizerVersion(), fv, fv,
                            warm.featurizerVersion());
                }
                params = Params.fromHost(base, warm.weights());
                LOG.info("warm start from {} (step {})", warmStartDir.get(), warm.step());
            } else {
                params = Params.init(base, arch, config.seed());
            }
            if (config.weights().composition() > 0) {
                int added = params.addMissing(Params.compositionDecoderHost(arch, config.seed()));
                if (added > 0) {
                    LOG.info("composition loss (weight {}): decoder initialised ({} tensors)",
                            config.weights().composition(), added);
                }
            }
            try (params; AdamW opt = new AdamW(base, config.learningRate(), config.weightDecay(), config.amsgrad(),
                    config.adamEps())) {
                params.attachGradients();
                if (resume != null) {
                    opt.restore(params, resume.optimizer(), (long) resume.runNumber("optimizerSteps", resume.step()));
                }
                SiteNetModel model = new SiteNetModel(arch, params);
                DimObjective objective = new DimObjective(model, config.weights());
                return run(base, arch, fv, params, opt, objective, train, val, budget, resume, ckptFile, historyFile,
                        listener);
            }
        }
    }

    private static void checkInput(FeaturizedCrystal c, int fv, int fd) {
        if (c.featurizerVersion() != fv || c.featureDim() != fd) {
            throw new IllegalArgumentException("crystal " + c.id() + " has featurizer version "
                    + c.featurizerVersion() + " / " + c.featureDim() + " features; the data set starts with "
                    + fv + " / " + fd);
        }
    }

    private TrainResult run(NDManager base, SiteNetConfig arch, int fv, Params params, AdamW opt, DimObjective objective,
            TrainingData train, List<FeaturizedCrystal> val, Budget budget, Checkpoint resume,
            Optional<Path> ckptFile, Optional<Path> historyFile, TrainListener listener) {
        int epoch = resume == null ? 0 : resume.epoch();
        int batchInEpoch = resume == null ? 0 : resume.batchInEpoch();
        long step = resume == null ? 0 : resume.step();
        long seen = resume == null ? 0 : resume.structuresSeen();
        long seenAtStart = seen;
        long stepAtStart = step;
        double wallBefore = resume == null ? 0 : resume.runNumber("wallSeconds", 0);
        long[] epochSteps = budget.epochs() > 0 ? cumulativeEpochSteps(train, budget.epochs()) : null;
        long horizon = lrHorizon(budget, epochSteps);
        LOG.info("learning rate {} ({}{}{})", config.learningRate(), config.lrSchedule().name(),
                config.lrSchedule().warmupSteps() > 0 ? ", " + config.lrSchedule().warmupSteps() + " warm-up steps" : "",
                config.lrSchedule().needsHorizon() ? ", cosine to 0 at step " + horizon : "");
        Map<String, Double> initialVal = val.isEmpty() || resume != null ? Map.of() : validate(base, objective, val);
        List<TrainListener.Epoch> history = new ArrayList<>();
        long t0 = System.nanoTime();
        ProgressBar bar = config.progressBar() ? new ProgressBarBuilder().setTaskName("pretrain")
                .setInitialMax(progressMax(budget, (int) Math.min(Integer.MAX_VALUE, train.size())))
                .setStyle(ProgressBarStyle.ASCII).setUnit(" structures", 1).showSpeed().setUpdateIntervalMillis(500)
                .build() : null;
        if (bar != null) {
            bar.stepTo(Math.min(seen, Math.max(0, bar.getMax())));
        }
        double ema = resume == null ? Double.NaN : resume.runNumber("lossEma", Double.NaN);
        int badSteps = 0;
        double epochLossSum = resume == null ? 0 : resume.runNumber("epochLossSum", 0);
        long epochBatches = resume == null ? 0 : (long) resume.runNumber("epochBatches", 0);
        double lr = config.lrSchedule().lr(config.learningRate(), step, horizon);
        long lastLog = System.nanoTime();
        try {
            outer:
            while (!budget.exhausted(epoch, step, seen, elapsed(t0))) {
                try (TrainingData.EpochBatches plan = train.epoch(this, epoch)) {
                    for (int skip = 0; skip < batchInEpoch && plan.hasNext(); skip++) {
                        plan.next(); // resumed mid-epoch: the batches before the checkpoint's position
                    }
                    for (int bi = batchInEpoch; plan.hasNext(); bi++) {
                        if (budget.exhausted(epoch, step, seen, elapsed(t0))) {
                            batchInEpoch = bi;
                            break outer;
                        }
                        List<FeaturizedCrystal> cs = plan.next();
                        if (!(train instanceof TrainingData.InMemory)) {
                            for (FeaturizedCrystal c : cs) {
                                checkInput(c, fv, arch.featureDim());
                            }
                        }
                        lr = config.lrSchedule().lr(config.learningRate(), step, horizon);
                        opt.setLearningRate(lr);
                        Random rnd = new Random(mix(config.seed(), step));
                        DimBatch batch = DimBatch.of(cs, rnd);
                        double loss;
                        try (NDManager scratch = base.newSubManager()) {
                            DimObjective.Engineered eng = objective.engineered(scratch, batch);
                            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                                DimObjective.Terms terms = objective.loss(scratch, batch, eng, rnd);
                                loss = terms.total().getFloat();
                                if (Double.isFinite(loss)) {
                                    gc.backward(terms.total());
                                } else {
                                    LOG.warn("step {}: non-finite loss (local {}, global {}, kl {}/{}) on a batch of {} "
                                            + "(S<={}, J<={}, first {}): update skipped", step,
                                            terms.localDim().getFloat(), terms.globalDim().getFloat(),
                                            terms.klLocal().getFloat(), terms.klGlobal().getFloat(), cs.size(),
                                            batch.real.maxSites, batch.real.maxAtoms, cs.get(0).id());
                                }
                            }
                            if (Double.isFinite(loss) && !AdamW.gradientsFinite(params, scratch)) {
                                // an update with a NaN/Inf gradient would poison the weights and AdamW moments
                                LOG.warn("step {}: non-finite gradient (loss {}) on a batch of {} (S<={}, J<={}, first {}):"
                                        + " update skipped", step, loss, cs.size(), batch.real.maxSites,
                                        batch.real.maxAtoms, cs.get(0).id());
                                AdamW.zeroGradients(params);
                                loss = Double.NaN;
                            }
                            if (Double.isFinite(loss)) {
                                opt.step(params, scratch);
                                badSteps = 0;
                            } else if (++badSteps >= 10) {
                                throw new IllegalStateException("training diverged: 10 consecutive non-finite losses at step "
                                        + step);
                            }
                        }
                        step++;
                        seen += cs.size();
                        if (Double.isFinite(loss)) {
                            epochLossSum += loss;
                            epochBatches++;
                            ema = Double.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
                        }
                        double secs = elapsed(t0).toNanos() / 1e9;
                        double rate = (seen - seenAtStart) / Math.max(secs, 1e-9);
                        listener.onStep(new TrainListener.Step(epoch, step, seen, loss, rate));
                        if (bar != null) {
                            bar.stepBy(cs.size());
                            bar.setExtraMessage(String.format(" loss %.4f ep %d", ema, epoch));
                        }
                        if (bar == null && (System.nanoTime() - lastLog >= PROGRESS_LOG_NANOS
                                || (config.logEverySteps() > 0 && step % config.logEverySteps() == 0))) {
                            lastLog = System.nanoTime();
                            LOG.info("epoch {} batch {}/{} step {}: {} structures/s, loss EMA {}, lr {}, ETA {}", epoch,
                                    bi + 1, plan.planned() >= 0 ? Integer.toString(plan.planned()) : "?", step, String.format("%.1f", rate), String.format("%.4f", ema),
                                    String.format("%.3g", lr), eta(budget, epochSteps, step, stepAtStart, seen,
                                            seenAtStart, elapsed(t0)));
                        }
                        if (ckptFile.isPresent() && config.checkpointEverySteps() > 0
                                && step % config.checkpointEverySteps() == 0) {
                            writeCheckpoint(ckptFile.get(), arch, fv, epoch, bi + 1, step, seen, params, opt,
                                    runState(opt, wallBefore + secs, epochLossSum, epochBatches, ema, horizon, lr));
                        }
                    }
                }
                double trainLoss = epochBatches == 0 ? Double.NaN : epochLossSum / epochBatches;
                epoch++;
                double epochWall = wallBefore + elapsed(t0).toNanos() / 1e9;
                batchInEpoch = 0;
                epochLossSum = 0;
                epochBatches = 0;
                Map<String, Double> v = val.isEmpty() ? Map.of() : validate(base, objective, val);
                TrainListener.Epoch rec = new TrainListener.Epoch(epoch, step, trainLoss, v);
                history.add(rec);
                listener.onEpoch(rec);
                if (!v.isEmpty()) {
                    LOG.info("epoch {} step {}: train loss {} val local {} global {}", epoch, step,
                            String.format("%.4f", trainLoss), String.format("%.4f", v.get("val_local_dim")),
                            String.format("%.4f", v.get("val_global_dim")));
                }
                if (historyFile.isPresent()) {
                    appendHistory(historyFile.get(), rec, seen, epochWall, lr);
                }
                if (ckptFile.isPresent()) {
                    writeCheckpoint(ckptFile.get(), arch, fv, epoch, 0, step, seen, params, opt,
                            runState(opt, epochWall, 0, 0, ema, horizon, lr));
                }
            }
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
        double totalWall = wallBefore + elapsed(t0).toNanos() / 1e9;
        if (ckptFile.isPresent()) {
            writeCheckpoint(ckptFile.get(), arch, fv, epoch, batchInEpoch, step, seen, params, opt,
                    runState(opt, totalWall, epochLossSum, epochBatches, ema, horizon, lr));
        }
        Map<String, Double> finalVal = val.isEmpty() ? Map.of()
                : history.isEmpty() || history.get(history.size() - 1).step() != step ? validate(base, objective, val)
                : history.get(history.size() - 1).validation();
        double secs = elapsed(t0).toNanos() / 1e9;
        return new TrainResult(arch, params.toHost(), fv, initialVal, finalVal, history, step, seen, secs,
                (seen - seenAtStart) / Math.max(secs, 1e-9), resume != null, epoch, totalWall, lr);
    }

    private Map<String, Object> runState(AdamW opt, double wallSeconds, double epochLossSum, long epochBatches,
            double ema, long horizon, double lr) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("optimizerSteps", opt.steps());
        m.put("wallSeconds", wallSeconds);
        m.put("epochLossSum", epochLossSum);
        m.put("epochBatches", epochBatches);
        if (Double.isFinite(ema)) {
            m.put("lossEma", ema);
        }
        m.put("learningRate", config.learningRate());
        m.put("lrSchedule", config.lrSchedule().toMap());
        m.put("lrHorizon", horizon);
        m.put("lr", lr);
        return m;
    }

    private static void appendHistory(Path file, TrainListener.Epoch rec, long seen, double wall, double lr) {
        try {
            TrainHistory.append(file, TrainHistory.record(rec, seen, wall, lr));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
        }
        Path png = file.resolveSibling(LossCurve.FILE_NAME);
        try {
            LossCurve.write(png, TrainHistory.read(file));
        } catch (IOException | RuntimeException e) {
            // a plot must never stop a long run
            LOG.warn("cannot draw {}: {}", png, e.toString());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    /**
     * Steps at the end of each epoch of the budget: {@code out[e]} = batches of epochs 0..e-1 (exact up to
     * {@link #EXACT_HORIZON_MAX_EPOCHS} epochs; beyond, epochs x the batches of epoch 0).
     */
    long[] cumulativeEpochSteps(List<FeaturizedCrystal> train, int epochs) {
        if (epochs > EXACT_HORIZON_MAX_EPOCHS) {
            long per = epochPlan(train, 0).size();
            return new long[] {0, per * epochs};
        }
        long[] out = new long[epochs + 1];
        for (int e = 0; e < epochs; e++) {
            out[e + 1] = out[e] + epochPlan(train, e).size();
        }
        return out;
    }

    /**
     * {@link #cumulativeEpochSteps(List, int)} for any training data: exact in memory; for a streamed corpus
     * the batches of epoch 0 (counted by planning it, one read of the corpus) x epochs.
     */
    long[] cumulativeEpochSteps(TrainingData train, int epochs) {
        if (train instanceof TrainingData.InMemory m) {
            return cumulativeEpochSteps(m.crystals(), epochs);
        }
        long per = 0;
        try (TrainingData.EpochBatches b = train.epoch(this, 0)) {
            while (b.hasNext()) {
                b.next();
                per++;
            }
        }
        return new long[] {0, per * epochs};
    }

    /**
     * Total steps of the budget for the cosine schedule: the steps of the epoch budget when there is one (a
     * step, structure or time limit then only stops the run early, without bending the schedule), else the
     * step budget.
     */
    long lrHorizon(Budget budget, long[] epochSteps) {
        long h = Long.MAX_VALUE;
        if (epochSteps != null) {
            h = epochSteps[epochSteps.length - 1];
        } else if (budget.maxSteps() > 0) {
            h = budget.maxSteps();
        }
        if (h == Long.MAX_VALUE) {
            if (config.lrSchedule().needsHorizon()) {
                throw new IllegalArgumentException("the " + config.lrSchedule().name()
                        + " learning-rate schedule needs an epoch or step budget (--epochs or --max-steps)");
            }
            return 0;
        }
        return h;
    }

    /** Time to the first budget limit at this invocation's rates ("?" before the first step). */
    static String eta(Budget budget, long[] epochSteps, long step, long stepAtStart, long seen, long seenAtStart,
            Duration elapsed) {
        double secs = elapsed.toNanos() / 1e9;
        if (step <= stepAtStart || secs <= 0) {
            return "?";
        }
        double stepRate = (step - stepAtStart) / secs;
        double seenRate = (seen - seenAtStart) / secs;
        double eta = Double.POSITIVE_INFINITY;
        if (epochSteps != null) {
            eta = Math.min(eta, Math.max(0, epochSteps[epochSteps.length - 1] - step) / stepRate);
        }
        if (budget.maxSteps() > 0) {
            eta = Math.min(eta, Math.max(0, budget.maxSteps() - step) / stepRate);
        }
        if (budget.maxStructures() > 0 && seenRate > 0) {
            eta = Math.min(eta, Math.max(0, budget.maxStructures() - seen) / seenRate);
        }
        if (budget.maxTime() != null) {
            eta = Math.min(eta, Math.max(0, budget.maxTime().toNanos() / 1e9 - secs));
        }
        return Double.isInfinite(eta) ? "?" : formatDuration(eta);
    }

    static String formatDuration(double seconds) {
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    private static long progressMax(Budget b, int n) {
        if (b.maxStructures() > 0) {
            return b.maxStructures();
        }
        if (b.epochs() > 0 && b.maxTime() == null && b.maxSteps() <= 0) {
            return (long) b.epochs() * n;
        }
        return -1;
    }

    private static Duration elapsed(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    static long mix(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Batches of one epoch: shuffled, stable-sorted by size bucket, cut by the caps, batch order shuffled. */
    public List<int[]> epochPlan(List<FeaturizedCrystal> train, int epoch) {
        return plan(train, new Random(mix(config.seed() ^ 0x5DEECE66DL, epoch)));
    }

    private List<int[]> plan(List<FeaturizedCrystal> train, Random r) {
        List<Integer> order = new ArrayList<>(train.size());
        for (int i = 0; i < train.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, r);
        order.sort(Comparator.<Integer>comparingInt(i -> train.get(i).primSites())
                .thenComparingInt(i -> train.get(i).supercellSites() / 16));
        List<int[]> plan = SizeBatcher.joinSingletons(SizeBatcher.cut(train, order, config.maxSitesPerBatch(),
                config.maxPairsPerBatch(), config.maxBatch(), TRAIN_PADDING_FACTOR));
        Collections.shuffle(plan, r);
        return plan;
    }

    /**
     * Batches of one block of a streamed epoch ({@link TrainingData#streamed}): {@link #epochPlan} within the
     * block, with its own random draw per (seed, epoch, block). Indices are into {@code block}.
     */
    public List<int[]> blockPlan(List<FeaturizedCrystal> block, int epoch, int blockIndex) {
        return plan(block, new Random(mix(config.seed() ^ 0x3C6EF372FE94F82AL, ((long) epoch << 32) | blockIndex)));
    }

    /**
     * Validation DIM metrics: no VAE noise, fixed false pairs; averaged over structures. Runs with grad mode
     * off on the calling thread (no autograd graph is recorded), restoring the caller's mode afterwards.
     */
    public Map<String, Double> validate(NDManager base, DimObjective objective, List<FeaturizedCrystal> val) {
        boolean previous = gradModeOff();
        try {
            return validateWithGradModeOff(base, objective, val);
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    private Map<String, Double> validateWithGradModeOff(NDManager base, DimObjective objective,
            List<FeaturizedCrystal> val) {
        List<int[]> plan = SizeBatcher.joinSingletons(
                SizeBatcher.plan(val, config.maxSitesPerBatch(), config.maxPairsPerBatch(), config.maxBatch()));
        double[] sums = new double[5];
        double n = 0;
        double localHits = 0;
        double localPairs = 0;
        Map<String, double[]> scoreSums = new LinkedHashMap<>();
        int bi = 0;
        for (int[] g : plan) {
            List<FeaturizedCrystal> cs = new ArrayList<>();
            for (int idx : g) {
                cs.add(val.get(idx));
            }
            DimBatch batch = DimBatch.of(cs, new Random(mix(config.seed() + 7919, bi++)));
            try (NDManager scratch = base.newSubManager()) {
                DimObjective.Engineered eng = objective.engineered(scratch, batch);
                DimObjective.Terms t = objective.loss(scratch, batch, eng, null);
                double w = cs.size();
                sums[0] += w * t.localDim().getFloat();
                sums[1] += w * t.globalDim().getFloat();
                sums[2] += w * t.klLocal().getFloat();
                sums[3] += w * t.klGlobal().getFloat();
                sums[4] += w * t.total().getFloat();
                n += w;
                Map<String, float[]> st = t.stats();
                if (st.containsKey("local_false_scores")) {
                    float[] ts = st.get("local_true_scores");
                    float[] tv = st.get("local_true_valid");
                    float[] fs = st.get("local_false_scores");
                    float[] fvv = st.get("local_false_valid");
                    for (int k = 0; k < ts.length; k++) {
                        if (tv[k] > 0 && fvv[k] > 0) {
                            localPairs++;
                            localHits += ts[k] > fs[k] ? 1 : 0;
                        }
                    }
                }
                for (String key : List.of("local_true", "local_false", "global_true", "global_false", "global_acc",
                        "composition")) {
                    float[] v = st.get(key);
                    if (v != null) {
                        double[] acc = scoreSums.computeIfAbsent(key, k -> new double[2]);
                        acc[0] += v[0] * v[1];
                        acc[1] += v[1];
                    }
                }
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("val_local_dim", sums[0] / n);
        out.put("val_global_dim", sums[1] / n);
        out.put("val_kl_local", sums[2] / n);
        out.put("val_kl_global", sums[3] / n);
        out.put("val_total", sums[4] / n);
        if (localPairs > 0) {
            out.put("val_local_acc", localHits / localPairs);
        }
        scoreSums.forEach((k, v) -> out.put("val_" + k, v[1] > 0 ? v[0] / v[1] : Double.NaN));
        out.put("val_structures", n);
        return out;
    }

    private static Checkpoint readCheckpoint(Path f) {
        try {
            return Checkpoint.read(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + f + ": " + e.getMessage(), e);
        }
    }

    private void writeCheckpoint(Path f, SiteNetConfig arch, int fv, int epoch, int batchInEpoch, long step, long seen,
            Params params, AdamW opt, Map<String, Object> run) {
        try {
            new Checkpoint(arch, fv, config.seed(), epoch, batchInEpoch, step, seen, params.toHost(), opt.stateToHost(),
                    run).write(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + f + ": " + e.getMessage(), e);
        }
    }
}
