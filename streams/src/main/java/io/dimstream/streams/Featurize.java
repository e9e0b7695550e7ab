package io.dimstream.streams;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.schemas.CrystalSubmission;

/**
 * The raw → features step: parse the submission's payload and featurize the structure. Bad input is
 * reported as a {@link StageException} (stage parse or featurize); implementations are thread-safe.
 */
public interface Featurize {

    FeaturizedCrystal apply(CrystalSubmission submission) throws StageException;

    /** Version of the featurizer algorithm (stamped on every features record). */
    int featurizerVersion();
}
