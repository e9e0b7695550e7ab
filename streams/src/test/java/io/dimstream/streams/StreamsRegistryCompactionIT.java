package io.dimstream.streams;

import static io.dimstream.streams.E2eSupport.MODEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.core.kafka.RegistryAdmin;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.ModelVersion;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model registry on a real broker whose log cleaner really compacts {@code models.registry} (issue 16):
 * a bad record last, compaction, a new instance → the previous good version serves; an older version
 * last → no downgrade, one log line and a counter; an explicit rollback → the older version serves, every
 * id is embedded with it again, and the rollback survives compaction and a restart.
 */
class StreamsRegistryCompactionIT {

    static EmbeddedKafkaBroker broker;
    static List<RawCif> mp;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.builder().tempDir()
                .brokerProperty("log.cleaner.backoff.ms", "100")
                .brokerProperty("log.cleaner.threads", "1")
                .build().start();
        mp = E2eSupport.mpSample();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    /** Makes the registry topic compact within a second or two (tiny segments, no lag, no dirty-ratio wait). */
    void compactFast(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            List<AlterConfigOp> ops = List.of(
                    new AlterConfigOp(new ConfigEntry("segment.ms", "100"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "0.01"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("min.compaction.lag.ms", "0"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("delete.retention.ms", "100"), AlterConfigOp.OpType.SET));
            admin.incrementalAlterConfigs(Map.of(r, ops)).all().get();
        }
    }

    /** Records left on the topic, read from the start (read_committed). */
    /** Keys of the records left on the topic, in offset order, with their offsets. */
    static List<String> keysOn(String topic) {
        Map<String, Object> cp = new HashMap<>();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cp.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 << 20);
        List<String> keys = new java.util.ArrayList<>();
        try (var c = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            while (c.position(tp) < end) {
                c.poll(Duration.ofMillis(200)).forEach(r -> keys.add(r.key() + "@" + r.offset()));
            }
        }
        return keys;
    }

    /**
     * Waits until the cleaner has compacted the registry down to {@code expected} records of the model: keeps
     * appending a filler record of another model so the active segment rolls and can be cleaned.
     */
    void awaitCompaction(KafkaProducer<String, byte[]> p, String topic, int produced, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        int n = produced;
        while (System.nanoTime() < deadline) {
            Thread.sleep(300);
            E2eSupport.send(p, topic, "filler@1", E2eSupport.realModel(1, 1), ModelVersion.class); // another key
            p.flush();
            n = (int) keysOn(topic).stream().filter(k -> k.startsWith(MODEL + "@")).count();
            if (n == expected) { // one record per version key left (the fillers are another key)
                return;
            }
        }
        throw new AssertionError("registry not compacted: " + n + " model records left of " + produced + ": "
                + keysOn(topic));
    }

    static void publish(KafkaProducer<String, byte[]> p, String topic, ModelVersion mv) {
        E2eSupport.send(p, topic, ModelRecords.registryKey(MODEL, mv.getVersion()), mv, ModelVersion.class);
        p.flush();
    }

    static ModelVersion badSha(int v) {
        ModelVersion mv = E2eSupport.realModel(v, 100 + v);
        byte[] tampered = E2eSupport.realModel(v, 999).getOnnx().array();
        mv.setOnnx(ByteBuffer.wrap(tampered));
        return mv;
    }

    StreamsApp startInstance(StreamsAppConfig base, String stateName) throws Exception {
        Map<String, Object> m = new HashMap<>(base.originals());
        m.put(StreamsAppConfig.STATE_DIR, tmp.resolve(stateName).toString());
        StreamsApp app = StreamsMain.create(new StreamsAppConfig(m));
        app.start();
        assertTrue(app.awaitRunning(Duration.ofSeconds(90)), "instance " + stateName + " reached RUNNING");
        return app;
    }

    static boolean awaitServing(StreamsApp app, int version) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (app.models().currentVersion().equals(Optional.of(version))) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    @Test
    void compactedRegistryNeverLeavesAnInstanceWithoutAModelNorDowngradesItAndRollbacksAreObeyed() throws Exception {
        StreamsAppConfig cfg = new StreamsAppConfig(E2eSupport.appConfig(broker.bootstrapServers(), tmp, "reg"));
        var t = cfg.topics();
        StreamsOpsBrokerIT.prepareTopics(cfg, Map.of());
        compactFast(t.modelsRegistry());
        try (var producer = E2eSupport.producer(broker.bootstrapServers())) {
            // 1. v1, v2 good (v2 published twice: compaction has a duplicate to remove), bad v3 last
            publish(producer, t.modelsRegistry(), E2eSupport.realModel(1, 101));
            publish(producer, t.modelsRegistry(), E2eSupport.realModel(2, 102));
            publish(producer, t.modelsRegistry(), E2eSupport.realModel(2, 102));
            publish(producer, t.modelsRegistry(), badSha(3));
            awaitCompaction(producer, t.modelsRegistry(), 4, 3);
            try (StreamsApp a = startInstance(cfg, "fresh-1")) {
                assertTrue(awaitServing(a, 2), "bad v3 last + compaction + new instance: v2 serves, not nothing; "
                        + a.models().lastRejection());
                assertTrue(a.models().lastRejection().startsWith("v3 sha256"), a.models().lastRejection());
            }

            // 2. a good v4, then an older version last (v1 again) → v4 serves after compaction and restart
            publish(producer, t.modelsRegistry(), E2eSupport.realModel(4, 104));
            publish(producer, t.modelsRegistry(), E2eSupport.realModel(1, 101));
            awaitCompaction(producer, t.modelsRegistry(), 6, 4);
            StreamsApp b = startInstance(cfg, "fresh-2");
            try {
                assertTrue(awaitServing(b, 4), "older v1 last: no downgrade after a restart");
                for (RawCif r : mp.subList(0, 20)) {
                    E2eSupport.send(producer, t.raw(), r.id(), E2eSupport.submission(r.id(), r.text()),
                            CrystalSubmission.class);
                }
                producer.flush();
                // live: an older record while running → ignored, one log line, a counter
                publish(producer, t.modelsRegistry(), E2eSupport.realModel(2, 102));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (b.counters().get("models.ignored.older") < 1 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(1, b.counters().get("models.ignored.older"));
                assertEquals(Optional.of(4), b.models().currentVersion());
                var v4 = E2eSupport.readUntil(broker.bootstrapServers(), t.embeddings(), CrystalEmbedding.class,
                        l -> l.stream().filter(r -> r.value().getModelVersion() == 4).count() >= 20,
                        Duration.ofSeconds(60), Duration.ofMillis(500));
                assertEquals(20, v4.stream().filter(r -> r.value().getModelVersion() == 4).map(r -> r.key()).distinct().count());

                // 3. explicit rollback to v2: v4 is republished RETIRED → v2 serves and backfills every id
                RegistryAdmin admin = new RegistryAdmin(Map.of("bootstrap.servers", broker.bootstrapServers()), t, MODEL);
                RegistryAdmin.Change c = admin.rollback(2, Duration.ofSeconds(30));
                assertEquals(List.of(3, 4), c.retired(), "every PROMOTED version above v2 (bad v3 too)");
                assertTrue(awaitServing(b, 2), "rollback obeyed");
                assertEquals(1, b.counters().get("models.rollbacks"));
                var all = E2eSupport.readUntil(broker.bootstrapServers(), t.embeddings(), CrystalEmbedding.class,
                        l -> l.stream().filter(r -> r.value().getModelVersion() == 2).count() >= 20,
                        Duration.ofSeconds(60), Duration.ofSeconds(1));
                Map<String, Integer> v2PerId = new HashMap<>();
                all.stream().filter(r -> r.value().getModelVersion() == 2).forEach(r -> v2PerId.merge(r.key(), 1, Integer::sum));
                assertEquals(20, v2PerId.size(), "every id embedded with v2 after the rollback");
                assertTrue(v2PerId.values().stream().allMatch(n -> n == 1), "once each: " + v2PerId);
                assertTrue(all.stream().filter(r -> r.value().getModelVersion() == 2).allMatch(r -> r.value().getBackfill()));
            } finally {
                b.close();
            }

            // 4. the rollback survives compaction and a new instance: v2, not v4
            awaitCompaction(producer, t.modelsRegistry(), 8, 4);
            try (StreamsApp d = startInstance(cfg, "fresh-3")) {
                assertTrue(awaitServing(d, 2), "after compaction a new instance obeys the rollback");
                Thread.sleep(1000);
                assertEquals(Optional.of(2), d.models().currentVersion());
                assertEquals(1, d.counters().get("models.swaps"), "one load at start, not every version in turn");
            }
        }
    }
}
