package io.dimstream.core.io;

import io.dimstream.core.DimstreamException;
import io.dimstream.core.cif.CifException;
import io.dimstream.core.cif.CifParser;
import io.dimstream.core.crystal.Structure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads CIF inputs lazily: a {@code .cif} (or {@code .cif.gz}) file, a directory (recursively,
 * {@code *.cif} and {@code *.cif.gz} in sorted path order), or a {@code .csv}/{@code .csv.gz} file with a {@code cif} column (id = the
 * {@code material_id} column, else the first column). Close the returned streams.
 */
public final class CifInputs {
    private CifInputs() {
    }

    /** Largest accepted .cif file, in bytes (the parser caps text size too). */
    public static final long MAX_FILE_BYTES = CifParser.MAX_TEXT_CHARS;

    private static final CifParser DEFAULT_PARSER = new CifParser();

    /**
     * Thrown for an input that cannot be opened, is over a size limit or has no cif column (one-line
     * message). It stays an {@link IOException} (the only exception in the {@link DimstreamException}
     * code list that is not a subclass of it): it is thrown from inside a {@link java.io.Reader}, whose
     * contract is {@code IOException}, and every caller of {@link #read} handles input errors as I/O
     * errors. {@link #code()} follows the same {@code <stage>.<reason>} scheme.
     */
    public static final class InputException extends IOException {
        /** The input is missing, unreadable or not a CSV with a {@code cif} column. */
        public static final String INPUT = CifException.INPUT;
        /** A file or CSV record over the size limit. */
        public static final String TOO_LARGE = CifException.TOO_LARGE;
        /** A symbolic link in a folder whose target does not exist. */
        public static final String DANGLING_LINK = CifException.DANGLING_LINK;
        /** A symbolic link in a folder pointing outside it, not followed. */
        public static final String OUTSIDE_LINK = CifException.OUTSIDE_LINK;

        private final String code;

        public InputException(String code, String message) {
            super(message);
            this.code = code;
        }

        /** Machine-readable code: {@code cif.input}, {@code cif.too_large}, {@code cif.dangling_link} or {@code cif.outside_link}. */
        public String code() {
            return code;
        }

        /** The one line to print: the message (made log-safe) and the code, {@code "…: reason [cif.too_large]"}. */
        public String line() {
            return io.dimstream.core.LogSafe.escape(getMessage()) + " [" + code + "]";
        }
    }

    /** All records of several inputs, in order. Opening errors surface when the input is reached. */
    public static Stream<RawCif> read(List<Path> inputs) throws IOException {
        Stream<RawCif> s = Stream.empty();
        for (Path p : inputs) {
            s = Stream.concat(s, read(p));
        }
        return s;
    }

    /**
     * The records of one input. A CSV is read lazily row by row; read errors after opening are
     * thrown as {@link UncheckedIOException}. In a folder, the first file that cannot be read (too
     * large, a dangling link, a link outside the folder) ends the stream with that error; use
     * {@link #entries} to report such files one by one and go on.
     */
    public static Stream<RawCif> read(Path input) throws IOException {
        if (Files.isDirectory(input)) {
            return entries(input, false).map(e -> {
                if (e.ok()) {
                    return e.raw();
                }
                throw new UncheckedIOException(e.error());
            });
        }
        if (!Files.exists(input)) {
            throw missing(input);
        }
        String name = lower(input);
        if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
            return csv(input);
        }
        return Stream.of(readFile(input));
    }

    /**
     * One thing found in an input: a record, or the reason why a file, link or CSV record was not
     * read (with its code). Nothing found is left out without an entry.
     */
    public record Entry(RawCif raw, InputException error) {
        public Entry {
            if ((raw == null) == (error == null)) {
                throw new IllegalArgumentException("an entry is a record or an error");
            }
        }

        public boolean ok() {
            return raw != null;
        }
    }

    /**
     * The records of one input, every problem as an error entry, so one bad file does not hide the
     * files after it: a {@code .cif}/{@code .cif.gz} file is one entry; a folder is walked
     * recursively ({@code *.cif}, {@code *.cif.gz} in sorted path order, see {@link #list} for links);
     * a CSV gives one entry per row, and an error that stops the CSV (a record over the size limit,
     * malformed quoting) is its last entry. Never throws for bad input. Close the stream.
     *
     * @param allowOutsideLinks follow symbolic links inside a folder that point outside it
     */
    public static Stream<Entry> entries(Path input, boolean allowOutsideLinks) {
        if (Files.isDirectory(input)) {
            List<Listed> listed;
            try {
                listed = list(input, CifInputs::isCifName, allowOutsideLinks);
            } catch (InputException e) {
                return Stream.of(new Entry(null, e));
            }
            return listed.stream().map(l -> l.ok() ? readEntry(l.path()) : new Entry(null, l.skipped()));
        }
        if (!Files.exists(input)) {
            return Stream.of(new Entry(null, missing(input)));
        }
        String name = lower(input);
        if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
            Stream<RawCif> rows;
            try {
                rows = csv(input);
            } catch (IOException e) {
                return Stream.of(new Entry(null, asInputException(input, e)));
            }
            return csvEntries(rows, input);
        }
        return Stream.of(readEntry(input));
    }

    private static InputException missing(Path input) {
        if (Files.isSymbolicLink(input)) {
            return new InputException(InputException.DANGLING_LINK, input + ": dangling symbolic link (its target "
                    + linkTarget(input) + " does not exist)");
        }
        return new InputException(InputException.INPUT, input + ": no such file or directory");
    }

    private static String linkTarget(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "?";
        }
    }

    private static boolean isCifName(Path p) {
        String n = lower(p);
        return n.endsWith(".cif") || n.endsWith(".cif.gz");
    }

    private static Entry readEntry(Path file) {
        try {
            return new Entry(readFile(file), null);
        } catch (IOException e) {
            return new Entry(null, asInputException(file, e));
        }
    }

    /** An I/O failure as an {@link InputException} whose message names the file and the failure class. */
    static InputException asInputException(Path file, IOException e) {
        if (e instanceof InputException ie) {
            return ie;
        }
        String msg = e.getMessage();
        return new InputException(InputException.INPUT, file + ": cannot read (" + e.getClass().getSimpleName()
                + (msg == null || msg.isBlank() || msg.equals(file.toString()) ? "" : ": " + oneLine(msg)) + ")");
    }

    /** CSV rows as entries; a read error becomes the last entry instead of an exception. */
    private static Stream<Entry> csvEntries(Stream<RawCif> rows, Path file) {
        Iterator<RawCif> it = rows.iterator();
        Iterator<Entry> out = new Iterator<>() {
            private Entry pending;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (pending != null) {
                    return true;
                }
                if (done) {
                    return false;
                }
                try {
                    if (it.hasNext()) {
                        pending = new Entry(it.next(), null);
                    } else {
                        done = true;
                    }
                } catch (UncheckedIOException e) {
                    done = true;
                    pending = new Entry(null, asInputException(file, e.getCause()));
                }
                return pending != null;
            }

            @Override
            public Entry next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Entry e = pending;
                pending = null;
                return e;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(out, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(rows::close);
    }

    /**
     * A file found in a folder, or why it is not read ({@code skipped} with the code
     * {@code cif.dangling_link}, {@code cif.outside_link} or {@code cif.input}).
     */
    public record Listed(Path path, InputException skipped) {
        public boolean ok() {
            return skipped == null;
        }
    }

    /**
     * Walks a folder recursively (sorted by path) for files whose name {@code accept}s. Symbolic links
     * to directories are not descended into. A symbolic link to a file is read only when its target
     * (resolved fully) lies inside the folder, or {@code allowOutsideLinks} is set; otherwise, and for
     * a dangling link, a FIFO/device named like an input or an entry the walk cannot read, the result
     * holds a {@link Listed#skipped} entry with the reason, so nothing is left out without a word.
     *
     * @throws InputException ({@code cif.input}) when the folder itself cannot be read
     */
    public static List<Listed> list(Path dir, java.util.function.Predicate<Path> accept, boolean allowOutsideLinks)
            throws InputException {
        Path root;
        try {
            root = dir.toRealPath();
        } catch (IOException e) {
            throw asInputException(dir, e);
        }
        List<Listed> out = new ArrayList<>();
        try {
            // walk the real folder (the folder given may itself be a link), report paths as given
            Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult visitFile(Path real, java.nio.file.attribute.BasicFileAttributes attrs) {
                    Path file = dir.resolve(root.relativize(real));
                    if (!accept.test(file)) {
                        return java.nio.file.FileVisitResult.CONTINUE;
                    }
                    if (attrs.isSymbolicLink()) {
                        out.add(link(file, root, allowOutsideLinks));
                    } else if (attrs.isRegularFile()) {
                        out.add(new Listed(file, null));
                    } else if (!attrs.isDirectory()) {
                        out.add(new Listed(file, new InputException(InputException.INPUT, file + ": not a regular file")));
                    }
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path real, IOException e) {
                    Path file = dir.resolve(root.relativize(real));
                    out.add(new Listed(file, asInputException(file, e)));
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw asInputException(dir, e);
        }
        out.sort(java.util.Comparator.comparing(Listed::path));
        return out;
    }

    private static Listed link(Path file, Path root, boolean allowOutsideLinks) {
        Path target;
        try {
            target = file.toRealPath();
        } catch (java.nio.file.NoSuchFileException e) {
            return new Listed(file, new InputException(InputException.DANGLING_LINK,
                    file + ": dangling symbolic link (its target " + linkTarget(file) + " does not exist)"));
        } catch (IOException e) {
            return new Listed(file, asInputException(file, e));
        }
        if (!allowOutsideLinks && !target.startsWith(root)) {
            return new Listed(file, new InputException(InputException.OUTSIDE_LINK, file + ": symbolic link to " + target
                    + ", outside " + root + ": not followed (allow with --allow-outside-links)"));
        }
        if (Files.isDirectory(target)) {
            return new Listed(file, new InputException(InputException.INPUT, file + ": a symbolic link to a directory: not descended into"));
        }
        if (!Files.isRegularFile(target)) {
            return new Listed(file, new InputException(InputException.INPUT, file + ": links to " + target + ", not a regular file"));
        }
        return new Listed(file, null);
    }

    /** One .cif file as a record (id = file name without .cif). */
    public static RawCif readFile(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new InputException(InputException.TOO_LARGE, file + ": file has " + size + " bytes, more than the limit of " + MAX_FILE_BYTES);
        }
        String fn = file.getFileName().toString();
        String lower = fn.toLowerCase(Locale.ROOT);
        String text;
        if (lower.endsWith(".gz")) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
                byte[] bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
                if (bytes.length > MAX_FILE_BYTES) {
                    throw new InputException(InputException.TOO_LARGE, file + ": uncompressed file is larger than the limit of " + MAX_FILE_BYTES + " bytes");
                }
                text = new String(bytes, StandardCharsets.UTF_8);
            }
            fn = fn.substring(0, fn.length() - 3);
            lower = lower.substring(0, lower.length() - 3);
        } else {
            text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        }
        String id = lower.endsWith(".cif") ? fn.substring(0, fn.length() - 4) : fn;
        return new RawCif(id, file.toString(), text, Map.of());
    }

    private static RawCif readFileUnchecked(Path file) {
        try {
            return readFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static UncheckedIOException readError(UncheckedIOException e, String origin) {
        IOException cause = e.getCause();
        String msg = cause instanceof InputException ? cause.getMessage() : origin + ": " + oneLine(cause.getMessage());
        return new UncheckedIOException(msg, cause);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }

    private static String lower(Path p) {
        return p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
    }

    /** Lazily streams the rows of a CSV (optionally gzipped) with a {@code cif} column. */
    public static Stream<RawCif> csv(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        try {
            if (lower(file).endsWith(".gz")) {
                in = new GZIPInputStream(in, 1 << 16);
            }
            Reader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
            return csv(r, file.toString());
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Largest CSV record, in chars: a CIF at the parser's cap plus room for the other columns. */
    public static final long MAX_RECORD_CHARS = CifParser.MAX_TEXT_CHARS + (1 << 20);

    /**
     * Counts the chars handed to the CSV parser since the last record boundary and fails once a
     * single record exceeds {@link #MAX_RECORD_CHARS}, so a hostile CSV cannot make the parser
     * buffer an unbounded field.
     */
    static final class BoundedReader extends java.io.FilterReader {
        private final String origin;
        private long sinceRecord;

        BoundedReader(Reader in, String origin) {
            super(in);
            this.origin = origin;
        }

        void recordDone() {
            sinceRecord = 0;
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            if (c >= 0) {
                count(1);
            }
            return c;
        }

        @Override
        public int read(char[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws IOException {
            sinceRecord += n;
            if (sinceRecord > MAX_RECORD_CHARS) {
                throw new InputException(InputException.TOO_LARGE, origin + ": a CSV record is longer than " + MAX_RECORD_CHARS + " chars");
            }
        }
    }

    /** Lazily streams CSV rows from a reader (closed with the stream). */
    public static Stream<RawCif> csv(Reader rawReader, String origin) throws IOException {
        BoundedReader reader = new BoundedReader(rawReader, origin);
        CSVParser parser;
        try {
            parser = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).build().parse(reader);
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw new InputException(InputException.INPUT, origin + ": cannot read CSV header: " + oneLine(e.getMessage()));
        }
        List<String> header = parser.getHeaderNames();
        int cifCol = header.indexOf("cif");
        if (cifCol < 0) {
            parser.close();
            throw new InputException(InputException.INPUT, origin + ": CSV has no 'cif' column (columns: " + String.join(",", header) + ")");
        }
        int idCol = header.indexOf("material_id");
        if (idCol < 0) {
            idCol = 0;
        }
        final int idc = idCol;
        Iterator<CSVRecord> records = parser.iterator();
        Iterator<RawCif> it = new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return records.hasNext();
                } catch (UncheckedIOException e) {
                    throw readError(e, origin);
                }
            }

            @Override
            public RawCif next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                CSVRecord rec;
                try {
                    rec = records.next();
                } catch (UncheckedIOException e) {
                    throw readError(e, origin);
                }
                reader.recordDone();
                long row = rec.getRecordNumber();
                String text = cifCol < rec.size() ? rec.get(cifCol) : "";
                String id = idc < rec.size() && !rec.get(idc).isEmpty() ? rec.get(idc) : "row" + row;
                Map<String, String> cols = new LinkedHashMap<>();
                for (int i = 0; i < header.size() && i < rec.size(); i++) {
                    if (i != cifCol && i != idc) {
                        cols.put(header.get(i), rec.get(i));
                    }
                }
                return new RawCif(id, origin + ":row " + row, text, cols);
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(() -> {
                    try {
                        parser.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    /**
     * Parses a record into structures with their final ids: the record id, or {@code id#block}
     * when the text holds several structures.
     *
     * @throws CifException (with origin = the record id) when the text is not a usable CIF
     */
    public static List<Structure> parse(RawCif raw) throws CifException {
        return parse(raw, DEFAULT_PARSER);
    }

    /**
     * One parsed structure or the error of one block, with its final id ({@code id} or
     * {@code id#block}).
     */
    public record Parsed(String id, Structure structure, CifException error) {
        public boolean ok() {
            return structure != null;
        }
    }

    /**
     * Parses a record block by block, so a bad block does not hide good ones: one entry per data
     * block with atoms, or a single error entry (id = record id) when the whole text is unusable.
     * Never throws for bad CIF text.
     */
    public static List<Parsed> parseEach(RawCif raw, CifParser parser) {
        List<CifParser.BlockResult> results;
        try {
            results = parser.parseEach(raw.text(), raw.id());
        } catch (CifException e) {
            return List.of(new Parsed(raw.id(), null, e));
        }
        List<Parsed> out = new ArrayList<>(results.size());
        boolean single = results.size() == 1;
        for (CifParser.BlockResult r : results) {
            String id = single ? raw.id() : raw.id() + "#" + r.block();
            out.add(r.ok() ? new Parsed(id, r.structure().withId(id), null) : new Parsed(id, null, r.error()));
        }
        return out;
    }

    public static List<Parsed> parseEach(RawCif raw) {
        return parseEach(raw, DEFAULT_PARSER);
    }

    public static List<Structure> parse(RawCif raw, CifParser parser) throws CifException {
        List<Structure> list;
        try {
            list = parser.parse(raw.text(), raw.id());
        } catch (CifException e) {
            throw e.origin().equals(raw.id()) ? e : e.withOrigin(raw.id());
        }
        if (list.size() == 1) {
            return List.of(list.get(0).withId(raw.id()));
        }
        List<Structure> out = new ArrayList<>(list.size());
        for (Structure s : list) {
            out.add(s.withId(raw.id() + "#" + s.id()));
        }
        return out;
    }
}
