package io.dimstream.trainer.service;

import io.dimstream.core.Sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.trainer.SyntheticCrystals;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import io.dimstream.trainer.onnx.OnnxExporter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service around training (corpus, schedule, gate, publish, lease) on a real broker. The DIM
 * training itself is replaced by a scripted {@link CandidateTrainer} that exports real ONNX graphs
 * and reports scripted validation losses, so the gate's decisions are known in advance.
 */
class TrainerServiceIT {

    static EmbeddedKafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.builder().tempDir().build().start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    /** Scripted trainer: loss per version; records which parent each run warm-started from. */
    static final class ScriptedTrainer implements CandidateTrainer {
        final Map<Integer, Double> lossByVersion = new HashMap<>();
        final List<Optional<Integer>> parents = new ArrayList<>();
        final List<Integer> trainSizes = new ArrayList<>();
        final List<List<String>> epochIds = new ArrayList<>();
        final List<List<String>> validationIds = new ArrayList<>();
        final List<Boolean> streamed = new ArrayList<>();

        @Override
        public TrainedModel train(String name, int version, io.dimstream.trainer.TrainingData train,
                                  List<FeaturizedCrystal> validation, Optional<TrainedModel> parent, Budget budget) {
            parents.add(parent.map(TrainedModel::version));
            trainSizes.add((int) train.size());
            // what one epoch hands the trainer (a streamed corpus is read through its blocks here)
            List<String> ids = new ArrayList<>();
            try (var epoch = train.epoch(new io.dimstream.trainer.DimTrainer(io.dimstream.trainer.TrainConfig.defaults()
                    .withArch(SiteNetConfig.tiny(9)).withProgressBar(false)), 0)) {
                epoch.forEachRemaining(b -> b.forEach(f -> ids.add(f.id())));
            }
            epochIds.add(ids);
            streamed.add(!(train instanceof io.dimstream.trainer.TrainingData.InMemory));
            validationIds.add(validation.stream().map(FeaturizedCrystal::id).toList());
            SiteNetConfig cfg = SiteNetConfig.tiny(9);
            try (NDManager m = NDManager.newBaseManager(); Params p = Params.init(m, cfg, version)) {
                byte[] onnx = OnnxExporter.export(cfg, p.toHost(), name, version);
                ModelMetadata meta = new ModelMetadata(name, version, io.dimstream.core.featurize.SiteNetFeaturizer.VERSION, 9, cfg.embeddingDim(), cfg.localDim(),
                        OnnxExporter.inputs(cfg), OnnxExporter.outputs(cfg), Map.of("steps", 1.0),
                        Sha256.hex(onnx), Instant.now().toString(), cfg.toMap());
                return new TrainedModel(meta, onnx, ("state-of-v" + version).getBytes());
            }
        }

        @Override
        public double validationLoss(TrainedModel model, List<FeaturizedCrystal> validation) {
            return lossByVersion.get(model.version());
        }

        @Override
        public double onnxParity(TrainedModel model, List<FeaturizedCrystal> sample) {
            return 1e-6;
        }
    }

    Map<String, String> config(String prefix) {
        Map<String, String> m = new HashMap<>();
        m.put(TrainerConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
        m.put(TrainerConfig.DATA_DIR, dir.resolve("trainer").toString());
        m.put(TrainerConfig.LEASE_TOPIC, prefix + ".lease");
        m.put(TrainerConfig.TOPICS_PARTITIONS, "2");
        m.put("session.timeout.ms", "6000");
        for (var e : Topics.DEFAULTS.entrySet()) {
            m.put(e.getKey(), prefix + "." + e.getValue());
        }
        return m;
    }

    void produceFeatures(String topic, List<FeaturizedCrystal> fs) {
        AvroSerde<CrystalFeatures> serde = AvroSerde.of(CrystalFeatures.class);
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        try (var prod = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (FeaturizedCrystal f : fs) {
                prod.send(new ProducerRecord<>(topic, f.id(), serde.serialize(topic, f.toAvro(1, 2))));
            }
        }
    }

    List<ModelVersion> read(String topic) {
        AvroSerde<ModelVersion> serde = AvroSerde.of(ModelVersion.class);
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ModelVersion> out = new ArrayList<>();
        try (var c = new KafkaConsumer<>(p, new StringDeserializer(), serde)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.currentTimeMillis() + 20_000;
            while (c.position(tp) < end && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
        }
        return out;
    }

    @Test
    void trainsGatesPublishesWarmStartsAndResumesItsCorpus() throws Exception {
        TrainerConfig cfg = new TrainerConfig(config("t1"));
        Topics t = cfg.topics();
        ScriptedTrainer st = new ScriptedTrainer();
        st.lossByVersion.put(1, 5.0);
        st.lossByVersion.put(2, 4.0);
        st.lossByVersion.put(3, 4.5);
        List<FeaturizedCrystal> first = SyntheticCrystals.generate(120, 1, 6);
        try (TrainerService svc = new TrainerService(cfg, st)) {
            produceFeatures(t.features(), first);
            var r1 = svc.runOnce(Duration.ofSeconds(60));
            assertEquals(1, r1.version());
            assertEquals(ModelStatus.PROMOTED, r1.status());
            assertEquals(120, r1.trainSize() + r1.valSize());
            assertTrue(r1.valSize() > 0 && r1.valSize() < 40, "~10% held out: " + r1.valSize());

            List<FeaturizedCrystal> more = SyntheticCrystals.generate(60, 2, 6).stream()
                    .map(f -> new FeaturizedCrystal("b-" + f.id(), f.featurizerVersion(), f.primSites(), f.supercellSites(), 9,
                            f.siteFeatures(), f.distances(), f.imageOf(), f.formula(), f.source()))
                    .toList();
            produceFeatures(t.features(), more);
            var r2 = svc.runOnce(Duration.ofSeconds(60));
            assertEquals(2, r2.version());
            assertEquals(1, r2.parentVersion());
            assertEquals(ModelStatus.PROMOTED, r2.status(), r2.reason());
            assertEquals(Optional.of(1), st.parents.get(1), "warm start from v1");
            assertEquals(180, r2.trainSize() + r2.valSize());
            assertEquals(4.0, r2.valLoss());

            var r3 = svc.runOnce(Duration.ofSeconds(60));
            assertEquals(3, r3.version());
            assertEquals(ModelStatus.REJECTED, r3.status(), "4.5 is worse than serving v2's 4.0");
            assertTrue(r3.reason().contains("worse"), r3.reason());
        }
        List<ModelVersion> registry = read(t.modelsRegistry());
        assertEquals(List.of(1, 2), registry.stream().map(ModelVersion::getVersion).toList());
        assertTrue(registry.stream().allMatch(m -> m.getStatus() == ModelStatus.PROMOTED));
        assertEquals(1, registry.get(1).getParentVersion());
        assertEquals(4.0, registry.get(1).getMetrics().get("val_dim_loss"));
        assertEquals(5.0, registry.get(1).getMetrics().get("parent_val_dim_loss"));
        List<ModelVersion> history = read(t.modelsHistory());
        assertEquals(List.of(1, 2, 3), history.stream().map(ModelVersion::getVersion).toList());
        assertEquals(ModelStatus.REJECTED, history.get(2).getStatus());

        // restart: the corpus comes back from disk, positioned after what it had read
        ScriptedTrainer st2 = new ScriptedTrainer();
        try (TrainerService svc = new TrainerService(cfg, st2)) {
            assertEquals(180, svc.corpus().size());
            assertEquals(180L, svc.corpus().offsets().values().stream().mapToLong(Long::longValue).sum());
            assertEquals(0, svc.corpus().changesSinceTraining());
        }
    }

    void produceTombstones(String topic, List<String> ids) {
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        try (var prod = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (String id : ids) {
                prod.send(new ProducerRecord<>(topic, id, null));
            }
        }
    }

    /**
     * corpus.store=disk: rounds stream their epoch from the RocksDB corpus (the train share once each, the
     * held-out share never, the gate on at most corpus.validation.max held-out structures); re-sent ids replace
     * their record, tombstones delete; a restart reuses the store and resumes at its saved positions.
     */
    @Test
    void diskCorpusStreamsEpochsSupersedesDeletesAndResumes() throws Exception {
        Map<String, String> props = config("t7");
        props.put(TrainerConfig.CORPUS_STORE, "disk");
        props.put(TrainerConfig.CORPUS_BLOCK_SIZE, "64");
        props.put(TrainerConfig.CORPUS_VALIDATION_MAX, "8");
        TrainerConfig cfg = new TrainerConfig(props);
        Topics t = cfg.topics();
        ScriptedTrainer st = new ScriptedTrainer();
        st.lossByVersion.put(1, 5.0);
        st.lossByVersion.put(2, 4.0);
        List<FeaturizedCrystal> first = SyntheticCrystals.generate(150, 1, 6);
        java.util.function.Predicate<String> held = id -> TrainerService.bucket(id) < 10;
        try (TrainerService svc = new TrainerService(cfg, st)) {
            assertTrue(svc.corpus() instanceof DiskCorpus);
            produceFeatures(t.features(), first);
            var r1 = svc.runOnce(Duration.ofSeconds(60));
            assertEquals(ModelStatus.PROMOTED, r1.status(), r1.reason());
            long heldOut = first.stream().filter(f -> held.test(f.id())).count();
            assertTrue(heldOut > 8, "enough held out to cap: " + heldOut);
            assertEquals(150 - heldOut, r1.trainSize());
            assertEquals(8, r1.valSize(), "the gate scores at most corpus.validation.max");
            assertTrue(st.streamed.get(0));
            List<String> e1 = st.epochIds.get(0);
            assertEquals(150 - heldOut, e1.size());
            assertEquals(e1.size(), new java.util.HashSet<>(e1).size(), "each training structure once per epoch");
            assertTrue(e1.stream().noneMatch(held), "no held-out structure is trained on");
            assertTrue(st.validationIds.get(0).stream().allMatch(held));

            // 20 ids re-sent with other structures, 10 deleted
            List<FeaturizedCrystal> resent = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                FeaturizedCrystal o = first.get(i + 40);
                resent.add(new FeaturizedCrystal(first.get(i).id(), o.featurizerVersion(), o.primSites(),
                        o.supercellSites(), 9, o.siteFeatures(), o.distances(), o.imageOf(), o.formula(), o.source()));
            }
            produceFeatures(t.features(), resent);
            List<String> deleted = first.subList(100, 110).stream().map(FeaturizedCrystal::id).toList();
            produceTombstones(t.features(), deleted);
            var r2 = svc.runOnce(Duration.ofSeconds(60));
            assertEquals(ModelStatus.PROMOTED, r2.status(), r2.reason());
            assertEquals(140, svc.corpus().size());
            long heldOut2 = first.stream().filter(f -> !deleted.contains(f.id())).filter(f -> held.test(f.id())).count();
            assertEquals(140 - heldOut2, r2.trainSize());
            assertEquals(140 - heldOut2, st.epochIds.get(1).size());
            assertTrue(st.epochIds.get(1).stream().noneMatch(deleted::contains), "deleted ids are gone");
            DiskCorpus dc = (DiskCorpus) svc.corpus();
            assertEquals(first.get(40).primSites(), dc.get(first.get(0).id()).orElseThrow().primSites(), "replaced");
            assertEquals(st.validationIds.get(0).stream().filter(id -> !deleted.contains(id)).toList(),
                    st.validationIds.get(1).stream().filter(st.validationIds.get(0)::contains).toList(),
                    "the validation set is stable (hash order)");
        }
        // restart: the store is reused, positioned after the 180 records it had read
        ScriptedTrainer st2 = new ScriptedTrainer();
        try (TrainerService svc = new TrainerService(cfg, st2)) {
            assertEquals(140, svc.corpus().size());
            assertEquals(180L, svc.corpus().offsets().values().stream().mapToLong(Long::longValue).sum());
            assertEquals(0, svc.corpus().changesSinceTraining());
        }
    }

    /**
     * The first version warm-starts from the configured base model (a default-architecture model directory of
     * this featurizer version); the gate still treats it as a first version. The second warm-starts from v1 as usual.
     */
    @Test
    void firstVersionWarmStartsFromTheBaseModel() throws Exception {
        Path base = dir.resolve("base");
        SiteNetConfig arch = SiteNetConfig.defaults();
        try (NDManager m = NDManager.newBaseManager(); Params p = Params.init(m, arch, 11)) {
            var w = p.toHost();
            io.dimstream.trainer.ModelBundle.create("base", 42, SiteNetFeaturizer.VERSION, arch, w, Map.of(), Map.of(),
                    new io.dimstream.trainer.Checkpoint(arch, SiteNetFeaturizer.VERSION, 11L, 30, 0, 9000, 270_000, w, Map.of())).write(base);
        }
        Map<String, String> props = config("t5");
        props.put(TrainerConfig.WARM_START_BASE, base.toString());
        TrainerConfig cfg = new TrainerConfig(props);
        ScriptedTrainer st = new ScriptedTrainer();
        st.lossByVersion.put(1, 5.0);
        st.lossByVersion.put(2, 4.0);
        try (TrainerService svc = new TrainerService(cfg, st)) {
            produceFeatures(cfg.topics().features(), SyntheticCrystals.generate(60, 1, 5));
            var r1 = svc.runOnce(Duration.ofSeconds(60));
            assertEquals(1, r1.version());
            assertEquals(ModelStatus.PROMOTED, r1.status(), r1.reason());
            assertTrue(r1.reason().startsWith("first version"), r1.reason());
            assertEquals(Optional.of(42), st.parents.get(0), "v1 warm-started from the base model (v42)");
            var r2 = svc.runOnce(Duration.ofSeconds(60));
            assertEquals(Optional.of(1), st.parents.get(1), "v2 warm-starts from v1, not from the base");
            assertEquals(1, r2.parentVersion());
        }
    }

    /** A thread running the service's loop ({@link TrainerService#run}) until it is closed. */
    static Thread runner(TrainerService svc) {
        return new Thread(() -> {
            try {
                svc.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void scheduledRunTrainsWhenEnoughArrivedAndStopsCleanly() throws Exception {
        Map<String, String> props = config("t3");
        props.put(TrainerConfig.INTERVAL_MS, "500");
        props.put(TrainerConfig.MIN_CORPUS, "50");
        // the first round may start after only part of the 60 below arrived (corpus >= 50); the rest
        // (at most 40) must not be enough for a second round
        props.put(TrainerConfig.MIN_NEW, "70");
        TrainerConfig cfg = new TrainerConfig(props);
        ScriptedTrainer st = new ScriptedTrainer();
        st.lossByVersion.put(1, 3.0);
        st.lossByVersion.put(2, 2.0);
        TrainerService svc = new TrainerService(cfg, st);
        Thread runner = runner(svc);
        runner.start();
        try {
            produceFeatures(cfg.topics().features(), SyntheticCrystals.generate(30, 5, 5));
            Thread.sleep(3000);
            assertTrue(svc.rounds().isEmpty(), "30 < min.corpus.size: no round yet");
            produceFeatures(cfg.topics().features(), SyntheticCrystals.generate(60, 6, 5).stream()
                    .map(f -> new FeaturizedCrystal("c-" + f.id(), f.featurizerVersion(), f.primSites(), f.supercellSites(), 9,
                            f.siteFeatures(), f.distances(), f.imageOf(), f.formula(), f.source()))
                    .toList());
            long deadline = System.currentTimeMillis() + 60_000;
            while (svc.rounds().isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(1, svc.rounds().size());
            assertEquals(ModelStatus.PROMOTED, svc.rounds().get(0).status());
            Thread.sleep(2000);
            assertEquals(1, svc.rounds().size(), "no new structures: no second round");
        } finally {
            svc.close();
            runner.join(30_000);
        }
        assertFalse(runner.isAlive(), "run() returned after close()");
        assertEquals(List.of(1), read(cfg.topics().modelsRegistry()).stream().map(ModelVersion::getVersion).toList());
    }

    /** Synthetic crystals carrying these real MP formulas (drift reads formula and primitive sites). */
    static List<FeaturizedCrystal> withFormulas(String prefix, List<DriftMonitorTest.Row> rows, long seed) {
        List<FeaturizedCrystal> syn = SyntheticCrystals.generate(rows.size(), seed, 5);
        List<FeaturizedCrystal> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            FeaturizedCrystal f = syn.get(i);
            out.add(new FeaturizedCrystal(prefix + i, f.featurizerVersion(), f.primSites(), f.supercellSites(), 9,
                    f.siteFeatures(), f.distances(), f.imageOf(), rows.get(i).formula(), f.source()));
        }
        return out;
    }

    @Test
    void aRunOfOneChemicalFamilyTriggersARoundBeforeTheScheduleAndUnshiftedDataDoesNot() throws Exception {
        Map<String, String> props = config("t6");
        props.put(TrainerConfig.INTERVAL_MS, "3600000"); // the schedule alone would not train within the test
        props.put(TrainerConfig.MIN_NEW, "100000");
        props.put(TrainerConfig.DRIFT_CHECK_INTERVAL_MS, "300");
        props.put(TrainerConfig.DRIFT_MIN_STRUCTURES, "30");
        TrainerConfig cfg = new TrainerConfig(props);
        List<DriftMonitorTest.Row> rows = new ArrayList<>(DriftMonitorTest.bundled());
        java.util.Collections.shuffle(rows, new java.util.Random(11));
        java.util.function.Predicate<DriftMonitorTest.Row> lithium = r -> r.formula().matches(".*Li(?![a-z]).*");
        List<DriftMonitorTest.Row> other = rows.stream().filter(lithium.negate()).toList();
        List<DriftMonitorTest.Row> li = rows.stream().filter(lithium).limit(40).toList();
        ScriptedTrainer st = new ScriptedTrainer();
        st.lossByVersion.put(1, 3.0);
        st.lossByVersion.put(2, 2.0);
        TrainerService svc = new TrainerService(cfg, st);
        Thread runner = runner(svc);
        try {
            produceFeatures(cfg.topics().features(), withFormulas("ref-", other.subList(0, 400), 21));
            assertEquals(1, svc.runOnce(Duration.ofSeconds(60)).version()); // v1 trained on 400 structures
            runner.start();
            produceFeatures(cfg.topics().features(), withFormulas("new-", other.subList(400, 460), 22));
            Thread.sleep(3000);
            assertEquals(1, svc.rounds().size(), "60 unshifted structures: no round (drift " + svc.lastDrift() + ")");
            assertTrue(svc.lastDrift() < 0.05, "unshifted drift " + svc.lastDrift());
            produceFeatures(cfg.topics().features(), withFormulas("li-", li, 23));
            long deadline = System.currentTimeMillis() + 60_000;
            while (svc.rounds().size() < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(2, svc.rounds().size(), "a run of 40 lithium compounds triggers a round");
            assertEquals(500, svc.rounds().get(1).trainSize() + svc.rounds().get(1).valSize());
        } finally {
            svc.close();
            runner.join(30_000);
        }
    }

    @Test
    void onlyOneTrainerHoldsTheLease() throws Exception {
        TrainerConfig a = new TrainerConfig(config("t2"));
        Map<String, String> bProps = config("t2");
        bProps.put(TrainerConfig.DATA_DIR, dir.resolve("trainer-b").toString());
        TrainerConfig b = new TrainerConfig(bProps);
        try (TrainerService first = new TrainerService(a, new ScriptedTrainer())) {
            long deadline = System.currentTimeMillis() + 30_000;
            while (!first.isLeader() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(first.isLeader());
            try (TrainerService second = new TrainerService(b, new ScriptedTrainer())) {
                Thread.sleep(3000);
                assertTrue(first.isLeader() ^ second.isLeader(), "exactly one leader");
            }
        }
    }
}
