package io.dimstream.streams;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * raw → features + embeddings, in one task and one exactly-once transaction: a raw record is parsed
 * and featurized (its {@code CrystalFeatures}, or a {@code DeadLetter}, is forwarded at once), then
 * waits in the batch buffer and is embedded with the serving model. The corpus table (the features
 * topic) is read only by the backfill.
 *
 * <p>Stores (all changelogged, so they commit atomically with the output under exactly_once_v2):
 * <ul>
 *   <li>{@code embed-buffer} (in memory + changelog): the <em>raw</em> bytes of records featurized
 *       but not yet embedded. Flushed when it holds {@code batch.size} records or by the wall-clock
 *       punctuator every {@code batch.max.wait.ms}. The featurized crystals themselves are kept in
 *       memory; after a crash the buffer is restored from its changelog, its records are featurized
 *       again and embedded: nothing is lost, and since output and store changes commit together,
 *       nothing is duplicated.</li>
 *   <li>{@code embedded-versions}: id → highest model version that embedded it, so a backfill
 *       never re-embeds an id already embedded with its version (exactly once per version).</li>
 *   <li>{@code backfill-progress}: version being backfilled, last corpus key done, counts; the
 *       backfill resumes from there after a restart.</li>
 *   <li>{@code corpus} (the features table, serialized bytes, read only here): what the backfill
 *       walks.</li>
 * </ul>
 * While no model serves, records wait in the buffer (up to {@code buffer.max.records}, the rest
 * are left to the backfill) and are embedded when the first model appears.
 *
 * <p>The processor also sees every update of the corpus table (the features topic, merged into its
 * input). A record embedded live with an older model reaches the corpus only after its transaction
 * commits; if the backfill of a newer version has already walked past its key by then, the update
 * re-embeds it here, so every id still gets exactly one embedding per version.
 */
final class FeaturizeEmbedProcessor implements Processor<String, byte[], String, SpecificRecord> {

    private static final Logger log = LoggerFactory.getLogger(FeaturizeEmbedProcessor.class);
    private static final String PROGRESS_KEY = "progress";

    /** Upper bound of batches embedded by one flush call. */
    static final int MAX_BATCHES_PER_FLUSH = 8;

    /** Settings of the processor, from {@link StreamsAppConfig}. */
    record Settings(int batchSize, long maxWaitMs, int bufferMax, boolean backfillEnabled, long progressIntervalMs,
                    String rawTopic, String featuresTopic) {
    }

    /** A featurized record waiting for inference; {@code crystal} is null after a restore. */
    private record Pending(FeaturizedCrystal crystal, long submittedAtMs) {
    }

    /** One structure to embed. */
    private record Item(String id, FeaturizedCrystal crystal, long submittedAtMs) {
    }

    private final FeaturizeStage stage;
    private final ModelManager models;
    private final Counters counters;
    private final RateLimiter backfillRate;
    private final BackfillStatus backfillStatus;
    private final Settings s;
    private final AvroSerde<CrystalFeatures> featuresSerde = AvroSerde.of(CrystalFeatures.class);

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, byte[]> buffer;
    private KeyValueStore<String, Integer> embedded;
    private KeyValueStore<String, String> progressStore;
    private TimestampedKeyValueStore<String, byte[]> corpus;
    /** The buffer's ids in arrival order (the store itself is keyed, not ordered). */
    private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();
    /** The {@code backfill-progress} record, cached (this processor is its only writer). */
    private Progress progress;
    private String taskId;
    private long lastProgressLog;

    FeaturizeEmbedProcessor(FeaturizeStage stage, ModelManager models, Counters counters, RateLimiter backfillRate,
                            BackfillStatus backfillStatus, Settings settings) {
        this.stage = stage;
        this.models = models;
        this.counters = counters;
        this.backfillRate = backfillRate;
        this.backfillStatus = backfillStatus;
        this.s = settings;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.taskId = context.taskId().toString();
        this.buffer = context.getStateStore(TopologyFactory.BUFFER_STORE);
        this.embedded = context.getStateStore(TopologyFactory.EMBEDDED_STORE);
        this.progressStore = context.getStateStore(TopologyFactory.BACKFILL_STORE);
        this.corpus = context.getStateStore(TopologyFactory.CORPUS_STORE);
        try (KeyValueIterator<String, byte[]> it = buffer.all()) {
            while (it.hasNext()) {
                pending.put(it.next().key, new Pending(null, 0));
            }
        }
        this.progress = Progress.parse(progressStore.get(PROGRESS_KEY));
        if (!pending.isEmpty()) {
            log.info("task {}: {} buffered records restored, will be embedded", taskId, pending.size());
        }
        context.schedule(Duration.ofMillis(s.maxWaitMs()), PunctuationType.WALL_CLOCK_TIME, ts -> {
            flush();
            if (s.backfillEnabled() && pending.size() < s.batchSize()) {
                backfillStep();
            }
        });
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (context.recordMetadata().map(m -> s.featuresTopic().equals(m.topic())).orElse(false)) {
            corpusUpdated(record.key(), record.value());
            return;
        }
        if (record.value() == null) {
            return; // a tombstone on the raw topic carries nothing to featurize
        }
        FeaturizeStage.Outcome o = stage.process(record.key(), record.value());
        if (!o.ok()) {
            context.forward(record.withKey(o.id()).withValue(o.dead()));
            return;
        }
        String id = o.id();
        context.forward(record.withKey(id).withValue(o.features()));
        counters.inc("embed.in");
        if (!pending.containsKey(id) && pending.size() >= s.bufferMax() && models.currentVersion().isEmpty()) {
            counters.inc("embed.deferred_to_backfill");
            return;
        }
        pending.remove(id); // a newer submission of a waiting id replaces it, at the end of the queue
        pending.put(id, new Pending(o.crystal(), o.submittedAtMs()));
        buffer.put(id, record.value());
        if (pending.size() >= s.batchSize()) {
            flush();
        }
    }

    /**
     * A corpus record arrived (or changed). Embedded right away with the serving version when it is not
     * embedded with it, not waiting in the buffer, and the backfill of that version has already passed
     * its key (the backfill itself covers the keys ahead of it). Right away, not queued: the embedding
     * then commits in the same transaction as the corpus offset, so a crash cannot lose it.
     */
    private void corpusUpdated(String id, byte[] features) {
        if (id == null || features == null || pending.containsKey(id) || !s.backfillEnabled()) {
            return;
        }
        models.withModel(serving -> {
            int v = serving.version();
            Progress p = progress;
            boolean behind = p.version == v && (p.done || p.lastKey != null && compareKeys(id, p.lastKey) <= 0);
            if (!behind) {
                return null; // the backfill will reach it (or has not started)
            }
            Integer done = embedded.get(id);
            if (done == null || done < v) {
                Item item = corpusItem(id, features, serving);
                if (item != null) {
                    embedAndForward(serving, List.of(item), true);
                    counters.add("backfill.embedded", 1);
                    counters.add("backfill.late", 1);
                }
            }
            return null;
        }); // no model yet: the first model's backfill walks the whole corpus
    }

    /** The order of the corpus store: keys compared as UTF-8 bytes, unsigned. */
    static int compareKeys(String a, String b) {
        byte[] x = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] y = b.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.util.Arrays.compareUnsigned(x, y);
    }

    /**
     * Embeds what is buffered, in batches, with the serving model (no-op without one). At most
     * {@link #MAX_BATCHES_PER_FLUSH} batches per call, so one punctuation stays well inside the
     * transaction timeout; the rest waits for the next tick.
     */
    void flush() {
        if (pending.isEmpty()) {
            return;
        }
        models.withModel(serving -> {
            List<Item> items = new ArrayList<>();
            Iterator<Map.Entry<String, Pending>> it = pending.entrySet().iterator();
            while (it.hasNext() && items.size() < MAX_BATCHES_PER_FLUSH * s.batchSize()) {
                Map.Entry<String, Pending> e = it.next();
                it.remove();
                Item item = item(e.getKey(), e.getValue());
                if (item != null) {
                    items.add(item);
                }
            }
            for (int i = 0; i < items.size(); i += s.batchSize()) {
                embedAndForward(serving, items.subList(i, Math.min(items.size(), i + s.batchSize())), false);
            }
            for (Item item : items) {
                buffer.delete(item.id());
            }
            return null;
        });
    }

    /** The item to embed for a pending id; a record restored after a restart is featurized again. */
    private Item item(String id, Pending p) {
        if (p.crystal() != null) {
            return new Item(id, p.crystal(), p.submittedAtMs());
        }
        byte[] raw = buffer.get(id);
        if (raw == null) {
            return null;
        }
        FeaturizeStage.Outcome o = stage.reprocess(id, raw);
        if (!o.ok()) { // cannot happen for a record that passed before, unless the featurizer changed
            context.forward(new Record<>(id, o.dead(), context.currentSystemTimeMs()));
            buffer.delete(id);
            return null;
        }
        return new Item(id, o.crystal(), o.submittedAtMs());
    }

    /** One bounded step of the backfill of the serving version over this task's corpus partition. */
    void backfillStep() {
        models.withModel(serving -> {
            int v = serving.version();
            Progress p = progress;
            if (p.version > v || p.version == v && p.done) {
                return null;
            }
            if (p.version < v) {
                p = new Progress(v, null, 0, 0, false);
                saveProgress(p);
                log.info("task {}: backfill of model v{} starts over ~{} corpus records", taskId, v,
                        corpus.approximateNumEntries());
            }
            int budget = backfillRate.acquireUpTo(s.batchSize() * 4);
            if (budget == 0) {
                return null;
            }
            int maxScan = budget * 8;
            List<Item> todo = new ArrayList<>();
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
                    if (bytes == null || pending.containsKey(kv.key)) {
                        continue; // buffered ids are embedded by the live path
                    }
                    Integer done = embedded.get(kv.key);
                    if (done != null && done >= v) {
                        continue;
                    }
                    Item item = corpusItem(kv.key, bytes, serving);
                    if (item != null) {
                        todo.add(item);
                    }
                }
            }
            if (todo.size() < budget) {
                backfillRate.giveBack(budget - todo.size());
            }
            for (int i = 0; i < todo.size(); i += s.batchSize()) {
                embedAndForward(serving, todo.subList(i, Math.min(todo.size(), i + s.batchSize())), true);
            }
            counters.add("backfill.embedded", todo.size());
            counters.add("backfill.scanned", scanned);
            p = new Progress(v, lastKey, p.embedded + todo.size(), p.scanned + scanned, exhausted);
            saveProgress(p);
            backfillStatus.update(taskId, new BackfillStatus.TaskProgress(v, p.embedded, p.scanned,
                    Math.max(p.scanned, corpus.approximateNumEntries()), p.done));
            long now = System.currentTimeMillis();
            if (p.done) {
                log.info("task {}: backfill of model v{} complete: {} re-embedded of {} scanned", taskId, v,
                        p.embedded, p.scanned);
            } else if (now - lastProgressLog >= s.progressIntervalMs()) {
                lastProgressLog = now;
                log.info("task {}: backfill v{} progress {} scanned / ~{}, {} re-embedded", taskId, v, p.scanned,
                        corpus.approximateNumEntries(), p.embedded);
            }
            return null;
        });
    }

    private void saveProgress(Progress p) {
        progressStore.put(PROGRESS_KEY, p.format());
        progress = p;
    }

    /** A corpus record as an item to embed, or null (dead-lettered) when it cannot be embedded by this model. */
    private Item corpusItem(String id, byte[] bytes, ModelManager.Serving serving) {
        CrystalFeatures f;
        try {
            f = featuresSerde.fromBytes(bytes);
        } catch (RuntimeException e) {
            dead(id, "invalid_features", "undecodable features record: " + e.getMessage(), s.featuresTopic(), bytes);
            return null;
        }
        if (f.getFeaturizerVersion() != serving.encoder().featurizerVersion()) {
            dead(id, "featurizer_version", "features made by featurizer v" + f.getFeaturizerVersion() + ", model v"
                    + serving.version() + " expects v" + serving.encoder().featurizerVersion(), s.featuresTopic(), null);
            return null;
        }
        try {
            return new Item(id, FeaturizedCrystal.fromAvro(f),
                    f.getSubmittedAt() == null ? 0 : f.getSubmittedAt().toEpochMilli());
        } catch (IllegalArgumentException e) {
            dead(id, "invalid_features", e.getMessage(), s.featuresTopic(), null);
            return null;
        }
    }

    private void embedAndForward(ModelManager.Serving serving, List<Item> chunk, boolean backfill) {
        int v = serving.version();
        int expected = serving.encoder().featurizerVersion();
        List<FeaturizedCrystal> inputs = new ArrayList<>(chunk.size());
        List<Item> ok = new ArrayList<>(chunk.size());
        for (Item item : chunk) {
            if (item.crystal().featurizerVersion() != expected) {
                deadItem(item, backfill, "featurizer_version", "features made by featurizer v"
                        + item.crystal().featurizerVersion() + ", model v" + v + " expects v" + expected);
                continue;
            }
            inputs.add(item.crystal());
            ok.add(item);
        }
        if (inputs.isEmpty()) {
            return;
        }
        float[][] out;
        long t0 = System.nanoTime();
        try {
            out = serving.encoder().embed(inputs);
        } catch (RuntimeException e) {
            if (inputs.size() > 1) { // isolate the bad record(s)
                for (Item item : ok) {
                    embedAndForward(serving, List.of(item), backfill);
                }
                return;
            }
            deadItem(ok.get(0), backfill, "inference_failed", e.getMessage());
            return;
        }
        counters.add("embed.batches", 1);
        counters.add("embed.inference_nanos", System.nanoTime() - t0);
        long now = context.currentSystemTimeMs();
        String modelName = serving.encoder().modelName();
        for (int i = 0; i < ok.size(); i++) {
            Item item = ok.get(i);
            CrystalEmbedding e = CrystalEmbedding.newBuilder()
                    .setId(item.id())
                    .setEmbedding(floats(out[i]))
                    .setModelName(modelName)
                    .setModelVersion(v)
                    .setFeaturizerVersion(item.crystal().featurizerVersion())
                    .setBackfill(backfill)
                    .setSubmittedAt(Instant.ofEpochMilli(item.submittedAtMs()))
                    .setEmbeddedAt(Instant.ofEpochMilli(now))
                    .build();
            context.forward(new Record<>(item.id(), e, now));
            Integer prev = embedded.get(item.id());
            if (prev == null || prev < v) {
                embedded.put(item.id(), v);
            }
        }
        counters.add(backfill ? "embeddings.out.backfill" : "embeddings.out.live", ok.size());
    }

    private void deadItem(Item item, boolean backfill, String type, String message) {
        if (backfill) {
            dead(item.id(), type, message, s.featuresTopic(), null);
        } else {
            dead(item.id(), type, message, s.rawTopic(), buffer.get(item.id()));
        }
    }

    private void dead(String id, String type, String message, String originalTopic, byte[] original) {
        counters.inc("dlq.embed." + type);
        log.warn("dead letter {} [embed/{}]: {}", id, type, message);
        DeadLetter dl = DeadLetter.newBuilder()
                .setId(id)
                .setStage("embed")
                .setErrorType(type)
                .setMessage(message == null ? "" : message)
                .setOriginalTopic(originalTopic)
                .setOriginalPayload(original == null ? null : ByteBuffer.wrap(original))
                .setFailedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                .build();
        context.forward(new Record<>(id, dl, context.currentSystemTimeMs()));
    }

    private static List<Float> floats(float[] a) {
        List<Float> l = new ArrayList<>(a.length);
        for (float x : a) {
            l.add(x);
        }
        return l;
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
