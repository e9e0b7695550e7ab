package io.dimstream.streams;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.time.Duration;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * raw → features + embeddings, in one task and one exactly-once transaction. The live path: a raw
 * record is parsed and featurized ({@link FeaturizeStage}; its {@code CrystalFeatures}, or a
 * {@code DeadLetter}, goes out at once), then waits in the batch buffer and is embedded with the serving
 * model ({@link EmbedStage}). The {@link Backfill} of a new model version and the late corpus updates run
 * in the same task over the same stores; outputs go to named children ({@link Outputs}).
 *
 * <p>Stores (all changelogged, so they commit atomically with the output under exactly_once_v2):
 * <ul>
 *   <li>{@code embed-buffer} (in memory + changelog): the <em>raw</em> bytes of records featurized
 *       but not yet embedded. Flushed when it holds {@code batch.size} records or once its oldest
 *       record has waited {@code batch.max.wait.ms} (a wall-clock punctuator checks five times per
 *       period). The featurized crystals themselves are kept in
 *       memory; after a crash the buffer is restored from its changelog, its records are featurized
 *       again and embedded: nothing is lost, and since output and store changes commit together,
 *       nothing is duplicated.</li>
 *   <li>{@code embedded-versions}: id → model version of its latest embedding, so a backfill
 *       never re-embeds an id already embedded with its version (exactly once per version).</li>
 *   <li>{@code backfill-progress}: version being backfilled, last corpus key done, counts; the
 *       backfill resumes from there after a restart.</li>
 *   <li>{@code corpus} (the features table, serialized bytes, read only here): what the backfill
 *       walks.</li>
 * </ul>
 * Live records come first: the punctuation flushes the buffer, and takes a {@link Backfill} step only when
 * no live record is left waiting, sized and spaced by the stream thread's {@link BackfillPacer} (a bounded
 * share of the thread's time while live records flow).
 *
 * <p>While no model serves, records wait in the buffer (up to {@code buffer.max.records}, the rest
 * are left to the backfill) and are embedded when the first model appears.
 *
 * <p>The processor's input is the raw topic merged with the updates of the corpus table, each record
 * tagged with its {@link Input.Kind} where the topology merges them.
 */
final class FeaturizeEmbedProcessor implements Processor<String, FeaturizeEmbedProcessor.Input, String, SpecificRecord> {

    private static final Logger log = LoggerFactory.getLogger(FeaturizeEmbedProcessor.class);

    /** Upper bound of batches embedded by one flush call. */
    static final int MAX_BATCHES_PER_FLUSH = 8;

    /** Settings of the processor, from {@link StreamsAppConfig}. */
    record Settings(int batchSize, long maxWaitMs, int bufferMax, boolean backfillEnabled, long progressIntervalMs,
                    String rawTopic, String featuresTopic) {
    }

    /** One input record: a raw submission, or an update of the corpus table (the features topic). */
    record Input(Kind kind, byte[] bytes) {
        enum Kind { RAW, CORPUS_UPDATE }

        static Input raw(byte[] bytes) {
            return new Input(Kind.RAW, bytes);
        }

        static Input corpusUpdate(byte[] bytes) {
            return new Input(Kind.CORPUS_UPDATE, bytes);
        }
    }

    /**
     * A featurized record waiting for inference; {@code crystal} is null after a restore.
     * {@code bufferedAtMs}: when it entered the buffer (the context's wall clock).
     */
    private record Pending(FeaturizedCrystal crystal, long submittedAtMs, long bufferedAtMs) {
    }

    /** Ticks of the flush punctuator per {@code batch.max.wait.ms}: a record waits at most 1 + 1/TICKS of it. */
    static final int TICKS_PER_MAX_WAIT = 5;

    private final FeaturizeStage stage;
    private final ModelManager models;
    private final Counters counters;
    private final RateLimiter backfillRate;
    private final BackfillStatus backfillStatus;
    private final Settings s;
    private final BackfillPacer.PerThread pacers;
    private RateLimiter.Capped stepLimiter;

    private ProcessorContext<String, SpecificRecord> context;
    private Outputs out;
    private KeyValueStore<String, byte[]> buffer;
    private EmbedStage embed;
    private Backfill backfill;
    /** The buffer's ids in arrival order (the store itself is keyed, not ordered). */
    private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();

    FeaturizeEmbedProcessor(FeaturizeStage stage, ModelManager models, Counters counters, RateLimiter backfillRate,
                            BackfillStatus backfillStatus, Settings settings) {
        this(stage, models, counters, backfillRate, backfillStatus, settings, defaultPacers(settings));
    }

    /**
     * @param pacers the backfill pacing of the stream threads ({@link BackfillPacer}), shared by every
     *               task of the app instance
     */
    FeaturizeEmbedProcessor(FeaturizeStage stage, ModelManager models, Counters counters, RateLimiter backfillRate,
                            BackfillStatus backfillStatus, Settings settings, BackfillPacer.PerThread pacers) {
        this.pacers = pacers;
        this.stage = stage;
        this.models = models;
        this.counters = counters;
        this.backfillRate = backfillRate;
        this.backfillStatus = backfillStatus;
        this.s = settings;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        String taskId = context.taskId().toString();
        this.context = context;
        this.out = new Outputs(context);
        this.buffer = context.getStateStore(TopologyFactory.BUFFER_STORE);
        this.embed = new EmbedStage(out, context.getStateStore(TopologyFactory.EMBEDDED_STORE), counters,
                s.rawTopic(), s.featuresTopic(), buffer::get);
        // the backfill takes its permits through a per-step cap (the pacer sizes each step)
        this.stepLimiter = new RateLimiter.Capped(backfillRate);
        this.backfill = new Backfill(context.getStateStore(TopologyFactory.CORPUS_STORE),
                context.getStateStore(TopologyFactory.BACKFILL_STORE), embed, counters, stepLimiter, backfillStatus,
                taskId, s.featuresTopic(), s.batchSize(), s.progressIntervalMs());
        // The store is the truth, not what this object remembers: Kafka Streams may init the same
        // processor again (a task revived after corruption, a task that went to another instance and
        // came back). What it had pending then may since have been embedded by the other owner, which
        // deleted it from the buffer; embedding it again from memory duplicated it (3-instance
        // kill -9 bench, issue 20). Restored entries are featurized again from the stored raw bytes.
        pending.clear();
        try (KeyValueIterator<String, byte[]> it = buffer.all()) {
            while (it.hasNext()) {
                pending.put(it.next().key, new Pending(null, 0, context.currentSystemTimeMs()));
            }
        }
        if (!pending.isEmpty()) {
            log.info("task {}: {} buffered records restored, will be embedded", taskId, pending.size());
        }
        // live first: the buffer is flushed once its oldest record has waited batch.max.wait.ms (not at
        // every tick: a tick that flushed whatever had arrived kept batches at ~11-16 records under full
        // load, ~10 % more inference per crystal than the ~25-31 now; bench e2e), and only when nothing
        // live is left waiting may the backfill take a step, paced so that it uses a bounded share of
        // the thread (BackfillPacer)
        long tickMs = Math.max(1, s.maxWaitMs() / TICKS_PER_MAX_WAIT);
        context.schedule(Duration.ofMillis(tickMs), PunctuationType.WALL_CLOCK_TIME, ts -> {
            if (oldestPendingOverdue()) {
                flush();
            }
            if (s.backfillEnabled() && pending.isEmpty()) {
                pacedBackfillStep();
            }
        });
    }

    @Override
    public void close() {
        pending.clear(); // the task leaves this thread: its buffer lives on in the store's changelog
    }

    @Override
    public void process(Record<String, Input> record) {
        Input in = record.value();
        switch (in.kind()) {
            case RAW -> raw(record, in.bytes());
            case CORPUS_UPDATE -> corpusUpdated(record.key(), in.bytes());
            default -> throw new IllegalStateException("unknown input kind " + in.kind());
        }
    }

    /** The live path: featurize, send the features (or a dead letter), buffer for the next batch. */
    private void raw(Record<String, Input> record, byte[] value) {
        if (value == null) {
            return; // a tombstone on the raw topic carries nothing to featurize
        }
        FeaturizeStage.Outcome o = stage.process(record.key(), value);
        if (!o.ok()) {
            out.deadLetter(record, o.id(), o.dead());
            return;
        }
        String id = o.id();
        out.features(record, id, o.features());
        counters.inc("embed.in");
        pacers.forCurrentThread().live();
        if (!pending.containsKey(id) && pending.size() >= s.bufferMax() && models.currentVersion().isEmpty()) {
            counters.inc("embed.deferred_to_backfill");
            return;
        }
        pending.remove(id); // a newer submission of a waiting id replaces it, at the end of the queue
        pending.put(id, new Pending(o.crystal(), o.submittedAtMs(), context.currentSystemTimeMs()));
        buffer.put(id, value);
        if (pending.size() >= s.batchSize() || oldestPendingOverdue()) {
            flush(); // a full batch, or one that waited its batch.max.wait.ms: embed now, not at the next tick
        }
    }

    /** A corpus record arrived or changed: the backfill re-embeds it if it has already passed its key. */
    private void corpusUpdated(String id, byte[] features) {
        if (id == null || features == null || pending.containsKey(id) || !s.backfillEnabled()) {
            return;
        }
        // no model yet: the first model's backfill walks the whole corpus
        models.withModel(serving -> {
            backfill.corpusUpdated(serving, id, features);
            return null;
        });
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
            List<EmbedStage.Item> items = new ArrayList<>();
            Iterator<Map.Entry<String, Pending>> it = pending.entrySet().iterator();
            while (it.hasNext() && items.size() < MAX_BATCHES_PER_FLUSH * s.batchSize()) {
                Map.Entry<String, Pending> e = it.next();
                it.remove();
                EmbedStage.Item item = item(e.getKey(), e.getValue());
                if (item != null) {
                    items.add(item);
                }
            }
            embed.embedInBatches(serving, items, s.batchSize(), false);
            for (EmbedStage.Item item : items) {
                buffer.delete(item.id());
            }
            return null;
        });
    }

    /** The item to embed for a pending id; a record restored after a restart is featurized again. */
    private EmbedStage.Item item(String id, Pending p) {
        if (p.crystal() != null) {
            return new EmbedStage.Item(id, p.crystal(), p.submittedAtMs());
        }
        byte[] raw = buffer.get(id);
        if (raw == null) {
            return null;
        }
        FeaturizeStage.Outcome o = stage.reprocess(id, raw);
        if (!o.ok()) { // cannot happen for a record that passed before, unless the featurizer changed
            out.deadLetter(id, o.dead(), out.now());
            buffer.delete(id);
            return null;
        }
        return new EmbedStage.Item(id, o.crystal(), o.submittedAtMs());
    }

    /** True when the oldest buffered record has waited at least {@code batch.max.wait.ms}. */
    private boolean oldestPendingOverdue() {
        if (pending.isEmpty()) {
            return false;
        }
        Pending oldest = pending.values().iterator().next();
        return context.currentSystemTimeMs() - oldest.bufferedAtMs() >= s.maxWaitMs();
    }

    /**
     * One backfill step as the punctuator runs it: only when this stream thread's pacer has credit
     * (bounded share of the thread's time while live records flow), with as many items as fit in the
     * pacer's step duration.
     */
    void pacedBackfillStep() {
        BackfillPacer pacer = pacers.forCurrentThread();
        if (!pacer.mayStep()) {
            counters.inc("backfill.yielded");
            return;
        }
        stepLimiter.begin(pacer.itemsForStep());
        pacer.stepStarted();
        try {
            backfillStep0();
        } finally {
            pacer.stepDone(stepLimiter.taken());
            stepLimiter.begin(Integer.MAX_VALUE);
        }
    }

    /** One step of the backfill of the serving version, unpaced (no-op without a model). */
    void backfillStep() {
        stepLimiter.begin(Integer.MAX_VALUE);
        backfillStep0();
    }

    private static BackfillPacer.PerThread defaultPacers(Settings s) {
        return new BackfillPacer.PerThread(0.5, 50, s.maxWaitMs(), 4 * s.batchSize());
    }

    private void backfillStep0() {
        models.withModel(serving -> {
            backfill.step(serving, pending::containsKey);
            return null;
        });
    }
}
