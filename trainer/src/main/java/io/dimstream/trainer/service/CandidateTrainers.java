package io.dimstream.trainer.service;

import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.model.SiteNetConfig;

/** The production {@link CandidateTrainer} for a trainer configuration. */
public final class CandidateTrainers {

    private CandidateTrainers() {
    }

    public static CandidateTrainer create(TrainerConfig cfg) {
        SiteNetConfig arch = "tiny".equals(cfg.getString(TrainerConfig.MODEL_ARCH)) ? SiteNetConfig.tiny(9)
                : SiteNetConfig.defaults();
        TrainConfig tc = TrainConfig.defaults().withArch(arch).withSeed(cfg.getLong(TrainerConfig.SEED))
                .withProgressBar(false);
        return new DjlCandidateTrainer(tc);
    }
}
