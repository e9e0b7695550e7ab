package io.dimstream.search;

import java.util.Map;
import java.util.TreeMap;

/**
 * When is a model version's backfill complete? The same signal the streams app's own
 * {@code BackfillStatus.complete} reads, taken from where the app persists it: its changelogged
 * {@code backfill-progress} store (topic {@code <application.id>-backfill-progress-changelog}, one partition
 * per task, value {@code version|embedded|scanned|done|lastKey}). A version is complete when every
 * partition's latest record is of a newer version, or of that version and done. Because the app writes
 * that record in the same exactly-once transaction as the backfill's last embeddings, a read_committed
 * reader that has seen it can see those embeddings too (the service still waits until it has read the
 * embeddings topic up to where it stood then).
 */
public final class BackfillSignal {

    /** One task's progress record. */
    public record Progress(int version, boolean done) {
        /** Parses {@code version|embedded|scanned|done|lastKey}; null when it is not such a record. */
        static Progress parse(String s) {
            if (s == null) {
                return null;
            }
            String[] p = s.split("\\|", 5);
            if (p.length < 4) {
                return null;
            }
            try {
                return new Progress(Integer.parseInt(p[0]), Boolean.parseBoolean(p[3]));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    private final Map<Integer, Progress> partitions = new TreeMap<>();
    private int partitionCount;

    /** The changelog has this many partitions (one per streams task). */
    public synchronized void partitions(int n) {
        partitionCount = n;
    }

    /** The latest record of a changelog partition (null value: a tombstone, ignored). */
    public synchronized void record(int partition, String value) {
        Progress p = Progress.parse(value);
        if (p != null) {
            partitions.put(partition, p);
        }
    }

    /** True once the changelog topic exists (the streams app has started with this application id). */
    public synchronized boolean known() {
        return partitionCount > 0;
    }

    /** True when the backfill of {@code version} is complete in every task (every partition known). */
    public synchronized boolean complete(int version) {
        if (partitionCount == 0 || partitions.size() < partitionCount) {
            return false;
        }
        return partitions.values().stream().allMatch(p -> p.version() > version || p.version() == version && p.done());
    }

    public synchronized String describe() {
        StringBuilder sb = new StringBuilder();
        partitions.forEach((k, p) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(": v").append(p.version())
                .append(p.done() ? " done" : " running"));
        return partitionCount == 0 ? "no backfill-progress changelog seen" : sb + " (" + partitionCount + " tasks)";
    }
}
