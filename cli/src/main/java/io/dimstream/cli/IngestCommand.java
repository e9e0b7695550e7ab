package io.dimstream.cli;

import io.dimstream.core.LogSafe;
import io.dimstream.core.kafka.Topics;
import io.dimstream.ingest.CollectingSink;
import io.dimstream.ingest.InMemoryIngestState;
import io.dimstream.ingest.IngestException;
import io.dimstream.ingest.IngestProgress;
import io.dimstream.ingest.IngestSource;
import io.dimstream.ingest.IngestState;
import io.dimstream.ingest.IngestStats;
import io.dimstream.ingest.Ingestor;
import io.dimstream.ingest.ProgressBarProgress;
import io.dimstream.ingest.SubmissionSink;
import io.dimstream.ingest.file.FileSource;
import io.dimstream.ingest.jdbc.JdbcSource;
import io.dimstream.ingest.jdbc.JdbcSourceConfig;
import io.dimstream.ingest.kafka.IngestKafka;
import io.dimstream.ingest.kafka.KafkaIngestState;
import io.dimstream.ingest.kafka.KafkaSubmissionSink;
import io.dimstream.ingest.kafka.TransactionalKafkaIngest;
import io.dimstream.ingest.labels.LabelLoader;
import io.dimstream.ingest.optimade.OptimadeClient;
import io.dimstream.ingest.optimade.OptimadeSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code dimstream ingest SOURCE...}: files, JDBC or OPTIMADE into crystals.raw; or labels into crystals.labels. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {
            "Ingest crystal structures into Kafka (crystals.raw).",
            "Sources: CIF files or folders, CSV(.gz) with a cif column, a SQL table or query over JDBC (jdbc:postgresql://...), or an OPTIMADE API (https://...).",
            "Keys are stable structure ids; an id already produced to the same raw topic with the same content is not produced again.",
            "The resume position is kept in the compacted topic crystals.ingest.watermarks, per source, id prefix and raw topic.",
            "Bad input (unparseable CIF, a record too large for Kafka, a link out of a folder...) is reported one line each and skipped; ingestion goes on.",
            "Any Kafka client property may be given as -P key=value or --key=value (e.g. --security.protocol=SSL)."},
        sortOptions = false)
public final class IngestCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "SOURCE", description = "Files/folders, a jdbc: URL, or an OPTIMADE base URL.")
    List<String> sources;

    @Option(names = "--allow-outside-links",
            description = "Files: also read symbolic links in a folder that point outside it (default: reported as a bad record, cif.outside_link, and not read).")
    boolean allowOutsideLinks;

    @Option(names = "--follow", description = "Keep polling for new and changed structures.")
    boolean follow;

    @Option(names = "--poll-interval", defaultValue = "PT30S", description = "Pause between polls with --follow (ISO-8601 or e.g. 10s; default ${DEFAULT-VALUE}).", converter = DurationConverter.class)
    Duration pollInterval;

    @Option(names = {"-b", "--bootstrap-servers"}, defaultValue = "127.0.0.1:9092", description = "Kafka bootstrap servers (default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = {"-P", "--kafka-property"}, paramLabel = "KEY=VALUE", description = "A Kafka client property (repeatable).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Unmatched
    List<String> unmatched = new ArrayList<>();

    @Option(names = "--raw-topic", defaultValue = "crystals.raw")
    String rawTopic;

    @Option(names = "--labels-topic", defaultValue = "crystals.labels")
    String labelsTopic;

    @Option(names = "--partitions", defaultValue = "3", description = "Partitions for topics this command creates.")
    int partitions;

    @Option(names = "--labels", split = ",", paramLabel = "PROPERTY", description = "Load these label columns from the CSV SOURCE into crystals.labels instead of structures.")
    List<String> labels;

    @Option(names = "--holdout", defaultValue = "0", description = "With --labels: withhold the labels of this fraction of structures (stable id hash) for held-out evaluation (e.g. 0.1).")
    double holdout;

    @Option(names = "--id-column", description = "Id column (CSV labels: default material_id; JDBC: required).")
    String idColumn;

    @Option(names = "--batch-size", defaultValue = "500", description = "Records per batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--no-transactions", description = "Produce with a plain idempotent producer instead of one Kafka transaction per batch (records + hashes + watermark).")
    boolean noTransactions;

    @Option(names = "--dry-run", description = "Read and check the source without Kafka: print what would be produced.")
    boolean dryRun;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    // JDBC
    @Option(names = "--table", description = "JDBC: table to read.")
    String table;

    @Option(names = "--query", description = "JDBC: SELECT to read (instead of --table).")
    String query;

    @Option(names = "--cif-column", defaultValue = "cif", description = "JDBC: CIF column (default ${DEFAULT-VALUE}).")
    String cifColumn;

    @Option(names = "--change-column", description = "JDBC: monotonic change column (updated-at timestamp or sequence).")
    String changeColumn;

    @Option(names = "--user", description = "JDBC user.")
    String user;

    @Option(names = "--password-env", defaultValue = "DIMSTREAM_JDBC_PASSWORD", description = "Environment variable holding the JDBC password (default ${DEFAULT-VALUE}).")
    String passwordEnv;

    // OPTIMADE
    @Option(names = "--filter", description = "OPTIMADE: extra filter, ANDed to the watermark (e.g. 'nelements<=3').")
    String filter;

    @Option(names = "--page-limit", defaultValue = "100", description = "OPTIMADE: page size (default ${DEFAULT-VALUE}).")
    int pageLimit;

    @Option(names = "--id-prefix", defaultValue = "", description = "Prefix for ids from JDBC/OPTIMADE (e.g. 'cod-').")
    String idPrefix;

    @Option(names = "--max-retries", defaultValue = "6", description = "OPTIMADE: attempts per request (default ${DEFAULT-VALUE}).")
    int maxRetries;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> kafka = kafkaProps();
        if (labels != null && !labels.isEmpty()) {
            return loadLabels(kafka);
        }
        IngestSource source = source();
        AtomicBoolean stop = new AtomicBoolean();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.set(true);
            try {
                done.await(15, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                // exiting
            }
        }));
        SubmissionSink sink = null;
        IngestState state = null;
        try {
            if (dryRun) {
                sink = new CollectingSink(rawTopic, null);
                state = new InMemoryIngestState();
            } else {
                IngestKafka.ensureTopics(kafka, topics(), partitions);
                if (noTransactions) {
                    state = new KafkaIngestState(kafka);
                    sink = new KafkaSubmissionSink(kafka, rawTopic, labelsTopic);
                } else {
                    TransactionalKafkaIngest tx = new TransactionalKafkaIngest(kafka, rawTopic, labelsTopic,
                            Ingestor.stateKey(source.key(), rawTopic));
                    state = tx;
                    sink = tx;
                }
            }
            try (IngestProgress progress = noProgress ? IngestProgress.NONE : new ProgressBarProgress("ingest")) {
                Ingestor ing = new Ingestor(source, sink, state, progress);
                IngestStats stats;
                if (follow) {
                    stats = ing.follow(pollInterval, stop::get);
                } else {
                    try {
                        stats = ing.runOnce();
                    } catch (IngestException e) {
                        progress.close();
                        System.err.println("ingest: " + e.code() + ": " + LogSafe.escape(e.getMessage()));
                        System.out.println("ingest " + LogSafe.escape(ing.stateKey()) + ": " + ing.stats().summary());
                        return 1;
                    }
                }
                progress.close();
                System.out.println("ingest " + LogSafe.escape(ing.stateKey()) + ": " + stats.summary());
                if (dryRun) {
                    System.out.println("dry run: " + ((CollectingSink) sink).submissions().size() + " records would be produced to " + rawTopic);
                }
                return 0;
            }
        } finally {
            try {
                if (sink != null) {
                    sink.close();
                }
                if (state != null) {
                    state.close();
                }
                source.close();
            } finally {
                done.countDown();
            }
        }
    }

    private Topics topics() {
        Map<String, Object> t = new HashMap<>();
        t.put(Topics.RAW_CONFIG, rawTopic);
        t.put(Topics.LABELS_CONFIG, labelsTopic);
        return Topics.from(t);
    }

    private int loadLabels(Map<String, Object> kafka) throws Exception {
        if (sources.size() != 1) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--labels takes exactly one CSV file");
        }
        LabelLoader loader = new LabelLoader(idColumn == null ? "material_id" : idColumn, labels,
                Path.of(sources.get(0)).getFileName().toString(), holdout);
        SubmissionSink sink = null;
        IngestState state = null;
        try {
            if (dryRun) {
                sink = new CollectingSink();
                state = new InMemoryIngestState();
            } else {
                IngestKafka.ensureTopics(kafka, topics(), partitions);
                if (noTransactions) {
                    state = new KafkaIngestState(kafka);
                    sink = new KafkaSubmissionSink(kafka, rawTopic, labelsTopic);
                } else {
                    TransactionalKafkaIngest tx = new TransactionalKafkaIngest(kafka, rawTopic, labelsTopic,
                            "labels:" + Path.of(sources.get(0)).toAbsolutePath().normalize());
                    state = tx;
                    sink = tx;
                }
            }
            long t0 = System.nanoTime();
            LabelLoader.Result r = loader.load(Path.of(sources.get(0)), sink, state);
            System.out.printf(java.util.Locale.ROOT, "labels %s: %d rows, produced %d, unchanged %d, empty %d, held out %d, bad %d in %.1f s%n",
                    labels, r.rows(), r.produced(), r.unchanged(), r.empty(), r.heldOut(), r.bad().size(), (System.nanoTime() - t0) / 1e9);
            return 0;
        } catch (IngestException e) {
            System.err.println("ingest: " + e.code() + ": " + LogSafe.escape(e.getMessage()));
            return 1;
        } finally {
            if (sink != null) {
                sink.close();
            }
            if (state != null) {
                state.close();
            }
        }
    }

    IngestSource source() {
        String first = sources.get(0);
        if (first.startsWith("jdbc:")) {
            if (sources.size() != 1) {
                throw usage("a JDBC source is one URL");
            }
            if (idColumn == null || changeColumn == null || (table == null) == (query == null)) {
                throw usage("JDBC needs --id-column, --change-column and one of --table / --query");
            }
            Properties p = new Properties();
            if (user != null) {
                p.setProperty("user", user);
            }
            String pw = System.getenv(passwordEnv);
            if (pw != null) {
                p.setProperty("password", pw);
            }
            try {
                return new JdbcSource(new JdbcSourceConfig(first, p, table, query, idColumn, cifColumn, changeColumn, batchSize, idPrefix));
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
        if (first.startsWith("http://") || first.startsWith("https://")) {
            if (sources.size() != 1) {
                throw usage("an OPTIMADE source is one base URL");
            }
            OptimadeClient client = new OptimadeClient(maxRetries, Duration.ofMillis(500), Duration.ofSeconds(60), Duration.ofSeconds(60), null);
            return new OptimadeSource(first, filter, pageLimit, idPrefix, client);
        }
        List<Path> paths = sources.stream().map(Path::of).toList();
        return new FileSource(paths, batchSize, follow ? 2000 : 0, allowOutsideLinks);
    }

    Map<String, Object> kafkaProps() {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", bootstrapServers);
        m.putAll(kafkaProperties);
        for (int i = 0; i < unmatched.size(); i++) {
            String a = unmatched.get(i);
            if (!a.startsWith("--") || !a.contains(".")) {
                throw usage("unknown option or argument '" + a + "'");
            }
            String kv = a.substring(2);
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            } else if (i + 1 < unmatched.size()) {
                m.put(kv, unmatched.get(++i));
            } else {
                throw usage("Kafka property " + a + " has no value");
            }
        }
        return m;
    }

    private picocli.CommandLine.ParameterException usage(String msg) {
        return new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), msg);
    }

    /** "30s", "2m", "500ms" or ISO-8601 ("PT30S"). */
    static final class DurationConverter implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String v) {
            String s = v.trim().toLowerCase(java.util.Locale.ROOT);
            if (s.startsWith("pt") || s.startsWith("p")) {
                return Duration.parse(v.trim().toUpperCase(java.util.Locale.ROOT));
            }
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            if (s.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            if (s.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(s));
        }
    }
}
