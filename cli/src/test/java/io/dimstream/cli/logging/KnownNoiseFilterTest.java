package io.dimstream.cli.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

class KnownNoiseFilterTest {

    private final LoggerContext ctx = new LoggerContext();
    private final KnownNoiseFilter filter = new KnownNoiseFilter();

    private FilterReply decide(String logger, String format) {
        Logger l = ctx.getLogger(logger);
        return filter.decide(null, l, Level.WARN, format, null, null);
    }

    @Test
    void dropsTheKnownLineOnlyFromItsLogger() {
        String line = "Processing exception handler is not enabled for the GlobalThread. It's recommended to set ...";
        assertEquals(FilterReply.DENY, decide("org.apache.kafka.streams.StreamsConfig", line));
        assertEquals(FilterReply.NEUTRAL, decide("org.apache.kafka.streams.StreamsConfig", "some other config warning"));
        assertEquals(FilterReply.NEUTRAL, decide("io.dimstream.streams.StreamsApp", line));
        assertEquals(FilterReply.NEUTRAL, decide("org.apache.kafka.streams.StreamsConfig", null));
    }
}
