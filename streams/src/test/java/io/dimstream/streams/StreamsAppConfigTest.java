package io.dimstream.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** The Kafka Streams properties the app derives from its typed fields: failover settings (issue 16). */
class StreamsAppConfigTest {

    static StreamsAppConfig cfg(Map<String, String> extra) {
        Map<String, String> m = new HashMap<>();
        m.put(StreamsAppConfig.STATE_DIR, "/var/lib/dimstream/state-a");
        m.putAll(extra);
        return new StreamsAppConfig(m);
    }

    @Test
    void defaultsGiveStaticMembershipAShortSessionAndAStandby() {
        Properties p = cfg(Map.of()).kafkaStreamsProperties();
        String id = (String) p.get("group.instance.id");
        assertTrue(id.matches("[A-Za-z0-9._-]+-[0-9a-f]{8}"), id);
        assertEquals(10_000, p.get("session.timeout.ms"));
        assertEquals(2_000, p.get("heartbeat.interval.ms"));
        assertEquals(1, p.get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG));
        assertEquals(2, p.get(StreamsConfig.MAX_WARMUP_REPLICAS_CONFIG));
        assertEquals(10_000L, p.get(StreamsConfig.ACCEPTABLE_RECOVERY_LAG_CONFIG));
        assertEquals(60_000L, p.get(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG));
        assertEquals(5_000, p.get(StreamsConfig.producerPrefix("transaction.timeout.ms")));
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        // the dimstream-only fields do not leak to Kafka
        assertNull(p.get(StreamsAppConfig.INSTANCE_ID));
        assertNull(p.get(StreamsAppConfig.STATIC_MEMBERSHIP));
        assertNull(p.get(StreamsAppConfig.LEAVE_GROUP_ON_CLOSE));
        assertNull(p.get(StreamsAppConfig.BACKFILL_MAX_SHARE));
        // and Kafka Streams accepts the whole set
        StreamsConfig sc = new StreamsConfig(p);
        assertEquals(1, sc.getInt(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG));
        assertEquals(id + "-1", sc.getMainConsumerConfigs("g", "c", 1).get("group.instance.id"),
                "Kafka Streams names each stream thread's member instance.id-<thread>");
        assertEquals(10_000, sc.getMainConsumerConfigs("g", "c", 1).get("session.timeout.ms"));
        assertEquals(5_000, sc.getProducerConfigs("c").get("transaction.timeout.ms"));
    }

    @Test
    void theDefaultInstanceIdIsStablePerStateDirAndDiffersBetweenDirs() {
        String a1 = cfg(Map.of()).instanceId();
        String a2 = cfg(Map.of()).instanceId();
        String b = cfg(Map.of(StreamsAppConfig.STATE_DIR, "/var/lib/dimstream/state-b")).instanceId();
        String otherApp = cfg(Map.of(StreamsAppConfig.APPLICATION_ID, "other")).instanceId();
        assertEquals(a1, a2, "a restart from the same state dir rejoins as the same member");
        assertNotEquals(a1, b);
        assertNotEquals(a1, otherApp);
        // relative and absolute spellings of one directory are the same instance
        String rel = cfg(Map.of(StreamsAppConfig.STATE_DIR, "some/dir")).instanceId();
        String abs = cfg(Map.of(StreamsAppConfig.STATE_DIR, Path.of("some/dir").toAbsolutePath().toString()))
                .instanceId();
        assertEquals(rel, abs);
        assertEquals(a1.substring(a1.length() - 8), StreamsAppConfig.shortHash("dimstream-streams\n"
                + "/var/lib/dimstream/state-a"));
    }

    @Test
    void anExplicitInstanceIdIsUsedAndSanitized() {
        Properties p = cfg(Map.of(StreamsAppConfig.INSTANCE_ID, "node 7/a")).kafkaStreamsProperties();
        assertEquals("node_7_a", p.get("group.instance.id"));
    }

    @Test
    void staticMembershipCanBeTurnedOffAndIsOffWithTheStreamsProtocol() {
        assertNull(cfg(Map.of(StreamsAppConfig.STATIC_MEMBERSHIP, "false")).kafkaStreamsProperties()
                .get("group.instance.id"));
        StreamsAppConfig streamsProtocol = cfg(Map.of("group.protocol", "streams"));
        assertFalse(streamsProtocol.staticMembership());
        assertNull(streamsProtocol.kafkaStreamsProperties().get("group.instance.id"),
                "Kafka Streams refuses group.instance.id with group.protocol=streams");
    }

    @Test
    void typedFieldsAndHandSetKafkaKeysBothWin() {
        Properties p = cfg(Map.of(StreamsAppConfig.SESSION_TIMEOUT_MS, "30000",
                StreamsAppConfig.HEARTBEAT_INTERVAL_MS, "5000", StreamsAppConfig.NUM_STANDBY_REPLICAS, "0",
                StreamsAppConfig.TRANSACTION_TIMEOUT_MS, "20000", "producer.transaction.timeout.ms", "30000",
                "group.instance.id", "by-hand", "num.stream.threads", "3")).kafkaStreamsProperties();
        assertEquals(30_000, p.get("session.timeout.ms"));
        assertEquals(5_000, p.get("heartbeat.interval.ms"));
        assertEquals(0, p.get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG));
        assertEquals("30000", p.get("producer.transaction.timeout.ms"), "a prefixed Kafka key set by hand wins");
        assertEquals("by-hand", p.get("group.instance.id"));
        assertEquals("3", p.get("num.stream.threads"));
    }

    @Test
    void invalidFailoverSettingsAreRefused() {
        assertThrows(ConfigException.class, () -> cfg(Map.of(StreamsAppConfig.SESSION_TIMEOUT_MS, "6000",
                StreamsAppConfig.HEARTBEAT_INTERVAL_MS, "3000")), "heartbeat above a third of the session");
        assertThrows(ConfigException.class, () -> cfg(Map.of(StreamsAppConfig.PROBING_REBALANCE_INTERVAL_MS,
                "1000")), "Kafka Streams' minimum is one minute");
        assertThrows(ConfigException.class, () -> cfg(Map.of(StreamsAppConfig.NUM_STANDBY_REPLICAS, "-1")));
        assertThrows(ConfigException.class, () -> cfg(Map.of(StreamsAppConfig.BACKFILL_MAX_SHARE, "0")));
    }
}
