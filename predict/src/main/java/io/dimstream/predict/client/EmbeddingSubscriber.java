package io.dimstream.predict.client;

import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalEmbedding;
import java.util.HashMap;
import java.util.Map;

/**
 * Consumes {@link CrystalEmbedding}s of the latest model version:
 *
 * <pre>{@code
 * try (EmbeddingSubscriber sub = EmbeddingSubscriber.builder("127.0.0.1:9092")
 *         .groupId("my-service").modelName("dim-sitenet").build()) {
 *     while (running) {
 *         for (CrystalEmbedding e : sub.poll(Duration.ofSeconds(1))) {
 *             float first = e.getEmbedding().get(0);   // id, embedding, modelVersion, ...
 *         }
 *     }
 * }
 * }</pre>
 */
public final class EmbeddingSubscriber extends VersionedSubscriber<CrystalEmbedding> {

    private EmbeddingSubscriber(Builder b) {
        super(b.props, b.topic, CrystalEmbedding.class, CrystalEmbedding::getModelVersion, b.registryTopic, b.modelName);
    }

    public static Builder builder(String bootstrapServers) {
        return new Builder(bootstrapServers);
    }

    /** Options; anything else goes in as a Kafka consumer property. */
    public static final class Builder {
        final Map<String, Object> props = new HashMap<>();
        String topic = Topics.DEFAULTS.get(Topics.EMBEDDINGS_CONFIG);
        String registryTopic = Topics.DEFAULTS.get(Topics.MODELS_REGISTRY_CONFIG);
        String modelName;

        Builder(String bootstrapServers) {
            props.put("bootstrap.servers", bootstrapServers);
        }

        /** Consumer group: offsets are kept, instances share partitions. Without it every run reads from the start. */
        public Builder groupId(String groupId) {
            props.put("group.id", groupId);
            return this;
        }

        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /** Only versions of this model name count when reading the registry (default: any). */
        public Builder modelName(String modelName) {
            this.modelName = modelName;
            return this;
        }

        /** Registry topic to learn the promoted version from at start; null to follow the stream only. */
        public Builder registryTopic(String registryTopic) {
            this.registryTopic = registryTopic;
            return this;
        }

        public Builder property(String key, Object value) {
            props.put(key, value);
            return this;
        }

        public EmbeddingSubscriber build() {
            return new EmbeddingSubscriber(this);
        }
    }
}
