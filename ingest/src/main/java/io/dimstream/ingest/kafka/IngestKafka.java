package io.dimstream.ingest.kafka;

import io.dimstream.core.LogSafe;
import io.dimstream.core.kafka.TopicReadiness;
import io.dimstream.core.kafka.Topics;
import io.dimstream.ingest.RecordLimit;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Kafka wiring shared by the ingest command and tests. */
public final class IngestKafka {
    private static final Logger LOG = LoggerFactory.getLogger(IngestKafka.class);

    private IngestKafka() {
    }

    /** Creates the raw and labels topics when missing (core's Topics specs) and waits until they take writes. */
    public static void ensureTopics(Map<String, Object> clientProps, Topics topics, int partitions) {
        try (Admin admin = Admin.create(adminProps(clientProps))) {
            List<Topics.TopicSpec> specs = topics.specs(partitions).stream()
                    .filter(s -> s.name().equals(topics.raw()) || s.name().equals(topics.labels())).toList();
            Topics.ensure(admin, specs, Optional.empty());
            TopicReadiness.await(admin, List.of(topics.raw(), topics.labels()), Duration.ofSeconds(60));
        }
    }

    private static Map<String, Object> adminProps(Map<String, Object> clientProps) {
        Map<String, Object> a = new HashMap<>(clientProps);
        a.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(k));
        return a;
    }

    /**
     * The largest record the sinks send to {@code topic}: the producer's {@code max.request.size} (the
     * sinks' default 8 MiB unless the user sets it), or the topic's {@code max.message.bytes} when that is
     * smaller (the broker's {@code message.max.bytes} unless the topic overrides it). When the topic
     * config cannot be read, the producer limit alone.
     */
    static RecordLimit recordLimit(Map<String, Object> clientProps, String topic) {
        Map<String, Object> p = KafkaSubmissionSink.producerProps(clientProps);
        long limit = Long.parseLong(String.valueOf(p.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)).trim());
        String source = "producer max.request.size";
        try (Admin admin = Admin.create(adminProps(clientProps))) {
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config c = admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS).get(res);
            ConfigEntry e = c == null ? null : c.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (e != null && e.value() != null && Long.parseLong(e.value()) < limit) {
                limit = Long.parseLong(e.value());
                source = "topic " + topic + " max.message.bytes";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.info("cannot read the config of topic {} ({}); record size limit from the producer only", topic, LogSafe.escape(e));
        }
        return new RecordLimit(limit, source);
    }
}
