package io.dimstream.predict.client;

import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.Prediction;
import java.util.HashMap;
import java.util.Map;

/** Consumes {@link Prediction}s made on the latest model version (see {@link EmbeddingSubscriber}). */
public final class PredictionSubscriber extends VersionedSubscriber<Prediction> {

    private PredictionSubscriber(Map<String, Object> props, String topic, String registryTopic, String modelName) {
        super(props, topic, Prediction.class, Prediction::getModelVersion, registryTopic, modelName);
    }

    /** A subscriber to {@code crystals.predictions}; {@code groupId} may be null. */
    public static PredictionSubscriber create(String bootstrapServers, String groupId, Map<String, Object> extra) {
        Map<String, Object> p = new HashMap<>(extra == null ? Map.of() : extra);
        p.put("bootstrap.servers", bootstrapServers);
        if (groupId != null) {
            p.put("group.id", groupId);
        }
        return new PredictionSubscriber(p, Topics.DEFAULTS.get(Topics.PREDICTIONS_CONFIG),
                Topics.DEFAULTS.get(Topics.MODELS_REGISTRY_CONFIG), null);
    }
}
