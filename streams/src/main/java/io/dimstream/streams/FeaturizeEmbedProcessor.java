package io.dimstream.streams;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.DeadLetter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * features → embeddings, batched, exactly once, with backfill on promotion.
 *
 * <p>Stores (all changelogged, so they commit atomically with the output under exactly_once_v2):
 * <ul>
 *   <li>{@code embed-buffer}: features waiting for a batch. Flushed when it holds
 *       {@code batch.size} records or by the wall-clock punctuator every {@code batch.max.wait.ms}.
 *       A crash loses nothing: the buffer is restored and flushed after restart.</li>
 *   <li>{@code embedded-versions}: id → highest model version that embedded it, so a backfill
 *       never re-embeds an id already embedded with its version (exactly once per version).</li>
 *   <li>{@code backfill-progress}: version being backfilled, last corpus key done, counts; the
 *       backfill resumes from there after a restart.</li>
 *   <li>{@code corpus} (the features table, read only here): what the backfill walks.</li>
 * </ul>
 * While no model serves, records wait in the buffer (up to {@code buffer.max.records}, the rest
 * are left to the backfill) and are embedded when the first model appears.
 */
final class EmbedProcessor implements Processor<String, CrystalFeatures, String, SpecificRecord> {

    private static final Logger log = LoggerFactory.getLogger(EmbedProcessor.class);
    private static final String PROGRESS_KEY = "progress";

    private final ModelManager models;
    private final Counters counters;
    private final RateLimiter backfillRate;
    private final BackfillStatus backfillStatus;
    private final int batchSize;
    private final long maxWaitMs;
    private final int bufferMax;
    private final boolean backfillEnabled;
    private final long progressIntervalMs;
    private final String featuresTopic;

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, CrystalFeatures> buffer;
    private KeyValueStore<String, Integer> embedded;
    private KeyValueStore<String, String> progressStore;
    private TimestampedKeyValueStore<String, CrystalFeatures> corpus;
    private int buffered;
    private String taskId;
    private long lastProgressLog;

    EmbedProcessor(ModelManager models, Counters counters, RateLimiter backfillRate, BackfillStatus backfillStatus,
                   int batchSize, long maxWaitMs, int bufferMax, boolean backfillEnabled, long progressIntervalMs,
                   String featuresTopic) {
        this.models = models;
        this.counters = counters;
        this.backfillRate = backfillRate;
        this.backfillStatus = backfillStatus;
        this.batchSize = batchSize;
        this.maxWaitMs = maxWaitMs;
        this.bufferMax = bufferMax;
        this.backfillEnabled = backfillEnabled;
        this.progressIntervalMs = progressIntervalMs;
        this.featuresTopic = featuresTopic;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.taskId = context.taskId().toString();
        this.buffer = context.getStateStore(TopologyFactory.BUFFER_STORE);
        this.embedded = context.getStateStore(TopologyFactory.EMBEDDED_STORE);
        this.progressStore = context.getStateStore(TopologyFactory.BACKFILL_STORE);
        this.corpus = context.getStateStore(TopologyFactory.CORPUS_STORE);
        try (KeyValueIterator<String, CrystalFeatures> it = buffer.all()) {
            while (it.hasNext()) {
                it.next();
                buffered++;
            }
        }
        if (buffered > 0) {
            log.info("task {}: {} buffered records restored, will be embedded", taskId, buffered);
        }
        context.schedule(Duration.ofMillis(maxWaitMs), PunctuationType.WALL_CLOCK_TIME, ts -> {
            flush();
            if (backfillEnabled && buffered < batchSize) {
                backfillStep();
            }
        });
    }

    @Override
    public void process(Record<String, CrystalFeatures> record) {
        String id = record.key();
        CrystalFeatures f = record.value();
        if (id == null) {
            return;
        }
        if (f == null) { // tombstone: structure withdrawn
            if (buffer.delete(id) != null) {
                buffered--;
            }
            return;
        }
        counters.inc("embed.in");
        if (buffer.get(id) == null) {
            if (models.currentVersion().isEmpty() && buffered >= bufferMax) {
                counters.inc("embed.deferred_to_backfill");
                return;
            }
            buffered++;
        }
        buffer.put(id, f);
        if (buffered >= batchSize) {
            flush();
        }
    }

    /**
     * Embeds what is buffered, in batches, with the serving model (no-op without one). At most
     * {@link #MAX_BATCHES_PER_FLUSH} batches per call, so one punctuation stays well inside the
     * transaction timeout; the rest waits for the next tick.
     */
    void flush() {
        if (buffered <= 0) {
            return;
        }
        models.withModel(serving -> {
            List<KeyValue<String, CrystalFeatures>> all = new ArrayList<>();
            try (KeyValueIterator<String, CrystalFeatures> it = buffer.all()) {
                while (it.hasNext() && all.size() < MAX_BATCHES_PER_FLUSH * batchSize) {
                    all.add(it.next());
                }
            }
            for (int i = 0; i < all.size(); i += batchSize) {
                List<KeyValue<String, CrystalFeatures>> chunk = all.subList(i, Math.min(all.size(), i + batchSize));
                embedAndForward(serving, chunk, false);
                for (KeyValue<String, CrystalFeatures> kv : chunk) {
                    buffer.delete(kv.key);
                }
            }
            buffered = Math.max(0, buffered - all.size());
            return null;
        });
    }

    /** Upper bound of batches embedded by one flush call. */
    static final int MAX_BATCHES_PER_FLUSH = 8;

    /** One bounded step of the backfill of the serving version over this task's corpus partition. */
    void backfillStep() {
        models.withModel(serving -> {
            int v = serving.version();
            Progress p = Progress.parse(progressStore.get(PROGRESS_KEY));
            if (p.version > v || p.version == v && p.done) {
                return null;
            }
            if (p.version < v) {
                p = new Progress(v, null, 0, 0, false);
                progressStore.put(PROGRESS_KEY, p.format());
                log.info("task {}: backfill of model v{} starts over ~{} corpus records", taskId, v,
                        corpus.approximateNumEntries());
            }
            int budget = backfillRate.acquireUpTo(batchSize * 4);
            if (budget == 0) {
                return null;
            }
            int maxScan = budget * 8;
            List<KeyValue<String, CrystalFeatures>> todo = new ArrayList<>();
            String lastKey = p.lastKey;
            boolean exhausted = true;
            int scanned = 0;
            try (KeyValueIterator<String, ValueAndTimestamp<CrystalFeatures>> it = corpus.range(p.lastKey, null)) {
                while (it.hasNext()) {
                    if (todo.size() >= budget || scanned >= maxScan) {
                        exhausted = false;
                        break;
                    }
                    KeyValue<String, ValueAndTimestamp<CrystalFeatures>> kv = it.next();
                    if (kv.key.equals(p.lastKey)) {
                        continue; // range start is inclusive; lastKey was done
                    }
                    scanned++;
                    lastKey = kv.key;
                    CrystalFeatures f = kv.value == null ? null : kv.value.value();
                    if (f == null || buffer.get(kv.key) != null) {
                        continue; // buffered ids are embedded by the live path
                    }
                    Integer done = embedded.get(kv.key);
                    if (done != null && done >= v) {
                        continue;
                    }
                    todo.add(KeyValue.pair(kv.key, f));
                }
            }
            if (todo.size() < budget) {
                backfillRate.giveBack(budget - todo.size());
            }
            for (int i = 0; i < todo.size(); i += batchSize) {
                embedAndForward(serving, todo.subList(i, Math.min(todo.size(), i + batchSize)), true);
            }
            counters.add("backfill.embedded", todo.size());
            counters.add("backfill.scanned", scanned);
            p = new Progress(v, lastKey, p.embedded + todo.size(), p.scanned + scanned, exhausted);
            progressStore.put(PROGRESS_KEY, p.format());
            backfillStatus.update(taskId, new BackfillStatus.TaskProgress(v, p.embedded, p.scanned,
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
            return null;
        });
    }

    private void embedAndForward(ModelManager.Serving serving, List<KeyValue<String, CrystalFeatures>> chunk,
                                 boolean backfill) {
        int v = serving.version();
        List<FeaturizedCrystal> inputs = new ArrayList<>(chunk.size());
        List<KeyValue<String, CrystalFeatures>> ok = new ArrayList<>(chunk.size());
        for (KeyValue<String, CrystalFeatures> kv : chunk) {
            CrystalFeatures f = kv.value;
            if (f.getFeaturizerVersion() != serving.encoder().featurizerVersion()) {
                dead(kv.key, f, "featurizer_version", "features made by featurizer v" + f.getFeaturizerVersion()
                        + ", model v" + v + " expects v" + serving.encoder().featurizerVersion());
                continue;
            }
            try {
                inputs.add(FeaturizedCrystal.fromAvro(f));
                ok.add(kv);
            } catch (IllegalArgumentException e) {
                dead(kv.key, f, "invalid_features", e.getMessage());
            }
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
                for (KeyValue<String, CrystalFeatures> kv : ok) {
                    embedAndForward(serving, List.of(kv), backfill);
                }
                return;
            }
            dead(ok.get(0).key, ok.get(0).value, "inference_failed", e.getMessage());
            return;
        }
        counters.add("embed.batches", 1);
        counters.add("embed.inference_nanos", System.nanoTime() - t0);
        long now = context.currentSystemTimeMs();
        for (int i = 0; i < ok.size(); i++) {
            CrystalFeatures f = ok.get(i).value;
            String id = ok.get(i).key;
            CrystalEmbedding e = CrystalEmbedding.newBuilder()
                    .setId(id)
                    .setEmbedding(floats(out[i]))
                    .setModelName(serving.encoder().modelName())
                    .setModelVersion(v)
                    .setFeaturizerVersion(f.getFeaturizerVersion())
                    .setBackfill(backfill)
                    .setSubmittedAt(f.getSubmittedAt() == null ? Instant.EPOCH : f.getSubmittedAt())
                    .setEmbeddedAt(Instant.ofEpochMilli(now))
                    .build();
            context.forward(new Record<>(id, e, now));
            Integer prev = embedded.get(id);
            if (prev == null || prev < v) {
                embedded.put(id, v);
            }
        }
        counters.add(backfill ? "embeddings.out.backfill" : "embeddings.out.live", ok.size());
    }

    private void dead(String id, CrystalFeatures f, String type, String message) {
        counters.inc("dlq.embed." + type);
        log.warn("dead letter {} [embed/{}]: {}", id, type, message);
        DeadLetter dl = DeadLetter.newBuilder()
                .setId(id)
                .setStage("embed")
                .setErrorType(type)
                .setMessage(message == null ? "" : message)
                .setOriginalTopic(featuresTopic)
                .setOriginalPayload(null)
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
