package io.dimstream.eval;

import io.dimstream.core.cif.CifException;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.FeaturizerException;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an evaluation split: a CSV(.gz) with a {@code cif} column and label columns → parsed,
 * featurized {@link EvalSample}s plus a {@link LabelTable}. Rows that do not parse or featurize are
 * skipped and counted by reason (one summary log line); an empty label cell is a missing label.
 */
public final class EvalData {

    private static final Logger log = LoggerFactory.getLogger(EvalData.class);

    private EvalData() {
    }

    /**
     * @param limit keep at most this many rows, drawn uniformly with {@code seed} (before parsing)
     */
    public static EvalSplit load(Path csv, String name, List<String> properties, int limit, long seed) {
        if (!Files.isRegularFile(csv)) {
            throw new EvalException("bad-input", name + " input " + csv + " does not exist");
        }
        List<RawCif> rows;
        try (Stream<RawCif> s = CifInputs.csv(csv)) {
            rows = s.toList();
        } catch (IOException e) {
            throw new EvalException("bad-input", "cannot read " + csv + ": " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new EvalException("bad-input", "cannot read " + csv + ": " + e.getMessage(), e);
        }
        if (!rows.isEmpty()) {
            for (String p : properties) {
                if (!rows.get(0).columns().containsKey(p)) {
                    throw new EvalException("no-labels", csv + " has no column '" + p + "' (columns: "
                            + rows.get(0).columns().keySet() + ")");
                }
            }
        }
        if (rows.size() > limit) {
            int[] perm = IntStream.range(0, rows.size()).toArray();
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = perm.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            int[] keep = Arrays.copyOf(perm, limit);
            Arrays.sort(keep);
            List<RawCif> sub = new ArrayList<>(limit);
            for (int i : keep) {
                sub.add(rows.get(i));
            }
            rows = sub;
        }
        SiteNetFeaturizer featurizer = new SiteNetFeaturizer();
        EvalSample[] samples = new EvalSample[rows.size()];
        Map<String, AtomicInteger> skipped = new ConcurrentHashMap<>();
        List<RawCif> input = rows;
        try (ProgressBar pb = new ProgressBarBuilder().setTaskName("featurize " + name).setInitialMax(rows.size())
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).build()) {
            IntStream.range(0, rows.size()).parallel().forEach(i -> {
                RawCif raw = input.get(i);
                try {
                    List<Structure> st = CifInputs.parse(raw);
                    if (st.size() != 1) {
                        skipped.computeIfAbsent("several structures in one row", k -> new AtomicInteger()).incrementAndGet();
                    } else {
                        Structure s = st.get(0);
                        FeaturizedCrystal f = featurizer.featurize(s, raw.id(), name);
                        samples[i] = new EvalSample(raw.id(), f, s.composition());
                    }
                } catch (CifException e) {
                    skipped.computeIfAbsent("CIF: " + e.code(), k -> new AtomicInteger()).incrementAndGet();
                } catch (FeaturizerException e) {
                    skipped.computeIfAbsent(e.code(), k -> new AtomicInteger()).incrementAndGet();
                }
                pb.step();
            });
        }
        List<EvalSample> kept = new ArrayList<>();
        List<Integer> keptRows = new ArrayList<>();
        for (int i = 0; i < samples.length; i++) {
            if (samples[i] != null) {
                kept.add(samples[i]);
                keptRows.add(i);
            }
        }
        LabelTable labels = new LabelTable(kept.size());
        for (String p : properties) {
            double[] v = new double[kept.size()];
            for (int k = 0; k < v.length; k++) {
                v[k] = parseLabel(rows.get(keptRows.get(k)).columns().get(p));
            }
            labels.put(p, v);
        }
        if (!skipped.isEmpty()) {
            Map<String, Integer> counts = new TreeMap<>();
            skipped.forEach((k, c) -> counts.put(k, c.get()));
            log.warn("{}: skipped {} of {} structures: {}", csv, rows.size() - kept.size(), rows.size(), counts);
        }
        log.info("{} split: {} structures from {}", name, kept.size(), csv);
        if (kept.isEmpty()) {
            throw new EvalException("bad-input", "no usable structure in " + csv);
        }
        return new EvalSplit(name, kept, labels);
    }

    static double parseLabel(String s) {
        if (s == null || s.isBlank() || s.equalsIgnoreCase("nan") || s.equalsIgnoreCase("none")) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
