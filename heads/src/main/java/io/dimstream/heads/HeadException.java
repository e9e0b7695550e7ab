package io.dimstream.heads;

import io.dimstream.core.DimstreamException;

/**
 * Bad input to a head (e.g. too few labelled rows). {@link #code()} is {@code head.<reason>}
 * ({@code head.too_few_labels}); the message says what was wrong.
 */
public final class HeadException extends DimstreamException {

    /** @param reason the reason part of the code ({@code too-few-labels} and {@code too_few_labels} are the same) */
    public HeadException(String reason, String message) {
        super("head." + reason.replace('-', '_'), message);
    }
}
