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

        private final String code;

        public InputException(String code, String message) {
            super(message);
            this.code = code;
        }

        /** Machine-readable code: {@code cif.input} or {@code cif.too_large}. */
        public String code() {
            return code;
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
     * thrown as {@link UncheckedIOException}.
     */
    public static Stream<RawCif> read(Path input) throws IOException {
        if (Files.isDirectory(input)) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(input)) {
                files = walk.filter(p -> Files.isRegularFile(p) && (lower(p).endsWith(".cif") || lower(p).endsWith(".cif.gz")))
                        .sorted().toList();
            }
            return files.stream().map(CifInputs::readFileUnchecked);
        }
        if (!Files.exists(input)) {
            throw new InputException(InputException.INPUT, input + ": no such file or directory");
        }
        String name = lower(input);
        if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
            return csv(input);
        }
        return Stream.of(readFile(input));
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
