package io.dimstream.ingest;

import io.dimstream.core.cif.CifException;
import io.dimstream.core.cif.CifParser;
import io.dimstream.core.cif.CifWriter;
import io.dimstream.core.crystal.Structure;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import java.util.List;
import java.util.Map;

/**
 * The check every CIF source makes before producing (files and JDBC; OPTIMADE converts its JSON to a
 * structure first): the text is parsed with core's {@link CifParser}, so an unusable CIF becomes a bad
 * record with the parser's code ({@code cif.missing_cell}, {@code cif.too_large}, …) instead of a record
 * in {@code crystals.raw}. A single-structure text is produced as it is; a text with several data blocks
 * becomes one P1 CIF per block ({@code id#block}).
 */
public final class CifRecords {
    private CifRecords() {
    }

    /**
     * Adds the record(s) of one CIF text to {@code records}, or one entry to {@code bad}.
     *
     * @param where    where the text came from, for the bad record (file:row, table row id)
     * @param metadata the records' metadata
     */
    public static void convert(String id, String text, String where, Map<String, String> metadata, CifParser parser,
                               List<SourceRecord> records, List<BadRecord> bad) {
        List<Structure> structures;
        try {
            structures = CifInputs.parse(new RawCif(id, where, text, Map.of()), parser);
        } catch (CifException e) {
            bad.add(new BadRecord(where, e.code(), e.getMessage()));
            return;
        } catch (RuntimeException e) {
            bad.add(new BadRecord(where, "cif.invalid", e.getClass().getSimpleName() + ": " + e.getMessage()));
            return;
        }
        if (structures.size() == 1) {
            records.add(new SourceRecord(id, "cif", text, metadata));
        } else {
            for (Structure s : structures) {
                records.add(new SourceRecord(s.id(), "cif", CifWriter.write(s), metadata));
            }
        }
    }
}
