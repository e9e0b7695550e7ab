package io.dimstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dimstream.core.LogSafe;
import io.dimstream.ingest.file.FileSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Crafted ids (newline, ESC, NUL) cannot write fake log lines: the bad-record log line escapes them. */
class LogForgingTest {
    @TempDir
    Path dir;

    @Test
    void idsWithControlCharactersAreLoggedEscapedOnOneLine() throws Exception {
        Path csv = dir.resolve("evil.csv");
        Files.writeString(csv, "material_id,cif\n"
                + "\"x dead letter x\n05:05:00.000 ERROR Fake - injected\",\"data_x\n\"\n"
                + "\"\u001b[31mred\u0000\",\"not a cif\"\n"
                // the parser quotes the bad atom label in its message: the ESC must not reach the log raw
                + "mp-3,\"data_y\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\nloop_\n_atom_site_label\n"
                + "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n'Zz\u001bx' 0 0 0\n\"\n");
        Logger logger = (Logger) LoggerFactory.getLogger(Ingestor.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            IngestStats st = new Ingestor(new FileSource(List.of(csv), 10, 0), new CollectingSink(), new InMemoryIngestState(), null)
                    .runOnce();
            assertEquals(3, st.bad());
        } finally {
            logger.detachAppender(appender);
        }
        List<String> bad = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.startsWith("bad record skipped")).toList();
        assertEquals(3, bad.size(), appender.list.toString());
        for (String line : bad) {
            for (char c : line.toCharArray()) {
                assertFalse(LogSafe.needsEscape(c), "control character " + (int) c + " in: " + line);
            }
        }
        assertTrue(bad.get(0).contains("x dead letter x\\n05:05:00.000 ERROR Fake - injected"), bad.get(0));
        assertTrue(bad.get(1).contains("\\x1b[31mred\\x00"), bad.get(1));
        assertTrue(bad.get(2).contains("atom 'Zz\\x1bx'"), bad.get(2));
    }
}
