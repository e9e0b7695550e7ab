package io.dimstream.eval;

import java.nio.file.Path;

/**
 * What the evaluation needs from the encoder: pretraining on an unlabelled corpus, loading a
 * given model, a randomly initialised encoder of the same architecture (the control), and — through
 * {@link RepresentationModel} — embeddings and fine-tuning.
 */
public interface EncoderBackend {

    /**
     * Pretrains DIM on the corpus. The corpus type carries no labels (see {@link PretrainCorpus}).
     *
     * @param minutes wall-clock budget
     * @param seed    seed of initialisation and batch order
     */
    RepresentationModel pretrain(PretrainCorpus corpus, double minutes, long seed);

    /** Loads a pretrained model directory (as written by {@code dimstream pretrain}). */
    RepresentationModel load(Path modelDir);

    /** An encoder of the same architecture with random initial weights, untrained. */
    RepresentationModel random(long seed);
}
