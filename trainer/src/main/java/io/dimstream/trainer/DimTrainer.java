package io.dimstream.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.dimstream.core.encoder.SizeBatcher;
import io.dimstream.core.featurize.FeaturizedCrystal;
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
 *
 * <p>Batches: crystals of similar size (S, then J, in buckets) are grouped, capped by real primitive sites
 * ({@code maxSitesPerBatch}, default 1200) and padded pairs; batch order is shuffled per epoch.
 */
public final class DimTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(DimTrainer.class);

    /** Padding waste allowed in training batches (the size-bucketed order keeps it low anyway). */
    static final double TRAIN_PADDING_FACTOR = 3.0;

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
        boolean previous = gradModeOff();
        try {
            return trainWithGradModeOff(train, val, budget, warmStartDir, listener);
        } finally {
            JniUtils.setGradMode(previous);
        }
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

    private TrainResult trainWithGradModeOff(List<FeaturizedCrystal> train, List<FeaturizedCrystal> val, Budget budget,
            Optional<Path> warmStartDir, TrainListener listener) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training structures");
        }
        int fv = train.get(0).featurizerVersion();
        int fd = train.get(0).featureDim();
        for (List<FeaturizedCrystal> l : List.of(train, val)) {
            for (FeaturizedCrystal c : l) {
                if (c.featurizerVersion() != fv || c.featureDim() != fd) {
                    throw new IllegalArgumentException("crystal " + c.id() + " has featurizer version "
                            + c.featurizerVersion() + " / " + c.featureDim() + " features; the data set starts with "
                            + fv + " / " + fd);
                }
            }
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
        }

        try (NDManager base = NDManager.newBaseManager()) {
            Params params;
            if (resume != null) {
                params = Params.fromHost(base, resume.weights());
            } else if (warmStartDir.isPresent()) {
                Checkpoint warm = readCheckpoint(warmStartDir.get().resolve(Checkpoint.FILE_NAME));
                if (!warm.arch().equals(arch)) {
                    throw new IllegalArgumentException("warm start " + warmStartDir.get()
                            + " has another architecture than this run");
                }
                if (warm.featurizerVersion() != fv) {
                    throw new IllegalArgumentException("warm start " + warmStartDir.get() + " was trained on featurizer v"
                            + warm.featurizerVersion() + ", the data is v" + fv);
                }
                params = Params.fromHost(base, warm.weights());
                LOG.info("warm start from {} (step {})", warmStartDir.get(), warm.step());
            } else {
                params = Params.init(base, arch, config.seed());
            }
            try (params; AdamW opt = new AdamW(base, config.learningRate(), config.weightDecay(), config.amsgrad())) {
                params.attachGradients();
                if (resume != null) {
                    opt.restore(params, resume.optimizer(), resume.step());
                }
                SiteNetModel model = new SiteNetModel(arch, params);
                DimObjective objective = new DimObjective(model, config.weights());
                return run(base, arch, fv, params, opt, objective, train, val, budget, resume, ckptFile, listener);
            }
        }
    }

    private TrainResult run(NDManager base, SiteNetConfig arch, int fv, Params params, AdamW opt, DimObjective objective,
            List<FeaturizedCrystal> train, List<FeaturizedCrystal> val, Budget budget, Checkpoint resume,
            Optional<Path> ckptFile, TrainListener listener) {
        int epoch = resume == null ? 0 : resume.epoch();
        int batchInEpoch = resume == null ? 0 : resume.batchInEpoch();
        long step = resume == null ? 0 : resume.step();
        long seen = resume == null ? 0 : resume.structuresSeen();
        long seenAtStart = seen;
        Map<String, Double> initialVal = val.isEmpty() || resume != null ? Map.of() : validate(base, objective, val);
        List<TrainListener.Epoch> history = new ArrayList<>();
        long t0 = System.nanoTime();
        ProgressBar bar = config.progressBar() ? new ProgressBarBuilder().setTaskName("pretrain")
                .setInitialMax(progressMax(budget, train.size()))
                .setStyle(ProgressBarStyle.ASCII).setUnit(" structures", 1).showSpeed().setUpdateIntervalMillis(500)
                .build() : null;
        if (bar != null) {
            bar.stepTo(Math.min(seen, Math.max(0, bar.getMax())));
        }
        double ema = Double.NaN;
        int badSteps = 0;
        double epochLossSum = 0;
        long epochBatches = 0;
        try {
            outer:
            while (!budget.exhausted(epoch, step, seen, elapsed(t0))) {
                List<int[]> plan = epochPlan(train, epoch);
                for (int bi = batchInEpoch; bi < plan.size(); bi++) {
                    if (budget.exhausted(epoch, step, seen, elapsed(t0))) {
                        batchInEpoch = bi;
                        break outer;
                    }
                    List<FeaturizedCrystal> cs = new ArrayList<>(plan.get(bi).length);
                    for (int idx : plan.get(bi)) {
                        cs.add(train.get(idx));
                    }
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
                    if (ckptFile.isPresent() && config.checkpointEverySteps() > 0
                            && step % config.checkpointEverySteps() == 0) {
                        writeCheckpoint(ckptFile.get(), arch, fv, epoch, bi + 1, step, seen, params, opt);
                    }
                }
                double trainLoss = epochBatches == 0 ? Double.NaN : epochLossSum / epochBatches;
                epoch++;
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
                if (ckptFile.isPresent()) {
                    writeCheckpoint(ckptFile.get(), arch, fv, epoch, 0, step, seen, params, opt);
                }
            }
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
        if (ckptFile.isPresent()) {
            writeCheckpoint(ckptFile.get(), arch, fv, epoch, batchInEpoch, step, seen, params, opt);
        }
        Map<String, Double> finalVal = val.isEmpty() ? Map.of()
                : history.isEmpty() || history.get(history.size() - 1).step() != step ? validate(base, objective, val)
                : history.get(history.size() - 1).validation();
        double secs = elapsed(t0).toNanos() / 1e9;
        return new TrainResult(arch, params.toHost(), fv, initialVal, finalVal, history, step, seen, secs,
                (seen - seenAtStart) / Math.max(secs, 1e-9), resume != null);
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
    List<int[]> epochPlan(List<FeaturizedCrystal> train, int epoch) {
        Random r = new Random(mix(config.seed() ^ 0x5DEECE66DL, epoch));
        List<Integer> order = new ArrayList<>(train.size());
        for (int i = 0; i < train.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, r);
        order.sort(Comparator.<Integer>comparingInt(i -> train.get(i).primSites())
                .thenComparingInt(i -> train.get(i).supercellSites() / 16));
        List<int[]> plan = SizeBatcher.cut(train, order, config.maxSitesPerBatch(), config.maxPairsPerBatch(),
                config.maxBatch(), TRAIN_PADDING_FACTOR);
        Collections.shuffle(plan, r);
        return plan;
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
        List<int[]> plan = SizeBatcher.plan(val, config.maxSitesPerBatch(), config.maxPairsPerBatch(), config.maxBatch());
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
                for (String key : List.of("local_true", "local_false", "global_true", "global_false", "global_acc")) {
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
            Params params, AdamW opt) {
        try {
            new Checkpoint(arch, fv, config.seed(), epoch, batchInEpoch, step, seen, params.toHost(), opt.stateToHost())
                    .write(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + f + ": " + e.getMessage(), e);
        }
    }
}
