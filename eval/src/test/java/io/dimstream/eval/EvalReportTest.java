package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalReportTest {

    private static final List<RunResult> RESULTS = List.of(
            new RunResult("band_gap", "dim-ridge", 50, 0, 0.1),
            new RunResult("band_gap", "dim-ridge", 50, 1, 0.2),
            new RunResult("band_gap", "dim-ridge", 50, 2, 0.4),
            new RunResult("band_gap", "composition-ridge", 50, 0, 0.5),
            new RunResult("band_gap", "composition-ridge", 50, 1, 0.6),
            new RunResult("band_gap", "composition-ridge", 50, 2, 0.7),
            new RunResult("band_gap", "dim-ridge", 100, 0, 0.05));

    @Test
    void tableShowsMedianAndQuartilesPerCell() {
        String md = EvalReport.markdownTable(RESULTS);
        // dim-ridge at 50: sorted 0.1 0.2 0.4 -> median 0.2, Q1 0.15, Q3 0.3; the best median is bold
        assertTrue(md.contains("| dim-ridge | **0.200** [0.150–0.300] | **0.050** [0.050–0.050] |"), md);
        assertTrue(md.contains("| composition-ridge | 0.600 [0.550–0.650] | – |"), md);
        assertTrue(md.contains("### band_gap — test MAE (eV)"), md);
    }

    @Test
    void plotsArePngsOnePerProperty(@TempDir Path dir) throws Exception {
        List<Path> plots = EvalReport.writePlots(dir, RESULTS);
        assertEquals(List.of(dir.resolve("mae_vs_labels_band_gap.png")), plots);
        BufferedImage img = ImageIO.read(plots.get(0).toFile());
        assertEquals(900, img.getWidth());
        assertEquals(560, img.getHeight());
    }

    @Test
    void resultsJsonRoundTripsWithTheDocumentedFields(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("results.json");
        EvalReport.writeResults(f, RESULTS);
        String json = java.nio.file.Files.readString(f);
        assertTrue(json.contains("\"property\" : \"band_gap\"") && json.contains("\"method\" : \"dim-ridge\"")
                && json.contains("\"labels\" : 50") && json.contains("\"seed\" : 0") && json.contains("\"mae\" : 0.1"), json);
        assertEquals(RESULTS, EvalReport.readResults(f));
    }
}
