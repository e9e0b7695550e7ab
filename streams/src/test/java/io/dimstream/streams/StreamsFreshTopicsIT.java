package io.dimstream.streams;

import static io.dimstream.streams.E2eSupport.MODEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.kafka.TopicReadiness;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.ModelVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fresh-topic race: the streams app started the moment its topics were created on a fresh broker (no wait
 * in the test) must wait for partition leaders itself instead of dying with "no partitions available for
 * topic models.registry"; and topics that never become ready fail the start with a clear, typed error.
 */
class StreamsFreshTopicsIT {

    static EmbeddedKafkaBroker broker;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.builder().tempDir().build().start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    Map<String, String> config(String prefix) {
        Map<String, String> m = E2eSupport.appConfig(broker.bootstrapServers(), tmp, prefix);
        m.put(StreamsAppConfig.TOPICS_CREATE, "false");
        return m;
    }

    @Test
    void appStartedRightAfterTopicCreationWaitsForLeadersAndProcesses() throws Exception {
        StreamsAppConfig cfg = new StreamsAppConfig(config("fresh"));
        var t = cfg.topics();
        List<RawCif> mp = E2eSupport.mpSample().subList(0, 10);
        StreamsApp app = StreamsMain.create(cfg);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            // plain CreateTopics: the controller accepts them; leaders are not awaited here
            admin.createTopics(t.specs(2).stream().map(s -> s.toNewTopic(Optional.empty())).toList()).all().get();
        }
        try (app; var producer = E2eSupport.producer(broker.bootstrapServers())) {
            app.start();
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)), "state " + app.state());
            E2eSupport.send(producer, t.modelsRegistry(), MODEL, E2eSupport.realModel(1, 11), ModelVersion.class);
            for (RawCif r : mp) {
                E2eSupport.send(producer, t.raw(), r.id(), E2eSupport.submission(r.id(), r.text()), CrystalSubmission.class);
            }
            producer.flush();
            var emb = E2eSupport.readUntil(broker.bootstrapServers(), t.embeddings(), CrystalEmbedding.class,
                    l -> l.size() >= mp.size(), Duration.ofSeconds(90), Duration.ofMillis(500));
            assertEquals(mp.stream().map(RawCif::id).sorted().toList(),
                    emb.stream().map(ConsumerRecord::key).sorted().toList(), "each id embedded once");
            assertTrue(emb.stream().allMatch(r -> r.value().getModelVersion() == 1));
            assertEquals(KafkaStreamsState.RUNNING, KafkaStreamsState.of(app));
        }
    }

    @Test
    void topicsThatNeverAppearFailTheStartWithATypedError() {
        Map<String, String> props = config("missing");
        props.put(StreamsAppConfig.TOPICS_READY_TIMEOUT_MS, "1500");
        StreamsAppConfig cfg = new StreamsAppConfig(props);
        try (StreamsApp app = StreamsMain.create(cfg)) {
            long t0 = System.nanoTime();
            var e = assertThrows(TopicReadiness.TopicsNotReadyException.class, app::start);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("topics_not_ready", e.code());
            assertTrue(e.topics().contains("missing.models.registry"), e.topics().toString());
            assertTrue(e.getMessage().contains("not ready within 1500 ms"), e.getMessage());
            assertTrue(e.getMessage().contains("UnknownTopicOrPartitionException"), e.getMessage());
            assertTrue(ms >= 1400 && ms < 20_000, "bounded wait, took " + ms + " ms");
        }
    }

    @Test
    void appStartedBeforeItsTopicsExistWaitsUntilTheyAppear() throws Exception {
        StreamsAppConfig cfg = new StreamsAppConfig(config("late"));
        var t = cfg.topics();
        try (StreamsApp app = StreamsMain.create(cfg)) {
            var starting = java.util.concurrent.CompletableFuture.runAsync(app::start);
            Thread.sleep(700);
            assertTrue(!starting.isDone(), "start() must wait while the topics do not exist");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(t.specs(2).stream().map(s -> s.toNewTopic(Optional.empty())).toList()).all().get();
            }
            starting.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(app.awaitRunning(Duration.ofSeconds(60)), "state " + app.state());
        }
    }

    @Test
    void rawAndFeaturesWithDifferentPartitionCountsFailTheStartNamingBoth() throws Exception {
        StreamsAppConfig cfg = new StreamsAppConfig(config("skewed"));
        var t = cfg.topics();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(t.specs(2).stream().map(s -> s.toNewTopic(Optional.empty()))
                    .map(n -> n.name().equals(t.features()) ? new org.apache.kafka.clients.admin.NewTopic(n.name(), 3,
                            (short) 1).configs(n.configs()) : n).toList()).all().get();
        }
        try (StreamsApp app = StreamsMain.create(cfg)) {
            var e = assertThrows(IllegalStateException.class, app::start);
            assertTrue(e.getMessage().contains("skewed.crystals.raw (2 partitions)"), e.getMessage());
            assertTrue(e.getMessage().contains("skewed.crystals.features (3 partitions)"), e.getMessage());
            assertEquals(org.apache.kafka.streams.KafkaStreams.State.CREATED, app.state(), "never started");
        }
    }

    @Test
    void featuresTopicIsCreatedWithAsManyPartitionsAsAnExistingRawTopic() throws Exception {
        Map<String, String> props = E2eSupport.appConfig(broker.bootstrapServers(), tmp, "ingested-first");
        props.put(StreamsAppConfig.TOPICS_PARTITIONS, "2");
        StreamsAppConfig cfg = new StreamsAppConfig(props);
        var t = cfg.topics();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(t.raw(), 5, (short) 1))).all().get();
            try (StreamsApp app = StreamsMain.create(cfg)) {
                app.start();
                assertTrue(app.awaitRunning(Duration.ofSeconds(60)), "state " + app.state());
            }
            var d = admin.describeTopics(List.of(t.features(), t.embeddings())).allTopicNames().get();
            assertEquals(5, d.get(t.features()).partitions().size(), "features follows raw");
            assertEquals(2, d.get(t.embeddings()).partitions().size(), "other topics: topics.partitions");
        }
    }

    /** RUNNING or REBALANCING both count as alive for the assertion at the end. */
    enum KafkaStreamsState {
        RUNNING, OTHER;

        static KafkaStreamsState of(StreamsApp app) {
            var s = app.state();
            return s == org.apache.kafka.streams.KafkaStreams.State.RUNNING
                    || s == org.apache.kafka.streams.KafkaStreams.State.REBALANCING ? RUNNING : OTHER;
        }
    }
}
