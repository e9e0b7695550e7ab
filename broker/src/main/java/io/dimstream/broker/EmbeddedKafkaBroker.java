package io.dimstream.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker running in this JVM in KRaft mode (combined broker +
 * controller), for the demo, tests and benchmarks.
 *
 * <ul>
 *   <li>Every listener binds 127.0.0.1 on a free port chosen at start; nothing listens on other
 *       interfaces.</li>
 *   <li>Data lives under the given directory ({@code <dir>/kraft}); the directory is formatted with
 *       Kafka's own storage {@link Formatter} on first start and reused (same cluster id) on later
 *       starts, so a broker can be stopped and started again over the same data.</li>
 *   <li>Settings fit exactly-once on one node: transaction state log and offsets topic replication
 *       1, min ISR 1, no initial rebalance delay.</li>
 * </ul>
 *
 * <p>Clients connect to {@link #bootstrapServers()}. The client listener is named {@code CLIENT}
 * and defaults to PLAINTEXT; {@link Builder#clientListenerProtocol(String)} plus
 * {@link Builder#brokerProperty(String, String)} ({@code listener.name.client.ssl.*}) make it a TLS
 * listener. The broker and controller talk over separate PLAINTEXT listeners on 127.0.0.1.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dir).build().start()) {
 *     broker.createTopic("crystals.raw", 3, Map.of());
 *     String bootstrap = broker.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;

    private final Path dataDir;
    private final boolean deleteOnClose;
    private final String clientProtocol;
    private final Map<String, String> overrides;
    private final int fixedClientPort;
    private KafkaRaftServer server;
    private int clientPort;
    private int internalPort;
    private int controllerPort;
    private String clusterId;

    private EmbeddedKafkaBroker(Builder b) {
        this.dataDir = b.dataDir;
        this.deleteOnClose = b.deleteOnClose;
        this.clientProtocol = b.clientProtocol;
        this.overrides = new LinkedHashMap<>(b.overrides);
        this.fixedClientPort = b.clientPort;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Formats storage if needed and starts the broker; returns when it accepts clients. */
    public synchronized EmbeddedKafkaBroker start() {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        Exception last = null;
        if (fixedClientPort > 0 && !portFree(fixedClientPort)) {
            throw new IllegalStateException("port " + fixedClientPort + " on " + HOST + " is in use");
        }
        for (int attempt = 0; attempt < 3; attempt++) { // free ports can race with other processes
            try {
                startOnce();
                return this;
            } catch (RuntimeException e) {
                last = e;
                log.warn("embedded broker start attempt {} failed: {}", attempt + 1, e.toString());
                stopQuietly();
            }
        }
        throw new IllegalStateException("embedded Kafka broker did not start", last);
    }

    private void startOnce() {
        clientPort = fixedClientPort > 0 ? fixedClientPort : freePort();
        internalPort = freePort();
        controllerPort = freePort();
        Path logDir = dataDir.resolve("kraft");
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties props = brokerProperties(logDir);
        KafkaConfig config = KafkaConfig.fromProps(props, false);
        format(logDir);
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        awaitReady(Duration.ofSeconds(60));
        log.info("embedded Kafka broker (KRaft, cluster {}) ready at {} with data in {}", clusterId,
                bootstrapServers(), logDir);
    }

    Properties brokerProperties(Path logDir) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", "CLIENT://" + HOST + ":" + clientPort + ",INTERNAL://" + HOST + ":" + internalPort
                + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "CLIENT://" + HOST + ":" + clientPort + ",INTERNAL://" + HOST + ":" + internalPort);
        p.put("listener.security.protocol.map",
                "CLIENT:" + clientProtocol + ",INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "INTERNAL");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // tolerate a CPU-starved host (tests, demo on 2 cores) without fencing the broker
        p.put("broker.session.timeout.ms", "30000");
        p.put("auto.create.topics.enable", "false");
        p.put("message.max.bytes", String.valueOf(64 * 1024 * 1024));
        p.put("replica.fetch.max.bytes", String.valueOf(64 * 1024 * 1024));
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        p.putAll(overrides);
        return p;
    }

    private void format(Path logDir) {
        Path meta = logDir.resolve("meta.properties");
        if (Files.exists(meta)) {
            Properties mp = new Properties();
            try (var in = Files.newInputStream(meta)) {
                mp.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            clusterId = mp.getProperty("cluster.id");
            return;
        }
        clusterId = Uuid.randomUuid().toString();
        try {
            new Formatter()
                    .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setNodeId(NODE_ID)
                    .setClusterId(clusterId)
                    .setDirectories(List.of(logDir.toString()))
                    .setMetadataLogDirectory(logDir.toString())
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .setControllerListenerName("CONTROLLER")
                    .setIgnoreFormatted(true)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("could not format KRaft storage in " + logDir + ": " + e.getMessage(), e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(adminConfig())) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get().isEmpty()) {
                        return;
                    }
                } catch (ExecutionException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("broker not ready within " + timeout, e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("broker not ready within " + timeout);
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
    }

    private Map<String, Object> adminConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + internalPort);
        m.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        m.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return m;
    }

    /** {@code 127.0.0.1:port} of the client listener. */
    public String bootstrapServers() {
        if (server == null) {
            throw new IllegalStateException("broker not started");
        }
        return HOST + ":" + clientPort;
    }

    /** Bootstrap of the broker's internal PLAINTEXT listener (always plaintext, 127.0.0.1). */
    public String internalBootstrapServers() {
        return HOST + ":" + internalPort;
    }

    public String clusterId() {
        return clusterId;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Creates a topic (replication 1) unless it exists; {@code configs} are topic configs. */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)));
    }

    /** Creates topics, ignoring those that already exist. */
    public void createTopics(Collection<NewTopic> topics) {
        try (Admin admin = Admin.create(adminConfig())) {
            var result = admin.createTopics(topics);
            for (var e : result.values().entrySet()) {
                try {
                    e.getValue().get();
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("could not create topic " + e.getKey() + ": "
                                + ex.getCause().getMessage(), ex.getCause());
                    }
                }
            }
            // return only when every partition has its leader (producers may start right away)
            var names = topics.stream().map(NewTopic::name).toList();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline) {
                try {
                    if (admin.describeTopics(names).allTopicNames().get().values().stream()
                            .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()))) {
                        break;
                    }
                } catch (ExecutionException ex) {
                    // metadata not propagated yet
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Names of the (non-internal) topics on the broker. */
    public Set<String> topics() {
        try (Admin admin = Admin.create(adminConfig())) {
            return admin.listTopics().names().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Stops the broker (data stays unless the builder asked to delete it). */
    public synchronized void stop() {
        stopQuietly();
    }

    private void stopQuietly() {
        if (server != null) {
            try {
                server.shutdown();
                server.awaitShutdown();
            } catch (RuntimeException e) {
                log.warn("embedded broker shutdown: {}", e.toString());
            }
            server = null;
        }
    }

    @Override
    public synchronized void close() {
        stopQuietly();
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
    }

    /** Whether {@code port} on 127.0.0.1 can be bound now. */
    static boolean portFree(int port) {
        try (ServerSocket ss = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            ss.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            List<Path> paths = new ArrayList<>(walk.toList());
            java.util.Collections.reverse(paths);
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("could not delete {}: {}", dir, e.toString());
        }
    }

    /** Builder; {@link #dataDir} is the only required setting (or {@link #tempDir()}). */
    public static final class Builder {
        private Path dataDir;
        private boolean deleteOnClose;
        private String clientProtocol = "PLAINTEXT";
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private int clientPort;

        /** Client listener port on 127.0.0.1 (0, the default: a free port chosen at start). */
        public Builder clientPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535: " + port);
            }
            this.clientPort = port;
            return this;
        }

        /** Where the broker keeps its data (created if missing, reused across restarts). */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** Use a fresh temporary directory, deleted on {@link #close()}. */
        public Builder tempDir() {
            try {
                this.dataDir = Files.createTempDirectory("dimstream-kafka-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            this.deleteOnClose = true;
            return this;
        }

        public Builder deleteOnClose(boolean delete) {
            this.deleteOnClose = delete;
            return this;
        }

        /** Security protocol of the client listener: PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL. */
        public Builder clientListenerProtocol(String protocol) {
            this.clientProtocol = protocol;
            return this;
        }

        /** Any broker property (applied last, so it overrides the defaults above). */
        public Builder brokerProperty(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        public Builder brokerProperties(Map<String, String> props) {
            overrides.putAll(props);
            return this;
        }

        public EmbeddedKafkaBroker build() {
            if (dataDir == null) {
                throw new IllegalStateException("dataDir (or tempDir()) is required");
            }
            return new EmbeddedKafkaBroker(this);
        }
    }
}
