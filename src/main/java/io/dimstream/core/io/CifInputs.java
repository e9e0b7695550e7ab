package io.dimstream.core.io;

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
 * Reads CIF inputs lazily: a {@code .cif} file, a directory (recursively, {@code *.cif} in sorted
 * path order), or a {@code .csv}/{@code .csv.gz} file with a {@code cif} column (id = the
 * {@code material_id} column, else the first column). Close the returned streams.
 */
public final class CifInputs {
    private CifInputs() {
    }

    /** Largest accepted .cif file, in bytes (the parser caps text size too). */
    public static final long MAX_FILE_BYTES = CifParser.MAX_TEXT_CHARS;

    private static final CifParser DEFAULT_PARSER = new CifParser();

    /** Thrown for an input that cannot be opened or has no cif column (one-line message). */
    public static final class InputException extends IOException {
        public InputException(String message) {
            super(message);
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
                files = walk.filter(p -> Files.isRegularFile(p) && lower(p).endsWith(".cif")).sorted().toList();
            }
            return files.stream().map(CifInputs::readFileUnchecked);
        }
        if (!Files.exists(input)) {
            throw new InputException(input + ": no such file or directory");
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
            throw new InputException(file + ": file has " + size + " bytes, more than the limit of " + MAX_FILE_BYTES);
        }
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        String fn = file.getFileName().toString();
        String id = fn.toLowerCase(Locale.ROOT).endsWith(".cif") ? fn.substring(0, fn.length() - 4) : fn;
        return new RawCif(id, file.toString(), text, Map.of());
    }

    private static RawCif readFileUnchecked(Path file) {
        try {
            return readFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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

    /** Lazily streams CSV rows from a reader (closed with the stream). */
    public static Stream<RawCif> csv(Reader reader, String origin) throws IOException {
        CSVParser parser;
        try {
            parser = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).build().parse(reader);
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw new InputException(origin + ": cannot read CSV header: " + e.getMessage());
        }
        List<String> header = parser.getHeaderNames();
        int cifCol = header.indexOf("cif");
        if (cifCol < 0) {
            parser.close();
            throw new InputException(origin + ": CSV has no 'cif' column (columns: " + String.join(",", header) + ")");
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
                    throw new UncheckedIOException(origin + ": " + e.getMessage(), e.getCause());
                }
            }

            @Override
            public RawCif next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                CSVRecord rec = records.next();
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
