package io.dimstream.cli.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Map;
import org.slf4j.Marker;

/**
 * Drops single known log lines that no user can act on, by logger and message start, so the loggers
 * themselves keep their level (configured in {@link CliLogging}).
 *
 * <p>Today one line: Kafka Streams' "Processing exception handler is not enabled for the GlobalThread"
 * WARN. The app does enable it ({@code processing.exception.handler.global.enabled=true}, see
 * StreamsAppConfig); Kafka Streams still logs the line for the internal config copies it makes without
 * that key.
 */
public final class KnownNoiseFilter extends TurboFilter {

    /** logger name → start of the message format to drop. */
    private static final Map<String, String> KNOWN = Map.of(
            "org.apache.kafka.streams.StreamsConfig", "Processing exception handler is not enabled for the GlobalThread");

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (format == null || logger == null) {
            return FilterReply.NEUTRAL;
        }
        String start = KNOWN.get(logger.getName());
        return start != null && format.startsWith(start) ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
