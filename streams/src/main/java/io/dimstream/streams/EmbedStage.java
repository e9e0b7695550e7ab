package io.dimstream.streams;

import io.dimstream.core.LogSafe;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds batches with the serving model and writes the results: a {@code CrystalEmbedding} per
 * structure (and its version into {@code embedded-versions}), or an {@code embed} dead letter. Shared by
 * the live path ({@link FeaturizeEmbedProcessor}) and the {@link Backfill}; one instance per task.
 */
final class EmbedStage {

    private static final Logger log = LoggerFactory.getLogger(EmbedStage.class);

    /** One structure to embed. */
    record Item(String id, FeaturizedCrystal crystal, long submittedAtMs) {
    }

    private final Outputs out;
    private final KeyValueStore<String, Integer> embedded;
    private final Counters counters;
    private final String rawTopic;
    private final String featuresTopic;
    private final Function<String, byte[]> bufferedRaw;

    /**
     * @param bufferedRaw the raw bytes of a live record still in the buffer (the payload of its dead letter)
     */
    EmbedStage(Outputs out, KeyValueStore<String, Integer> embedded, Counters counters, String rawTopic,
               String featuresTopic, Function<String, byte[]> bufferedRaw) {
        this.out = out;
        this.embedded = embedded;
        this.counters = counters;
        this.rawTopic = rawTopic;
        this.featuresTopic = featuresTopic;
        this.bufferedRaw = bufferedRaw;
    }

    /** The model version of {@code id}'s latest embedding, or null. */
    Integer embeddedVersion(String id) {
        return embedded.get(id);
    }

    /** Embeds {@code items} in chunks of {@code batchSize}. */
    void embedInBatches(ModelManager.Serving serving, List<Item> items, int batchSize, boolean backfill) {
        for (int i = 0; i < items.size(); i += batchSize) {
            embed(serving, items.subList(i, Math.min(items.size(), i + batchSize)), backfill);
        }
    }

    /** One inference call; a failing batch is retried record by record to isolate the bad one(s). */
    void embed(ModelManager.Serving serving, List<Item> chunk, boolean backfill) {
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
        float[][] vectors;
        long t0 = System.nanoTime();
        try {
            vectors = serving.encoder().embed(inputs);
        } catch (RuntimeException e) {
            if (inputs.size() > 1) { // isolate the bad record(s)
                for (Item item : ok) {
                    embed(serving, List.of(item), backfill);
                }
                return;
            }
            deadItem(ok.get(0), backfill, "inference_failed", e.getMessage());
            return;
        }
        counters.add("embed.batches", 1);
        counters.add("embed.inference_nanos", System.nanoTime() - t0);
        long now = out.now();
        String modelName = serving.encoder().modelName();
        for (int i = 0; i < ok.size(); i++) {
            Item item = ok.get(i);
            CrystalEmbedding e = CrystalEmbedding.newBuilder()
                    .setId(item.id())
                    .setEmbedding(floats(vectors[i]))
                    .setModelName(modelName)
                    .setModelVersion(v)
                    .setFeaturizerVersion(item.crystal().featurizerVersion())
                    .setBackfill(backfill)
                    .setSubmittedAt(Instant.ofEpochMilli(item.submittedAtMs()))
                    .setEmbeddedAt(Instant.ofEpochMilli(now))
                    .build();
            out.embedding(item.id(), e, now);
            embedded.put(item.id(), v); // the latest embedding's version (lower after a rollback)
        }
        counters.add(backfill ? "embeddings.out.backfill" : "embeddings.out.live", ok.size());
    }

    private void deadItem(Item item, boolean backfill, String type, String message) {
        if (backfill) {
            dead(item.id(), type, message, featuresTopic, null);
        } else {
            dead(item.id(), type, message, rawTopic, bufferedRaw.apply(item.id()));
        }
    }

    /** An {@code embed} dead letter for a record of {@code originalTopic}. */
    void dead(String id, String type, String message, String originalTopic, byte[] original) {
        counters.inc("dlq.embed." + type);
        log.warn("dead letter {} [embed/{}]: {}", LogSafe.escape(id), type, LogSafe.escape(message));
        long now = out.now();
        DeadLetter dl = DeadLetter.newBuilder()
                .setId(id)
                .setStage("embed")
                .setErrorType(type)
                .setMessage(message == null ? "" : message)
                .setOriginalTopic(originalTopic)
                .setOriginalPayload(original == null ? null : ByteBuffer.wrap(original))
                .setFailedAt(Instant.ofEpochMilli(now))
                .build();
        out.deadLetter(id, dl, now);
    }

    private static List<Float> floats(float[] a) {
        List<Float> l = new ArrayList<>(a.length);
        for (float x : a) {
            l.add(x);
        }
        return l;
    }
}
