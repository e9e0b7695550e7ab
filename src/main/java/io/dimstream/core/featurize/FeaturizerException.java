package io.dimstream.core.featurize;

import io.dimstream.core.DimstreamException;

/**
 * A structure the featurizer rejects. {@link #code()} is a short machine-readable code (used in
 * dead letters and CLI output); the message says what was wrong in words.
 */
public final class FeaturizerException extends DimstreamException {

    /** Primitive cell has more sites than {@code maxPrimSites}. */
    public static final String TOO_MANY_SITES = "featurize.too_many_sites";
    /** S x J distance tensor larger than {@code maxDistancePairs}. */
    public static final String TOO_MANY_PAIRS = "featurize.too_many_pairs";
    /** The structure has no sites. */
    public static final String EMPTY_STRUCTURE = "featurize.empty_structure";
    /** The primitive-cell search failed on this structure. */
    public static final String PRIMITIVE_CELL_FAILED = "featurize.primitive_cell_failed";
    /** Geometry that cannot be featurized (degenerate lattice, non-finite coordinates). */
    public static final String BAD_GEOMETRY = "featurize.bad_geometry";

    public FeaturizerException(String errorType, String message) {
        super(errorType, message);
    }

    public FeaturizerException(String errorType, String message, Throwable cause) {
        super(errorType, message, cause);
    }


    @Override
    public String toString() {
        return code() + ": " + getMessage();
    }
}
