package io.dimstream.cli.bench;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.streams.StreamsApp;
import io.dimstream.streams.StreamsAppConfig;
import io.dimstream.streams.StreamsMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dimstream bench swaps}: live latency while model versions are swapped in under load (issue
 * 16). The production streams app (in this JVM) on an embedded broker; a corpus of real structures
 * is embedded first; then structures flow at a fixed rate while {@code --swaps} new versions of the
 * model are published to {@code models.registry}, one every {@code --swap-interval-ms} (the same ONNX
 * bytes under increasing versions, keyed {@code name@version} as the trainer publishes them), each
 * starting a backfill of the whole corpus. Reports the latency of the live records (submittedAt →
 * their live embedding visible to a read_committed reader) p50/p99/max, how many live records got a
 * backfill embedding before their live one, and the backfill's progress.
 */
@Command(name = "swaps", mixinStandardHelpOptions = true,
        description = {"Live latency under model swaps, on an embedded broker.",
            "Structures flow at --rate while --swaps new model versions are published, one every --swap-interval-ms.",
            "Each version backfills the corpus; reports the live latency p50/p99/max and the backfill's progress."})
public final class SwapBench implements Callable<Integer> {

    @Option(names = "--corpus", defaultValue = "3000", description = "Structures embedded before the swaps (default: ${DEFAULT-VALUE}).")
    int corpus;

    @Option(names = "--rate", defaultValue = "300", description = "Live structures per second during the swaps (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--swaps", defaultValue = "30", description = "New model versions published (default: ${DEFAULT-VALUE}).")
    int swaps;

    @Option(names = "--swap-interval-ms", defaultValue = "2000", description = "Time between two versions (default: ${DEFAULT-VALUE}).")
    long swapIntervalMs;

    @Option(names = "--lead-s", defaultValue = "5", description = "Seconds of live flow before the first swap (default: ${DEFAULT-VALUE}).")
    int leadS;

    @Option(names = "--tail-s", defaultValue = "10", description = "Seconds of live flow after the last swap (default: ${DEFAULT-VALUE}).")
    int tailS;

    @Option(names = "--backfill-wait-s", defaultValue = "120",
            description = "After the flow stops, wait at most this long for the last version's backfill (default: ${DEFAULT-VALUE}).")
    int backfillWaitS;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the data topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--stream-threads", defaultValue = "2", description = "num.stream.threads (default: ${DEFAULT-VALUE}).")
    int streamThreads;

    @Option(names = "--data", paramLabel = "CSV", description = "CSV(.gz) with a cif column (default: the bundled demo sample).")
    Path data;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (default: models/base of the checkout, else a quickly trained one).")
    Path modelDir;

    @Option(names = "--train-steps", defaultValue = "10", description = "Steps of the quick model when no model directory is found.")
    int trainSteps;

    @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE",
            description = "Streams app setting (e.g. -p backfill.max.share=0.3); repeatable.")
    Map<String, String> appProps = new LinkedHashMap<>();

    @Option(names = "--timeout-s", defaultValue = "300", description = "Give up a wait after this long (default: ${DEFAULT-VALUE}).")
    long timeoutS;

    /** Results of the last {@link #call()}, for tests. */
    long[] liveLatencyMs = new long[0];
    long liveBackfillFirst = -1;
    long liveWithoutLiveEmbedding = -1;
    long duplicatedIds = -1;
    long lastVersionEmbedded = -1;
    long idsToEmbed = -1;

    private Topics topics;
    private final Map<String, Long> producedAt = new ConcurrentHashMap<>();
    /** live ids: submittedAt → live embedding visible, ms. */
    private final Map<String, Long> liveLatency = new ConcurrentHashMap<>();
    private final Map<String, Integer> liveVersion = new ConcurrentHashMap<>();
    private final Set<String> backfillFirst = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> perIdVersion = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicLong> backfillPerVersion = new ConcurrentHashMap<>();
    private final Set<String> dead = ConcurrentHashMap.newKeySet();
    private final Set<String> embeddedAny = ConcurrentHashMap.newKeySet();

    @Override
    public Integer call() throws Exception {
        Locale.setDefault(Locale.ROOT);
        List<LiveBench.Sample> samples = LiveBench.samples(data);
        ModelVersion model = LiveBench.model(modelDir, trainSteps, samples);
        return io.dimstream.cli.service.KafkaOptions.onLargeStack("bench-swaps", () -> run(samples, model));
    }

    private int run(List<LiveBench.Sample> samples, ModelVersion model) throws Exception {
        Path work = Files.createTempDirectory("dimstream-bench-swaps-");
        AtomicBoolean stop = new AtomicBoolean(); // the feeder
        AtomicBoolean readerStop = new AtomicBoolean();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(work.resolve("kafka"))
                .deleteOnClose(true).build().start()) {
            String bootstrap = broker.bootstrapServers();
            Map<String, String> props = new HashMap<>();
            props.put("bootstrap.servers", bootstrap);
            props.put("application.id", "bench-swaps");
            props.put("state.dir", work.resolve("state").toString());
            props.put("num.stream.threads", String.valueOf(streamThreads));
            props.put("topics.partitions", String.valueOf(partitions));
            props.put("encoder.device", "cpu");
            props.put("encoder.threads", "1");
            props.put("metrics.port", "-1");
            props.putAll(appProps);
            StreamsAppConfig cfg = new StreamsAppConfig(props);
            topics = cfg.topics();
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                topics.ensureAll(admin, partitions, Optional.empty());
            }
            StreamsApp app = StreamsMain.create(cfg);
            try (KafkaProducer<String, byte[]> producer = LiveBench.producer(bootstrap)) {
                app.start();
                if (!app.awaitRunning(Duration.ofSeconds(120))) {
                    throw new IllegalStateException("streams app not RUNNING after 120 s: " + app.state());
                }
                int v0 = model.getVersion();
                publish(producer, model);
                if (!app.models().awaitVersion(v0, Duration.ofSeconds(120))) {
                    throw new IllegalStateException("model not serving: " + app.models().lastRejection());
                }
                Thread reader = reader(bootstrap, readerStop);

                // 1. the corpus: embedded once with v0 (full speed), the backfills will walk it
                long t0 = System.nanoTime();
                List<String> corpusIds = new ArrayList<>();
                for (int i = 0; i < corpus; i++) {
                    LiveBench.Sample s = samples.get(i % samples.size());
                    String id = "c" + i + "-" + s.id();
                    corpusIds.add(id);
                    long now = System.currentTimeMillis();
                    producer.send(new ProducerRecord<>(topics.raw(), id, LiveBench.raw(id, s, now)));
                }
                producer.flush();
                awaitAll(corpusIds, "corpus");
                System.out.printf("bench swaps: corpus of %d structures embedded with v%d in %.1f s (%d dead-lettered); "
                                + "%s%n", corpus, v0, (System.nanoTime() - t0) / 1e9,
                        corpusIds.stream().filter(dead::contains).count(), LiveBench.machine());

                // 2. live flow at a fixed rate; the swaps start after --lead-s
                List<String> liveIds = java.util.Collections.synchronizedList(new ArrayList<>());
                Thread feeder = new Thread(() -> {
                    long start = System.nanoTime();
                    long i = 0;
                    while (!stop.get()) {
                        long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
                        if (wait > 0) {
                            try {
                                TimeUnit.NANOSECONDS.sleep(wait);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                        LiveBench.Sample s = samples.get((int) ((corpus + i) % samples.size()));
                        String id = "l" + i + "-" + s.id();
                        long now = System.currentTimeMillis();
                        producedAt.put(id, now);
                        liveIds.add(id);
                        producer.send(new ProducerRecord<>(topics.raw(), id, LiveBench.raw(id, s, now)));
                        i++;
                    }
                }, "bench-feeder");
                feeder.setDaemon(true);
                long flowStart = System.currentTimeMillis();
                feeder.start();
                Thread.sleep(leadS * 1000L);
                long swapStart = System.currentTimeMillis();
                int last = v0;
                for (int k = 1; k <= swaps; k++) {
                    long due = swapStart + (k - 1) * swapIntervalMs;
                    long wait = due - System.currentTimeMillis();
                    if (wait > 0) {
                        Thread.sleep(wait);
                    }
                    last = v0 + k;
                    publish(producer, LiveBench.asVersion(model, last));
                }
                long lastSwap = System.currentTimeMillis();
                Thread.sleep(tailS * 1000L);
                stop.set(true);
                feeder.join(5000);
                long flowEnd = System.currentTimeMillis();
                List<String> live = new ArrayList<>(liveIds);
                awaitLive(live);
                int servingAtEnd = app.models().currentVersion().orElse(-1);

                // 3. the last version's backfill: every id (corpus and live) embedded with it
                List<String> all = new ArrayList<>(corpusIds);
                all.addAll(live);
                int fin = last;
                long bfDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(backfillWaitS);
                while (withVersion(all, fin) < all.size() - deadCount(all) && System.nanoTime() < bfDeadline) {
                    Thread.sleep(200);
                }
                long bfDone = System.currentTimeMillis();
                long withLast = withVersion(all, fin);

                long[] lat = live.stream().map(liveLatency::get).filter(java.util.Objects::nonNull)
                        .mapToLong(Long::longValue).sorted().toArray();
                long liveDuringSwaps = live.stream().filter(id -> {
                    Long t = producedAt.get(id);
                    return t != null && t >= swapStart && t <= lastSwap;
                }).count();
                long[] latSwaps = live.stream().filter(id -> {
                    Long t = producedAt.get(id);
                    return t != null && t >= swapStart && t <= lastSwap;
                }).map(liveLatency::get).filter(java.util.Objects::nonNull).mapToLong(Long::longValue).sorted().toArray();
                long over2s = java.util.Arrays.stream(lat).filter(x -> x >= 2000).count();
                long dups = perIdVersion.values().stream().filter(c -> c.get() > 1).count();
                long noLive = live.stream().filter(id -> !liveLatency.containsKey(id) && !dead.contains(id)).count();

                liveLatencyMs = lat;
                liveBackfillFirst = backfillFirst.size();
                liveWithoutLiveEmbedding = noLive;
                duplicatedIds = dups;
                lastVersionEmbedded = withLast;
                idsToEmbed = all.size() - deadCount(all);
                System.out.println();
                System.out.printf("| setting | value |%n|---|---|%n");
                System.out.printf("| corpus | %d structures, embedded with v%d before the swaps |%n", corpus, v0);
                System.out.printf("| swaps | %d versions (v%d → v%d), one every %d ms, over %.1f s; serving v%d at the end |%n",
                        swaps, v0 + 1, last, swapIntervalMs, (lastSwap - swapStart) / 1000.0, servingAtEnd);
                System.out.printf("| live flow | %d structures at %.0f/s for %.1f s (%d produced during the swaps) |%n",
                        live.size(), rate, (flowEnd - flowStart) / 1000.0, liveDuringSwaps);
                System.out.printf("| **live latency p50 / p99 / max (all live)** | **%d / %d / %d ms** (%d ≥ 2 s) |%n",
                        LiveBench.pct(lat, 50), LiveBench.pct(lat, 99), LiveBench.pct(lat, 100), over2s);
                System.out.printf("| live latency p50 / p99 / max (produced during the swaps) | %d / %d / %d ms |%n",
                        LiveBench.pct(latSwaps, 50), LiveBench.pct(latSwaps, 99), LiveBench.pct(latSwaps, 100));
                System.out.printf("| live records whose first embedding was a backfill one | %d of %d |%n",
                        backfillFirst.size(), live.size());
                System.out.printf("| live records without a live embedding | %d (%d dead-lettered) |%n", noLive,
                        live.stream().filter(dead::contains).count());
                System.out.printf("| backfill embeddings written | %d over %d versions |%n",
                        backfillPerVersion.values().stream().mapToLong(AtomicLong::get).sum(), backfillPerVersion.size());
                System.out.printf("| last version v%d | %d of %d ids embedded with it %s |%n", fin, withLast,
                        all.size() - deadCount(all), withLast >= all.size() - deadCount(all)
                                ? String.format("(backfill complete %.1f s after the last swap, %.1f s after the flow stopped)",
                                        (bfDone - lastSwap) / 1000.0, (bfDone - flowEnd) / 1000.0)
                                : String.format("(not complete %d s after the flow stopped)", backfillWaitS));
                System.out.printf("| exactly-once | %d ids embedded more than once with one version |%n", dups);
                System.out.printf("| settings | %d stream threads, %d partitions, batch.size %d, batch.max.wait.ms %d, "
                                + "backfill.max.share %.2f, backfill.step.max.ms %d, backfill.rate.per.sec %d, "
                                + "commit.interval.ms %s, encoder cpu x 1 thread |%n", streamThreads, partitions,
                        cfg.getInt(StreamsAppConfig.BATCH_SIZE), cfg.getLong(StreamsAppConfig.BATCH_MAX_WAIT_MS),
                        cfg.getDouble(StreamsAppConfig.BACKFILL_MAX_SHARE), cfg.getLong(StreamsAppConfig.BACKFILL_STEP_MAX_MS),
                        cfg.getInt(StreamsAppConfig.BACKFILL_RATE),
                        cfg.kafkaStreamsProperties().getOrDefault("commit.interval.ms", "?"));
                System.out.printf("| machine | %s |%n", LiveBench.machine());
                readerStop.set(true);
                reader.join(2000);
                return LiveBench.pct(lat, 99) < 2000 && dups == 0 ? 0 : 1;
            } finally {
                stop.set(true);
                readerStop.set(true);
                app.close();
            }
        } finally {
            LiveBench.deleteQuietly(work);
        }
    }

    private void publish(KafkaProducer<String, byte[]> producer, ModelVersion m) throws Exception {
        producer.send(new ProducerRecord<>(topics.modelsRegistry(), ModelRecords.registryKey(m.getModelName(),
                m.getVersion()), LiveBench.MODEL_SERDE.toBytes(m))).get();
    }

    private long deadCount(List<String> ids) {
        return ids.stream().filter(dead::contains).count();
    }

    private long withVersion(List<String> ids, int v) {
        return ids.stream().filter(id -> perIdVersion.containsKey(id + "@" + v)).count();
    }

    private void awaitAll(List<String> ids, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        while (System.nanoTime() < deadline) {
            if (ids.stream().allMatch(id -> embeddedAny.contains(id) || dead.contains(id))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(what + ": not every structure came out within " + timeoutS + " s");
    }

    private void awaitLive(List<String> ids) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
        while (System.nanoTime() < deadline) {
            if (ids.stream().allMatch(id -> liveLatency.containsKey(id) || dead.contains(id))) {
                return;
            }
            Thread.sleep(100);
        }
        System.out.printf("live: not every live structure had a live embedding within %d s%n", timeoutS);
    }

    private Thread reader(String bootstrap, AtomicBoolean stop) {
        AvroSerde<CrystalEmbedding> serde = AvroSerde.of(CrystalEmbedding.class);
        Thread t = new Thread(() -> {
            Map<String, Object> c = new HashMap<>();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
            c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                List<TopicPartition> tps = new ArrayList<>();
                for (String topic : List.of(topics.embeddings(), topics.dlq())) {
                    consumer.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
                }
                consumer.assign(tps);
                consumer.seekToBeginning(tps);
                while (!stop.get()) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.currentTimeMillis();
                        String id = r.key();
                        if (r.topic().equals(topics.dlq())) {
                            dead.add(id);
                            continue;
                        }
                        CrystalEmbedding e = serde.fromBytes(r.value());
                        perIdVersion.computeIfAbsent(id + "@" + e.getModelVersion(), k -> new AtomicInteger())
                                .incrementAndGet();
                        embeddedAny.add(id);
                        if (e.getBackfill()) {
                            backfillPerVersion.computeIfAbsent(e.getModelVersion(), k -> new AtomicLong()).incrementAndGet();
                        }
                        Long produced = producedAt.get(id);
                        if (produced == null) {
                            continue; // a corpus record
                        }
                        if (e.getBackfill()) {
                            if (!liveLatency.containsKey(id)) {
                                backfillFirst.add(id);
                            }
                        } else if (liveLatency.putIfAbsent(id, now - produced) == null) {
                            liveVersion.put(id, e.getModelVersion());
                        }
                    }
                }
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                // stopped
            } catch (RuntimeException e) {
                System.err.println("bench reader failed: " + e);
            }
        }, "bench-reader");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
