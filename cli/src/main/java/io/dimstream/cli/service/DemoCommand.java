package io.dimstream.cli.service;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.Topics;
import io.dimstream.predict.HeldOutDemo;
import io.dimstream.predict.PredictionEvaluator;
import io.dimstream.heads.HeldOutEvaluation;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.DeadLetter;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.schemas.Prediction;
import io.dimstream.streams.StreamsApp;
import io.dimstream.streams.StreamsAppConfig;
import io.dimstream.streams.StreamsMain;
import io.dimstream.trainer.service.CandidateTrainers;
import io.dimstream.trainer.service.TrainerConfig;
import io.dimstream.trainer.service.TrainerService;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream demo}: the whole system on one machine. Embedded KRaft broker (127.0.0.1, data
 * under {@code demo-data/}), topics, streams app and trainer service; ingests bundled real Materials
 * Project structures, trains and publishes v1 (a warm start from the base model {@code models/base} when it
 * exists and matches, see {@link io.dimstream.trainer.BaseModel}), embeds (and backfills what arrived before v1), ingests
 * more (plus a few broken inputs for the DLQ), trains v2, hot-swaps and backfills the corpus with v2,
 * publishes the band_gap / formation_energy_per_atom labels of all but a stable 10 % of the structures,
 * runs the predictor service (ridge heads on the serving version's embeddings) and prints a summary with
 * the held-out prediction MAE per property next to a predict-the-mean baseline.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {
            "Run the end-to-end demo on an embedded Kafka broker with bundled real Materials Project structures (CC BY 4.0).",
            "Steps: ingest, featurize, train v1 (warm-started from the base model in models/base when present), embed, ingest more, train v2, hot-swap, backfill, labels + predictor (held-out MAE per property), summary."
        })
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--metrics-port", defaultValue = "0",
            description = "Port of the streams app's /metrics, /health, /ready on 127.0.0.1 (0 = any free port, printed; -1 = none).")
    int metricsPort;

    @Option(names = "--dir", defaultValue = "demo-data", description = "Working folder (wiped at start; default ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--first", defaultValue = "2000", description = "Structures ingested before v1 (default ${DEFAULT-VALUE}).")
    int first;

    @Option(names = "--second", defaultValue = "1000", description = "Structures ingested before v2 (default ${DEFAULT-VALUE}).")
    int second;

    @Option(names = "--train-seconds", defaultValue = "30", description = "Training budget per version (default ${DEFAULT-VALUE}).")
    int trainSeconds;

    @Option(names = "--search-port", defaultValue = "0",
            description = "Port of the similar-structure search page and API on 127.0.0.1 (0 = any free port, printed).")
    int searchPort;

    @Option(names = "--keep-running", description = "After the summary, keep the broker, streams app and search page up until Ctrl-C.")
    boolean keepRunning;

    /** Label columns of the bundled sample predicted from the embeddings. */
    static final List<String> PROPERTIES = List.of("band_gap", "formation_energy_per_atom");
    /** Share of the structures whose labels are withheld from the predictor and scored (stable id hash). */
    static final double HOLDOUT = 0.1;

    private final long t0 = System.nanoTime();

    /**
     * The demo owns its broker: the Kafka clients' "connection to node … could not be established" and
     * close-time warnings while it starts and stops are noise here (a deployment keeps them: CliLogging).
     */
    private static void quietClientReconnects() {
        if (org.slf4j.LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient")
                instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }

    private void say(String fmt, Object... args) {
        System.out.printf("[demo %6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, String.format(fmt, args));
        System.out.flush();
    }

    @Override
    public Integer call() throws Exception {
        return KafkaOptions.onLargeStack("dimstream-demo", this::runDemo);
    }

    private int runDemo() throws Exception {
        Path marker = dir.resolve(".dimstream-demo");
        if (Files.isDirectory(dir) && !Files.exists(marker)) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    System.err.println("demo: " + dir + " exists and is not a demo folder; not wiping it (use --dir)");
                    return 2;
                }
            }
        }
        deleteRecursively(dir);
        Files.createDirectories(dir);
        Files.writeString(marker, "created by ./dimstream demo; wiped at each demo start\n");
        List<RawCif> sample = loadSample();
        if (sample.size() < first + second) {
            throw new IllegalArgumentException("bundled sample has " + sample.size() + " structures < " + (first + second));
        }
        quietClientReconnects();
        say("starting an embedded Kafka broker (KRaft, 127.0.0.1) with data in %s", dir.resolve("kafka"));
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dir.resolve("kafka")).build().start()) {
            String bs = broker.bootstrapServers();
            Topics topics = Topics.defaults();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bs))) {
                topics.ensureAll(admin, 2, Optional.empty());
            }
            say("broker at %s; topics %s", bs, topics.all());

            Map<String, String> sp = new HashMap<>();
            sp.put(StreamsAppConfig.BOOTSTRAP_SERVERS, bs);
            sp.put(StreamsAppConfig.APPLICATION_ID, "dimstream-demo");
            sp.put(StreamsAppConfig.STATE_DIR, dir.resolve("streams-state").toAbsolutePath().toString());
            sp.put(StreamsAppConfig.BATCH_SIZE, "64");
            sp.put(StreamsAppConfig.BATCH_MAX_WAIT_MS, "200");
            sp.put(StreamsAppConfig.BACKFILL_RATE, "5000");
            sp.put(StreamsAppConfig.PROGRESS_INTERVAL_MS, "2000");
            sp.put(StreamsAppConfig.BUFFER_MAX_RECORDS, "128"); // the rest of the pre-model corpus shows the backfill
            sp.put(StreamsAppConfig.TOPICS_PARTITIONS, "2");
            sp.put(StreamsAppConfig.ENCODER_DEVICE, "auto");
            sp.put("commit.interval.ms", "500");
            sp.put("metrics.port", String.valueOf(metricsPort));
            StreamsAppConfig scfg = new StreamsAppConfig(sp);

            Map<String, String> tp = new HashMap<>();
            tp.put(TrainerConfig.BOOTSTRAP_SERVERS, bs);
            tp.put(TrainerConfig.DATA_DIR, dir.resolve("trainer").toAbsolutePath().toString());
            tp.put(TrainerConfig.BUDGET_SECONDS, Integer.toString(trainSeconds));
            tp.put(TrainerConfig.TOPICS_PARTITIONS, "2");
            tp.put(TrainerConfig.GATE_TOLERANCE, "0.05");
            TrainerConfig tcfg = new TrainerConfig(tp);

            Map<String, String> search = new HashMap<>();
            search.put("bootstrap.servers", bs);
            search.put(io.dimstream.search.SearchConfig.STREAMS_APP_ID, "dimstream-demo");
            search.put(io.dimstream.search.SearchConfig.DATA_DIR, dir.resolve("search").toAbsolutePath().toString());
            search.put(io.dimstream.search.SearchConfig.HTTP_PORT, String.valueOf(searchPort));
            search.put(io.dimstream.search.SearchConfig.COMMIT_INTERVAL_MS, "2000");
            Path sg = io.dimstream.trainer.BaseModel.home().resolve("tools/data/prototypes.csv.gz");
            if (Files.isRegularFile(sg)) {
                search.put(io.dimstream.search.SearchConfig.SPACEGROUPS_FILE, sg.toString());
            }

            long ingestStart = System.nanoTime();
            try (StreamsApp app = StreamsMain.create(scfg);
                 io.dimstream.search.SearchService searchService =
                         new io.dimstream.search.SearchService(new io.dimstream.search.SearchConfig(search)).start();
                 io.dimstream.streams.ops.StreamsOps ops = io.dimstream.streams.ops.StreamsOps.attach(app, scfg);
                 TrainerService trainer = new TrainerService(tcfg, CandidateTrainers.create(tcfg));
                 KafkaProducer<String, byte[]> producer = producer(bs)) {
                app.start();
                if (ops.server() != null) {
                    say("metrics: %s  health: %s  ready: %s", ops.server().url("/metrics"), ops.server().url("/health"),
                            ops.server().url("/ready"));
                }
                if (!app.awaitRunning(Duration.ofMinutes(2))) {
                    throw new IllegalStateException("streams app did not reach RUNNING");
                }
                say("streams app running (exactly_once_v2); no model yet: features flow, embeddings wait");
                say("similar-structure search page: %s", searchService.url());

                // phase 1: first batch of structures, before any model exists
                produce(producer, topics.raw(), sample.subList(0, first));
                List<RawCif> broken = brokenInputs(sample.get(first + second - 1));
                produce(producer, topics.raw(), broken);
                waitFor("features + dead letters of phase 1", () -> app.counters().get("raw.in") >= first + broken.size(),
                        () -> app.counters().get("raw.in") + "/" + (first + broken.size()) + " raw records processed",
                        Duration.ofMinutes(10));
                double featSecs = (System.nanoTime() - ingestStart) / 1e9;
                long feats1 = app.counters().get("features.out");
                say("phase 1: %d features, %d dead letters (%.0f structures/s parse+featurize)", feats1,
                        app.counters().sum("dlq."), (first + broken.size()) / featSecs);

                // v1
                Thread.sleep(2000); // the streams app's last transaction commits (the trainer reads read_committed)
                // v1 warm-starts from the shipped base model when it is there and matches (trainer.warm.start.base)
                say("training v1 on the corpus (budget %d s): %s...", trainSeconds, io.dimstream.trainer.BaseModel
                        .select(tcfg.getString(TrainerConfig.WARM_START_BASE), io.dimstream.trainer.BaseModel.home(),
                                io.dimstream.core.featurize.SiteNetFeaturizer.VERSION, CandidateTrainers.arch(tcfg))
                        .reason());
                var r1 = trainer.runOnce(Duration.ofMinutes(5));
                say("v1 %s: %s (val DIM loss %.4f, %d structures, %.1f s)", r1.status(), r1.reason(), r1.valLoss(),
                        r1.trainSize() + r1.valSize(), r1.millis() / 1000.0);
                long embStart = System.nanoTime();
                waitFor("v1 to serve", () -> app.models().currentVersion().orElse(0) >= r1.version(),
                        () -> "waiting for the model loader", Duration.ofMinutes(2));
                waitFor("the corpus to be embedded with v1", () -> app.backfill().complete(r1.version())
                                && app.counters().get("embeddings.out.backfill")
                                        + app.counters().get("embeddings.out.live") >= feats1,
                        () -> app.backfill().describe(), Duration.ofMinutes(10));
                double embSecs1 = (System.nanoTime() - embStart) / 1e9;
                say("v1 serving; the %d structures that arrived before it embedded in %.1f s (%.0f/s: %d from the"
                        + " buffer, %d by the backfill)", feats1, embSecs1, feats1 / embSecs1,
                        app.counters().get("embeddings.out.live"), app.counters().get("embeddings.out.backfill"));

                // phase 2: more structures while v1 serves (embedded live)
                long p2 = System.nanoTime();
                long liveBefore = app.counters().get("embeddings.out.live");
                long featsBefore = app.counters().get("features.out");
                produce(producer, topics.raw(), sample.subList(first, first + second));
                waitFor("phase 2 to be embedded live with v1",
                        () -> app.counters().get("raw.in") >= first + broken.size() + second
                                && app.counters().get("embeddings.out.live") - liveBefore
                                        >= app.counters().get("features.out") - featsBefore,
                        () -> (app.counters().get("embeddings.out.live") - liveBefore) + "/" + second + " live embeddings",
                        Duration.ofMinutes(10));
                double p2Secs = (System.nanoTime() - p2) / 1e9;
                say("phase 2: %d more structures raw -> embeddings in %.1f s (%.0f structures/s end to end)", second,
                        p2Secs, second / p2Secs);

                // v2, hot swap, backfill
                Thread.sleep(2000);
                say("training v2, warm-started from v1 (budget %d s)...", trainSeconds);
                var r2 = trainer.runOnce(Duration.ofMinutes(5));
                say("v2 %s: %s (val DIM loss %.4f vs v1 %.4f)", r2.status(), r2.reason(), r2.valLoss(), r2.parentValLoss());
                if (r2.status() == io.dimstream.schemas.ModelStatus.PROMOTED) {
                    long swapStart = System.nanoTime();
                    waitFor("v2 to be hot-swapped in", () -> app.models().currentVersion().orElse(0) >= r2.version(),
                            () -> "serving v" + app.models().currentVersion().orElse(0), Duration.ofMinutes(2));
                    waitFor("the v2 backfill", () -> app.backfill().complete(r2.version()), () -> app.backfill().describe(),
                            Duration.ofMinutes(10));
                    say("v2 serving; backfill of %d structures took %.1f s", app.backfill().embedded(r2.version()),
                            (System.nanoTime() - swapStart) / 1e9);
                }
                Thread.sleep(1500); // let the last transactions commit
                PredictionReport predictions = predict(bs, sample.subList(0, first + second),
                        app.models().currentVersion().orElse(0));
                int serving = app.models().currentVersion().orElse(0);
                waitFor("the search index to serve v" + serving, () -> searchService.state().serving() != null
                                && searchService.state().serving().version() == serving && searchService.caughtUp()
                                && searchService.state().pending().isEmpty(),
                        () -> "search: " + searchService.state().sizes() + ", " + searchService.backfillSignal(),
                        Duration.ofMinutes(2));
                summary(bs, topics, app, (System.nanoTime() - ingestStart) / 1e9, predictions);
                searchSummary(searchService, sample.subList(0, first + second));
                if (ops.server() != null) {
                    System.out.println("metrics on " + ops.server().url("/metrics") + " (dimstream_records_*, dimstream_model_*):");
                    ops.metrics().scrape().lines().filter(l -> l.startsWith("dimstream_records_")
                            || l.startsWith("dimstream_model_")).forEach(l -> System.out.println("  " + l));
                }
                if (keepRunning) {
                    say("kept running: search page %s (broker %s); Ctrl-C to stop", searchService.url(), bs);
                    java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "demo-stop"));
                    stop.await();
                }
            }
        }
        say("done");
        return 0;
    }

    /** A similar-structure search in the summary: the 5 nearest of one structure, by id, in the serving version. */
    private static void searchSummary(io.dimstream.search.SearchService svc, List<RawCif> ingested) {
        var st = svc.state();
        System.out.printf("similar-structure search (%s): serving v%d, embeddings per version %s, ingest -> searchable"
                        + " p50/p99 %d/%d ms (%d live embeddings)%n", svc.url(), st.serving().version(), st.sizes(),
                st.stats().freshnessPercentile(0.5), st.stats().freshnessPercentile(0.99), st.stats().freshnessCount());
        for (RawCif r : ingested) {
            if (st.contains(r.id())) {
                var res = st.byId(r.id(), 5, io.dimstream.search.SearchFilter.NONE, false);
                io.dimstream.search.Meta q = st.meta(r.id());
                System.out.printf("  the 5 nearest of %s (%s), cosine distance, HNSW index:%n", r.id(), q == null ? "?" : q.formula());
                for (var n : res.neighbours()) {
                    io.dimstream.search.Meta m = st.meta(n.id());
                    System.out.printf("    %-14s %-16s %.5f  space group %s%n", n.id(), m == null ? "?" : m.formula(),
                            n.distance(), m == null || m.spaceGroup() == null ? "?" : m.spaceGroup());
                }
                System.out.printf("  (the page: %s?id=%s)%n", svc.url(), r.id());
                return;
            }
        }
    }

    /** Held-out scores per property, with the predict-the-training-mean baseline on the same ids. */
    private record PredictionReport(HeldOutDemo.Outcome outcome, Map<String, Double> baselineMae, int modelVersion,
                                    double seconds) {
        void print() {
            System.out.printf("held-out prediction MAE (ridge heads on v%d embeddings; labels of %.0f %% of the"
                    + " structures withheld from the predictor):%n", modelVersion, HOLDOUT * 100);
            for (String prop : PROPERTIES) {
                PredictionEvaluator.PropertyScore s = outcome.scores().get(prop);
                System.out.printf("  %-26s MAE %.4f on %d held-out structures (predict-the-mean baseline MAE %.4f);"
                                + " model v%d, head v%d fitted on %d labels, head CV MAE %.4f%n",
                        prop, s.mae(), s.n(), baselineMae.get(prop), s.modelVersion(), s.headVersion(), s.labelsUsed(),
                        s.cvMae());
            }
            System.out.printf("predictions published: %d (%d labels, %d head fits, %.1f s%s)%n",
                    outcome.predictionsPublished(), outcome.labelsPublished(), outcome.fits(), seconds,
                    outcome.settled() ? "" : "; predictor did NOT settle before the timeout");
        }
    }

    /**
     * Publishes the labels of all but the held-out structures to crystals.labels, runs the predictor service
     * until it has predicted every embedding of the serving version, and scores the held-out structures.
     */
    private PredictionReport predict(String bs, List<RawCif> ingested, int version) throws InterruptedException {
        Map<String, Map<String, Double>> truth = new LinkedHashMap<>();
        for (String prop : PROPERTIES) {
            Map<String, Double> values = new LinkedHashMap<>();
            for (RawCif r : ingested) {
                String v = r.columns().get(prop);
                if (v != null && !v.isBlank()) {
                    values.put(r.id(), Double.parseDouble(v.trim()));
                }
            }
            truth.put(prop, values);
        }
        say("predictor: labels %s of %d structures (%.0f %% held out), ridge heads on v%d embeddings...",
                PROPERTIES, ingested.size(), HOLDOUT * 100, version);
        long start = System.nanoTime();
        Map<String, Object> kafka = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
        HeldOutDemo.Outcome outcome = HeldOutDemo.run(kafka, Map.of(), truth, HOLDOUT, version, "ridge",
                Duration.ofMinutes(5));
        double secs = (System.nanoTime() - start) / 1e9;
        // baseline on exactly the scored ids: held out, predicted with the scored model version
        Map<String, Prediction> latest = PredictionEvaluator.latestPredictions(kafka, Topics.defaults().predictions());
        Map<String, Double> baseline = new LinkedHashMap<>();
        for (String prop : PROPERTIES) {
            double sum = 0;
            int n = 0;
            List<Double> test = new ArrayList<>();
            for (Map.Entry<String, Double> e : truth.get(prop).entrySet()) {
                if (!io.dimstream.core.HeldOutSplit.isHeldOut(e.getKey(), HOLDOUT)) {
                    sum += e.getValue();
                    n++;
                } else {
                    Prediction p = latest.get(e.getKey() + "/" + prop);
                    if (p != null && p.getModelVersion() == outcome.scores().get(prop).modelVersion()) {
                        test.add(e.getValue());
                    }
                }
            }
            double mean = sum / Math.max(1, n);
            baseline.put(prop, test.isEmpty() ? Double.NaN
                    : test.stream().mapToDouble(y -> Math.abs(y - mean)).average().orElse(Double.NaN));
        }
        say("predictor: %d predictions published in %.1f s", outcome.predictionsPublished(), secs);
        return new PredictionReport(outcome, baseline, version, secs);
    }

    private void summary(String bs, Topics topics, StreamsApp app, double secs, PredictionReport predictions) {
        System.out.println();
        System.out.println("==================== dimstream demo summary ====================");
        Map<String, List<ConsumerRecord<String, byte[]>>> all = new LinkedHashMap<>();
        for (String t : List.of(topics.raw(), topics.features(), topics.embeddings(), topics.dlq(),
                topics.modelsRegistry(), topics.modelsHistory(), topics.labels(), topics.predictions())) {
            all.put(t, readAll(bs, t));
        }
        System.out.println("records per topic (read_committed):");
        all.forEach((t, l) -> System.out.printf("  %-22s %6d%n", t, l.size()));
        AvroSerde<DeadLetter> dls = AvroSerde.of(DeadLetter.class);
        Map<String, Integer> reasons = new TreeMap<>();
        for (var r : all.get(topics.dlq())) {
            DeadLetter d = dls.fromBytes(r.value());
            reasons.merge(d.getStage() + "/" + d.getErrorType(), 1, Integer::sum);
        }
        System.out.println("dead letters by stage/reason:");
        reasons.forEach((k, v) -> System.out.printf("  %-40s %4d%n", k, v));
        AvroSerde<ModelVersion> mvs = AvroSerde.of(ModelVersion.class);
        System.out.println("model versions (models.history):");
        for (var r : all.get(topics.modelsHistory())) {
            ModelVersion m = mvs.fromBytes(r.value());
            System.out.printf("  %s v%d %-9s parent=%s corpus=%d val_dim_loss=%.4f onnx=%d bytes sha256=%s…%n",
                    m.getModelName(), m.getVersion(), m.getStatus(), m.getParentVersion(), m.getCorpusSize(),
                    m.getMetrics().getOrDefault("val_dim_loss", Double.NaN), m.getOnnx() == null ? 0 : m.getOnnx().remaining(),
                    m.getSha256().substring(0, 12));
        }
        AvroSerde<CrystalEmbedding> es = AvroSerde.of(CrystalEmbedding.class);
        Map<Integer, Set<String>> idsPerVersion = new TreeMap<>();
        Map<Integer, int[]> livePerVersion = new TreeMap<>();
        for (var r : all.get(topics.embeddings())) {
            CrystalEmbedding e = es.fromBytes(r.value());
            idsPerVersion.computeIfAbsent(e.getModelVersion(), v -> new HashSet<>()).add(e.getId());
            livePerVersion.computeIfAbsent(e.getModelVersion(), v -> new int[2])[e.getBackfill() ? 1 : 0]++;
        }
        System.out.println("embeddings per model version:");
        idsPerVersion.forEach((v, ids) -> System.out.printf("  v%d: %d records (%d live, %d backfill), %d distinct ids%n",
                v, livePerVersion.get(v)[0] + livePerVersion.get(v)[1], livePerVersion.get(v)[0], livePerVersion.get(v)[1],
                ids.size()));
        long batches = app.counters().get("embed.batches");
        double inferMs = app.counters().get("embed.inference_nanos") / 1e6;
        System.out.printf("serving model: v%d; swaps: %d; rejected models: %d%n", app.models().currentVersion().orElse(0),
                app.counters().get("models.swaps"), app.counters().get("models.rejected"));
        System.out.printf("throughput: %d structures in %.1f s overall; inference %d batches, %.2f ms/structure%n",
                all.get(topics.raw()).size(), secs, batches,
                inferMs / Math.max(1, app.counters().get("embeddings.out.live") + app.counters().get("embeddings.out.backfill")));
        predictions.print();
        System.out.println("================================================================");
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(String bs, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (var c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(pi -> new TopicPartition(topic, pi.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline && tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private void waitFor(String what, BooleanSupplier done, java.util.function.Supplier<String> progress,
                         Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextReport = System.nanoTime() + 3_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what + " (" + progress.get() + ")");
            }
            if (System.nanoTime() > nextReport) {
                say("  ... %s: %s", what, progress.get());
                nextReport = System.nanoTime() + 3_000_000_000L;
            }
            Thread.sleep(100);
        }
    }

    private static KafkaProducer<String, byte[]> producer(String bs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private void produce(KafkaProducer<String, byte[]> producer, String topic, List<RawCif> rows) {
        AvroSerde<CrystalSubmission> serde = AvroSerde.of(CrystalSubmission.class);
        for (RawCif r : rows) {
            CrystalSubmission s = CrystalSubmission.newBuilder().setId(r.id()).setSource("demo:mp-sample.csv.gz")
                    .setPayload(r.text()).setSubmittedAt(Instant.now()).build();
            producer.send(new ProducerRecord<>(topic, r.id(), serde.serialize(topic, s)));
        }
        producer.flush();
        say("ingested %d structures into %s", rows.size(), topic);
    }

    /** A truncated CIF, an unknown element and a CIF without a cell, derived from a real structure. */
    private static List<RawCif> brokenInputs(RawCif base) {
        String text = base.text();
        List<RawCif> l = new ArrayList<>();
        l.add(new RawCif("broken-truncated", "demo", text.substring(0, text.indexOf("loop_")), Map.of()));
        StringBuilder unknown = new StringBuilder();
        for (String line : text.split("\n")) {
            String tr = line.trim();
            String[] tok = tr.split("\\s+");
            if (tok.length >= 7 && Character.isUpperCase(tr.charAt(0))) {
                line = line.replace(tok[0], "Qz");
            }
            unknown.append(line).append('\n');
        }
        l.add(new RawCif("broken-unknown-element", "demo", unknown.toString(), Map.of()));
        l.add(new RawCif("broken-no-cell", "demo", text.replaceAll("(?m)^_cell_length_a.*$", ""), Map.of()));
        return l;
    }

    private static List<RawCif> loadSample() throws Exception {
        InputStream in = DemoCommand.class.getResourceAsStream("/demo/mp-sample.csv.gz");
        if (in == null) {
            throw new IllegalStateException("bundled demo sample /demo/mp-sample.csv.gz missing from the classpath");
        }
        var reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8));
        try (var s = CifInputs.csv(reader, "mp-sample.csv.gz")) {
            return s.toList();
        }
    }

    private static void deleteRecursively(Path p) throws Exception {
        if (!Files.exists(p)) {
            return;
        }
        try (var w = Files.walk(p)) {
            for (Path x : w.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
