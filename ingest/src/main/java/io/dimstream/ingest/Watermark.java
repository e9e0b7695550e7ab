package io.dimstream.ingest;

import java.util.Map;
import java.util.TreeMap;

/**
 * A source's resume position: an opaque, source-specific string map (e.g. {@code change}, {@code id} for
 * JDBC). {@link #NONE} means "from the beginning".
 */
public record Watermark(Map<String, String> position) {
    public static final Watermark NONE = new Watermark(Map.of());

    public Watermark {
        position = position == null ? Map.of() : Map.copyOf(position);
    }

    public boolean isNone() {
        return position.isEmpty();
    }

    public String get(String key) {
        return position.get(key);
    }

    public static Watermark of(String... kv) {
        if (kv.length % 2 != 0) {
            throw new IllegalArgumentException("key/value pairs expected");
        }
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return new Watermark(m);
    }

    @Override
    public String toString() {
        return isNone() ? "(start)" : new TreeMap<>(position).toString();
    }
}
