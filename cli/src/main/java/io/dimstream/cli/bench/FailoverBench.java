package io.dimstream.cli.bench;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.ModelVersion;
import io.dimstream.streams.StreamsAppConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
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
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
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
 * {@code dimstream bench failover}: kill -9 of one of two (or {@code --instances N}) streams-app
 * instances, measured (issues 16 and 20). An embedded broker on 127.0.0.1; N instances of
 * {@code dimstream streams} as <b>separate JVM processes</b> (the current java binary and class path, one state dir each, the app's default
 * failover settings unless {@code -p} says otherwise); real structures produced at a steady rate;
 * a read_committed reader of the embeddings. Each run waits until all instances own active
 * partitions, balanced (max − min ≤ 1 active partitions of the raw topic per instance), kills one ({@link Process#destroyForcibly}, SIGKILL) and measures, on each partition it
 * owned, the gap from the kill to the first visible embedding of a record produced after the kill;
 * then restarts it from the same state dir and waits for a balanced assignment again, and for output on
 * every partition (the assignment before, while down and after is reported). Then one instance alone: kill -9 and restart, time to
 * RUNNING and to the first output. At the end every produced id must have exactly one embedding of
 * the serving version (exactly-once across the kills). {@code --throughput COUNT} measures instead the
 * sustained rate with 1 .. N instances (a fresh broker each, COUNT structures produced at full speed).
 */
@Command(name = "failover", mixinStandardHelpOptions = true,
        description = {"Failover benchmark: two (--instances N) streams-app processes on an embedded broker, kill -9 of one.",
            "Reports the assignment (active partitions per instance) before the kill and after the restart.",
            "Reports the time until its partitions produce output again (each run and the median of --runs).",
            "Then kill -9 and restart of a single instance: time to RUNNING and to the first output.",
            "At the end it checks that no id is missing or embedded twice (exactly-once)."})
public final class FailoverBench implements Callable<Integer> {

    @Option(names = "--runs", defaultValue = "3",
            description = "Kills of one of the instances, in turn a, b, … (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--instances", defaultValue = "2",
            description = "App processes (default: ${DEFAULT-VALUE}; e.g. 3 with --partitions 6).")
    int instances;

    @Option(names = "--throughput", paramLabel = "COUNT", defaultValue = "0",
            description = {"Instead of the kills: for 1 .. --instances instances (a fresh broker each), COUNT structures",
                "produced as fast as possible; reports structures/s sustained per instance count."})
    int throughput;

    @Option(names = "--restarts", defaultValue = "3",
            description = "Kill -9 + restarts of a single instance (default: ${DEFAULT-VALUE}; 0 = skip).")
    int restarts;

    @Option(names = "--rate", defaultValue = "50", description = "Structures produced per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the data topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--data", paramLabel = "CSV", description = "CSV(.gz) with a cif column (default: the bundled demo sample).")
    Path data;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (default: models/base of the checkout, else a quickly trained one).")
    Path modelDir;

    @Option(names = "--train-steps", defaultValue = "10", description = "Steps of the quick model when no model directory is found.")
    int trainSteps;

    @Option(names = "--settle-s", defaultValue = "8",
            description = "Seconds of steady output before each kill (default: ${DEFAULT-VALUE}).")
    int settleS;

    @Option(names = "--wait-s", defaultValue = "150",
            description = "Longest wait for a resume, a restart or a balanced assignment (default: ${DEFAULT-VALUE}).")
    int waitS;

    @Option(names = "--child-heap", defaultValue = "512m", description = "-Xmx of each app process (default: ${DEFAULT-VALUE}).")
    String childHeap;

    @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE",
            description = "Streams app setting for both instances (e.g. -p session.timeout.ms=6000); repeatable.")
    Map<String, String> appProps = new LinkedHashMap<>();

    @Option(names = "--broker-property", paramLabel = "KEY=VALUE",
            description = {"Broker setting (e.g. --broker-property transaction.abort.timed.out.transaction.cleanup.interval.ms=1000);",
                "repeatable. Default: the broker's defaults, as a production broker would have them."})
    Map<String, String> brokerProps = new LinkedHashMap<>();

    @Option(names = "--keep", description = "Keep the work directory (app logs, state) and print its path.")
    boolean keep;

    static final String APP_ID = "bench-failover";

    /** Results of the last {@link #call()}, for tests: seconds per run, and the exactly-once counts. */
    final List<Double> failoverSeconds = new ArrayList<>();
    final List<Double> restartToRunningSeconds = new ArrayList<>();
    final List<Double> restartToOutputSeconds = new ArrayList<>();
    long missingIds = -1;
    long duplicatedIds = -1;
    long producedIds = -1;
    /** Per kill run: the killed instance, the assignment before the kill and after its restart. */
    final List<String> victims = new ArrayList<>();
    final List<Map<String, Set<Integer>>> assignmentsBefore = new ArrayList<>();
    final List<Map<String, Set<Integer>>> assignmentsAfter = new ArrayList<>();
    final List<Double> restartToBalancedSeconds = new ArrayList<>();
    final List<Double> restartToAllOutputSeconds = new ArrayList<>();
    /** {@code --throughput}: sustained structures/s, missing and duplicated ids, per instance count. */
    final Map<Integer, Double> throughputPerInstances = new java.util.TreeMap<>();
    final Map<Integer, Long> throughputMissing = new java.util.TreeMap<>();
    final Map<Integer, Long> throughputDuplicated = new java.util.TreeMap<>();

    private Topics topics;
    private final Map<String, Long> producedAt = new ConcurrentHashMap<>();
    private final Map<String, Integer> partitionOf = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> embeddingsPerIdVersion = new ConcurrentHashMap<>();
    private final Set<String> dead = ConcurrentHashMap.newKeySet();
    private final AtomicLong sendFailures = new AtomicLong();
    /** After a mark: first visible embedding, per partition, of a record produced after the mark. */
    private volatile long markMs = Long.MAX_VALUE;
    private final Map<Integer, Long> firstAfterMark = new ConcurrentHashMap<>();
    private final AtomicLong lastVisible = new AtomicLong();
    private final AtomicInteger generation = new AtomicInteger();
    /** Where each embedding of an id and version was read (partition@offset, live/backfill, time). */
    private final Map<String, List<String>> occurrences = new ConcurrentHashMap<>();
    /** Kills and restarts of this run, for the report on duplicated ids. */
    private final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Arrival time of every embedding and dead letter (for {@code --throughput}). */
    private final List<Long> visibleAt = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public Integer call() throws Exception {
        Locale.setDefault(Locale.ROOT);
        if (instances < 1 || instances > 26 || (throughput <= 0 && instances < 2)) {
            throw new IllegalArgumentException("--instances must be 2..26 (1..26 with --throughput)");
        }
        List<LiveBench.Sample> samples = LiveBench.samples(data);
        ModelVersion model = LiveBench.model(modelDir, trainSteps, samples);
        Path work = Files.createTempDirectory("dimstream-bench-failover-");
        try {
            if (throughput > 0) {
                return throughput(samples, model, work);
            }
            return kills(samples, model, work);
        } finally {
            if (keep) {
                System.out.println("work dir kept: " + work);
            } else {
                LiveBench.deleteQuietly(work);
            }
        }
    }

    private static String name(int i) {
        return String.valueOf((char) ('a' + i));
    }

    private int kills(List<LiveBench.Sample> samples, ModelVersion model, Path work) throws Exception {
        System.out.printf("bench failover: %d instances, %d structures in the data set, %.0f/s, %d partitions, %s; "
                + "work dir %s%n", instances, samples.size(), rate, partitions, LiveBench.machine(), work);
        AtomicBoolean stop = new AtomicBoolean();
        // The reader stops on its own flag, set once the feeder has finished: on the feeder's flag it could
        // leave between the feeder's last check of the flag and its last send (nothing missing yet), and that
        // last record would then count as missing (ScaleOutIT failed this way: the missing id was the last one).
        AtomicBoolean fed = new AtomicBoolean();
        List<Child> children = new ArrayList<>();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(work.resolve("kafka"))
                .brokerProperties(brokerProps).deleteOnClose(true).build().start();
             Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
            String bootstrap = broker.bootstrapServers();
            StreamsAppConfig base = new StreamsAppConfig(appConfig(bootstrap, work, "a"));
            topics = base.topics();
            topics.ensureAll(admin, partitions, Optional.empty());
            try (KafkaProducer<String, byte[]> producer = LiveBench.producer(bootstrap)) {
                producer.send(new ProducerRecord<>(topics.modelsRegistry(),
                        ModelRecords.registryKey(model.getModelName(), model.getVersion()),
                        LiveBench.MODEL_SERDE.toBytes(model))).get();
                Thread reader = reader(bootstrap, fed, model.getVersion());
                startAll(children, instances, bootstrap, work);
                Thread feeder = feeder(producer, samples, stop);
                awaitOutput("first output", System.currentTimeMillis(), allPartitions());

                List<Double> failovers = new ArrayList<>();
                List<String> lines = new ArrayList<>();
                List<String> balanceLines = new ArrayList<>();
                for (int run = 1; run <= runs; run++) {
                    awaitBalanced(admin, children);
                    Thread.sleep(settleS * 1000L);
                    Map<String, Set<Integer>> owned = awaitBalanced(admin, children);
                    Child victim = children.get((run - 1) % instances);
                    List<Child> survivors = children.stream().filter(c -> c != victim).toList();
                    Set<Integer> lost = owned.getOrDefault(victim.name, Set.of());
                    Set<Integer> kept = new TreeSet<>();
                    survivors.forEach(s -> kept.addAll(owned.getOrDefault(s.name, Set.of())));
                    long kill = System.currentTimeMillis();
                    mark(kill);
                    victim.kill();
                    events.add("kill -9 " + victim.name + " at " + java.time.Instant.ofEpochMilli(kill));
                    Map<Integer, Long> resumed = awaitOutput("run " + run, kill, lost);
                    double worst = resumed.values().stream().mapToLong(t -> t - kill).max().orElse(-1) / 1000.0;
                    failovers.add(worst);
                    long keptWorst = kept.stream().mapToLong(p -> firstAfterMark.getOrDefault(p, -1L) - kill).max()
                            .orElse(-1);
                    // the first survivor to see the rebalance, and the last to be RUNNING again
                    long rebalance = survivors.stream().mapToLong(s -> s.stateChangeAfter(kill, "RUNNING -> REBALANCING"))
                            .filter(t -> t >= 0).min().orElse(-1);
                    long running = rebalance < 0 ? -1 : survivors.stream()
                            .mapToLong(s -> s.stateChangeAfter(rebalance, "REBALANCING -> RUNNING")).max().orElse(-1);
                    StringBuilder surv = new StringBuilder();
                    for (Child s : survivors) {
                        surv.append(surv.length() == 0 ? "" : ", ").append(s.name).append(" (partitions ")
                                .append(owned.getOrDefault(s.name, Set.of())).append(')');
                    }
                    String line = String.format("| %d | kill -9 %s (partitions %s) | **%.1f s** (per partition: %s) | "
                                    + "%.1f s / %.1f s | %s: first output after %.1f s |", run, victim.name,
                            lost, worst, perPartition(resumed, kill), rebalance < 0 ? -1 : (rebalance - kill) / 1000.0,
                            running < 0 ? -1 : (running - kill) / 1000.0, surv, keptWorst / 1000.0);
                    lines.add(line);
                    System.out.println(line);
                    Map<String, Set<Integer>> whileDown = owners(admin);
                    events.add("restart " + victim.name + " at " + java.time.Instant.now());
                    victim.start();
                    if (!victim.awaitRunning(waitS)) {
                        throw new IllegalStateException(victim.name + " not RUNNING after restart; logs in " + work);
                    }
                    System.out.printf("   %s restarted: RUNNING %.1f s after its start%n", victim.name,
                            (victim.runningAt - victim.startedAt) / 1000.0);
                    Map<String, Set<Integer>> after = awaitBalanced(admin, children);
                    long balancedAt = System.currentTimeMillis();
                    long restartMark = balancedAt;
                    Map<Integer, Long> flowing = awaitOutput("after the restart of " + victim.name + ", run " + run,
                            restartMark, allPartitions());
                    double allFlowing = (flowing.values().stream().mapToLong(Long::longValue).max().orElse(-1)
                            - victim.startedAt) / 1000.0;
                    double toBalanced = (balancedAt - victim.startedAt) / 1000.0;
                    victims.add(victim.name);
                    assignmentsBefore.add(owned);
                    assignmentsAfter.add(after);
                    restartToBalancedSeconds.add(toBalanced);
                    restartToAllOutputSeconds.add(allFlowing);
                    String bl = String.format("| %d | %s | %s | %s | %s | %.1f s | %.1f s |", run, assignment(owned),
                            victim.name, assignment(whileDown), assignment(after), toBalanced, allFlowing);
                    balanceLines.add(bl);
                    System.out.println("   assignment " + bl);
                }

                List<Double> toRunning = new ArrayList<>();
                List<Double> toOutput = new ArrayList<>();
                List<String> restartLines = new ArrayList<>();
                if (restarts > 0) {
                    // one instance alone: the others go for good (their static members time out, a takes everything)
                    Child a = children.get(0);
                    for (Child c : children.subList(1, children.size())) {
                        c.kill();
                    }
                    awaitOwnsAll(admin, a);
                    for (int r = 1; r <= restarts; r++) {
                        Thread.sleep(settleS * 1000L);
                        long kill = System.currentTimeMillis();
                        mark(kill);
                        a.kill();
                        a.start();
                        if (!a.awaitRunning(waitS)) {
                            throw new IllegalStateException("a not RUNNING after restart; logs in " + work);
                        }
                        Map<Integer, Long> resumed = awaitOutput("restart " + r, kill, allPartitions());
                        double running = (a.runningAt - a.startedAt) / 1000.0;
                        double first = (resumed.values().stream().mapToLong(Long::longValue).min().orElse(-1) - kill)
                                / 1000.0;
                        double all = (resumed.values().stream().mapToLong(Long::longValue).max().orElse(-1) - kill)
                                / 1000.0;
                        toRunning.add(running);
                        toOutput.add(all);
                        String line = String.format("| %d | **%.1f s** | %.1f s | %.1f s |", r, running, first, all);
                        restartLines.add(line);
                        System.out.println(line);
                    }
                }

                stop.set(true);
                feeder.join(10_000);
                fed.set(true);
                long produced = producedAt.size();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitS);
                while (missing(model.getVersion()) > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                long missing = missing(model.getVersion());
                long dup = embeddingsPerIdVersion.values().stream().filter(c -> c.get() > 1).count();
                failoverSeconds.addAll(failovers);
                restartToRunningSeconds.addAll(toRunning);
                restartToOutputSeconds.addAll(toOutput);
                missingIds = missing;
                duplicatedIds = dup;
                producedIds = produced;
                long extraVersions = embeddingsPerIdVersion.keySet().stream()
                        .filter(k -> !k.endsWith("@" + model.getVersion())).count();

                System.out.println();
                System.out.printf("### Kill -9 of one of %s instances (%d runs)%n%n", instances == 2 ? "two" : instances,
                        runs);
                System.out.println("| run | killed | its partitions resumed after (worst partition) | survivor rebalancing / "
                        + "RUNNING again after | survivor's own partitions |");
                System.out.println("|---|---|---|---|---|");
                lines.forEach(System.out::println);
                System.out.printf("%n**median of %d: %.1f s** (kill → first visible embedding of a record produced after the "
                        + "kill, on the last of the killed instance's partitions)%n", failovers.size(),
                        LiveBench.median(failovers));
                if (!balanceLines.isEmpty()) {
                    System.out.printf("%n### Active %s partitions per instance (balanced = max − min ≤ 1)%n%n",
                            topics.raw());
                    System.out.println("| run | before the kill | killed | while it is down | after its restart | "
                            + "restart → balanced | restart → output on all partitions |");
                    System.out.println("|---|---|---|---|---|---|---|");
                    balanceLines.forEach(System.out::println);
                }
                if (!restartLines.isEmpty()) {
                    System.out.printf("%n### Kill -9 and restart of a single instance (same state dir, %d runs)%n%n", restarts);
                    System.out.println("| run | process start → RUNNING | kill → first output | kill → output on all partitions |");
                    System.out.println("|---|---|---|---|");
                    restartLines.forEach(System.out::println);
                    System.out.printf("%n**median: RUNNING after %.1f s, all partitions producing after %.1f s**%n",
                            LiveBench.median(toRunning), LiveBench.median(toOutput));
                }
                System.out.printf("%n### Exactly-once across the kills%n%n");
                System.out.printf("%d structures produced (%d sends failed), %d embedded with v%d, %d dead-lettered: "
                                + "**%d missing, %d ids embedded more than once with one version**, %d embeddings of "
                                + "other versions%n", produced, sendFailures.get(),
                        embeddingsPerIdVersion.keySet().stream().filter(k -> k.endsWith("@" + model.getVersion())).count(),
                        model.getVersion(), dead.size(), missing, dup, extraVersions);
                if (missing > 0) {
                    int v = model.getVersion();
                    System.out.printf("%nmissing ids (up to 20), with the time each was produced; events: %s%n", events);
                    producedAt.entrySet().stream()
                            .filter(en -> !dead.contains(en.getKey()) && !embeddingsPerIdVersion.containsKey(en.getKey() + "@" + v))
                            .limit(20)
                            .forEach(en -> System.out.printf("  %s produced %s (raw partition %d)%n", en.getKey(),
                                    java.time.Instant.ofEpochMilli(en.getValue()),
                                    org.apache.kafka.common.utils.Utils.toPositive(
                                            org.apache.kafka.common.utils.Utils.murmur2(en.getKey().getBytes(
                                                    java.nio.charset.StandardCharsets.UTF_8))) % partitions));
                }
                if (dup > 0) {
                    System.out.printf("%nduplicated ids (up to 20); events: %s%n", events);
                    embeddingsPerIdVersion.entrySet().stream().filter(en -> en.getValue().get() > 1).limit(20)
                            .forEach(en -> {
                                String id = en.getKey().substring(0, en.getKey().lastIndexOf('@'));
                                System.out.printf("  %s produced %s: %s%n", en.getKey(),
                                        java.time.Instant.ofEpochMilli(producedAt.getOrDefault(id, 0L)),
                                        occurrences.get(en.getKey()));
                            });
                }
                System.out.printf("settings: %s; rate %.0f/s, %d partitions, %d instances, 1 stream thread per instance, "
                        + "%s%n", settingsLine(base), rate, partitions, instances, LiveBench.machine());
                return missing == 0 && dup == 0 ? 0 : 1;
            }
        } finally {
            stop.set(true);
            fed.set(true);
            for (Child c : children) {
                c.kill();
            }
        }
    }

    /**
     * {@code --throughput COUNT}: for n = 1 .. {@code --instances}, a fresh broker and n fresh instances;
     * once all n own active partitions, COUNT structures are produced as fast as the producer goes and
     * the run ends when every one has its embedding (or dead letter). Sustained rate = the middle 80 %
     * of the outputs over the time between the 10th and the 90th percentile of their arrival.
     */
    private int throughput(List<LiveBench.Sample> samples, ModelVersion model, Path work) throws Exception {
        System.out.printf("bench failover --throughput %d: 1..%d instances, %d partitions, %s; work dir %s%n",
                throughput, instances, partitions, LiveBench.machine(), work);
        List<String> lines = new ArrayList<>();
        int rc = 0;
        StreamsAppConfig base = null;
        for (int n = 1; n <= instances; n++) {
            generation.incrementAndGet(); // the reader of the previous instance count stops
            producedAt.clear();
            partitionOf.clear();
            embeddingsPerIdVersion.clear();
            dead.clear();
            visibleAt.clear();
            Path sub = work.resolve("n" + n);
            Files.createDirectories(sub);
            AtomicBoolean stop = new AtomicBoolean();
            List<Child> children = new ArrayList<>();
            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(sub.resolve("kafka"))
                    .brokerProperties(brokerProps).deleteOnClose(true).build().start();
                 Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()));
                 KafkaProducer<String, byte[]> producer = LiveBench.producer(broker.bootstrapServers())) {
                String bootstrap = broker.bootstrapServers();
                base = new StreamsAppConfig(appConfig(bootstrap, sub, "a"));
                topics = base.topics();
                topics.ensureAll(admin, partitions, Optional.empty());
                producer.send(new ProducerRecord<>(topics.modelsRegistry(),
                        ModelRecords.registryKey(model.getModelName(), model.getVersion()),
                        LiveBench.MODEL_SERDE.toBytes(model))).get();
                reader(bootstrap, stop, model.getVersion());
                startAll(children, n, bootstrap, sub);
                Map<String, Set<Integer>> owned = awaitBalanced(admin, children);
                long t0 = System.currentTimeMillis();
                for (int i = 0; i < throughput; i++) {
                    LiveBench.Sample s = samples.get(i % samples.size());
                    String id = "t" + n + "-" + i + "-" + s.id();
                    long now = System.currentTimeMillis();
                    producedAt.put(id, now);
                    producer.send(new ProducerRecord<>(topics.raw(), id, LiveBench.raw(id, s, now)), (md, e) -> {
                        if (e != null) {
                            sendFailures.incrementAndGet();
                            producedAt.remove(id);
                        }
                    });
                }
                producer.flush();
                long sent = System.currentTimeMillis();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitS + throughput / 100L);
                while (missing(model.getVersion()) > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                long missing = missing(model.getVersion());
                long dup = embeddingsPerIdVersion.values().stream().filter(c -> c.get() > 1).count();
                long[] at;
                synchronized (visibleAt) {
                    at = visibleAt.stream().mapToLong(Long::longValue).sorted().toArray();
                }
                double sustained = at.length < 10 ? Double.NaN
                        : 0.8 * at.length / Math.max(1, LiveBench.pct(at, 90) - LiveBench.pct(at, 10)) * 1000.0;
                double overall = at.length == 0 ? Double.NaN : at.length * 1000.0 / Math.max(1, at[at.length - 1] - t0);
                throughputPerInstances.put(n, sustained);
                throughputMissing.put(n, missing);
                throughputDuplicated.put(n, dup);
                if (missing != 0 || dup != 0) {
                    rc = 1;
                }
                String line = String.format("| %d | %s | %d | %.1f s | **%.0f/s** | %.0f/s | %d / %d |", n,
                        assignment(owned), at.length, (sent - t0) / 1000.0, sustained, overall, missing, dup);
                lines.add(line);
                System.out.println(line);
            } finally {
                stop.set(true);
                for (Child c : children) {
                    c.kill();
                }
            }
        }
        System.out.printf("%n### Throughput with 1..%d instances (%d structures each, as fast as produced)%n%n",
                instances, throughput);
        System.out.println("| instances | active partitions per instance | outputs (embeddings + dead letters) | "
                + "produce time | sustained (middle 80 %) | overall (first send → last output) | missing / duplicated |");
        System.out.println("|---|---|---|---|---|---|---|");
        lines.forEach(System.out::println);
        System.out.printf("settings: %s; %d partitions, 1 stream thread per instance, %s%n", settingsLine(base),
                partitions, LiveBench.machine());
        return rc;
    }

    /** {@code a 2 {0, 3} · b 2 {1, 4} …}: active partitions per instance, sorted by instance. */
    static String assignment(Map<String, Set<Integer>> m) {
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(m).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " · ").append(k).append(' ')
                .append(v.size()).append(' ').append(v));
        return sb.length() == 0 ? "—" : sb.toString();
    }

    /** Whether every instance in {@code names} owns active partitions, together all, max − min ≤ 1. */
    boolean balanced(Map<String, Set<Integer>> m, List<String> names) {
        Set<Integer> all = new TreeSet<>();
        m.values().forEach(all::addAll);
        if (!all.equals(allPartitions())) {
            return false;
        }
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (String n : names) {
            int c = m.getOrDefault(n, Set.of()).size();
            min = Math.min(min, c);
            max = Math.max(max, c);
        }
        return (min > 0 || partitions < names.size()) && max - min <= 1;
    }

    private static String settingsLine(StreamsAppConfig c) {
        return String.format("session.timeout.ms %d, heartbeat.interval.ms %d, transaction.timeout.ms %d, "
                        + "num.standby.replicas %d, static membership %s, commit.interval.ms %s",
                c.getInt(StreamsAppConfig.SESSION_TIMEOUT_MS), c.getInt(StreamsAppConfig.HEARTBEAT_INTERVAL_MS),
                c.getInt(StreamsAppConfig.TRANSACTION_TIMEOUT_MS), c.getInt(StreamsAppConfig.NUM_STANDBY_REPLICAS),
                c.staticMembership() ? "on" : "off",
                c.kafkaStreamsProperties().getOrDefault("commit.interval.ms", "?"));
    }

    private Map<String, String> appConfig(String bootstrap, Path work, String name) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("bootstrap.servers", bootstrap);
        m.put("application.id", APP_ID);
        m.put("state.dir", work.resolve("state-" + name).toString());
        m.put("instance.id", "bench-" + name);
        m.put("encoder.device", "cpu");
        m.put("encoder.threads", "1");
        m.put("metrics.port", "-1");
        m.put("topics.create", "false");
        m.putAll(appProps);
        return m;
    }

    private Set<Integer> allPartitions() {
        Set<Integer> s = new TreeSet<>();
        for (int i = 0; i < partitions; i++) {
            s.add(i);
        }
        return s;
    }

    private void mark(long ms) {
        firstAfterMark.clear();
        markMs = ms;
    }

    private static String perPartition(Map<Integer, Long> resumed, long from) {
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(resumed).forEach((p, t) -> sb.append(sb.length() == 0 ? "" : ", ")
                .append(String.format("p%d %.1f s", p, (t - from) / 1000.0)));
        return sb.toString();
    }

    /** Waits until each of {@code parts} shows an embedding of a record produced after {@code from}. */
    private Map<Integer, Long> awaitOutput(String what, long from, Set<Integer> parts) throws InterruptedException {
        if (markMs != from) {
            mark(from);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitS);
        while (System.nanoTime() < deadline) {
            if (firstAfterMark.keySet().containsAll(parts)) {
                Map<Integer, Long> m = new HashMap<>();
                parts.forEach(p -> m.put(p, firstAfterMark.get(p)));
                return m;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException(what + ": partitions " + parts + " produced no output within " + waitS
                + " s (got " + firstAfterMark.keySet() + ")");
    }

    /** Active raw partitions per instance ("a", "b", …) as the group coordinator has them. */
    private Map<String, Set<Integer>> owners(Admin admin) throws Exception {
        ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(APP_ID)).all().get(30, TimeUnit.SECONDS)
                .get(APP_ID);
        Map<String, Set<Integer>> m = new HashMap<>();
        for (MemberDescription md : g.members()) {
            String inst = md.groupInstanceId().orElse(md.clientId());
            String name = inst;
            for (int i = 0; i < instances; i++) {
                String prefix = "bench-" + name(i);
                if (inst.equals(prefix) || inst.startsWith(prefix + "-")) {
                    name = name(i);
                }
            }
            for (TopicPartition tp : md.assignment().topicPartitions()) {
                if (tp.topic().equals(topics.raw())) {
                    m.computeIfAbsent(name, k -> new TreeSet<>()).add(tp.partition());
                }
            }
        }
        return m;
    }

    /**
     * Waits until every one of {@code children} owns active partitions, together they cover the topic,
     * and no instance owns more than one partition more than another (max − min ≤ 1).
     */
    /** Starts {@code n} app instances (added to {@code children}) and waits until each is RUNNING. */
    private void startAll(List<Child> children, int n, String bootstrap, Path work) throws Exception {
        for (int i = 0; i < n; i++) {
            children.add(new Child(name(i), work, appConfig(bootstrap, work, name(i))));
        }
        for (Child c : children) {
            c.start();
        }
        for (Child c : children) {
            if (!c.awaitRunning(waitS)) {
                throw new IllegalStateException("instances not RUNNING after " + waitS + " s; logs in " + work);
            }
        }
    }

    private Map<String, Set<Integer>> awaitBalanced(Admin admin, List<Child> children) throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(waitS);
        List<String> names = children.stream().map(c -> c.name).toList();
        Map<String, Set<Integer>> m = Map.of();
        while (System.nanoTime() < deadline) {
            m = owners(admin);
            if (balanced(m, names)) {
                System.out.printf("   %s instances active and balanced (%s) after %.0f s%n",
                        names.size() == 2 ? "both" : "all " + names.size(), m, (System.nanoTime() - t0) / 1e9);
                return m;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("no balanced assignment within " + waitS + " s: " + m);
    }

    private void awaitOwnsAll(Admin admin, Child a) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitS);
        while (System.nanoTime() < deadline) {
            Map<String, Set<Integer>> m = owners(admin);
            if (m.size() == 1 && m.getOrDefault(a.name, Set.of()).equals(allPartitions())) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(a.name + " does not own every partition after " + waitS + " s");
    }

    private long missing(int version) {
        return producedAt.keySet().stream()
                .filter(id -> !dead.contains(id) && !embeddingsPerIdVersion.containsKey(id + "@" + version)).count();
    }

    private Thread feeder(KafkaProducer<String, byte[]> producer, List<LiveBench.Sample> samples, AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            long start = System.nanoTime();
            long i = 0;
            while (!stop.get()) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                LiveBench.Sample s = samples.get((int) (i % samples.size()));
                String id = "f" + i + "-" + s.id();
                long now = System.currentTimeMillis();
                producedAt.put(id, now);
                producer.send(new ProducerRecord<>(topics.raw(), id, LiveBench.raw(id, s, now)), (md, e) -> {
                    if (e != null) {
                        sendFailures.incrementAndGet();
                        producedAt.remove(id);
                    } else {
                        partitionOf.put(id, md.partition());
                    }
                });
                i++;
            }
            producer.flush();
        }, "bench-feeder");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private Thread reader(String bootstrap, AtomicBoolean stop, int version) {
        AvroSerde<CrystalEmbedding> serde = AvroSerde.of(CrystalEmbedding.class);
        Thread t = new Thread(() -> {
            Map<String, Object> c = new HashMap<>();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                List<TopicPartition> tps = new ArrayList<>();
                for (String topic : List.of(topics.embeddings(), topics.dlq())) {
                    consumer.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
                }
                consumer.assign(tps);
                consumer.seekToBeginning(tps);
                int gen = generation.get();
                while ((!stop.get() || missing(version) > 0) && gen == generation.get()) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        long now = System.currentTimeMillis();
                        String id = r.key();
                        if (r.topic().equals(topics.dlq())) {
                            if (dead.add(id)) {
                                visibleAt.add(now);
                            }
                            continue;
                        }
                        CrystalEmbedding e = serde.fromBytes(r.value());
                        embeddingsPerIdVersion.computeIfAbsent(id + "@" + e.getModelVersion(),
                                k -> new AtomicInteger()).incrementAndGet();
                        occurrences.computeIfAbsent(id + "@" + e.getModelVersion(), k -> new ArrayList<>(1))
                                .add(String.format("p%d@%d %s embeddedAt %s", r.partition(), r.offset(),
                                        e.getBackfill() ? "backfill" : "live", e.getEmbeddedAt()));
                        lastVisible.set(now);
                        visibleAt.add(now);
                        Long produced = producedAt.get(id);
                        Integer p = partitionOf.get(id);
                        if (produced != null && p != null && produced >= markMs) {
                            firstAfterMark.putIfAbsent(p, now);
                        }
                    }
                }
            } catch (RuntimeException e) {
                System.err.println("bench reader failed: " + e);
            }
        }, "bench-reader");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** One streams-app instance: a child JVM running {@code dimstream streams --config FILE}. */
    final class Child {
        final String name;
        final Path config;
        final Path log;
        volatile Process process;
        volatile long startedAt;
        volatile long runningAt;
        /** (time, line) of every "streams state" line of every run of this instance. */
        final List<Map.Entry<Long, String>> states = java.util.Collections.synchronizedList(new ArrayList<>());

        Child(String name, Path work, Map<String, String> props) throws Exception {
            this.name = name;
            this.config = work.resolve("streams-" + name + ".properties");
            this.log = work.resolve("streams-" + name + ".log");
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(config, StandardCharsets.UTF_8))) {
                props.forEach((k, v) -> w.println(k + "=" + v.replace("\\", "\\\\")));
            }
        }

        void start() throws Exception {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx" + childHeap);
            for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (arg.startsWith("-D")) {
                    cmd.add(arg); // e.g. -Ddimstream.home, -Dorg.apache.avro.SERIALIZABLE_PACKAGES
                }
            }
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("io.dimstream.cli.Main");
            cmd.add("streams");
            cmd.add("--config");
            cmd.add(config.toString());
            runningAt = 0;
            startedAt = System.currentTimeMillis();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            process = p;
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                     PrintWriter w = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                             java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        w.println(line);
                        w.flush();
                        long now = System.currentTimeMillis();
                        if (line.contains("streams state ")) {
                            states.add(Map.entry(now, line));
                        }
                        if (runningAt == 0 && line.contains("-> RUNNING")) {
                            runningAt = now;
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // the process died
                }
            }, "bench-child-" + name);
            t.setDaemon(true);
            t.start();
        }

        /** When this instance first logged a state change containing {@code change} after {@code from}, or -1. */
        long stateChangeAfter(long from, String change) {
            synchronized (states) {
                return states.stream().filter(e -> e.getKey() >= from && e.getValue().contains(change))
                        .mapToLong(Map.Entry::getKey).findFirst().orElse(-1);
            }
        }

        boolean awaitRunning(int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (runningAt == 0 && System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("instance " + name + " exited with " + process.exitValue()
                            + "; see " + log);
                }
                Thread.sleep(20);
            }
            return runningAt != 0;
        }

        /** kill -9 (SIGKILL): no shutdown hook, no clean close, no checkpoint. */
        void kill() throws InterruptedException {
            Process p = process;
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
