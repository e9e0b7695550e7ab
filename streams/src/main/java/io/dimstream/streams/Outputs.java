package io.dimstream.streams;

import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.DeadLetter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The featurize-embed processor's three outputs, each a named child (a sink added by
 * {@link TopologyFactory}): every record is sent to its topic by name, never picked out by type.
 */
final class Outputs {

    static final String FEATURES = "features-sink";
    static final String EMBEDDINGS = "embeddings-sink";
    static final String DLQ = "dlq-sink";

    private final ProcessorContext<String, SpecificRecord> context;

    Outputs(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
    }

    /** The features of {@code input} (its timestamp and headers kept). */
    void features(Record<String, ?> input, String id, CrystalFeatures f) {
        context.forward(input.withKey(id).withValue(f), FEATURES);
    }

    void embedding(String id, CrystalEmbedding e, long timestamp) {
        context.forward(new Record<>(id, e, timestamp), EMBEDDINGS);
    }

    void deadLetter(String id, DeadLetter dl, long timestamp) {
        context.forward(new Record<>(id, dl, timestamp), DLQ);
    }

    /** The dead letter of {@code input} (its timestamp and headers kept). */
    void deadLetter(Record<String, ?> input, String id, DeadLetter dl) {
        context.forward(input.withKey(id).withValue(dl), DLQ);
    }

    /** Wall-clock time of the task (the timestamp of punctuation-time output). */
    long now() {
        return context.currentSystemTimeMs();
    }
}
