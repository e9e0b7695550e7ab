package io.dimstream.streams;

import io.dimstream.core.LogSafe;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.schemas.ModelVersion;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code models.registry} into the global {@code models} store (every instance sees every
 * model record) and offers each record of the followed model to the {@link ModelManager}, whose
 * loader thread verifies, loads and swaps it. Records are keyed per version ({@code name@version},
 * {@link ModelRecords#registryKey}; plain {@code name} keys of older releases are read too), so the
 * compacted topic and the restored store hold every version: on start they are handed over together, and
 * the manager serves the highest PROMOTED one that verifies (a rejected newest record falls back to the
 * one below it; an older record never replaces a newer serving one; a version republished RETIRED is
 * withdrawn, see {@code dimstream model rollback}; a tombstone removes a version).
 */
final class ModelRegistryProcessor implements Processor<String, byte[], Void, Void> {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistryProcessor.class);

    private final ModelManager models;
    private final Counters counters;
    private final AvroSerde<ModelVersion> serde = AvroSerde.of(ModelVersion.class);
    private KeyValueStore<String, byte[]> store;

    ModelRegistryProcessor(ModelManager models, Counters counters) {
        this.models = models;
        this.counters = counters;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(TopologyFactory.MODELS_STORE);
        List<ModelVersion> restored = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                decode(kv.key, kv.value).ifPresent(restored::add);
            }
        }
        restored.sort(Comparator.comparingInt(ModelVersion::getVersion));
        if (!restored.isEmpty()) {
            log.info("model registry: {} record(s) of {} restored (versions {}); serving the highest PROMOTED one "
                    + "that verifies", restored.size(), models.modelName(),
                    restored.stream().map(r -> r.getVersion() + (r.getStatus() == io.dimstream.schemas.ModelStatus.PROMOTED
                            ? "" : " " + r.getStatus())).toList());
            models.offerAll(restored);
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            versionOfKey(record.key()).ifPresent(models::removed);
            return;
        }
        store.put(record.key(), record.value());
        offer(record.key(), record.value());
    }

    private void offer(String key, byte[] value) {
        decode(key, value).ifPresent(models::offer);
    }

    /** The version of a {@code name@version} key of the followed model. */
    private Optional<Integer> versionOfKey(String key) {
        int at = key.lastIndexOf('@');
        if (at < 0 || !models.modelName().equals(ModelRecords.modelNameOfKey(key))) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(key.substring(at + 1)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The record, when its key names the followed model and it decodes (else counted and logged). */
    private Optional<ModelVersion> decode(String key, byte[] value) {
        if (key == null || value == null || !models.modelName().equals(ModelRecords.modelNameOfKey(key))) {
            return Optional.empty();
        }
        try {
            return Optional.of(serde.fromBytes(value));
        } catch (RuntimeException e) {
            counters.inc("models.rejected.undecodable");
            counters.inc("models.rejected");
            log.warn("model record for {} rejected (undecodable): {}", LogSafe.escape(key), LogSafe.escape(e.getMessage()));
            return Optional.empty();
        }
    }
}
