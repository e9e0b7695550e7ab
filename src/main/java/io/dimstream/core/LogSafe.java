package io.dimstream.core;

/**
 * Makes untrusted text (structure ids, Kafka keys, file names, CSV cells, values quoted in error
 * messages) safe to put into one log or terminal line: control characters (C0, DEL, C1 — newline,
 * carriage return, ESC, NUL, …), the Unicode line/paragraph separators and the bidirectional
 * override/isolate characters are written as visible escapes ({@code \n}, {@code \r}, {@code \t},
 * {@code \x1b}, {@code \u2028}), so a crafted id cannot start a fake log line, move the cursor or
 * recolour a terminal. Text longer than {@link #MAX_CHARS} is cut with a note of how much was left
 * out. Plain text passes unchanged (and without copying).
 *
 * <p>Use it at every log or CLI-output site that prints an id, key, path or a message that quotes
 * input: {@code LOG.warn("dead letter {}", LogSafe.escape(id))}.
 */
public final class LogSafe {
    private LogSafe() {
    }

    /** Longest text kept, in chars, before the rest is replaced by {@code …(+N chars)}. */
    public static final int MAX_CHARS = 512;

    /** The escaped text; {@code "null"} for null. */
    public static String escape(Object value) {
        if (value == null) {
            return "null";
        }
        String s = value.toString();
        int n = Math.min(s.length(), MAX_CHARS);
        int i = 0;
        while (i < n && !needsEscape(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder sb = new StringBuilder(n + 16).append(s, 0, i);
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (!needsEscape(c)) {
                sb.append(c);
                continue;
            }
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x100) {
                        sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        sb.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
        }
        if (s.length() > MAX_CHARS) {
            sb.append("…(+").append(s.length() - MAX_CHARS).append(" chars)");
        }
        return sb.toString();
    }

    /** True when {@link #escape} would change the text's characters (length aside). */
    public static boolean needsEscape(char c) {
        return Character.isISOControl(c) // C0, DEL, C1 (incl. NEL U+0085)
                || c == '\u2028' || c == '\u2029' // line / paragraph separator
                || (c >= '\u202a' && c <= '\u202e') // bidi embeddings / overrides
                || (c >= '\u2066' && c <= '\u2069'); // bidi isolates
    }
}
