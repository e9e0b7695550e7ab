package io.dimstream.cli.service;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.kafka.Topics;
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
            "It is a KRaft broker on 127.0.0.1 on a free port; it prints its bootstrap address and stops on SIGTERM."})
public final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--dir", defaultValue = "broker-data", description = "Data directory (kept across runs; default ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--partitions", defaultValue = "3", description = "Partitions of the data topics (default ${DEFAULT-VALUE}).")
    int partitions;

    @Override
    public Integer call() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().dataDir(dir).build().start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "dimstream-broker-shutdown"));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            Topics.defaults().ensureAll(admin, partitions, Optional.empty());
        }
        System.out.println("bootstrap.servers=" + broker.bootstrapServers());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
