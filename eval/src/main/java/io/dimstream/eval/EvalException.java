package io.dimstream.eval;

import io.dimstream.core.DimstreamException;

/**
 * Bad input or configuration of an evaluation run. {@link #code()} is {@code eval.<reason>} (e.g.
 * {@code eval.no_labels}, {@code eval.too_few_labels}, {@code eval.bad_input}); the message says what was
 * wrong and where, for a one-line report without a stack trace.
 */
public final class EvalException extends DimstreamException {

    /** @param reason the reason part of the code ({@code no-labels} and {@code no_labels} are the same) */
    public EvalException(String reason, String message) {
        super(code(reason), message);
    }

    public EvalException(String reason, String message, Throwable cause) {
        super(code(reason), message, cause);
    }

    private static String code(String reason) {
        return "eval." + reason.replace('-', '_');
    }
}
