package io.dimstream.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code loss_curve.png}: train loss and validation local/global DIM loss vs epoch, drawn from
 * {@link TrainHistory} (so it spans every invocation of a resumed run). The total objectives (train, and
 * validation for comparison) use the left axis, the validation DIM terms (about half the total's size,
 * and flatter) the right one, so both stay readable.
 */
public final class LossCurve {
    public static final String FILE_NAME = "loss_curve.png";

    /** Series drawn: history key, legend label, y axis group (0 left, 1 right). */
    static final List<String[]> SERIES = List.of(new String[] {"train_loss", "train loss (total)", "0"},
            new String[] {"val_total", "val total", "0"}, new String[] {"val_local_dim", "val local DIM (right)", "1"},
            new String[] {"val_global_dim", "val global DIM (right)", "1"});

    private LossCurve() {}

    /**
     * Draws the curve of {@code history} into {@code file}; returns false (and writes nothing) when no series
     * has a point.
     */
    public static boolean write(Path file, List<Map<String, Object>> history) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(560).title("DIM pretraining: loss vs epoch")
                .xAxisTitle("epoch").yAxisTitle("total objective").build();
        chart.setYAxisGroupTitle(1, "validation DIM loss");
        var st = chart.getStyler();
        st.setLegendPosition(Styler.LegendPosition.OutsideS);
        st.setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        st.setChartBackgroundColor(java.awt.Color.WHITE);
        st.setMarkerSize(5);
        int drawn = 0;
        for (String[] s : SERIES) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (Map<String, Object> r : history) {
                if (r.get("epoch") instanceof Number e && r.get(s[0]) instanceof Number y
                        && Double.isFinite(y.doubleValue())) {
                    xs.add(e.doubleValue());
                    ys.add(y.doubleValue());
                }
            }
            if (!xs.isEmpty()) {
                var series = chart.addSeries(s[1], xs, ys);
                series.setMarker(SeriesMarkers.CIRCLE);
                series.setYAxisGroup(Integer.parseInt(s[2]));
                drawn++;
            }
        }
        if (drawn == 0) {
            return false;
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling("loss_curve.tmp.png");
        BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return true;
    }
}
