package io.dimstream.trainer.service;

import io.dimstream.core.LogSafe;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.BaseModel;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.core.kafka.TopicReadiness;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalFeatures;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer service: follows {@code crystals.features} into a {@link TrainerCorpus} ({@link LocalCorpus}
 * in memory, or {@link DiskCorpus} with epochs streamed from disk: {@code corpus.store}), retrains the
 * encoder on schedule (every {@code schedule.interval.ms} when at least {@code min.new.structures}
 * arrived, or once on demand) warm-starting from the serving version, gates the candidate
 * (validation DIM loss not worse than the serving version on the same held-out split, ONNX parity)
 * and publishes it: PROMOTED to {@code models.registry} + {@code models.history} in one transaction,
 * or REJECTED to {@code models.history} only. One active trainer per model ({@link LeaseKeeper} +
 * transactional-id fencing).
 */
public final class TrainerService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TrainerService.class);

    /** Outcome of one training round. */
    public record RoundResult(int version, Integer parentVersion, ModelStatus status, String reason,
                              double valLoss, double parentValLoss, double parity, int trainSize, int valSize,
                              long millis) {
    }

    private final TrainerConfig cfg;
    private final CandidateTrainer trainer;
    private final Topics topics;
    private final String modelName;
    private final TrainerCorpus corpus;
    private final KafkaConsumer<String, byte[]> features;
    private final LeaseKeeper lease;
    private final AvroSerde<CrystalFeatures> featuresSerde = AvroSerde.of(CrystalFeatures.class);
    private final AvroSerde<ModelVersion> modelSerde = AvroSerde.of(ModelVersion.class);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<RoundResult> rounds = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.CountDownLatch loopExited = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean looping;
    /** Drift of the structures since the last round against the corpus it trained on; guarded by itself. */
    private final DriftMonitor drift;
    private volatile double lastDrift = Double.NaN;
    private KafkaProducer<String, byte[]> producer;

    public TrainerService(TrainerConfig cfg, CandidateTrainer trainer) throws IOException {
        this.cfg = cfg;
        this.trainer = trainer;
        this.topics = cfg.topics();
        this.modelName = cfg.getString(TrainerConfig.MODEL_NAME);
        prepareTopics();
        this.corpus = cfg.diskCorpus()
                ? new DiskCorpus(cfg.corpusDir(), (long) cfg.getInt(TrainerConfig.CORPUS_CACHE_MB) << 20)
                : new LocalCorpus(cfg.dataDir().resolve("corpus"));
        try {
            this.features = openFeatures();
        } catch (RuntimeException e) {
            corpus.close();
            throw e;
        }
        this.lease = new LeaseKeeper(cfg.clientProperties(), cfg.getString(TrainerConfig.LEASE_TOPIC), modelName);
        this.drift = new DriftMonitor(cfg.getInt(TrainerConfig.DRIFT_RESERVOIR), cfg.getLong(TrainerConfig.SEED));
        resetDriftReference(f -> true); // after a restart: the corpus as it is (the window before is lost)
        // ONNX Runtime registers a JVM shutdown hook when its environment is first created; created lazily
        // during a round that a SIGTERM interrupts, that registration throws "Shutdown in progress" and the
        // round is lost. Created here, the round's parity check and export run normally during shutdown.
        ai.onnxruntime.OrtEnvironment.getEnvironment();
    }

    /** The features consumer, positioned at the corpus's saved positions (the beginning where none). */
    private KafkaConsumer<String, byte[]> openFeatures() {
        Map<String, Object> cp = consumerProps();
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        KafkaConsumer<String, byte[]> features = new KafkaConsumer<>(cp, new StringDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> tps = features.partitionsFor(topics.features(), Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        features.assign(tps);
        Map<TopicPartition, Long> saved = corpus.offsets();
        for (TopicPartition tp : tps) {
            Long o = saved.get(tp);
            if (o == null) {
                features.seekToBeginning(List.of(tp));
            } else {
                features.seek(tp, o);
            }
        }
        return features;
    }

    private Map<String, Object> consumerProps() {
        Map<String, Object> p = new HashMap<>(cfg.clientProperties());
        p.keySet().removeIf(k -> !ConsumerConfig.configNames().contains(k));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        return p;
    }

    /**
     * Creates missing topics (when {@code topics.create}) and waits, bounded by {@code topics.ready.timeout.ms},
     * until every topic the trainer uses has leaders for all partitions, before its consumer and producer start.
     */
    private void prepareTopics() {
        Map<String, Object> ap = new HashMap<>(cfg.clientProperties());
        ap.keySet().removeIf(k -> !AdminClientConfig.configNames().contains(k));
        try (Admin admin = Admin.create(ap)) {
            List<String> used = new ArrayList<>(List.of(topics.features(), topics.modelsRegistry(), topics.modelsHistory()));
            if (cfg.getBoolean(TrainerConfig.TOPICS_CREATE)) {
                List<Topics.TopicSpec> specs = new ArrayList<>(topics.specs(cfg.getInt(TrainerConfig.TOPICS_PARTITIONS)));
                specs.add(new Topics.TopicSpec(cfg.getString(TrainerConfig.LEASE_TOPIC), 1, "compact", null, Map.of()));
                Topics.ensure(admin, specs, Optional.empty());
                used.add(cfg.getString(TrainerConfig.LEASE_TOPIC));
            }
            TopicReadiness.await(admin, used, Duration.ofMillis(cfg.getLong(TrainerConfig.TOPICS_READY_TIMEOUT_MS)));
        }
    }

    public TrainerCorpus corpus() {
        return corpus;
    }

    public List<RoundResult> rounds() {
        return List.copyOf(rounds);
    }

    public boolean isLeader() {
        return lease.isLeader();
    }

    /** Reads the features topic up to its current end (read_committed). */
    public void catchUp(Duration timeout) throws IOException {
        Map<TopicPartition, Long> end = features.endOffsets(features.assignment());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!closed.get() && System.nanoTime() < deadline
                && end.entrySet().stream().anyMatch(e -> features.position(e.getKey()) < e.getValue())) {
            pollOnce(Duration.ofMillis(200));
        }
        checkpoint();
    }

    /** Drift is measured against the corpus records passing {@code keep} (walked one at a time). */
    private void resetDriftReference(java.util.function.Predicate<FeaturizedCrystal> keep) throws IOException {
        synchronized (drift) {
            drift.startReference();
            corpus.forEach(f -> {
                if (keep.test(f)) {
                    DriftMonitor.sample(f.formula(), f.primSites()).ifPresent(drift::addReference);
                }
            });
            drift.clearRecent();
        }
    }

    /** The drift of the structures since the last round (empty before any arrived). */
    public Optional<DriftMonitor.Drift> measureDrift() {
        Optional<DriftMonitor.Drift> d;
        synchronized (drift) {
            d = drift.measure();
        }
        lastDrift = d.map(DriftMonitor.Drift::score).orElse(0.0);
        return d;
    }

    /** The last drift score measured (NaN before the first check); the {@code dimstream_trainer_drift} gauge. */
    public double lastDrift() {
        return lastDrift;
    }

    private int pollOnce(Duration d) throws IOException {
        int n = 0;
        for (ConsumerRecord<String, byte[]> r : features.poll(d)) {
            try {
                CrystalFeatures value = r.value() == null ? null : featuresSerde.fromBytes(r.value());
                corpus.apply(r.key(), value);
                if (value != null) {
                    synchronized (drift) {
                        drift.observe(value.getFormula(), value.getPrimSites());
                    }
                }
                n++;
            } catch (RuntimeException e) {
                log.warn("{}-{}@{} ({}): skipped, not a features record: {}", r.topic(), r.partition(), r.offset(),
                        LogSafe.escape(r.key()), LogSafe.escape(e.getMessage()));
            }
        }
        return n;
    }

    private void checkpoint() throws IOException {
        Map<TopicPartition, Long> pos = new HashMap<>();
        for (TopicPartition tp : features.assignment()) {
            pos.put(tp, features.position(tp));
        }
        corpus.checkpoint(pos);
    }

    /** {@code --once}: catch up, wait for the lease, train and publish one version. */
    public RoundResult runOnce(Duration timeout) throws Exception {
        catchUp(timeout);
        if (!lease.awaitLeader(timeout)) {
            throw new IllegalStateException("another trainer holds the lease for " + modelName);
        }
        return trainRound();
    }

    /** Runs until {@link #close()}: follow features, retrain every T when at least K changed. */
    public void run() throws Exception {
        long interval = cfg.getLong(TrainerConfig.INTERVAL_MS);
        int minNew = cfg.getInt(TrainerConfig.MIN_NEW);
        int minCorpus = cfg.getInt(TrainerConfig.MIN_CORPUS);
        long nextCheck = System.currentTimeMillis() + Math.min(interval, 5_000);
        double driftThreshold = cfg.getDouble(TrainerConfig.DRIFT_THRESHOLD);
        int driftMin = cfg.getInt(TrainerConfig.DRIFT_MIN_STRUCTURES);
        long driftInterval = cfg.getLong(TrainerConfig.DRIFT_CHECK_INTERVAL_MS);
        long nextDriftCheck = System.currentTimeMillis() + driftInterval;
        long lastCheckpoint = System.currentTimeMillis();
        log.info("trainer for {} running: every {} ms when >= {} new structures (corpus {} now)", modelName, interval,
                minNew, corpus.size());
        looping = true;
        try {
            while (!closed.get()) {
                pollOnce(Duration.ofMillis(500));
                long now = System.currentTimeMillis();
                if (now - lastCheckpoint > 5_000) {
                    checkpoint();
                    lastCheckpoint = now;
                }
                boolean drifted = false;
                if (now >= nextDriftCheck) {
                    nextDriftCheck = now + driftInterval;
                    Optional<DriftMonitor.Drift> d = measureDrift();
                    if (d.isPresent()) {
                        log.debug("{}", d.get());
                        if (driftThreshold > 0 && d.get().recent() >= driftMin && d.get().score() > driftThreshold
                                && lease.isLeader()) {
                            log.info("{} > threshold {}: training before the schedule", d.get(), driftThreshold);
                            drifted = true;
                        }
                    }
                }
                if (now >= nextCheck || drifted) {
                    nextCheck = now + interval;
                    boolean first = readModels().serving().isEmpty();
                    boolean due = first ? corpus.size() >= minCorpus
                            : drifted || corpus.changesSinceTraining() >= minNew;
                    if (lease.isLeader() && due) {
                        try {
                            trainRound();
                        } catch (RoundAbandonedException e) {
                            log.info("{}", e.getMessage());
                        } catch (WakeupException e) {
                            throw e;
                        } catch (Exception e) {
                            // a failed round (bad data, out of memory in training, broker trouble) is
                            // retried at the next interval; the service keeps following the corpus
                            log.error("training round failed, retrying in {} ms: {}", interval, e.toString(), e);
                        }
                    } else {
                        log.debug("no training: leader={}, corpus={}, changes={}", lease.isLeader(), corpus.size(),
                                corpus.changesSinceTraining());
                    }
                }
            }
        } catch (WakeupException e) {
            if (!closed.get()) {
                throw e;
            }
        } finally {
            loopExited.countDown();
        }
    }

    /** Versions known on the model topics. */
    /**
     * Why the streams apps would refuse {@code mv} (featurizer version, size, sha256, signature when a
     * public key is configured: the same {@link ModelVerifier} checks), or empty when it verifies. The
     * trainer takes "serving" from what the apps can serve, not from the last registry record.
     */
    static Optional<String> unservable(ModelVersion mv, io.dimstream.core.ops.ModelVerifier verifier) {
        try {
            io.dimstream.core.ops.ModelVerifier.checkFeaturizerVersion(mv.getFeaturizerVersion(),
                    io.dimstream.core.featurize.SiteNetFeaturizer.VERSION);
            if (mv.getOnnx() == null) {
                return Optional.empty(); // bytes behind a uri: checked by the apps when they load it
            }
            java.nio.ByteBuffer b = mv.getOnnx().duplicate();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            verifier.checkSize(bytes.length);
            verifier.verify(mv, bytes);
            return Optional.empty();
        } catch (io.dimstream.core.ops.ModelVerificationException e) {
            return Optional.of(e.reason() + ": " + e.getMessage());
        }
    }

    record Known(Optional<ModelVersion> serving, int maxVersion) {
    }

    Known readModels() {
        Map<String, Object> cp = consumerProps();
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        io.dimstream.core.ops.ModelVerifier verifier = io.dimstream.core.ops.ModelVerifier.fromConfig(cfg.originals());
        io.dimstream.core.kafka.RegistryState registry = new io.dimstream.core.kafka.RegistryState(modelName);
        int max = 0;
        try (var c = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (String t : List.of(topics.modelsRegistry(), topics.modelsHistory())) {
                c.partitionsFor(t, Duration.ofSeconds(30)).forEach(p -> tps.add(new TopicPartition(t, p.partition())));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || !modelName.equals(io.dimstream.core.kafka.ModelRecords.modelNameOfKey(r.key()))
                            || r.value() == null) {
                        continue;
                    }
                    try {
                        ModelVersion mv = modelSerde.fromBytes(r.value());
                        max = Math.max(max, mv.getVersion());
                        if (r.topic().equals(topics.modelsRegistry())) {
                            registry.apply(mv); // the latest record per version decides (RETIRED = rolled back)
                        }
                    } catch (RuntimeException e) {
                        log.warn("unreadable model record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(),
                                e.getMessage());
                    }
                }
            }
        }
        // serving = what the streams apps serve: the highest PROMOTED version that verifies
        Optional<ModelVersion> serving = registry.choose(0, mv -> {
            Optional<String> why = unservable(mv, verifier);
            why.ifPresent(w -> log.warn("registry {} v{} is not taken as serving: {} (the streams apps refuse it too)",
                    modelName, mv.getVersion(), w));
            return why.isEmpty();
        });
        return new Known(serving, max);
    }

    /**
     * The base model to warm-start the first version from ({@link TrainerConfig#WARM_START_BASE}), or empty
     * (switched off, missing, or another featurizer version or architecture: one log line says which).
     */
    Optional<TrainedModel> baseWarmStart() {
        BaseModel.Selection sel = BaseModel.select(cfg.getString(TrainerConfig.WARM_START_BASE), BaseModel.home(),
                SiteNetFeaturizer.VERSION, CandidateTrainers.arch(cfg));
        log.info("first version: {}", sel.reason());
        if (sel.dir().isEmpty()) {
            return Optional.empty();
        }
        try {
            return TrainedModel.load(sel.dir().get());
        } catch (IOException e) {
            log.warn("base model {} cannot be read ({}): starting from random weights", sel.dir().get(), e.getMessage());
            return Optional.empty();
        }
    }

    /** Trains, gates and publishes one candidate now. */
    public synchronized RoundResult trainRound() throws Exception {
        long t0 = System.currentTimeMillis();
        checkpoint();
        Known known = readModels();
        int version = known.maxVersion() + 1;
        int valPercent = cfg.getInt(TrainerConfig.VALIDATION_PERCENT);
        io.dimstream.trainer.TrainingData train;
        List<FeaturizedCrystal> val;
        if (corpus instanceof DiskCorpus dc) {
            // streamed: never the whole corpus in memory; the held-out share is skipped by id (no decoding)
            java.util.function.Predicate<String> held = id -> bucket(id) < valPercent;
            java.util.function.Predicate<String> trained = held.negate();
            java.util.function.Predicate<FeaturizedCrystal> current = f -> f.featurizerVersion() == SiteNetFeaturizer.VERSION;
            val = dc.firstMatching(held, current, cfg.getInt(TrainerConfig.CORPUS_VALIDATION_MAX));
            int blockSize = cfg.getInt(TrainerConfig.CORPUS_BLOCK_SIZE);
            long blockSeed = cfg.getLong(TrainerConfig.SEED) + version;
            long trainCount = dc.size() - dc.heldOut(valPercent);
            train = io.dimstream.trainer.TrainingData.streamed(trainCount,
                    () -> dc.firstMatching(trained, current, 1).stream().findFirst(),
                    epoch -> dc.blocks(blockSeed, epoch, blockSize, trained, current));
        } else {
            List<FeaturizedCrystal> inMemory = new ArrayList<>();
            val = new ArrayList<>();
            for (FeaturizedCrystal f : ((LocalCorpus) corpus).snapshot()) {
                if (f.featurizerVersion() != SiteNetFeaturizer.VERSION) {
                    continue;
                }
                (bucket(f.id()) < valPercent ? val : inMemory).add(f);
            }
            train = io.dimstream.trainer.TrainingData.of(inMemory);
        }
        if (train.size() == 0 || val.isEmpty()) {
            throw new IllegalStateException("corpus too small to train (" + train.size() + " train, " + val.size()
                    + " validation structures)");
        }
        Integer parentVersion = known.serving().map(ModelVersion::getVersion).orElse(null);
        Optional<TrainedModel> parent = parentVersion == null ? Optional.empty()
                : TrainedModel.load(modelDir(parentVersion));
        if (parentVersion != null && parent.isEmpty()) {
            log.warn("serving v{} has no local trained state in {}: training from scratch", parentVersion,
                    modelDir(parentVersion));
        }
        // the first version warm-starts from the shipped base model (trainer.warm.start.base); the gate still
        // treats it as a first version (nothing serving to compare with)
        Optional<TrainedModel> warmFrom = parent;
        boolean fromBase = false;
        if (parent.isEmpty() && known.maxVersion() == 0) {
            warmFrom = baseWarmStart();
            fromBase = warmFrom.isPresent();
        }
        log.info("training {} v{} on {} structures ({} held out{}){}", modelName, version, train.size(), val.size(),
                corpus instanceof DiskCorpus dc ? ", streamed from disk in blocks of "
                        + cfg.getInt(TrainerConfig.CORPUS_BLOCK_SIZE) + ", gate on the first "
                        + cfg.getInt(TrainerConfig.CORPUS_VALIDATION_MAX) + " of " + dc.heldOut(valPercent) : "",
                fromBase ? ", warm-starting from the base model"
                        : parent.map(p -> ", warm-starting from v" + p.version()).orElse(""));
        // a shutdown (SIGTERM) ends training at the next step; the round is then abandoned, not half-published
        var budget = new CandidateTrainer.Budget(Duration.ofSeconds(cfg.getInt(TrainerConfig.BUDGET_SECONDS)),
                cfg.getInt(TrainerConfig.BUDGET_STEPS), closed::get);
        TrainedModel cand;
        double loss;
        double parentLoss;
        double parity;
        try {
            cand = trainer.train(modelName, version, train, val, warmFrom, budget);
            abandonIfClosing(version, null);
            loss = trainer.validationLoss(cand, val);
            parentLoss = parent.isPresent() ? trainer.validationLoss(parent.get(), val) : Double.NaN;
            parity = trainer.onnxParity(cand, val.subList(0, Math.min(32, val.size())));
        } catch (RoundAbandonedException e) {
            throw e;
        } catch (Exception e) {
            abandonIfClosing(version, e); // e.g. ONNX Runtime's own shutdown hook closed its environment
            throw e;
        }
        double tol = cfg.getDouble(TrainerConfig.GATE_TOLERANCE);
        String reason;
        ModelStatus status;
        if (!(parity <= cfg.getDouble(TrainerConfig.PARITY_TOLERANCE))) {
            status = ModelStatus.REJECTED;
            reason = "onnx parity " + parity + " > " + cfg.getDouble(TrainerConfig.PARITY_TOLERANCE);
        } else if (!Double.isFinite(loss)) {
            status = ModelStatus.REJECTED;
            reason = "validation loss is " + loss;
        } else if (!Double.isNaN(parentLoss) && loss > parentLoss + Math.abs(parentLoss) * tol) {
            status = ModelStatus.REJECTED;
            reason = String.format("validation DIM loss %.5f worse than serving v%d's %.5f", loss, parentVersion,
                    parentLoss);
        } else {
            status = ModelStatus.PROMOTED;
            reason = Double.isNaN(parentLoss) ? "first version (or no local parent to compare)"
                    : String.format("validation DIM loss %.5f <= serving %.5f", loss, parentLoss);
        }
        Map<String, Double> metrics = new LinkedHashMap<>(cand.metadata().metrics());
        metrics.put("val_dim_loss", loss);
        if (!Double.isNaN(parentLoss)) {
            metrics.put("parent_val_dim_loss", parentLoss);
        }
        metrics.put("onnx_parity_max_abs", parity);
        metrics.put("train_size", (double) train.size());
        metrics.put("val_size", (double) val.size());
        metrics.put("train_seconds", (System.currentTimeMillis() - t0) / 1000.0);
        TrainedModel published = new TrainedModel(cand.metadata().withMetrics(metrics), cand.onnx(), cand.state());
        if (!lease.isLeader()) {
            throw new IllegalStateException("trainer lease lost during training: v" + version + " not published");
        }
        if (status == ModelStatus.PROMOTED) {
            published.save(modelDir(version));
        }
        publish(ModelRecords.toRecord(published.metadata(), published.onnx(), parentVersion, corpus.size(), status));
        corpus.markTrained();
        Optional<DriftMonitor.Drift> before = measureDrift();
        // drift is measured against what this round trained on (train + held out) from now on
        resetDriftReference(f -> f.featurizerVersion() == SiteNetFeaturizer.VERSION);
        before.ifPresent(d -> log.info("{} v{}: new structures since the previous round: {}", modelName, version, d));
        RoundResult rr = new RoundResult(version, parentVersion, status, reason, loss, parentLoss, parity,
                (int) train.size(), val.size(), System.currentTimeMillis() - t0);
        rounds.add(rr);
        log.info("{} v{} {}: {} (parity {}, {} ms)", modelName, version, status, reason, parity, rr.millis());
        return rr;
    }

    /** A round given up because the service is shutting down: nothing was published. */
    static final class RoundAbandonedException extends IllegalStateException {
        RoundAbandonedException(String message) {
            super(message);
        }
    }

    private void abandonIfClosing(int version, Exception cause) {
        if (closed.get()) {
            throw new RoundAbandonedException(modelName + " v" + version + ": round abandoned, shutdown requested "
                    + (cause == null ? "during training" : "(" + cause.getClass().getSimpleName() + " while gating)")
                    + "; nothing published, the corpus is checkpointed and the next start trains again");
        }
    }

    private Path modelDir(int version) {
        return cfg.dataDir().resolve("models").resolve("v" + version);
    }

    static int bucket(String id) {
        CRC32 c = new CRC32();
        c.update(id.getBytes(StandardCharsets.UTF_8));
        return (int) (c.getValue() % 100);
    }

    private void publish(ModelVersion mv) {
        if (producer == null) {
            Map<String, Object> pp = new HashMap<>(cfg.clientProperties());
            pp.keySet().removeIf(k -> !ProducerConfig.configNames().contains(k));
            pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "dimstream-trainer-" + modelName);
            pp.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
            producer = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer());
            producer.initTransactions();
        }
        mv = io.dimstream.trainer.ops.RecordSigner.signIfConfigured(mv, cfg.originals());
        byte[] bytes = modelSerde.toBytes(mv);
        producer.beginTransaction();
        try {
            if (mv.getStatus() == ModelStatus.PROMOTED) {
                producer.send(new ProducerRecord<>(topics.modelsRegistry(),
                        io.dimstream.core.kafka.ModelRecords.registryKey(modelName, mv.getVersion()), bytes));
            }
            producer.send(new ProducerRecord<>(topics.modelsHistory(), modelName, bytes));
            producer.commitTransaction();
        } catch (RuntimeException e) {
            try {
                producer.abortTransaction();
            } catch (RuntimeException ignored) {
                // fenced: nothing to abort
            }
            producer.close(Duration.ofSeconds(5));
            producer = null;
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        if (closed.getAndSet(true)) {
            return;
        }
        features.wakeup();
        if (looping) {
            try {
                loopExited.await(5, java.util.concurrent.TimeUnit.MINUTES); // a running round finishes first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            lease.close();
            try {
                checkpoint();
            } catch (RuntimeException | IOException e) {
                log.debug("final checkpoint: {}", e.toString());
            }
            features.close(Duration.ofSeconds(5));
            if (producer != null) {
                producer.close(Duration.ofSeconds(10));
            }
            corpus.close();
        }
    }
}
