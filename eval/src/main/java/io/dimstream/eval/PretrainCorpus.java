package io.dimstream.eval;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.List;

/**
 * The only input of DIM pretraining in the evaluation: encoder inputs of the training structures
 * and nothing else. It holds no label and no reference to one — build it with
 * {@link EvalSplit#pretrainCorpus()}, which copies only the featurized crystals.
 */
public record PretrainCorpus(List<FeaturizedCrystal> crystals) {
    public PretrainCorpus {
        crystals = List.copyOf(crystals);
    }

    public int size() {
        return crystals.size();
    }
}
