package io.dimstream.eval;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Wall-clock seconds per phase of a run, in the order the phases ran. */
public final class Timings {

    private final Map<String, Double> seconds = new LinkedHashMap<>();

    public <T> T time(String phase, Supplier<T> work) {
        long t0 = System.nanoTime();
        try {
            return work.get();
        } finally {
            add(phase, (System.nanoTime() - t0) / 1e9);
        }
    }

    public void time(String phase, Runnable work) {
        time(phase, () -> {
            work.run();
            return null;
        });
    }

    public synchronized void add(String phase, double s) {
        seconds.merge(phase, s, Double::sum);
    }

    public synchronized Map<String, Double> asMap() {
        return new LinkedHashMap<>(seconds);
    }

    public synchronized double total() {
        return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
    }
}
