package io.dimstream.streams;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Named, thread-safe counters of one app instance (records per stage and reason, swaps, rejections,
 * backfill progress). Names are dotted, e.g. {@code dlq.parse.cif.missing_cell}; a metrics registry
 * can bind to {@link #snapshot()}.
 */
public final class Counters {

    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

    public void inc(String name) {
        add(name, 1);
    }

    public void add(String name, long n) {
        counters.computeIfAbsent(name, k -> new LongAdder()).add(n);
        for (java.util.function.BiConsumer<String, Long> l : listeners) {
            l.accept(name, n);
        }
    }

    private final java.util.List<java.util.function.BiConsumer<String, Long>> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Called with (name, delta) on every increment, on the incrementing thread (metrics bind here). */
    public void addListener(java.util.function.BiConsumer<String, Long> listener) {
        listeners.add(listener);
    }

    public long get(String name) {
        LongAdder a = counters.get(name);
        return a == null ? 0 : a.sum();
    }

    /** Sum of every counter whose name starts with {@code prefix}. */
    public long sum(String prefix) {
        return counters.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(e -> e.getValue().sum()).sum();
    }

    public Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
