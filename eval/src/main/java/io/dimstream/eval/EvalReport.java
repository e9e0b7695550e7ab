package io.dimstream.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Writes the outputs of an evaluation: results.json, the Markdown table, PNG plots, timings. */
public final class EvalReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EvalReport() {
    }

    public static void writeResults(Path file, List<RunResult> results) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        JSON.writeValue(file.toFile(), results);
    }

    public static List<RunResult> readResults(Path file) throws IOException {
        return List.of(JSON.readValue(file.toFile(), RunResult[].class));
    }

    public static void writeJson(Path file, Object value) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        JSON.writeValue(file.toFile(), value);
    }

    /** Methods present for a property, in {@link Method} order. */
    static List<String> methods(List<RunResult> results, String property) {
        List<String> out = new ArrayList<>();
        for (Method m : Method.values()) {
            if (results.stream().anyMatch(r -> r.property().equals(property) && r.method().equals(m.id()))) {
                out.add(m.id());
            }
        }
        return out;
    }

    static List<String> properties(List<RunResult> results) {
        List<String> out = new ArrayList<>();
        for (RunResult r : results) {
            if (!out.contains(r.property())) {
                out.add(r.property());
            }
        }
        return out;
    }

    static TreeSet<Integer> labelCounts(List<RunResult> results, String property) {
        TreeSet<Integer> out = new TreeSet<>();
        results.stream().filter(r -> r.property().equals(property)).forEach(r -> out.add(r.labels()));
        return out;
    }

    /** MAE summary over seeds of one cell, or null when the cell has no run. */
    static Metrics.Summary cell(List<RunResult> results, String property, String method, int labels) {
        double[] maes = results.stream()
                .filter(r -> r.property().equals(property) && r.method().equals(method) && r.labels() == labels)
                .mapToDouble(RunResult::mae).toArray();
        return maes.length == 0 ? null : Metrics.summarize(maes);
    }

    /**
     * The results table: one section per property, a row per method, a column per label count;
     * each cell is {@code median [Q1–Q3]} of the test MAE over seeds; the lowest median of a column
     * is bold.
     */
    public static String markdownTable(List<RunResult> results) {
        StringBuilder sb = new StringBuilder();
        for (String p : properties(results)) {
            TreeSet<Integer> counts = labelCounts(results, p);
            sb.append("### ").append(p).append(" — test MAE").append(unit(p).isEmpty() ? "" : " (" + unit(p) + ")")
                    .append(", median [Q1–Q3] over seeds\n\n");
            sb.append("| method |");
            for (int n : counts) {
                sb.append(' ').append(n).append(" labels |");
            }
            sb.append("\n|---|");
            counts.forEach(n -> sb.append("---|"));
            sb.append('\n');
            Map<Integer, Double> bestMedian = new java.util.HashMap<>();
            for (int n : counts) {
                for (String m : methods(results, p)) {
                    Metrics.Summary s = cell(results, p, m, n);
                    if (s != null) {
                        bestMedian.merge(n, s.median(), Math::min);
                    }
                }
            }
            for (String m : methods(results, p)) {
                sb.append("| ").append(m).append(" |");
                for (int n : counts) {
                    Metrics.Summary s = cell(results, p, m, n);
                    if (s == null) {
                        sb.append(" – |");
                        continue;
                    }
                    String med = fmt(s.median());
                    boolean best = s.median() == bestMedian.get(n);
                    sb.append(' ').append(best ? "**" + med + "**" : med)
                            .append(" [").append(fmt(s.q1())).append("–").append(fmt(s.q3())).append("] |");
                }
                sb.append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * The calibration table of methods with a per-structure uncertainty: per property, method and label
     * count, the medians over seeds of the share of test errors within 1σ and 2σ and of the Spearman
     * correlation between |error| and σ.
     */
    public static String calibrationTable(List<RunResult> results) {
        StringBuilder sb = new StringBuilder();
        for (String p : properties(results)) {
            List<RunResult> withCal = results.stream().filter(r -> r.property().equals(p) && r.calibration() != null).toList();
            if (withCal.isEmpty()) {
                continue;
            }
            TreeSet<Integer> counts = labelCounts(withCal, p);
            sb.append("### ").append(p).append(" — uncertainty calibration: within 1σ / within 2σ / Spearman(|error|, σ),"
                    + " medians over seeds (calibrated: 0.68 / 0.95 / > 0)\n\n| method |");
            counts.forEach(n -> sb.append(' ').append(n).append(" labels |"));
            sb.append("\n|---|");
            counts.forEach(n -> sb.append("---|"));
            sb.append('\n');
            for (String m : methods(withCal, p)) {
                sb.append("| ").append(m).append(" |");
                for (int n : counts) {
                    List<RunResult.Calibration> cs = withCal.stream()
                            .filter(r -> r.method().equals(m) && r.labels() == n).map(RunResult::calibration).toList();
                    if (cs.isEmpty()) {
                        sb.append(" – |");
                        continue;
                    }
                    sb.append(String.format(java.util.Locale.ROOT, " %.2f / %.2f / %.2f |",
                            Metrics.summarize(cs.stream().mapToDouble(RunResult.Calibration::within1).toArray()).median(),
                            Metrics.summarize(cs.stream().mapToDouble(RunResult.Calibration::within2).toArray()).median(),
                            Metrics.summarize(cs.stream().mapToDouble(RunResult.Calibration::spearman).toArray()).median()));
                }
                sb.append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * Per cell, the best method on DIM features against (a) composition-rf and (b) its random-init control
     * (same head, same feature construction): ratios of median test MAEs (&lt; 1: DIM is better).
     */
    public static String comparisonTable(List<RunResult> results) {
        StringBuilder sb = new StringBuilder();
        for (String p : properties(results)) {
            TreeSet<Integer> counts = labelCounts(results, p);
            List<String> ms = methods(results, p);
            sb.append("### ").append(p).append(" — best DIM-based method per label count\n\n")
                    .append("| labels | best DIM-based method | its MAE | composition-rf | ratio | its control | control MAE | ratio |\n")
                    .append("|---|---|---|---|---|---|---|---|\n");
            for (int n : counts) {
                String best = null;
                double bestMae = Double.POSITIVE_INFINITY;
                for (String m : ms) {
                    Method method;
                    try {
                        method = Method.byId(m);
                    } catch (EvalException e) {
                        continue;
                    }
                    Metrics.Summary s = cell(results, p, m, n);
                    if (method.representation().usesDim() && s != null && s.median() < bestMae) {
                        best = m;
                        bestMae = s.median();
                    }
                }
                if (best == null) {
                    continue;
                }
                Metrics.Summary comp = cell(results, p, Method.COMPOSITION_RF.id(), n);
                Method control = Method.byId(best).control();
                Metrics.Summary ctrl = control == null ? null : cell(results, p, control.id(), n);
                sb.append("| ").append(n).append(" | ").append(best).append(" | ").append(fmt(bestMae)).append(" | ")
                        .append(comp == null ? "–" : fmt(comp.median())).append(" | ")
                        .append(comp == null ? "–" : String.format(java.util.Locale.ROOT, "%.2f", bestMae / comp.median()))
                        .append(" | ").append(control == null ? "–" : control.id()).append(" | ")
                        .append(ctrl == null ? "–" : fmt(ctrl.median())).append(" | ")
                        .append(ctrl == null ? "–" : String.format(java.util.Locale.ROOT, "%.2f", bestMae / ctrl.median()))
                        .append(" |\n");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** The result sections of a report: the MAE table, the DIM comparison and (when any) the calibration. */
    public static String resultSections(List<RunResult> results) {
        StringBuilder sb = new StringBuilder(markdownTable(results));
        sb.append("## What DIM adds: best DIM-based method vs composition-rf and vs its random-init control\n\n")
                .append(comparisonTable(results));
        String cal = calibrationTable(results);
        if (!cal.isEmpty()) {
            sb.append("## Uncertainty calibration (test set)\n\n").append(cal);
        }
        return sb.toString();
    }

    /** One PNG per property: median test MAE vs number of labels (log x), one line per method. */
    public static List<Path> writePlots(Path dir, List<RunResult> results) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (String p : properties(results)) {
            XYChart chart = new XYChartBuilder().width(900).height(560)
                    .title(p + ": test MAE vs labels (median over seeds)")
                    .xAxisTitle("number of labelled training structures (log scale)")
                    .yAxisTitle("test MAE" + (unit(p).isEmpty() ? "" : " (" + unit(p) + ")"))
                    .build();
            var st = chart.getStyler();
            chart.getStyler().setXAxisLogarithmic(true);
            st.setXAxisLogarithmicDecadeOnly(false);
            st.setXAxisMin(Math.pow(10, Math.floor(Math.log10(labelCounts(results, p).first()) * 4) / 4));
            st.setXAxisMax(Math.pow(10, Math.ceil(Math.log10(labelCounts(results, p).last()) * 4) / 4));
            st.setLegendPosition(Styler.LegendPosition.OutsideE);
            st.setChartBackgroundColor(java.awt.Color.WHITE);
            chart.getStyler().setMarkerSize(7);
            for (String m : methods(results, p)) {
                List<Double> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (int n : labelCounts(results, p)) {
                    Metrics.Summary s = cell(results, p, m, n);
                    if (s != null) {
                        xs.add((double) n);
                        ys.add(s.median());
                    }
                }
                var series = chart.addSeries(m, xs, ys);
                // colour = head, marker = representation, dashed = random-init control, dotted = composition only
                series.setMarker(m.contains("+comp") ? SeriesMarkers.TRIANGLE_UP
                        : m.startsWith("random") ? SeriesMarkers.DIAMOND
                        : m.startsWith("composition") ? SeriesMarkers.SQUARE : SeriesMarkers.CIRCLE);
                series.setLineColor(color(m));
                series.setMarkerColor(color(m));
                if (m.startsWith("random")) {
                    series.setLineStyle(new java.awt.BasicStroke(2f, java.awt.BasicStroke.CAP_BUTT,
                            java.awt.BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
                } else if (m.startsWith("composition")) {
                    series.setLineStyle(new java.awt.BasicStroke(2f, java.awt.BasicStroke.CAP_BUTT,
                            java.awt.BasicStroke.JOIN_MITER, 10f, new float[] {2f, 3f}, 0f));
                }
            }
            Path file = dir.resolve("mae_vs_labels_" + p + ".png");
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            written.add(file);
        }
        return written;
    }

    /** One hue per head (ridge blue, MLP green, fine-tune red; composition black); controls are dashed. */
    static java.awt.Color color(String method) {
        if (method.equals("composition-ridge")) {
            return java.awt.Color.GRAY;
        }
        if (method.endsWith("ridge")) {
            return new java.awt.Color(0x1f, 0x77, 0xb4);
        }
        if (method.endsWith("mlp")) {
            return new java.awt.Color(0x2c, 0xa0, 0x2c);
        }
        if (method.endsWith("-rf")) {
            return new java.awt.Color(0xff, 0x7f, 0x0e);
        }
        if (method.endsWith("gbm")) {
            return new java.awt.Color(0x94, 0x67, 0xbd);
        }
        if (method.endsWith("finetune")) {
            return java.awt.Color.BLACK;
        }
        return new java.awt.Color(0xd6, 0x27, 0x28);
    }

    static String unit(String property) {
        return switch (property) {
            case "formation_energy_per_atom" -> "eV/atom";
            case "band_gap", "efermi" -> "eV";
            case "volume" -> "Å³";
            case "total_magnetization" -> "μB";
            default -> "";
        };
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** Timings as a Markdown table (seconds and minutes per phase, plus the total). */
    public static String timingTable(Map<String, Double> seconds) {
        StringBuilder sb = new StringBuilder("| phase | seconds |\n|---|---|\n");
        double total = 0;
        for (Map.Entry<String, Double> e : seconds.entrySet()) {
            sb.append("| ").append(e.getKey()).append(" | ").append(String.format(Locale.ROOT, "%.1f", e.getValue())).append(" |\n");
            total += e.getValue();
        }
        sb.append("| **total** | **").append(String.format(Locale.ROOT, "%.1f", total)).append("** (")
                .append(String.format(Locale.ROOT, "%.1f", total / 60)).append(" min) |\n");
        return sb.toString();
    }
}
