package io.dimstream.eval;

import io.dimstream.core.encoder.Precision;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.MagpieFeatures;
import io.dimstream.trainer.Budget;
import io.dimstream.trainer.Checkpoint;
import io.dimstream.trainer.DimTrainer;
import io.dimstream.trainer.ModelBundle;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.TrainListener;
import io.dimstream.trainer.TrainResult;
import io.dimstream.trainer.model.SiteNetConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The product's encoder as the evaluation's backend: DIM pretraining with {@link DimTrainer} on the
 * label-free corpus (a small slice of it held out for the trainer's validation DIM losses), loading
 * a model folder written by {@code dimstream pretrain}, and the random-init control.
 */
public final class DimBackend implements EncoderBackend {

    private static final Logger log = LoggerFactory.getLogger(DimBackend.class);

    private final TrainConfig trainConfig;
    private final Path saveDir;
    private Precision precision = Precision.FP32;

    /** @param saveDir where the pretrained model is written (reusable with --model), or null */
    public DimBackend(TrainConfig trainConfig, Path saveDir) {
        this.trainConfig = trainConfig;
        this.saveDir = saveDir;
    }

    public DimBackend() {
        this(TrainConfig.defaults(), null);
    }

    @Override
    public RepresentationModel pretrain(PretrainCorpus corpus, double minutes, long seed) {
        List<FeaturizedCrystal> all = new ArrayList<>(corpus.crystals());
        // hold out a small label-free slice for the trainer's validation DIM losses
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = all.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            FeaturizedCrystal t = all.get(i);
            all.set(i, all.get(j));
            all.set(j, t);
        }
        int nVal = Math.min(300, all.size() / 50);
        List<FeaturizedCrystal> val = all.subList(0, nVal);
        List<FeaturizedCrystal> train = all.subList(nVal, all.size());
        TrainConfig cfg = trainConfig.withSeed(seed);
        TrainResult res = new DimTrainer(cfg).train(train, val, Budget.minutes(minutes), Optional.empty(), TrainListener.NONE);
        String desc = String.format(Locale.ROOT, "DIM-pretrained on %d structures: %d steps, %d structures seen "
                + "(%.1f epochs), %.1f min, %.1f structures/s; validation DIM loss %s -> %s",
                train.size(), res.steps(), res.structuresSeen(), res.structuresSeen() / (double) train.size(),
                res.seconds() / 60, res.structuresPerSecond(), fmt(res.initialValidation().get("val_total")),
                fmt(res.validation().get("val_total")));
        log.info(desc);
        if (saveDir != null) {
            try {
                ModelBundle.create(ModelBundle.DEFAULT_NAME, 1, res, cfg).write(saveDir);
                log.info("pretrained model written to {} (reuse with --model)", saveDir);
            } catch (IOException e) {
                log.warn("could not write the pretrained model to {}: {}", saveDir, e.getMessage());
            }
        }
        return new DjlEncoder(res.arch(), res.weights(), desc).withPrecision(precision);
    }

    /**
     * Frozen embeddings of every encoder this backend hands out (pretrained, loaded, random control) come
     * from the {@code p} graph: {@code evaluate --precision int8} checks the downstream side of the
     * reduced-precision accuracy contract. Fine-tuning always trains in fp32.
     */
    public DimBackend withPrecision(Precision p) {
        this.precision = p == null ? Precision.FP32 : p;
        return this;
    }

    @Override
    public RepresentationModel load(Path modelDir) {
        try {
            Checkpoint ck = ModelBundle.read(modelDir).checkpoint();
            return new DjlEncoder(ck.arch(), ck.weights(), "DIM model loaded from " + modelDir + " (step " + ck.step()
                    + ", " + ck.structuresSeen() + " structures seen)").withPrecision(precision);
        } catch (IOException e) {
            throw new EvalException("bad-model", "cannot read model folder " + modelDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public RepresentationModel random(long seed) {
        SiteNetConfig arch = trainConfig.arch().withFeatureDim(MagpieFeatures.DIM);
        return DjlEncoder.random(arch, seed).withPrecision(precision);
    }

    private static String fmt(Double v) {
        return v == null ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
    }
}
