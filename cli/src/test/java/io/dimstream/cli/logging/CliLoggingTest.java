package io.dimstream.cli.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class CliLoggingTest {

    private static LoggerContext configured(ExecutionStatus expected) {
        LoggerContext ctx = new LoggerContext();
        CliLogging c = new CliLogging();
        c.setContext(ctx);
        assertEquals(expected, c.configure(ctx));
        return ctx;
    }

    @Test
    void logsToStderrAtInfoWithLibrariesQuieter() {
        LoggerContext ctx = configured(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertEquals(Level.INFO, root.getLevel());
        ConsoleAppender<?> a = assertInstanceOf(ConsoleAppender.class, root.getAppender("STDERR"));
        assertEquals("System.err", a.getTarget());
        assertTrue(a.isStarted());
        assertEquals(Level.WARN, ctx.getLogger("org.apache.kafka.clients.producer.KafkaProducer").getEffectiveLevel());
        assertEquals(Level.ERROR, ctx.getLogger("org.apache.kafka.raft.KafkaRaftClient").getEffectiveLevel());
        assertEquals(Level.ERROR, ctx.getLogger("ai.djl.util.cuda.CudaUtils").getEffectiveLevel());
        assertEquals(Level.INFO, ctx.getLogger("io.dimstream.streams.StreamsApp").getEffectiveLevel());
        assertEquals(1, ctx.getTurboFilterList().size());
        assertInstanceOf(KnownNoiseFilter.class, ctx.getTurboFilterList().get(0));
    }

    @Test
    void rootLevelFromTheSystemProperty() {
        System.setProperty("dimstream.log.level", "DEBUG");
        try {
            LoggerContext ctx = configured(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
            assertEquals(Level.DEBUG, ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel());
            assertEquals(Level.WARN, ctx.getLogger("org.apache.kafka").getLevel());
        } finally {
            System.clearProperty("dimstream.log.level");
        }
    }

    @Test
    void stepsAsideForAnOperatorsConfigurationFile() {
        System.setProperty("logback.configurationFile", "/etc/dimstream/logback.xml");
        try {
            LoggerContext ctx = configured(ExecutionStatus.INVOKE_NEXT_IF_ANY);
            assertNull(ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("STDERR"));
            assertTrue(ctx.getTurboFilterList().isEmpty());
        } finally {
            System.clearProperty("logback.configurationFile");
        }
    }

    @Test
    void registeredForLogbacksServiceLoader() {
        assertTrue(ServiceLoader.load(ch.qos.logback.classic.spi.Configurator.class).stream()
                .anyMatch(p -> p.type() == CliLogging.class));
    }
}
