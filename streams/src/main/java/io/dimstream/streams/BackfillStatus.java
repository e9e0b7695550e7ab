package io.dimstream.streams;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** Backfill progress of this instance's tasks (for logs, the demo and metrics). */
public final class BackfillStatus {

    /** Progress of one task: the version being backfilled, records re-embedded, corpus size, done. */
    public record TaskProgress(int version, long embedded, long scanned, long corpusSize, boolean done) { }

    private final Map<String, TaskProgress> tasks = new ConcurrentHashMap<>();

    void update(String task, TaskProgress p) {
        tasks.put(task, p);
    }

    public Map<String, TaskProgress> tasks() {
        return new TreeMap<>(tasks);
    }

    /** True when every known task has finished backfilling {@code version} (or a newer one). */
    public boolean complete(int version) {
        return !tasks.isEmpty() && tasks.values().stream().allMatch(p -> p.version() > version
                || p.version() == version && p.done());
    }

    public long embedded(int version) {
        return tasks.values().stream().filter(p -> p.version() == version).mapToLong(TaskProgress::embedded).sum();
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        tasks().forEach((t, p) -> sb.append(sb.length() == 0 ? "" : ", ").append(t).append(": v").append(p.version())
                .append(' ').append(p.scanned()).append('/').append(p.corpusSize())
                .append(p.done() ? " done" : ""));
        return sb.toString();
    }
}
