package io.dimstream.cli.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command line's logging configuration, in code (registered for logback's {@link Configurator}
 * service): one line per event on stderr ({@code HH:mm:ss.SSS LEVEL Logger - message}), stdout
 * being reserved for command output (JSON lines); root level from {@code -Ddimstream.log.level}
 * (default INFO); the quieter loggers below; and {@link KnownNoiseFilter}.
 *
 * <p>Code rather than a {@code logback.xml}: logback's XML configurator loads an XML parser and its
 * model processors, about 0.35 s of a one-core start, on every command. An operator's own file still
 * wins: with {@code -Dlogback.configurationFile=FILE} this configurator steps aside.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class CliLogging extends ContextAwareBase implements Configurator {

    /** Logger → level, for library loggers whose INFO/WARN lines nobody running the CLI can act on. */
    static final Map<String, Level> QUIETER = quieter();

    private static Map<String, Level> quieter() {
        Map<String, Level> m = new LinkedHashMap<>();
        m.put("org.apache.kafka", Level.WARN);
        m.put("state.change.logger", Level.WARN);
        m.put("org.apache.zookeeper", Level.WARN);
        m.put("ai.djl", Level.WARN);
        // The in-process broker (`demo`, `broker`): its controller/raft/metadata internals log WARN
        // lines (e.g. "Performing controller activation") that no user can act on; errors still show.
        for (String internal : new String[] {"controller", "raft", "metadata", "image", "server", "storage", "coordinator"}) {
            m.put("org.apache.kafka." + internal, Level.ERROR);
        }
        m.put("kafka", Level.ERROR);
        // A benign race of the streams app's global consumer ("Not updating last stable offset ... no
        // longer assigned"), and Micrometer refusing a Kafka Streams state-store meter whose tag keys
        // differ between the in-memory and RocksDB stores (the meter is simply not exported).
        m.put("org.apache.kafka.clients.consumer.internals.OffsetFetcherUtils", Level.ERROR);
        m.put("io.micrometer.prometheusmetrics.PrometheusMeterRegistry", Level.ERROR);
        // DJL's CUDA probe warns "Failed to detect GPU count" on every machine without a GPU; the
        // encoder and the demo say which device is used in one line instead.
        m.put("ai.djl.util.cuda.CudaUtils", Level.ERROR);
        return Map.copyOf(m);
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        KnownNoiseFilter noise = new KnownNoiseFilter();
        noise.setContext(context);
        noise.start();
        context.addTurboFilter(noise);

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        QUIETER.forEach((name, level) -> context.getLogger(name).setLevel(level));
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getProperty("dimstream.log.level", "INFO"), Level.INFO));
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
