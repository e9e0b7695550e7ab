package io.dimstream.core.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * What the typed configurations of the Kafka services (streams app, trainer) share: the topic-name
 * and topic-creation fields, loading a properties file with command-line overrides, and passing
 * every key that is not one of the service's own fields straight to the Kafka clients (security
 * settings, {@code producer.*}, {@code num.stream.threads}, ...).
 */
public abstract class ServiceConfig extends AbstractConfig {

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String TOPICS_CREATE = "topics.create";
    public static final String TOPICS_PARTITIONS = "topics.partitions";
    public static final String TOPICS_READY_TIMEOUT_MS = "topics.ready.timeout.ms";

    private final ConfigDef definition;

    protected ServiceConfig(ConfigDef definition, Map<?, ?> props) {
        super(definition, props, false);
        this.definition = definition;
    }

    /** Defines {@code topics.create}, {@code topics.partitions} and {@code topics.ready.timeout.ms}. */
    protected static ConfigDef defineTopicCreation(ConfigDef d, String service) {
        return d.define(TOPICS_CREATE, Type.BOOLEAN, true, Importance.LOW,
                        "Create missing dimstream topics at start (needs CreateTopics permission).")
                .define(TOPICS_PARTITIONS, Type.INT, 3, Range.atLeast(1), Importance.LOW,
                        "Partitions of data topics created by the " + service + ".")
                .define(TOPICS_READY_TIMEOUT_MS, Type.LONG, 60_000L, Range.atLeast(1), Importance.LOW,
                        "At start, wait at most this long for every topic the " + service + " uses to have leaders "
                                + "for all partitions; fail with topics_not_ready after.");
    }

    /** Defines one {@code topics.*} name field per dimstream topic ({@link Topics#DEFAULTS}). */
    protected static ConfigDef defineTopicNames(ConfigDef d) {
        for (Map.Entry<String, String> e : Topics.DEFAULTS.entrySet()) {
            d.define(e.getKey(), Type.STRING, e.getValue(), new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Topic name (" + e.getKey().substring("topics.".length()) + ").");
        }
        return d;
    }

    /** A properties file's entries (values trimmed; none without a file), then {@code overrides}. */
    public static Map<String, Object> read(Path file, Map<String, String> overrides) throws IOException {
        Map<String, Object> m = new HashMap<>();
        if (file != null) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
            p.forEach((k, v) -> m.put(k.toString(), v.toString().trim()));
        }
        m.putAll(overrides);
        return m;
    }

    public Topics topics() {
        return Topics.from(values());
    }

    /** Every original key that is not a field of this service (Kafka client and Streams settings). */
    public Map<String, Object> passThrough() {
        Map<String, Object> m = new HashMap<>();
        originals().forEach((k, v) -> {
            if (!definition.names().contains(k) && v != null) {
                m.put(k, v);
            }
        });
        return m;
    }
}
