package io.dimstream.ingest;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/** The bundled real MP structures (test resource mp_sample.csv, CC BY 4.0, see ATTRIBUTION.txt). */
public final class TestData {
    private TestData() {
    }

    public record Row(String id, double formationEnergy, double bandGap, String cif) {
    }

    public static List<Row> mpSample() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (Reader r = new InputStreamReader(TestData.class.getResourceAsStream("/mp_sample.csv"), StandardCharsets.UTF_8)) {
            for (CSVRecord rec : CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
                rows.add(new Row(rec.get("material_id"), Double.parseDouble(rec.get("formation_energy_per_atom")),
                        Double.parseDouble(rec.get("band_gap")), rec.get("cif")));
            }
        }
        return rows;
    }
}
