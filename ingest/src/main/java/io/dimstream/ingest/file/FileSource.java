package io.dimstream.ingest.file;

import io.dimstream.core.cif.CifException;
import io.dimstream.core.cif.CifParser;
import io.dimstream.core.cif.CifWriter;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.ingest.BadRecord;
import io.dimstream.ingest.IngestException;
import io.dimstream.ingest.IngestSource;
import io.dimstream.ingest.SourceBatch;
import io.dimstream.ingest.SourceRecord;
import io.dimstream.ingest.Watermark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CIF files, folders of them (recursively) and CSV/CSV.gz files with a {@code cif} column, read with core's
 * {@link CifInputs}. Every record is parsed with {@link CifParser} first, so unusable CIFs are reported
 * here as bad records (with the parser's error type) instead of travelling on. A single-structure record
 * is produced with its original text; a file with several data blocks becomes one P1 CIF per block
 * ({@code id#block}).
 *
 * <p>Files are visited in (modification time, path) order and the watermark is the last file finished,
 * so a re-run (or each {@code --follow} poll, which rescans the folders) reads only files that are new or
 * were modified since. Files modified less than {@code settle} ago are left for the next poll (they may
 * still be being written). A CSV is read in batches of {@code batchSize} rows.
 */
public final class FileSource implements IngestSource {
    private final List<Path> inputs;
    private final int batchSize;
    private final long settleMillis;
    private final CifParser parser = new CifParser();

    private Watermark position = Watermark.NONE;
    private List<FileEntry> pending;
    private int fileIndex;
    private Iterator<RawCif> current;
    private Stream<RawCif> currentStream;

    record FileEntry(Path path, long mtime) {
    }

    public FileSource(List<Path> inputs, int batchSize, long settleMillis) {
        this.inputs = List.copyOf(inputs);
        this.batchSize = batchSize;
        this.settleMillis = settleMillis;
    }

    @Override
    public String key() {
        List<String> abs = inputs.stream().map(p -> p.toAbsolutePath().normalize().toString()).sorted().toList();
        return "file:" + String.join(",", abs);
    }

    @Override
    public void start(Watermark from) {
        position = from == null ? Watermark.NONE : from;
        pending = null;
    }

    @Override
    public long estimateRemaining() {
        return -1;
    }

    private List<FileEntry> scan() throws IngestException {
        List<FileEntry> out = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (Path in : inputs) {
            if (!Files.exists(in)) {
                throw new IngestException("file.missing", in + ": no such file or directory");
            }
            List<Path> files = new ArrayList<>();
            if (Files.isDirectory(in)) {
                try (Stream<Path> walk = Files.walk(in)) {
                    walk.filter(Files::isRegularFile).filter(FileSource::accepted).forEach(files::add);
                } catch (IOException | UncheckedIOException e) {
                    throw new IngestException("file.io", in + ": cannot list: " + e.getMessage(), e);
                }
            } else {
                files.add(in);
            }
            for (Path f : files) {
                try {
                    long m = Files.getLastModifiedTime(f).toMillis();
                    if (now - m >= settleMillis) {
                        out.add(new FileEntry(f.toAbsolutePath().normalize(), m));
                    }
                } catch (IOException e) {
                    // vanished between listing and stat: next poll
                }
            }
        }
        out.sort(Comparator.comparingLong(FileEntry::mtime).thenComparing(e -> e.path().toString()));
        long wmTime = position.isNone() ? Long.MIN_VALUE : Long.parseLong(position.get("mtime"));
        String wmPath = position.isNone() ? "" : position.get("path");
        out.removeIf(e -> e.mtime() < wmTime || (e.mtime() == wmTime && e.path().toString().compareTo(wmPath) <= 0));
        return out;
    }

    private static boolean accepted(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".cif") || n.endsWith(".csv") || n.endsWith(".csv.gz");
    }

    @Override
    public SourceBatch next() throws IngestException {
        if (pending == null) {
            pending = scan();
            fileIndex = 0;
        }
        List<SourceRecord> records = new ArrayList<>();
        List<BadRecord> bad = new ArrayList<>();
        while (fileIndex < pending.size() && records.size() + bad.size() < batchSize) {
            FileEntry f = pending.get(fileIndex);
            try {
                if (current == null) {
                    currentStream = CifInputs.read(f.path());
                    current = currentStream.iterator();
                }
                while (current.hasNext() && records.size() + bad.size() < batchSize) {
                    convert(current.next(), records, bad);
                }
                if (!current.hasNext()) {
                    finishFile();
                    Watermark done = Watermark.of("mtime", Long.toString(f.mtime()), "path", f.path().toString());
                    position = done;
                    fileIndex++;
                    if (records.size() + bad.size() > 0 || fileIndex >= pending.size()) {
                        return batch(records, bad, done);
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                finishFile();
                bad.add(new BadRecord(f.path().toString(), "file.io", e.getMessage()));
                position = Watermark.of("mtime", Long.toString(f.mtime()), "path", f.path().toString());
                fileIndex++;
                return batch(records, bad, position);
            }
        }
        return batch(records, bad, null);
    }

    private SourceBatch batch(List<SourceRecord> records, List<BadRecord> bad, Watermark commit) {
        boolean caughtUp = fileIndex >= pending.size() && current == null;
        if (caughtUp) {
            pending = null;
        }
        return new SourceBatch(records, bad, commit, caughtUp);
    }

    private void finishFile() {
        if (currentStream != null) {
            currentStream.close();
        }
        currentStream = null;
        current = null;
    }

    private void convert(RawCif raw, List<SourceRecord> records, List<BadRecord> bad) {
        List<Structure> structures;
        try {
            structures = CifInputs.parse(raw, parser);
        } catch (CifException e) {
            bad.add(new BadRecord(raw.origin(), e.code(), e.getMessage()));
            return;
        } catch (RuntimeException e) {
            bad.add(new BadRecord(raw.origin(), "cif.invalid", String.valueOf(e.getMessage())));
            return;
        }
        Map<String, String> md = new LinkedHashMap<>();
        md.put("origin", raw.origin());
        if (structures.size() == 1) {
            records.add(new SourceRecord(raw.id(), "cif", raw.text(), md));
        } else {
            for (Structure s : structures) {
                records.add(new SourceRecord(s.id(), "cif", CifWriter.write(s), md));
            }
        }
    }

    @Override
    public void close() {
        finishFile();
    }
}
