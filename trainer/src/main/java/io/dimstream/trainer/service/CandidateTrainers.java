package io.dimstream.trainer.service;

import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.model.SiteNetConfig;

/** The production {@link CandidateTrainer} for a trainer configuration. */
public final class CandidateTrainers {

    private CandidateTrainers() {
    }

    /** The architecture new versions are trained with ({@link TrainerConfig#MODEL_ARCH}). */
    public static SiteNetConfig arch(TrainerConfig cfg) {
        return "tiny".equals(cfg.getString(TrainerConfig.MODEL_ARCH)) ? SiteNetConfig.tiny(9) : SiteNetConfig.defaults();
    }

    public static CandidateTrainer create(TrainerConfig cfg) {
        TrainConfig tc = TrainConfig.defaults().withArch(arch(cfg)).withSeed(cfg.getLong(TrainerConfig.SEED))
                .withProgressBar(false).withDevice(cfg.getString(TrainerConfig.TRAIN_DEVICE));
        return new DjlCandidateTrainer(tc);
    }
}
