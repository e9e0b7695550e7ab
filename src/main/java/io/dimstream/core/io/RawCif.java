package io.dimstream.core.io;

import java.util.Map;

/**
 * One raw CIF record as read from an input: a {@code .cif} file or a CSV row.
 *
 * @param id      record id: the CSV {@code material_id} (else first column), or the file name without {@code .cif}
 * @param origin  where it came from, for messages ({@code path} or {@code path:row N})
 * @param text    the CIF text
 * @param columns the other CSV columns (e.g. band_gap, formation_energy_per_atom); empty for files
 */
public record RawCif(String id, String origin, String text, Map<String, String> columns) {
    public RawCif {
        columns = columns == null ? Map.of() : Map.copyOf(columns);
    }
}
