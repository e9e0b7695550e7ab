package io.dimstream.cli.service;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.kafka.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dimstream broker}: a single-node KRaft broker on 127.0.0.1 for local runs, until SIGTERM. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run an embedded single-node Kafka broker with the dimstream topics, for local runs of the streams app and trainer.",
            "It is a KRaft broker on 127.0.0.1; it prints its bootstrap address and stops on SIGTERM.",
            "Its client port is --port when given, else the port of the previous run from the same --dir (kept in "
                + "DIR/client.port, so clients configured with it reconnect after a restart), else a free port."})
public final class BrokerCommand implements Callable<Integer> {

    /** File in the data directory that remembers the client port across restarts. */
    public static final String PORT_FILE = "client.port";

    @Option(names = "--dir", defaultValue = "broker-data", description = "Data directory (kept across runs; default ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--partitions", defaultValue = "3", description = "Partitions of the data topics (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Client port on 127.0.0.1 (default: the previous run's from --dir, else a free port).")
    Integer port;

    PrintStream stdout = System.out;
    PrintStream err = System.err;

    /** The port to ask for: --port, else the remembered one, else 0 (free). */
    static int choosePort(Integer requested, Path dir) {
        if (requested != null) {
            return requested;
        }
        Path f = dir.resolve(PORT_FILE);
        try {
            if (Files.isRegularFile(f)) {
                int p = Integer.parseInt(Files.readString(f, StandardCharsets.UTF_8).trim());
                return p > 0 && p <= 65535 ? p : 0;
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Starts the broker (topics created) and remembers its client port in the data directory. */
    EmbeddedKafkaBroker startBroker() throws IOException {
        int want = choosePort(port, dir);
        if (want < 0 || want > 65535) {
            throw new IllegalArgumentException("--port must be 1..65535, got " + want);
        }
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dir).clientPort(want).build().start();
        Files.createDirectories(dir);
        String bs = broker.bootstrapServers();
        Files.writeString(dir.resolve(PORT_FILE), bs.substring(bs.lastIndexOf(':') + 1) + "\n", StandardCharsets.UTF_8);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bs))) {
            Topics.defaults().ensureAll(admin, partitions, Optional.empty());
        }
        return broker;
    }

    @Override
    public Integer call() throws Exception {
        EmbeddedKafkaBroker broker;
        try {
            broker = startBroker();
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("broker: " + e.getMessage() + (port == null && choosePort(null, dir) > 0
                    ? " (the port of the previous run, from " + dir.resolve(PORT_FILE) + "; give --port to choose another)"
                    : ""));
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "dimstream-broker-shutdown"));
        stdout.println("bootstrap.servers=" + broker.bootstrapServers());
        stdout.flush();
        stopped.await();
        return 0;
    }
}
