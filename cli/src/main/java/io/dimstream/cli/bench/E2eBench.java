package io.dimstream.cli.bench;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.DeadLetter;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.streams.CifFeaturize;
import io.dimstream.streams.StageException;
import io.dimstream.streams.StreamsApp;
import io.dimstream.streams.StreamsAppConfig;
import io.dimstream.streams.StreamsMain;
import io.dimstream.streams.ops.CounterMetrics;
import io.dimstream.streams.ops.StreamsOps;
import io.dimstream.trainer.Budget;
import io.dimstream.trainer.DimTrainer;
import io.dimstream.trainer.ModelBundle;
import io.dimstream.trainer.TrainConfig;
import io.dimstream.trainer.TrainListener;
import io.dimstream.trainer.TrainResult;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream bench e2e}: the whole pipeline on a real (embedded, 127.0.0.1) KRaft broker. A
 * model is trained quickly on real structures with the DIM trainer and published to the registry;
 * the production streams app (CIF parser, Site-Net featurizer, ONNX Runtime encoder, exactly-once)
 * runs in this JVM; N real Materials Project structures are produced to the raw topic at a target
 * rate; a read_committed consumer of the embeddings topic records when each embedding became visible.
 * Reports sustained structures/s from the first raw record to the last embedding, and the
 * end-to-end latency (visible embedding − {@code submittedAt} of its raw record) p50/p90/p99/max.
 */
@Command(name = "e2e", mixinStandardHelpOptions = true,
        description = {"End-to-end benchmark on an embedded broker, raw structures to embeddings.",
            "N real structures are produced to crystals.raw at --rate.",
            "Reports the sustained structures/s raw -> embeddings and the p50/p99 end-to-end latency (submittedAt -> visible embedding)."})
public final class E2eBench implements Callable<Integer> {

    @Option(names = "--structures", defaultValue = "6000", paramLabel = "N",
            description = "Structures produced in the measured phase (default: ${DEFAULT-VALUE}; repeats the data set with new ids when N exceeds it).")
    int structures;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "R",
            description = "Target produce rate, structures/s (0 = as fast as possible; default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--data", paramLabel = "CSV", description = "CSV(.gz) with a cif column (default: the bundled demo sample of 3,000 MP structures).")
    Path data;

    @Option(names = "--warmup", defaultValue = "3000",
            description = {"Structures run through first, not measured (default: ${DEFAULT-VALUE}): the JIT compiles the parser,",
                "featurizer and Kafka code paths during the first few thousand records of a fresh JVM."})
    int warmup;

    @Option(names = "--train-steps", defaultValue = "10", description = "DIM training steps of the quick model (default: ${DEFAULT-VALUE}).")
    int trainSteps;

    @Option(names = "--model", paramLabel = "DIR", description = "Use this model directory (model.onnx + model.json) instead of training one.")
    Path modelDir;

    @Option(names = "--batch-size", defaultValue = "64", description = "Inference batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--batch-max-wait-ms", defaultValue = "50", description = "Longest wait of a partial batch (default: ${DEFAULT-VALUE}).")
    long batchWaitMs;

    @Option(names = "--commit-interval-ms", defaultValue = "100",
            description = "Kafka Streams commit interval: exactly-once output is visible only after a commit (default: ${DEFAULT-VALUE}).")
    long commitMs;

    @Option(names = "--stream-threads", defaultValue = "2", description = "num.stream.threads (default: ${DEFAULT-VALUE}).")
    int streamThreads;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the data topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--encoder-threads", defaultValue = "1", description = "ONNX Runtime intra-op threads per session (default: ${DEFAULT-VALUE}).")
    int encoderThreads;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "Encoder graph precision (encoder.precision): fp32, int8, fp16, bf16 (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--device", defaultValue = "cpu", description = "Encoder device: auto, cpu, cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--search", description = "Also run the search service and report ingest → searchable p50/p99 (freshness).")
    boolean search;

    @Option(names = "--timeout-s", defaultValue = "600", description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    long timeoutS;

    static final String MODEL = "sitenet-dim";


    private List<LiveBench.Sample> samples;
    private ModelVersion model;

    @Override
    public Integer call() throws Exception {
        Locale.setDefault(Locale.ROOT);
        samples = LiveBench.samples(data);
        // PyTorch training runs on the main thread (libtorch's autograd crashed on a custom-stack
        // thread here); ONNX Runtime then runs on a thread with a large stack, as in the services
        model = model(samples);
        return io.dimstream.cli.service.KafkaOptions.onLargeStack("bench-e2e", this::run);
    }


    private Integer run() throws Exception {
        System.out.printf("bench e2e: %d structures in the data set; %d warm-up + %d measured at %s%n", samples.size(),
                warmup, structures, rate > 0 ? String.format("%.0f/s", rate) : "full speed");
        Path work = Files.createTempDirectory("dimstream-bench-e2e-");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(work.resolve("kafka"))
                .deleteOnClose(true).build().start()) {
            String bootstrap = broker.bootstrapServers();
            Map<String, String> props = new HashMap<>();
            props.put("bootstrap.servers", bootstrap);
            props.put("application.id", "bench-e2e");
            props.put("state.dir", work.resolve("state").toString());
            props.put("batch.size", String.valueOf(batchSize));
            props.put("batch.max.wait.ms", String.valueOf(batchWaitMs));
            props.put("commit.interval.ms", String.valueOf(commitMs));
            props.put("num.stream.threads", String.valueOf(streamThreads));
            props.put("topics.partitions", String.valueOf(partitions));
            props.put("encoder.device", device);
            props.put("encoder.threads", String.valueOf(encoderThreads));
            props.put("encoder.precision", precision);
            props.put("metrics.port", "0");
            StreamsAppConfig cfg = new StreamsAppConfig(props);
            Topics topics = cfg.topics();

            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                topics.ensureAll(admin, partitions, Optional.empty());
            }
            try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
                StreamsApp app = StreamsMain.create(cfg);
                try (StreamsOps ops = StreamsOps.attach(app, cfg)) {
                    app.start();
                    if (!app.awaitRunning(Duration.ofSeconds(120))) {
                        throw new IllegalStateException("streams app not RUNNING after 120 s: " + app.state());
                    }
                    producer.send(new ProducerRecord<>(topics.modelsRegistry(), MODEL,
                            AvroSerde.of(ModelVersion.class).toBytes(model))).get();
                    if (!app.models().awaitVersion(model.getVersion(), Duration.ofSeconds(120))) {
                        throw new IllegalStateException("model not serving: " + app.models().lastRejection());
                    }
                    System.out.printf("model %s v%d serving (%d ONNX bytes); ops endpoint %s%n", MODEL, model.getVersion(),
                            model.getOnnx().remaining(), ops.server().url("/metrics"));
                    io.dimstream.search.SearchService searchService = null;
                    if (search) {
                        Map<String, String> sp = new HashMap<>();
                        sp.put("bootstrap.servers", bootstrap);
                        sp.put(io.dimstream.search.SearchConfig.STREAMS_APP_ID, "bench-e2e");
                        sp.put(io.dimstream.search.SearchConfig.DATA_DIR, work.resolve("search").toString());
                        sp.put(io.dimstream.search.SearchConfig.HTTP_PORT, "0");
                        sp.put("topics.create", "false");
                        searchService = new io.dimstream.search.SearchService(new io.dimstream.search.SearchConfig(sp)).start();
                        System.out.printf("search service on %s%n", searchService.url());
                    }
                    Result warm = phase("warmup", samples, 0, warmup, 0, producer, bootstrap, topics);
                    System.out.printf("warm-up: %d embedded in %.1f s%n", warm.embedded, warm.seconds);
                    if (searchService != null) {
                        awaitIndexed(searchService, warm.embedded);
                        searchService.state().stats().resetFreshness();
                    }
                    long indexedBefore = searchService == null ? 0 : searchService.state().stats().total();
                    Result r = phase("m", samples, warmup, structures, rate, producer, bootstrap, topics);
                    Timer inf = ops.metrics().registry().find(CounterMetrics.INFERENCE).timer();
                    var batches = ops.metrics().registry().find(CounterMetrics.BATCH_SIZE).tag("mode", "live").summary();
                    report(r, inf, batches);
                    if (searchService != null) {
                        awaitIndexed(searchService, indexedBefore + r.embedded);
                        var st = searchService.state().stats();
                        System.out.printf("| **ingest → searchable in the search service, p50 / p99** | **%d / %d ms** (%d live "
                                + "embeddings; submittedAt → visible after the index refresh; HNSW) |%n",
                                st.freshnessPercentile(0.5), st.freshnessPercentile(0.99), st.freshnessCount());
                        searchService.close();
                    }
                } finally {
                    app.close();
                }
            }
        } finally {
            deleteQuietly(work);
        }
        return 0;
    }

    /** Waits (at most 60 s) until the search service has indexed {@code n} embeddings. */
    private static void awaitIndexed(io.dimstream.search.SearchService svc, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (svc.state().stats().total() < n && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    private ModelVersion model(List<LiveBench.Sample> samples) throws Exception {
        if (modelDir != null) {
            ModelBundle b = ModelBundle.read(modelDir);
            return ModelRecords.toRecord(b.metadata(), b.onnxBytes(), null, 0, ModelStatus.PROMOTED);
        }
        CifFeaturize f = new CifFeaturize();
        List<FeaturizedCrystal> train = new ArrayList<>();
        for (LiveBench.Sample s : samples.subList(0, Math.min(400, samples.size()))) {
            try {
                train.add(f.apply(CrystalSubmission.newBuilder().setId(s.id()).setSource("bench").setPayload(s.cif())
                        .setSubmittedAt(Instant.now()).build()));
            } catch (StageException e) {
                // skipped, as the streams app would dead-letter it
            }
        }
        long t0 = System.nanoTime();
        TrainConfig tc = TrainConfig.defaults().withProgressBar(false);
        TrainResult res = new DimTrainer(tc).train(train, List.of(), Budget.steps(trainSteps), Optional.empty(),
                TrainListener.NONE);
        ModelBundle b = ModelBundle.create(MODEL, 1, res, tc);
        System.out.printf("trained %s v1 on %d structures, %d steps in %.1f s%n", MODEL, train.size(), res.steps(),
                (System.nanoTime() - t0) / 1e9);
        return ModelRecords.toRecord(b.metadata(), b.onnxBytes(), null, train.size(), ModelStatus.PROMOTED);
    }

    private static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MODEL_MAX_MESSAGE_BYTES);
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    record Result(int produced, int embedded, int dlq, double seconds, double produceSeconds, long[] latencyMs,
                  long[] processingMs) {
    }

    /**
     * Produces {@code n} structures (ids prefixed by the phase so that every one is new) and waits for
     * an embedding or a dead letter of each.
     */
    private Result phase(String name, List<LiveBench.Sample> samples, int offset, int n, double perSecond,
                         KafkaProducer<String, byte[]> producer, String bootstrap, Topics topics) throws Exception {
        if (n <= 0) {
            return new Result(0, 0, 0, 0, 0, new long[0], new long[0]);
        }
        Set<String> ids = ConcurrentHashMap.newKeySet();
        Map<String, Long> latency = new ConcurrentHashMap<>();
        Map<String, Long> processing = new ConcurrentHashMap<>();
        Set<String> dead = ConcurrentHashMap.newKeySet();
        AtomicLong lastVisible = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AvroSerde<CrystalEmbedding> embSerde = AvroSerde.of(CrystalEmbedding.class);
        AvroSerde<DeadLetter> dlqSerde = AvroSerde.of(DeadLetter.class);
        Thread reader = new Thread(() -> {
            Map<String, Object> c = new HashMap<>();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + name + "-" + System.nanoTime());
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
            c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(topics.embeddings(), topics.dlq()));
                while (!stop.get()) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.currentTimeMillis();
                        if (!ids.contains(r.key())) {
                            continue;
                        }
                        if (r.topic().equals(topics.dlq())) {
                            dead.add(r.key());
                        } else {
                            CrystalEmbedding e = embSerde.fromBytes(r.value());
                            if (e.getBackfill()) {
                                continue;
                            }
                            long submitted = e.getSubmittedAt().toEpochMilli();
                            latency.putIfAbsent(r.key(), now - submitted);
                            processing.putIfAbsent(r.key(), e.getEmbeddedAt().toEpochMilli() - submitted);
                        }
                        lastVisible.set(now);
                    }
                }
            }
        }, "bench-reader");
        reader.setDaemon(true);
        reader.start();
        Thread.sleep(1500); // the reader's group joins at the end of the topics before anything is produced
        List<String> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(name + "-" + i + "-" + samples.get((offset + i) % samples.size()).id());
        }
        ids.addAll(order);
        AvroSerde<CrystalSubmission> rawSerde = AvroSerde.of(CrystalSubmission.class);
        long start = System.nanoTime();
        long startMs = System.currentTimeMillis();
        for (int i = 0; i < n; i++) {
            if (perSecond > 0) {
                long due = start + (long) (i * 1e9 / perSecond);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            LiveBench.Sample s = samples.get((offset + i) % samples.size());
            CrystalSubmission sub = CrystalSubmission.newBuilder().setId(order.get(i)).setSource("bench-e2e")
                    .setFormat("cif").setPayload(s.cif()).setSubmittedAt(Instant.ofEpochMilli(System.currentTimeMillis()))
                    .build();
            producer.send(new ProducerRecord<>(topics.raw(), order.get(i), rawSerde.toBytes(sub)));
        }
        producer.flush();
        double produceSeconds = (System.nanoTime() - start) / 1e9;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        while (latency.size() + dead.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        stop.set(true);
        reader.join(5000);
        if (latency.size() + dead.size() < n) {
            System.out.printf("%s: timed out: %d of %d structures came out%n", name, latency.size() + dead.size(), n);
        }
        double seconds = (lastVisible.get() - startMs) / 1000.0;
        long[] lat = latency.values().stream().mapToLong(Long::longValue).sorted().toArray();
        long[] proc = processing.values().stream().mapToLong(Long::longValue).sorted().toArray();
        return new Result(n, lat.length, dead.size(), seconds, produceSeconds, lat, proc);
    }

    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private void report(Result r, Timer inference, io.micrometer.core.instrument.DistributionSummary batches) {
        double throughput = (r.embedded + r.dlq) / r.seconds;
        System.out.println();
        System.out.printf("| setting | value |%n|---|---|%n");
        System.out.printf("| structures measured | %d (%d embedded, %d dead-lettered) |%n", r.produced, r.embedded, r.dlq);
        System.out.printf("| target rate | %s |%n", rate > 0 ? String.format("%.0f/s", rate) : "full speed");
        System.out.printf("| achieved produce rate | %.0f/s |%n", r.produced / r.produceSeconds);
        System.out.printf("| **sustained raw → embeddings** | **%.0f structures/s** (%.2f s first raw → last embedding) |%n",
                throughput, r.seconds);
        System.out.printf("| **end-to-end latency p50 / p90 / p99 / max** | **%d / %d / %d / %d ms** |%n", pct(r.latencyMs, 50),
                pct(r.latencyMs, 90), pct(r.latencyMs, 99), pct(r.latencyMs, 100));
        System.out.printf("| processing latency p50 / p99 (submittedAt → embeddedAt) | %d / %d ms |%n",
                pct(r.processingMs, 50), pct(r.processingMs, 99));
        if (batches != null) {
            System.out.printf("| inference batches | %d, mean %.1f structures |%n", batches.count(), batches.mean());
        }
        if (inference != null) {
            System.out.printf("| inference time per batch (mean) | %.1f ms |%n", inference.mean(TimeUnit.MILLISECONDS));
        }
        System.out.printf("| settings | batch.size %d, batch.max.wait.ms %d, commit.interval.ms %d, %d stream threads, "
                + "%d partitions, encoder %s × %d threads, %s, exactly_once_v2 |%n", batchSize, batchWaitMs, commitMs,
                streamThreads, partitions, device, encoderThreads, precision);
        System.out.printf("| machine | %d cores available to the JVM |%n", Runtime.getRuntime().availableProcessors());
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> w = Files.walk(dir)) {
            w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (java.io.IOException ignored) {
                    // temp files
                }
            });
        } catch (java.io.IOException ignored) {
            // temp dir
        }
    }
}
