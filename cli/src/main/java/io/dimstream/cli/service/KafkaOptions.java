package io.dimstream.cli.service;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/** Options shared by the service commands: config file, bootstrap servers, Kafka property pass-through. */
public final class KafkaOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file (service fields + any Kafka client property).")
    Path config;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...", description = "Overrides bootstrap.servers.")
    String bootstrapServers;

    @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE",
            description = "Any service field or Kafka client property (e.g. -p security.protocol=SSL); repeatable, wins over --config.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Port of the /metrics, /health, /ready endpoint (overrides metrics.port; 0 = any free port, -1 = none).")
    Integer metricsPort;

    /** Command-line overrides applied over the config file. */
    public Map<String, String> overrides() {
        Map<String, String> m = new LinkedHashMap<>(properties);
        if (metricsPort != null) {
            m.put("metrics.port", String.valueOf(metricsPort));
        }
        if (bootstrapServers != null) {
            m.put("bootstrap.servers", bootstrapServers);
        }
        return m;
    }

    public Path config() {
        return config;
    }

    /**
     * Runs {@code body} on a thread with a 64 MiB stack: ONNX Runtime's native initialisation needs more
     * than the JVM's default 1 MiB thread stack.
     */
    public static int onLargeStack(String name, Callable<Integer> body) throws Exception {
        int[] rc = {1};
        Exception[] err = {null};
        Thread t = new Thread(null, () -> {
            try {
                rc[0] = body.call();
            } catch (Exception e) {
                err[0] = e;
            }
        }, name, 64L << 20);
        t.start();
        t.join();
        if (err[0] != null) {
            throw err[0];
        }
        return rc[0];
    }
}
