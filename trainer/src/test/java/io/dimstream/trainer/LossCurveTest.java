package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossCurveTest {

    @Test
    void drawsTheHistoryAndNothingWithoutPoints(@TempDir Path dir) throws Exception {
        Path png = dir.resolve(LossCurve.FILE_NAME);
        assertFalse(LossCurve.write(png, List.of()));
        assertFalse(LossCurve.write(png, List.of(Map.of("epoch", 1))), "no loss values: nothing to draw");
        assertFalse(Files.exists(png));
        List<Map<String, Object>> h = List.of(
                Map.of("epoch", 1, "train_loss", 2.9, "val_total", 2.8, "val_local_dim", 1.41, "val_global_dim", 1.38),
                Map.of("epoch", 2, "train_loss", 2.7, "val_total", 2.6, "val_local_dim", 1.30, "val_global_dim", 1.20));
        assertTrue(LossCurve.write(png, h));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(900, img.getWidth());
        assertEquals(560, img.getHeight());
        assertFalse(Files.exists(dir.resolve("loss_curve.tmp.png")), "written via a temp file");
    }
}
