package io.dimstream.search;

import static io.dimstream.search.SearchIT.enc;
import static io.dimstream.search.SearchIT.get;
import static io.dimstream.search.SearchIT.post;
import static io.dimstream.search.SearchIT.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.NearDuplicate;
import io.dimstream.streams.StreamsApp;
import io.dimstream.streams.StreamsAppConfig;
import io.dimstream.streams.StreamsMain;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The search service against a real broker and the real streams app with real ONNX models: structures
 * ingested are found (by id and by uploaded CIF); a second version's index serves only once its backfill
 * is complete; a restart reopens the persisted index and resumes from its checkpoint.
 */
class SearchServiceEndToEndIT {

    static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.builder().tempDir().build().start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static Map<String, String> searchConfig(String prefix, Path dir) {
        Map<String, String> m = new HashMap<>(SearchIT.topicNames(prefix));
        m.put("bootstrap.servers", broker.bootstrapServers());
        m.put(SearchConfig.STREAMS_APP_ID, prefix + "-app");
        m.put(SearchConfig.DATA_DIR, dir.toString());
        m.put(SearchConfig.HTTP_PORT, "0");
        m.put(SearchConfig.COMMIT_INTERVAL_MS, "300");
        m.put(SearchConfig.DUPLICATES_ENABLED, "true");
        m.put(SearchConfig.DUPLICATES_TOPIC, prefix + ".crystals.duplicates");
        m.put("topics.partitions", "2");
        return m;
    }

    static int size(JsonNode status, int version) {
        JsonNode n = status.get("embeddings_per_version").get(String.valueOf(version));
        return n == null ? 0 : n.asInt();
    }

    static long deadLetters(JsonNode status) {
        long n = 0;
        for (JsonNode x : status.get("dead_letters")) {
            n += x.asLong();
        }
        return n;
    }

    @Test
    void ingestedStructuresAreFoundVersionsSwitchAtBackfillEndAndARestartResumes(@TempDir Path tmp) throws Exception {
        String prefix = "se2e";
        Topics topics = Topics.from(SearchIT.topicNames(prefix));
        Map<String, String> app = new HashMap<>(SearchIT.topicNames(prefix));
        app.put(StreamsAppConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
        app.put(StreamsAppConfig.APPLICATION_ID, prefix + "-app");
        app.put(StreamsAppConfig.STATE_DIR, tmp.resolve("streams").toString());
        app.put(StreamsAppConfig.BATCH_SIZE, "8");
        app.put(StreamsAppConfig.BATCH_MAX_WAIT_MS, "100");
        app.put(StreamsAppConfig.TOPICS_PARTITIONS, "2");
        app.put(StreamsAppConfig.ENCODER_DEVICE, "cpu");
        app.put(StreamsAppConfig.ENCODER_THREADS, "1");
        app.put(StreamsAppConfig.BACKFILL_RATE, "10"); // the v2 backfill of ~70 structures takes several seconds
        app.put("commit.interval.ms", "100");
        List<RawCif> cifs = SearchIT.mpSample();
        Path dataDir = tmp.resolve("search");
        try (StreamsApp streams = StreamsMain.create(new StreamsAppConfig(app));
             KafkaProducer<String, byte[]> producer = SearchIT.producer(broker.bootstrapServers())) {
            streams.start();
            SearchService search = new SearchService(new SearchConfig(searchConfig(prefix, dataDir))).start();
            String url = search.url();
            try {
                // --- ingest -> embed -> found
                SearchIT.publish(producer, topics, SearchIT.model(SearchIT.TINY_MODEL, 1));
                for (int i = 0; i < 60; i++) {
                    SearchIT.ingest(producer, topics, cifs.get(i).id(), cifs.get(i).text());
                }
                SearchIT.ingest(producer, topics, "broken-1", "data_broken\n_cell_length_a 3\n");
                producer.flush();
                waitFor("61 structures embedded or dead-lettered with v1", () -> {
                    JsonNode s = status(url);
                    return s.path("serving_version").asInt(-1) == 1 && size(s, 1) + deadLetters(s) >= 61;
                }, Duration.ofMinutes(4));
                JsonNode st = status(url);
                int corpus = size(st, 1);
                assertTrue(corpus >= 55, corpus + " of 60 real structures embedded");
                assertTrue(st.get("dead_letters").fieldNames().next().startsWith("parse/cif."), st.toString());
                assertEquals("hnsw", st.get("index").asText());

                String q = cifs.get(0).id();
                SearchIT.Response r = get(url + "api/search?k=5&id=" + enc(q));
                assertEquals(200, r.status(), r.body().toString());
                assertEquals(1, r.body().get("model_version").asInt());
                assertEquals(5, r.body().get("neighbours").size());
                double prev = -1;
                List<String> hnswIds = new ArrayList<>();
                for (JsonNode n : r.body().get("neighbours")) {
                    assertNotEquals(q, n.get("id").asText(), "the query itself is excluded");
                    assertTrue(n.get("distance").asDouble() >= prev);
                    prev = n.get("distance").asDouble();
                    assertTrue(n.get("formula").asText().length() > 0, n.toString());
                    hnswIds.add(n.get("id").asText());
                }
                JsonNode exact = get(url + "api/search?k=5&exact=true&id=" + enc(q)).body();
                assertEquals("exact", exact.get("index").asText());
                List<String> exactIds = new ArrayList<>();
                exact.get("neighbours").forEach(n -> exactIds.add(n.get("id").asText()));
                assertEquals(exactIds, hnswIds);
                // filters: every hit has oxygen, 2 elements at most
                JsonNode oxides = get(url + "api/search?k=10&include=O&elements=-2&id=" + enc(q)).body();
                assertTrue(oxides.get("neighbours").size() > 0, oxides.toString());
                for (JsonNode n : oxides.get("neighbours")) {
                    Meta m = Meta.ofFormula(n.get("formula").asText(), 1, null);
                    assertTrue(m.elements().contains("O") && m.elementCount() <= 2, n.toString());
                }
                // by uploaded CIF: the same structure is found at distance ~0, embedded with the serving v1
                RawCif third = cifs.get(3);
                JsonNode byCif = post(url + "api/search?k=3", third.text()).body();
                assertEquals(1, byCif.get("model_version").asInt(), byCif.toString());
                assertEquals(third.id(), byCif.get("neighbours").get(0).get("id").asText(), byCif.toString());
                assertEquals(0.0, byCif.get("neighbours").get(0).get("distance").asDouble(), 1e-5);
                assertTrue(byCif.get("query_meta").get("formula").asText().length() > 0);
                // bad input: clear 4xx with the parser's reason
                SearchIT.Response bad = post(url + "api/search", "data_x\n_cell_length_a 3\n");
                assertEquals(400, bad.status());
                assertTrue(bad.body().get("error").asText().startsWith("cif."), bad.body().toString());
                assertTrue(bad.body().get("message").asText().length() > 10);
                assertEquals(404, get(url + "api/search?id=no-such-id").status());
                assertEquals("search.bad_request", get(url + "api/search?k=0&id=" + enc(q)).body().get("error").asText());
                assertEquals(400, get(url + "api/search?include=Xq&id=" + enc(q)).status());

                // --- freshness: ingest one structure at a time, time until it is found by id
                List<Long> fresh = new ArrayList<>();
                for (int i = 60; i < 70; i++) {
                    String id = cifs.get(i).id();
                    long t0 = System.nanoTime();
                    SearchIT.ingest(producer, topics, id, cifs.get(i).text());
                    producer.flush();
                    waitFor(id + " found", () -> statusOf(url + "api/search?k=1&id=" + enc(id)) == 200, Duration.ofMinutes(1));
                    fresh.add((System.nanoTime() - t0) / 1_000_000);
                }
                Collections.sort(fresh);
                System.out.printf("SearchServiceEndToEndIT: ingest -> found by id, 10 structures: min %d, median %d, max %d ms%n",
                        fresh.get(0), fresh.get(5), fresh.get(9));

                // --- near duplicate: the same CIF under a new id is reported with both ids
                RawCif orig = cifs.get(1);
                SearchIT.ingest(producer, topics, "dup-of-" + orig.id(), orig.text());
                producer.flush();
                waitFor("the duplicate found", () -> statusOf(url + "api/duplicates?id=" + enc("dup-of-" + orig.id())) == 200,
                        Duration.ofMinutes(1));
                JsonNode dup = get(url + "api/duplicates?id=" + enc("dup-of-" + orig.id())).body();
                assertTrue(dup.get("is_duplicate").asBoolean(), dup.toString());
                assertEquals(orig.id(), dup.get("duplicates").get(0).get("id").asText());
                NearDuplicate nd = readDuplicate(prefix + ".crystals.duplicates", "dup-of-" + orig.id());
                assertEquals(orig.id(), nd.getDuplicateOf());
                assertTrue(nd.getDistance() <= nd.getThreshold());
                JsonNode notDup = get(url + "api/duplicates?id=" + enc(cifs.get(5).id())).body();
                assertEquals(SearchConfig.DEFAULT_DUPLICATE_THRESHOLD, notDup.get("threshold").asDouble());
                for (JsonNode d : notDup.get("duplicates")) {
                    assertTrue(d.get("distance").asDouble() <= SearchConfig.DEFAULT_DUPLICATE_THRESHOLD, notDup.toString());
                }

                // --- version switch: v2 is indexed aside; v1 serves until the v2 backfill is complete
                int total = size(status(url), 1);
                SearchIT.publish(producer, topics, SearchIT.model(SearchIT.BASE_MODEL, 2));
                boolean sawPending = false;
                long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
                JsonNode s;
                while (true) {
                    s = status(url);
                    int serving = s.path("serving_version").asInt(-1);
                    if (serving == 2) {
                        break;
                    }
                    assertEquals(1, serving);
                    if (size(s, 2) > 0 && size(s, 2) < total) {
                        sawPending = true;
                        JsonNode during = get(url + "api/search?k=3&id=" + enc(q)).body();
                        assertTrue(during.get("model_version").asInt() >= 1, during.toString());
                    }
                    assertTrue(System.nanoTime() < deadline, "v2 never served: " + s);
                    Thread.sleep(20);
                }
                assertTrue(sawPending, "v1 kept serving while v2 was partly indexed");
                assertEquals(total, size(s, 2), "v2 serves with the whole corpus: " + s);
                assertTrue(s.get("embeddings_per_version").get("1") == null, "v1 dropped after the switch: " + s);
                JsonNode v2 = get(url + "api/search?k=3&id=" + enc(q)).body();
                assertEquals(2, v2.get("model_version").asInt());
                JsonNode v2cif = post(url + "api/search?k=1", third.text()).body();
                assertEquals(2, v2cif.get("model_version").asInt(), "the upload is embedded with the serving version");
                assertEquals(third.id(), v2cif.get("neighbours").get(0).get("id").asText());
                assertEquals(0.0, v2cif.get("neighbours").get(0).get("distance").asDouble(), 1e-5);
                Thread.sleep(800); // a checkpoint
            } finally {
                search.close();
            }

            // --- restart: structures arrive while the service is down; it reopens the index and resumes
            for (int i = 70; i < 75; i++) {
                SearchIT.ingest(producer, topics, cifs.get(i).id(), cifs.get(i).text());
            }
            producer.flush();
            long t0 = System.nanoTime();
            SearchService again = new SearchService(new SearchConfig(searchConfig(prefix, dataDir))).start();
            try {
                long reopenMs = (System.nanoTime() - t0) / 1_000_000;
                Map<Integer, Integer> reopened = again.state().sizes();
                assertEquals(2, again.state().serving().version(), "serving v2 at once, from disk");
                assertTrue(reopened.get(2) >= 70, reopened.toString());
                System.out.printf("SearchServiceEndToEndIT: restart reopened %s in %d ms (no re-read)%n", reopened, reopenMs);
                String url2 = again.url();
                for (int i = 70; i < 75; i++) {
                    String id = cifs.get(i).id();
                    waitFor(id + " found after the restart", () -> statusOf(url2 + "api/search?k=1&id=" + enc(id)) == 200,
                            Duration.ofMinutes(2));
                }
                waitFor("caught up", again::caughtUp, Duration.ofMinutes(1));
                assertEquals(2, get(url2 + "api/search?k=2&id=" + enc(cifs.get(72).id())).body().get("model_version").asInt());
            } finally {
                again.close();
            }
        }
    }

    static JsonNode status(String url) {
        try {
            return get(url + "api/status").body();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static int statusOf(String url) {
        try {
            return get(url).status();
        } catch (Exception e) {
            return -1;
        }
    }

    static NearDuplicate readDuplicate(String topic, String id) throws InterruptedException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        AvroSerde<NearDuplicate> serde = AvroSerde.of(NearDuplicate.class);
        try (KafkaConsumer<String, NearDuplicate> c = new KafkaConsumer<>(p, new StringDeserializer(), serde)) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream().map(pi -> new TopicPartition(topic, pi.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (var r : c.poll(Duration.ofMillis(200))) {
                    if (r.key().equals(id)) {
                        return r.value();
                    }
                }
            }
        }
        throw new AssertionError("no duplicate record for " + id);
    }
}
