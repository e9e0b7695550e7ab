package io.dimstream.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.TopicReadiness;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.Label;
import io.dimstream.schemas.Prediction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end on a real (embedded KRaft) broker: labels + embeddings in, predictions out; a new model
 * version triggers a refit on that version's embeddings only.
 */
class PredictorServiceIT {
    static EmbeddedKafkaBroker broker;
    static final int DIM = 12;
    static final int N = 90;
    static final int LABELLED = 60;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.builder().tempDir().build().start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    /** Version-specific embedding of structure i: v1 = a random vector, v2 = a fixed rotation+scaling of it. */
    static float[] embedding(int i, int version) {
        Random r = new Random(1000 + i);
        float[] e = new float[DIM];
        for (int k = 0; k < DIM; k++) {
            e[k] = (float) r.nextGaussian();
        }
        if (version == 1) {
            return e;
        }
        float[] out = new float[DIM];
        for (int k = 0; k < DIM; k++) {
            out[k] = -2f * e[(k + 5) % DIM] + 1f; // a different space: v1 heads are wrong here
        }
        return out;
    }

    /** The "true" property, linear in the v1 embedding. */
    static double truth(int i) {
        float[] e = embedding(i, 1);
        return 1.5 * e[0] - 0.7 * e[3] + 0.2 * e[7] + 2.0;
    }

    static String id(int i) {
        return "mp-" + (1000 + i);
    }

    @Test
    void predictsForEveryEmbeddingAndRefitsOnANewModelVersionWithoutMixing() throws Exception {
        String bs = broker.bootstrapServers();
        Properties cfgProps = new Properties();
        cfgProps.setProperty("bootstrap.servers", bs);
        cfgProps.setProperty("properties", "band_gap");
        cfgProps.setProperty("min.labels", "20");
        cfgProps.setProperty("debounce.ms", "300");
        PredictorService.ensureTopics(PredictorConfig.from(cfgProps));
        PredictorService svc = new PredictorService(PredictorConfig.from(cfgProps));
        Thread t = new Thread(svc, "predictor");
        t.start();
        try (KafkaProducer<String, Label> lp = producer(bs, AvroSerde.of(Label.class));
             KafkaProducer<String, CrystalEmbedding> ep = producer(bs, AvroSerde.of(CrystalEmbedding.class));
             KafkaConsumer<String, Prediction> pc = consumer(bs)) {
            for (int i = 0; i < LABELLED; i++) {
                lp.send(new ProducerRecord<>("crystals.labels", id(i) + "/band_gap",
                        Label.newBuilder().setId(id(i)).setProperty("band_gap").setValue(truth(i)).setSource("test").build()));
            }
            lp.send(new ProducerRecord<>("crystals.labels", id(0) + "/other",
                    Label.newBuilder().setId(id(0)).setProperty("other").setValue(1).build())); // not configured
            lp.flush();
            for (int i = 0; i < N; i++) {
                ep.send(new ProducerRecord<>("crystals.embeddings", id(i), emb(i, 1)));
            }
            ep.flush();

            Map<String, Prediction> v1 = collect(pc, p -> p.getModelVersion() == 1, N);
            assertEquals(N, v1.size(), "one prediction per embedding");
            Prediction p1 = v1.get(id(LABELLED + 5)); // an unlabelled structure
            assertEquals(truth(LABELLED + 5), p1.getValue(), 0.05);
            assertEquals(LABELLED, p1.getLabelsUsed());
            assertTrue(p1.getCvMae() < 0.05, "cv MAE " + p1.getCvMae());
            assertEquals("dim-test", p1.getModelName());
            assertTrue(v1.values().stream().allMatch(p -> p.getProperty().equals("band_gap")));
            int hv1 = p1.getHeadVersion();

            // model v2: the corpus is re-embedded; the head must be refitted on v2 embeddings only
            for (int i = 0; i < N; i++) {
                ep.send(new ProducerRecord<>("crystals.embeddings", id(i), emb(i, 2)));
            }
            ep.flush();
            Map<String, Prediction> v2 = collect(pc, p -> p.getModelVersion() == 2 && p.getHeadVersion() > hv1, N);
            assertEquals(N, v2.size());
            Prediction p2 = v2.get(id(LABELLED + 5));
            assertEquals(truth(LABELLED + 5), p2.getValue(), 0.05, "an accurate v2 head means no v1 rows were mixed in");
            assertEquals(LABELLED, p2.getLabelsUsed(), "labels of v2-embedded structures only");

            // more labels arrive: debounced refit with more labels
            for (int i = LABELLED; i < LABELLED + 10; i++) {
                lp.send(new ProducerRecord<>("crystals.labels", id(i) + "/band_gap",
                        Label.newBuilder().setId(id(i)).setProperty("band_gap").setValue(truth(i)).build()));
            }
            lp.flush();
            Map<String, Prediction> v2b = collect(pc, p -> p.getModelVersion() == 2 && p.getLabelsUsed() == LABELLED + 10, N);
            assertEquals(N, v2b.size());
            assertTrue(v2b.get(id(0)).getHeadVersion() > p2.getHeadVersion());

            // held-out scoring of what was published: the newest version's predictions vs the truth
            Map<String, Double> truthById = new HashMap<>();
            int expectTest = 0;
            for (int i = 0; i < N; i++) {
                truthById.put(id(i), truth(i));
                if (io.dimstream.core.HeldOutSplit.isHeldOut(id(i), 0.3)) {
                    expectTest++;
                }
            }
            Map<String, PredictionEvaluator.PropertyScore> score = PredictionEvaluator.score(
                    PredictionEvaluator.latestPredictions(Map.of("bootstrap.servers", bs), "crystals.predictions"),
                    Map.of("band_gap", truthById), 0.3);
            PredictionEvaluator.PropertyScore sc = score.get("band_gap");
            assertEquals(expectTest, sc.n());
            assertTrue(expectTest > 10 && sc.mae() < 0.05, sc.toString());
            assertEquals(2, sc.modelVersion());
            assertEquals(LABELLED + 10, sc.labelsUsed());
        } finally {
            svc.stop();
            t.join(10_000);
        }
        assertTrue(svc.fits() >= 3, "fits " + svc.fits());
    }

    @Test
    void heldOutDemoScoresPredictionsOfStructuresWhoseLabelsWereWithheld() throws Exception {
        String bs = broker.bootstrapServers();
        Map<String, String> topicCfg = Map.of("topics.labels", "hd.labels", "topics.embeddings", "hd.embeddings",
                "topics.predictions", "hd.predictions");
        broker.createTopic("hd.embeddings", 3, Map.of());
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bs))) {
            TopicReadiness.await(admin, List.of("hd.embeddings"), Duration.ofSeconds(30));
        }
        Map<String, Double> bandGap = new HashMap<>();
        Map<String, Double> other = new HashMap<>();
        int test = 0;
        try (KafkaProducer<String, CrystalEmbedding> ep = producer(bs, AvroSerde.of(CrystalEmbedding.class))) {
            for (int i = 0; i < N; i++) {
                ep.send(new ProducerRecord<>("hd.embeddings", id(i), emb(i, 1)));
                bandGap.put(id(i), truth(i));
                other.put(id(i), -truth(i) + 0.5);
                test += io.dimstream.core.HeldOutSplit.isHeldOut(id(i), 0.2) ? 1 : 0;
            }
        }
        HeldOutDemo.Outcome o = HeldOutDemo.run(Map.of("bootstrap.servers", bs), topicCfg,
                Map.of("band_gap", bandGap, "formation_energy_per_atom", other), 0.2, 1, "ridge", Duration.ofSeconds(60));
        assertTrue(o.settled());
        assertEquals(2L * (N - test), o.labelsPublished());
        for (String prop : List.of("band_gap", "formation_energy_per_atom")) {
            PredictionEvaluator.PropertyScore sc = o.scores().get(prop);
            assertEquals(test, sc.n(), prop);
            assertEquals(N - test, sc.labelsUsed(), prop);
            assertTrue(sc.mae() < 0.05, sc.toString());
        }
    }

    @Test
    void embeddingSubscriberPassesOnlyTheLatestModelVersion() throws Exception {
        String bs = broker.bootstrapServers();
        broker.createTopic("sub.embeddings", 3, Map.of());
        broker.createTopic("sub.registry", 1, Map.of("cleanup.policy", "compact"));
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bs))) {
            TopicReadiness.await(admin, List.of("sub.embeddings", "sub.registry"), Duration.ofSeconds(30));
        }
        try (KafkaProducer<String, CrystalEmbedding> ep = producer(bs, AvroSerde.of(CrystalEmbedding.class));
             KafkaProducer<String, io.dimstream.schemas.ModelVersion> rp = producer(bs, AvroSerde.of(io.dimstream.schemas.ModelVersion.class))) {
            rp.send(new ProducerRecord<>("sub.registry", "dim-test", io.dimstream.schemas.ModelVersion.newBuilder()
                    .setModelName("dim-test").setVersion(2).setCreatedAt(Instant.now()).setFeaturizerVersion(1)
                    .setInputSpec("{}").setOutputSpec("{}").setSha256("00").build())).get();
            for (int i = 0; i < 20; i++) {
                ep.send(new ProducerRecord<>("sub.embeddings", id(i), emb(i, 1)));
                if (i < 10) {
                    ep.send(new ProducerRecord<>("sub.embeddings", id(i), emb(i, 2)));
                }
            }
            ep.flush();
            try (io.dimstream.predict.client.EmbeddingSubscriber sub = io.dimstream.predict.client.EmbeddingSubscriber
                    .builder(bs).topic("sub.embeddings").registryTopic("sub.registry").modelName("dim-test").build()) {
                assertEquals(2, sub.latestVersion(), "the promoted version from the registry");
                List<CrystalEmbedding> got = new ArrayList<>();
                long deadline = System.currentTimeMillis() + 30_000;
                while (got.size() + sub.dropped() < 30 && System.currentTimeMillis() < deadline) {
                    got.addAll(sub.poll(Duration.ofMillis(200)));
                }
                assertEquals(10, got.size());
                assertTrue(got.stream().allMatch(e -> e.getModelVersion() == 2));
                assertEquals(20, sub.dropped());
                // a newer version appears in the stream: the subscriber moves on to it
                ep.send(new ProducerRecord<>("sub.embeddings", id(0), emb(0, 3))).get();
                List<CrystalEmbedding> later = new ArrayList<>();
                deadline = System.currentTimeMillis() + 30_000;
                while (later.isEmpty() && System.currentTimeMillis() < deadline) {
                    later.addAll(sub.poll(Duration.ofMillis(200)));
                }
                assertEquals(3, sub.latestVersion());
                // ... and drops what still comes under version 2
                ep.send(new ProducerRecord<>("sub.embeddings", id(1), emb(1, 2))).get();
                deadline = System.currentTimeMillis() + 30_000;
                while (sub.dropped() < 21 && System.currentTimeMillis() < deadline) {
                    later.addAll(sub.poll(Duration.ofMillis(200)));
                }
                assertEquals(21, sub.dropped());
                assertEquals(1, later.size());
                assertTrue(later.stream().allMatch(e -> e.getModelVersion() == 3), later.toString());
            }
        }
    }

    static CrystalEmbedding emb(int i, int version) {
        List<Float> v = new ArrayList<>();
        for (float f : embedding(i, version)) {
            v.add(f);
        }
        return CrystalEmbedding.newBuilder().setId(id(i)).setEmbedding(v).setModelName("dim-test").setModelVersion(version)
                .setFeaturizerVersion(1).setSubmittedAt(Instant.EPOCH).setEmbeddedAt(Instant.now()).build();
    }

    static <T extends org.apache.avro.specific.SpecificRecord> KafkaProducer<String, T> producer(String bs, AvroSerde<T> serde) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
        return new KafkaProducer<>(p, new StringSerializer(), serde);
    }

    static KafkaConsumer<String, Prediction> consumer(String bs) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
        KafkaConsumer<String, Prediction> kc = new KafkaConsumer<>(c, new StringDeserializer(), AvroSerde.of(Prediction.class));
        return kc;
    }

    /** Latest prediction per id among those matching, until {@code want} ids are covered (or 60 s). */
    static Map<String, Prediction> collect(KafkaConsumer<String, Prediction> pc, Predicate<Prediction> match, int want) {
        if (pc.assignment().isEmpty()) {
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                var parts = pc.listTopics().get("crystals.predictions");
                if (parts != null) {
                    List<TopicPartition> tps = parts.stream().map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
                    pc.assign(tps);
                    pc.seekToBeginning(tps);
                    break;
                }
            }
        }
        Map<String, Prediction> out = new HashMap<>();
        long deadline = System.currentTimeMillis() + 60_000;
        while (out.size() < want && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, Prediction> r : pc.poll(Duration.ofMillis(200))) {
                if (match.test(r.value())) {
                    out.put(r.value().getId(), r.value());
                }
            }
        }
        return out;
    }
}
