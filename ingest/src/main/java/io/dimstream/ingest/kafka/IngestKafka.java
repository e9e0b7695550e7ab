package io.dimstream.ingest.kafka;

import io.dimstream.core.kafka.TopicReadiness;
import io.dimstream.core.kafka.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Kafka wiring shared by the ingest command and tests. */
public final class IngestKafka {
    private IngestKafka() {
    }

    /** Creates the raw and labels topics when missing (core's Topics specs) and waits until they take writes. */
    public static void ensureTopics(Map<String, Object> clientProps, Topics topics, int partitions) {
        Map<String, Object> a = new HashMap<>(clientProps);
        a.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(k));
        try (Admin admin = Admin.create(a)) {
            List<Topics.TopicSpec> specs = topics.specs(partitions).stream()
                    .filter(s -> s.name().equals(topics.raw()) || s.name().equals(topics.labels())).toList();
            Topics.ensure(admin, specs, Optional.empty());
            TopicReadiness.await(admin, List.of(topics.raw(), topics.labels()), Duration.ofSeconds(60));
        }
    }
}
