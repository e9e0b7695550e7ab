package io.dimstream.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A scaled-down {@code dimstream demo}: the full path (broker, streams, trainer, v1, v2, backfill, summary). */
class DemoCommandTest {

    @TempDir
    Path tmp;

    @Test
    void smallDemoRunsEndToEndAndSummarises() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = Main.commandLine().execute("demo", "--dir", tmp.resolve("demo").toString(), "--first", "120",
                    "--second", "60", "--train-seconds", "3");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.println(out);
        assertEquals(0, rc, out);
        assertTrue(out.contains("sitenet-dim v1 PROMOTED"), out);
        assertTrue(out.contains("sitenet-dim v2 "), out);
        assertTrue(out.contains("parse/cif.unknown_element"), out);
        assertTrue(out.matches("(?s).*crystals\\.features\\s+180\\b.*"), out);
        assertTrue(out.matches("(?s).*v1: \\d+ records .* 180 distinct ids.*"), out);
    }

    @Test
    void refusesToWipeAFolderThatIsNotADemoFolder() throws Exception {
        Path mine = tmp.resolve("precious");
        Files.createDirectories(mine);
        Files.writeString(mine.resolve("thesis.tex"), "do not delete");
        int rc = Main.commandLine().execute("demo", "--dir", mine.toString());
        assertEquals(2, rc);
        assertTrue(Files.exists(mine.resolve("thesis.tex")));
    }
}
