package io.dimstream.eval;

import io.dimstream.core.crystal.Element;
import io.dimstream.core.featurize.FeaturizedCrystal;
import java.util.Map;
import java.util.Objects;

/**
 * One structure of an evaluation split, without labels: its Site-Net features (encoder input) and
 * its composition (element → amount in the cell, for the composition baseline). Labels live apart,
 * in {@link LabelTable}, so that nothing built from samples alone can carry them.
 */
public record EvalSample(String id, FeaturizedCrystal features, Map<Element, Double> composition) {
    public EvalSample {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(features, "features");
        composition = Map.copyOf(composition);
    }
}
