package io.dimstream.search;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * An optional id → space group table (a CSV(.gz) with columns {@code id} and {@code spacegroup}, such as
 * {@code tools/data/prototypes.csv.gz}, whose space groups are spglib's at symprec 0.1). Structures
 * arrive as CIFs that often declare only P1, so this is where the results table's space group comes from.
 */
final class SpaceGroups {

    private SpaceGroups() {
    }

    static Map<String, String> load(String file) {
        if (file == null || file.isBlank()) {
            return Map.of();
        }
        Path p = Path.of(file);
        Map<String, String> m = new HashMap<>();
        try (InputStream raw = Files.newInputStream(p);
             BufferedReader in = new BufferedReader(new InputStreamReader(file.endsWith(".gz") ? new GZIPInputStream(raw) : raw,
                     StandardCharsets.UTF_8))) {
            List<String> cols = Arrays.asList(String.valueOf(in.readLine()).split(",", -1));
            int id = cols.indexOf("id");
            int sg = cols.indexOf("spacegroup");
            if (id < 0 || sg < 0) {
                throw new SearchException(SearchException.BAD_REQUEST, file + ": expected columns id and spacegroup");
            }
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] f = line.split(",", -1);
                if (f.length > Math.max(id, sg) && !f[sg].isBlank()) {
                    m.put(f[id], f[sg]);
                }
            }
        } catch (IOException e) {
            throw new SearchException(SearchException.BAD_REQUEST, "cannot read " + file + ": " + e.getMessage(), e);
        }
        return m;
    }
}
