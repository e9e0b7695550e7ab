package io.dimstream.ingest.file;

import io.dimstream.core.cif.CifParser;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import io.dimstream.ingest.BadRecord;
import io.dimstream.ingest.CifRecords;
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
 * <p>In a folder, a symbolic link is read only when it points inside the folder (unless
 * {@code allowOutsideLinks}); a link outside ({@code cif.outside_link}), a dangling link
 * ({@code cif.dangling_link}) and an entry that cannot be read are bad records, each reported once per
 * process (a {@code --follow} poll does not repeat them). A file over the input limit is a bad record
 * {@code cif.too_large}.
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
    private static final java.util.regex.Pattern CSV_ROW = java.util.regex.Pattern.compile("(?s).*:row [0-9]+");
    private final boolean allowOutsideLinks;
    /** Folder entries not read (links, unreadable entries), each reported once per process. */
    private final java.util.Set<String> reportedSkips = new java.util.HashSet<>();
    private final List<BadRecord> skipped = new ArrayList<>();

    private Watermark position = Watermark.NONE;
    private List<FileEntry> pending;
    private int fileIndex;
    private Iterator<RawCif> current;
    private Stream<RawCif> currentStream;

    record FileEntry(Path path, long mtime) {
    }

    public FileSource(List<Path> inputs, int batchSize, long settleMillis) {
        this(inputs, batchSize, settleMillis, false);
    }

    /**
     * @param allowOutsideLinks also read symbolic links in a folder that point outside it (by default they
     *                          are bad records, {@code cif.outside_link}, and not read)
     */
    public FileSource(List<Path> inputs, int batchSize, long settleMillis, boolean allowOutsideLinks) {
        this.inputs = List.copyOf(inputs);
        this.batchSize = batchSize;
        this.settleMillis = settleMillis;
        this.allowOutsideLinks = allowOutsideLinks;
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
        finishFile(); // a restart (after a failed batch) re-opens the file from its start, not mid-CSV
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
                List<CifInputs.Listed> listed;
                try {
                    listed = CifInputs.list(in, FileSource::accepted, allowOutsideLinks);
                } catch (CifInputs.InputException e) {
                    throw new IngestException("file.io", in + ": cannot list: " + e.getMessage(), e);
                }
                for (CifInputs.Listed l : listed) {
                    if (l.ok()) {
                        files.add(l.path());
                    } else if (reportedSkips.add(l.skipped().code() + " " + l.path())) {
                        skipped.add(new BadRecord(l.path().toString(), l.skipped().code(), l.skipped().getMessage()));
                    }
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
        List<BadRecord> bad = new ArrayList<>(skipped);
        skipped.clear();
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
                IOException cause = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
                bad.add(new BadRecord(f.path().toString(), cause instanceof CifInputs.InputException ie ? ie.code() : "file.io",
                        cause instanceof CifInputs.InputException ? cause.getMessage()
                                : cause.getClass().getSimpleName() + ": " + e.getMessage()));
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
        Map<String, String> md = new LinkedHashMap<>();
        md.put("origin", raw.origin());
        // a CSV row's origin is "file:row N": name its id too, so the operator can find it
        String where = CSV_ROW.matcher(raw.origin()).matches() ? raw.origin() + " id " + raw.id() : raw.origin();
        CifRecords.convert(raw.id(), raw.text(), where, md, parser, records, bad);
    }

    @Override
    public void close() {
        finishFile();
    }
}
