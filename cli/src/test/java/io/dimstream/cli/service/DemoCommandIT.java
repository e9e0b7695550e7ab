package io.dimstream.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A scaled-down {@code dimstream demo}: the full path (broker, streams, trainer, v1, v2, backfill, summary). */
class DemoCommandIT {

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

        // >= 2 model versions in models.history
        Set<String> versions = new TreeSet<>();
        Matcher mv = Pattern.compile("sitenet-dim v(\\d+) (PROMOTED|REJECTED)").matcher(out);
        while (mv.find()) {
            versions.add(mv.group(1));
        }
        assertTrue(versions.size() >= 2, "model versions " + versions + "\n" + out);

        // labels + predictor: held-out MAE for both properties, finite, next to a finite baseline
        for (String prop : List.of("band_gap", "formation_energy_per_atom")) {
            Matcher m = Pattern.compile(Pattern.quote(prop) + "\\s+MAE (\\S+) on (\\d+) held-out structures"
                    + " \\(predict-the-mean baseline MAE (\\S+)\\)").matcher(out);
            assertTrue(m.find(), prop + " MAE line missing\n" + out);
            double mae = Double.parseDouble(m.group(1));
            double base = Double.parseDouble(m.group(3));
            assertTrue(Double.isFinite(mae) && mae >= 0, prop + " MAE " + mae);
            assertTrue(Double.isFinite(base) && base > 0, prop + " baseline " + base);
            assertTrue(Integer.parseInt(m.group(2)) > 0, prop + " held-out count");
        }
        Matcher pub = Pattern.compile("predictions published: (\\d+)").matcher(out);
        assertTrue(pub.find(), out);
        // every structure of the serving version gets one prediction per property (at least once)
        assertTrue(Long.parseLong(pub.group(1)) >= 2 * 180, "predictions published " + pub.group(1));
        assertTrue(out.matches("(?s).*crystals\\.labels\\s+\\d+\\b.*"), out);
        assertTrue(!out.contains("did NOT settle"), out);

        // the search service followed the run: it serves the last version with every structure, and a search is shown
        Matcher search = Pattern.compile("similar-structure search \\(http://127\\.0\\.0\\.1:\\d+/\\): serving v(\\d+), "
                + "embeddings per version \\{(\\d+)=(\\d+)\\}").matcher(out);
        assertTrue(search.find(), "search summary line\n" + out);
        assertEquals(search.group(1), search.group(2));
        assertEquals("180", search.group(3), "every structure is searchable in the serving version");
        Matcher nearest = Pattern.compile("the 5 nearest of (\\S+) \\((\\S+)\\)").matcher(out);
        assertTrue(nearest.find(), out);
        Matcher rows = Pattern.compile("(?m)^    (mp-\\d+)\\s+\\S+\\s+(\\d\\.\\d{5})  space group").matcher(out);
        int n = 0;
        double prev = -1;
        while (rows.find()) {
            n++;
            double d = Double.parseDouble(rows.group(2));
            assertTrue(d >= prev, "ascending distances");
            prev = d;
            assertTrue(!rows.group(1).equals(nearest.group(1)), "the query itself is excluded");
        }
        assertEquals(5, n, out);
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
