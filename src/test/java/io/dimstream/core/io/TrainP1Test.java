package io.dimstream.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.cif.CifException;
import io.dimstream.core.crystal.PrimitiveCell;
import io.dimstream.core.crystal.Structure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Every P 1 CIF of the shared train.csv.gz (29,370 MP structures); skipped when the data is absent. */
class TrainP1Test {

    static Path shared(String name) {
        String dir = System.getProperty("dimstream.shared.dir", "../shared/data");
        return Path.of(dir, name);
    }

    @Test
    void allTrainStructuresParseWithTheirSiteCountAndVolume() throws Exception {
        Path train = shared("train.csv.gz");
        Assumptions.assumeTrue(Files.exists(train), "shared data " + train + " absent: skipping the train.csv.gz test");
        int n = 0;
        int reduced = 0;
        List<String> errors = new ArrayList<>();
        try (Stream<RawCif> s = CifInputs.read(train)) {
            for (RawCif r : (Iterable<RawCif>) s::iterator) {
                n++;
                try {
                    List<Structure> list = CifInputs.parse(r);
                    assertEquals(1, list.size());
                    Structure st = list.get(0);
                    assertEquals(r.id(), st.id());
                    assertEquals(Integer.parseInt(r.columns().get("nsites")), st.size(), r.id());
                    double vol = Double.parseDouble(r.columns().get("volume"));
                    assertEquals(vol, st.lattice().volume(), 1e-5 * vol, r.id());
                    assertTrue(st.isOrdered(), r.id());
                    if (n % 10 == 0) {
                        Structure p = PrimitiveCell.find(st, 0.5);
                        assertEquals(0, st.size() % p.size(), r.id());
                        assertEquals(vol * p.size() / st.size(), p.lattice().volume(), 1e-5 * vol, r.id());
                        if (p.size() < st.size()) {
                            reduced++;
                        }
                    }
                } catch (CifException e) {
                    errors.add(r.id() + ": " + e.getMessage());
                }
            }
        }
        assertEquals(29_370, n);
        assertEquals(List.of(), errors);
        assertTrue(reduced > 0 && reduced < n / 10, "a few MP cells are not primitive: " + reduced);
    }
}
