package io.dimstream.heads;

/**
 * Bad input to a head (e.g. too few labelled rows). {@link #code()} is a short machine-readable error type
 * ({@code too-few-labels}); the message says what was wrong.
 */
public final class HeadException extends IllegalArgumentException {

    private final String code;

    public HeadException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
