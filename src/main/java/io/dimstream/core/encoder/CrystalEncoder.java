package io.dimstream.core.encoder;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.List;

/**
 * A loaded encoder model: featurized crystals in, 64-d crystal embeddings out. Implementations are
 * thread-safe and hold native resources: close them (try-with-resources) when replaced.
 */
public interface CrystalEncoder extends AutoCloseable {

    /** Model name, e.g. "sitenet-dim". */
    String modelName();

    /** The model version (monotonic per name). */
    int modelVersion();

    /** The featurizer version the model was trained on; inputs of another version are refused. */
    int featurizerVersion();

    /** Length of each embedding. */
    int embeddingDim();

    /**
     * Embeds a batch. The result has one row per input, in input order; a crystal embeds to the same
     * vector alone or in any batch.
     *
     * @throws IllegalArgumentException if an input's featurizer version or feature width does not match
     */
    float[][] embed(List<FeaturizedCrystal> batch);

    @Override
    void close();
}
