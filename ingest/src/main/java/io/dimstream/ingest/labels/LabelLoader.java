package io.dimstream.ingest.labels;

import io.dimstream.ingest.BadRecord;
import io.dimstream.ingest.ContentHash;
import io.dimstream.ingest.IngestException;
import io.dimstream.ingest.IngestState;
import io.dimstream.ingest.SubmissionSink;
import io.dimstream.schemas.Label;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads property labels from a CSV/CSV.gz (one row per structure: an id column and one column per
 * property) as {@link Label} records (key = id/property). Empty cells are skipped silently (not
 * measured); non-numeric cells are bad records. A label already produced with the same value is not
 * produced again (its hash is kept in the ingest state under {@code label:id/property}).
 */
public final class LabelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(LabelLoader.class);

    /** What one load did ({@code heldOut}: labels withheld for held-out evaluation). */
    public record Result(long rows, long produced, long unchanged, long empty, long heldOut, List<BadRecord> bad) {
    }

    private final String idColumn;
    private final List<String> properties;
    private final String source;
    private final double holdout;

    public LabelLoader(String idColumn, List<String> properties, String source) {
        this(idColumn, properties, source, 0);
    }

    /**
     * @param holdout fraction of structures whose labels are withheld (chosen by {@link io.dimstream.core.HeldOutSplit}), so that
     *                their predictions are out-of-sample; 0 loads everything
     */
    public LabelLoader(String idColumn, List<String> properties, String source, double holdout) {
        if (!(holdout >= 0 && holdout < 1)) {
            throw new IllegalArgumentException("holdout must be in [0, 1)");
        }
        this.idColumn = idColumn;
        this.properties = List.copyOf(properties);
        this.source = source == null ? "" : source;
        this.holdout = holdout;
    }

    public Result load(Path csv, SubmissionSink sink, IngestState state) throws IngestException {
        try (InputStream raw = Files.newInputStream(csv)) {
            InputStream in = csv.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz")
                    ? new GZIPInputStream(raw, 1 << 16) : raw;
            return load(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16), csv.toString(), sink, state);
        } catch (IOException e) {
            throw new IngestException("labels.io", csv + ": " + e.getMessage(), e);
        }
    }

    public Result load(Reader reader, String origin, SubmissionSink sink, IngestState state) throws IngestException {
        long rows = 0;
        long produced = 0;
        long unchanged = 0;
        long empty = 0;
        long heldOut = 0;
        List<BadRecord> bad = new ArrayList<>();
        try (CSVParser p = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).build().parse(reader)) {
            List<String> header = p.getHeaderNames();
            if (!header.contains(idColumn)) {
                throw new IngestException("labels.missing_column", origin + ": no id column '" + idColumn + "' (columns: " + header + ")");
            }
            for (String prop : properties) {
                if (!header.contains(prop)) {
                    throw new IngestException("labels.missing_column", origin + ": no column '" + prop + "' (columns: " + header + ")");
                }
            }
            for (CSVRecord rec : p) {
                rows++;
                String id = rec.isSet(idColumn) ? rec.get(idColumn).trim() : "";
                String where = origin + ":row " + rec.getRecordNumber();
                if (id.isEmpty()) {
                    bad.add(new BadRecord(where, "labels.missing_id", "empty " + idColumn));
                    continue;
                }
                if (holdout > 0 && io.dimstream.core.HeldOutSplit.isHeldOut(id, holdout)) {
                    heldOut++;
                    continue;
                }
                for (String prop : properties) {
                    String cell = rec.isSet(prop) ? rec.get(prop).trim() : "";
                    if (cell.isEmpty()) {
                        empty++;
                        continue;
                    }
                    double v;
                    try {
                        v = Double.parseDouble(cell);
                    } catch (NumberFormatException e) {
                        bad.add(new BadRecord(where, "labels.not_a_number", prop + " = '" + cell + "' is not a number"));
                        continue;
                    }
                    if (!Double.isFinite(v)) {
                        bad.add(new BadRecord(where, "labels.not_finite", prop + " = '" + cell + "'"));
                        continue;
                    }
                    String key = "label:" + id + "/" + prop;
                    String hash = ContentHash.of("label", Double.toString(v));
                    if (hash.equals(state.contentHash(key).orElse(null))) {
                        unchanged++;
                        continue;
                    }
                    sink.submitLabel(Label.newBuilder().setId(id).setProperty(prop).setValue(v).setSource(source).build());
                    state.putContentHash(key, hash);
                    produced++;
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new IngestException("labels.io", origin + ": " + e.getMessage(), e);
        }
        sink.flush();
        state.commit("labels:" + origin, null, produced);
        for (BadRecord b : bad.subList(0, Math.min(bad.size(), 50))) {
            LOG.warn("bad label skipped: {}", b);
        }
        return new Result(rows, produced, unchanged, empty, heldOut, bad);
    }
}
