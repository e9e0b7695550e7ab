package io.dimstream.streams;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalFeatures;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backfill of one task: when another model version serves (a newer one, or an older one after an
 * explicit rollback), walks this task's partition of the corpus table ({@code corpus}) in key order and
 * re-embeds every id whose latest embedding is not of that version ({@code embedded-versions}), a rate-limited step per punctuation, resuming from
 * {@code backfill-progress} after a restart. Also handles late corpus updates: a record embedded live
 * with an older model may reach the corpus only after the backfill of a newer version walked past its
 * key; it is then re-embedded at once, in the same transaction as its corpus offset, so every id gets
 * exactly one embedding per version.
 *
 * <p>Runs inside {@link FeaturizeEmbedProcessor} (same task, same stores, same transaction); ids still
 * waiting in the live buffer are left to the live path.
 */
final class Backfill {

    private static final Logger log = LoggerFactory.getLogger(Backfill.class);
    private static final String PROGRESS_KEY = "progress";

    private final TimestampedKeyValueStore<String, byte[]> corpus;
    private final KeyValueStore<String, String> progressStore;
    private final EmbedStage embed;
    private final Counters counters;
    private final RateLimiter rate;
    private final BackfillStatus status;
    private final String taskId;
    private final String featuresTopic;
    private final int batchSize;
    private final long progressIntervalMs;
    private final AvroSerde<CrystalFeatures> featuresSerde = AvroSerde.of(CrystalFeatures.class);
    /** The {@code backfill-progress} record, cached (this class is its only writer). */
    private Progress progress;
    private long lastProgressLog;

    Backfill(TimestampedKeyValueStore<String, byte[]> corpus, KeyValueStore<String, String> progressStore,
             EmbedStage embed, Counters counters, RateLimiter rate, BackfillStatus status, String taskId,
             String featuresTopic, int batchSize, long progressIntervalMs) {
        this.corpus = corpus;
        this.progressStore = progressStore;
        this.embed = embed;
        this.counters = counters;
        this.rate = rate;
        this.status = status;
        this.taskId = taskId;
        this.featuresTopic = featuresTopic;
        this.batchSize = batchSize;
        this.progressIntervalMs = progressIntervalMs;
        this.progress = Progress.parse(progressStore.get(PROGRESS_KEY));
    }

    /**
     * A corpus record arrived (or changed). Embedded right away with the serving version when it is not
     * embedded with it and the backfill of that version has already passed its key (the backfill itself
     * covers the keys ahead of it). Right away, not queued: the embedding then commits in the same
     * transaction as the corpus offset, so a crash cannot lose it.
     */
    void corpusUpdated(ModelManager.Serving serving, String id, byte[] features) {
        int v = serving.version();
        Progress p = progress;
        boolean behind = p.version == v && (p.done || p.lastKey != null && compareKeys(id, p.lastKey) <= 0);
        if (!behind) {
            return; // the backfill will reach it (or has not started)
        }
        Integer done = embed.embeddedVersion(id);
        if (done == null || done != v) {
            EmbedStage.Item item = corpusItem(id, features, serving);
            if (item != null) {
                embed.embed(serving, List.of(item), true);
                counters.add("backfill.embedded", 1);
                counters.add("backfill.late", 1);
            }
        }
    }

    /** The order of the corpus store: keys compared as UTF-8 bytes, unsigned. */
    static int compareKeys(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * One bounded step of the backfill of the serving version over this task's corpus partition.
     *
     * @param buffered ids waiting in the live buffer (embedded by the live path, skipped here)
     */
    void step(ModelManager.Serving serving, Predicate<String> buffered) {
        int v = serving.version();
        Progress p = progress;
        if (p.version == v && p.done) {
            return;
        }
        if (p.version != v) { // a newer version, or an explicit rollback to an older one
            log.info("task {}: backfill of model v{} starts over ~{} corpus records{}", taskId, v,
                    corpus.approximateNumEntries(), p.version > v ? " (rollback from v" + p.version + ")" : "");
            p = new Progress(v, null, 0, 0, false);
            save(p);
        }
        int budget = rate.acquireUpTo(batchSize * 4);
        if (budget == 0) {
            return;
        }
        int maxScan = budget * 8;
        List<EmbedStage.Item> todo = new ArrayList<>();
        String lastKey = p.lastKey;
        boolean exhausted = true;
        int scanned = 0;
        try (KeyValueIterator<String, ValueAndTimestamp<byte[]>> it = corpus.range(p.lastKey, null)) {
            while (it.hasNext()) {
                if (todo.size() >= budget || scanned >= maxScan) {
                    exhausted = false;
                    break;
                }
                var kv = it.next();
                if (kv.key.equals(p.lastKey)) {
                    continue; // range start is inclusive; lastKey was done
                }
                scanned++;
                lastKey = kv.key;
                byte[] bytes = kv.value == null ? null : kv.value.value();
                if (bytes == null || buffered.test(kv.key)) {
                    continue; // buffered ids are embedded by the live path
                }
                Integer done = embed.embeddedVersion(kv.key);
                if (done != null && done == v) {
                    continue;
                }
                EmbedStage.Item item = corpusItem(kv.key, bytes, serving);
                if (item != null) {
                    todo.add(item);
                }
            }
        }
        if (todo.size() < budget) {
            rate.giveBack(budget - todo.size());
        }
        embed.embedInBatches(serving, todo, batchSize, true);
        counters.add("backfill.embedded", todo.size());
        counters.add("backfill.scanned", scanned);
        p = new Progress(v, lastKey, p.embedded + todo.size(), p.scanned + scanned, exhausted);
        save(p);
        status.update(taskId, new BackfillStatus.TaskProgress(v, p.embedded, p.scanned,
                Math.max(p.scanned, corpus.approximateNumEntries()), p.done));
        long now = System.currentTimeMillis();
        if (p.done) {
            log.info("task {}: backfill of model v{} complete: {} re-embedded of {} scanned", taskId, v,
                    p.embedded, p.scanned);
        } else if (now - lastProgressLog >= progressIntervalMs) {
            lastProgressLog = now;
            log.info("task {}: backfill v{} progress {} scanned / ~{}, {} re-embedded", taskId, v, p.scanned,
                    corpus.approximateNumEntries(), p.embedded);
        }
    }

    private void save(Progress p) {
        progressStore.put(PROGRESS_KEY, p.format());
        progress = p;
    }

    /** A corpus record as an item to embed, or null (dead-lettered) when it cannot be embedded by this model. */
    private EmbedStage.Item corpusItem(String id, byte[] bytes, ModelManager.Serving serving) {
        CrystalFeatures f;
        try {
            f = featuresSerde.fromBytes(bytes);
        } catch (RuntimeException e) {
            embed.dead(id, "invalid_features", "undecodable features record: " + e.getMessage(), featuresTopic, bytes);
            return null;
        }
        if (f.getFeaturizerVersion() != serving.encoder().featurizerVersion()) {
            embed.dead(id, "featurizer_version", "features made by featurizer v" + f.getFeaturizerVersion()
                    + ", model v" + serving.version() + " expects v" + serving.encoder().featurizerVersion(),
                    featuresTopic, null);
            return null;
        }
        try {
            return new EmbedStage.Item(id, FeaturizedCrystal.fromAvro(f),
                    f.getSubmittedAt() == null ? 0 : f.getSubmittedAt().toEpochMilli());
        } catch (IllegalArgumentException e) {
            embed.dead(id, "invalid_features", e.getMessage(), featuresTopic, null);
            return null;
        }
    }

    /** Backfill progress record, stored as {@code version|embedded|scanned|done|lastKey}. */
    record Progress(int version, String lastKey, long embedded, long scanned, boolean done) {
        static Progress parse(String s) {
            if (s == null) {
                return new Progress(0, null, 0, 0, false);
            }
            String[] p = s.split("\\|", 5);
            return new Progress(Integer.parseInt(p[0]), p[4].isEmpty() ? null : p[4], Long.parseLong(p[1]),
                    Long.parseLong(p[2]), Boolean.parseBoolean(p[3]));
        }

        String format() {
            return version + "|" + embedded + "|" + scanned + "|" + done + "|" + (lastKey == null ? "" : lastKey);
        }
    }
}
