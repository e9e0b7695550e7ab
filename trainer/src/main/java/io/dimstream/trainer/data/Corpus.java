package io.dimstream.trainer.data;

import io.dimstream.core.LogSafe;
import io.dimstream.core.cif.CifException;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.FeaturizerException;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A featurized training corpus read from CIF inputs (.cif files, directories, .csv/.csv.gz with a
 * {@code cif} column). Inputs that fail to parse or featurize are skipped, each with one log line (the
 * first 20) and counted.
 */
public record Corpus(List<FeaturizedCrystal> crystals, int failed) {
    private static final Logger LOG = LoggerFactory.getLogger(Corpus.class);

    /** Reads and featurizes up to {@code limit} records (0 = all), in parallel chunks, keeping input order. */
    public static Corpus load(List<Path> inputs, long limit, SiteNetFeaturizer featurizer) throws IOException {
        List<FeaturizedCrystal> out = new ArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        try (Stream<RawCif> s = CifInputs.read(inputs)) {
            Iterator<RawCif> it = s.iterator();
            long n = 0;
            List<RawCif> chunk = new ArrayList<>();
            while (it.hasNext() && (limit <= 0 || n < limit)) {
                chunk.add(it.next());
                n++;
                if (chunk.size() == 512) {
                    out.addAll(featurize(chunk, featurizer, failed));
                    chunk.clear();
                }
            }
            out.addAll(featurize(chunk, featurizer, failed));
        }
        if (failed.get() > 0) {
            LOG.warn("{} of {} inputs could not be parsed or featurized and were skipped", failed.get(),
                    out.size() + failed.get());
        }
        return new Corpus(out, failed.get());
    }

    private static List<FeaturizedCrystal> featurize(List<RawCif> chunk, SiteNetFeaturizer f, AtomicInteger failed) {
        return chunk.parallelStream().flatMap(raw -> {
            List<FeaturizedCrystal> got = new ArrayList<>();
            try {
                for (Structure st : CifInputs.parse(raw)) {
                    try {
                        got.add(f.featurize(st, st.id(), raw.origin()));
                    } catch (FeaturizerException e) {
                        if (failed.getAndIncrement() < 20) {
                            LOG.warn("{}: {}: {}", LogSafe.escape(st.id()), e.code(), LogSafe.escape(firstLine(e.getMessage())));
                        }
                    }
                }
            } catch (CifException e) {
                if (failed.getAndIncrement() < 20) {
                    LOG.warn("{}: {}", LogSafe.escape(raw.id()), LogSafe.escape(firstLine(e.getMessage())));
                }
            }
            return got.stream();
        }).toList();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** A seeded split: the first list gets {@code 1 - valFraction} of the crystals. */
    public static List<List<FeaturizedCrystal>> split(List<FeaturizedCrystal> all, double valFraction, long seed) {
        List<FeaturizedCrystal> copy = new ArrayList<>(all);
        Collections.shuffle(copy, new Random(seed));
        int nVal = (int) Math.round(all.size() * valFraction);
        if (all.size() >= 2 && valFraction > 0) {
            nVal = Math.max(1, Math.min(all.size() - 1, nVal));
        }
        return List.of(List.copyOf(copy.subList(nVal, copy.size())), List.copyOf(copy.subList(0, nVal)));
    }
}
