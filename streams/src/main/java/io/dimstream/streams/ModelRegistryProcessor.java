package io.dimstream.streams;

import io.dimstream.core.LogSafe;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.ModelVersion;
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
 * loader thread verifies, loads and swaps it. On start, the restored store's latest record is offered.
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
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                offer(kv.key, kv.value);
            }
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            return;
        }
        store.put(record.key(), record.value());
        offer(record.key(), record.value());
    }

    private void offer(String key, byte[] value) {
        if (!models.modelName().equals(key)) {
            return;
        }
        ModelVersion mv;
        try {
            mv = serde.fromBytes(value);
        } catch (RuntimeException e) {
            counters.inc("models.rejected.undecodable");
            counters.inc("models.rejected");
            log.warn("model record for {} rejected (undecodable): {}", LogSafe.escape(key), LogSafe.escape(e.getMessage()));
            return;
        }
        models.offer(mv);
    }
}
