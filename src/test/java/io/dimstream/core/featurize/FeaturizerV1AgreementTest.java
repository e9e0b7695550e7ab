package io.dimstream.core.featurize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.crystal.Structure;
import io.dimstream.core.io.CifInputs;
import io.dimstream.core.io.RawCif;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Featurizer v2 changes nothing for the structures v1 accepted. The reference digests were made with the
 * featurizer v1 build (the session-3 build of commit c307c39, `dimstream featurize FILE | python3 digest.py`; the script is
 * {@code src/test/resources/featurize/v1-digest.py}): one line per structure v1 featurized, with S, J and
 * the first 16 hex digits of SHA-256 over the little-endian float32 site features, float32 distances and
 * int32 image_of. Every other structure of the file must now be featurized with per-site neighbour lists.
 */
class FeaturizerV1AgreementTest {

    private final SiteNetFeaturizer featurizer = new SiteNetFeaturizer();

    static String digest(FeaturizedCrystal f) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer b = ByteBuffer.allocate(4 * (f.siteFeatures().length + f.distances().length + f.imageOf().length))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (float v : f.siteFeatures()) {
            b.putFloat(v);
        }
        for (float v : f.distances()) {
            b.putFloat(v);
        }
        for (int v : f.imageOf()) {
            b.putInt(v);
        }
        return HexFormat.of().formatHex(md.digest(b.array())).substring(0, 16);
    }

    private static Map<String, String> reference(InputStream in) throws IOException {
        Map<String, String> m = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                int c = line.indexOf(',');
                m.put(line.substring(0, c), line.substring(c + 1));
            }
        }
        return m;
    }

    /** Featurizes every row; checks the v1 ones against their digests; returns {v1 rows, neighbour-list rows}. */
    private int[] check(Path csv, Map<String, String> v1) throws Exception {
        int same = 0;
        int large = 0;
        try (Stream<RawCif> rows = CifInputs.read(csv)) {
            for (RawCif raw : (Iterable<RawCif>) rows::iterator) {
                Structure s;
                try {
                    s = CifInputs.parse(raw).get(0);
                } catch (RuntimeException e) {
                    assertFalse(v1.containsKey(raw.id()), raw.id() + " parsed in v1");
                    continue;
                }
                FeaturizedCrystal f = featurizer.featurize(s, raw.id(), "t");
                String want = v1.get(raw.id());
                if (want != null) {
                    assertEquals(want, f.primSites() + "," + f.supercellSites() + "," + digest(f), raw.id());
                    assertFalse(f.perSiteNeighbours(), raw.id());
                    same++;
                } else {
                    assertTrue(f.perSiteNeighbours(), raw.id() + " was rejected by v1, so it must be a large cell");
                    large++;
                }
            }
        }
        assertEquals(v1.size(), same, "every structure v1 featurized is featurized identically");
        return new int[] {same, large};
    }

    @Test
    void bundledSampleIsFeaturizedAsByV1AndTheRestGetsNeighbourLists() throws Exception {
        Path csv = Path.of(getClass().getResource("/mp-sample.csv.gz").toURI());
        Map<String, String> v1 = reference(getClass().getResourceAsStream("/featurize/v1-digests-mp-sample.csv"));
        int[] n = check(csv, v1);
        assertEquals(187, n[0]);
        assertTrue(n[1] >= 2, "the sample holds large cells: " + n[1]);
    }

    @Test
    void sharedTrainingSplitIsFeaturizedAsByV1AndNothingIsTooLarge() throws Exception {
        Path csv = Path.of(System.getProperty("dimstream.shared.dir", "../shared/data"), "train.csv.gz");
        Assumptions.assumeTrue(Files.exists(csv), "shared train.csv.gz not found at " + csv + "; skipping");
        Map<String, String> v1;
        try (InputStream in = new GZIPInputStream(getClass().getResourceAsStream("/featurize/v1-digests-train.csv.gz"))) {
            v1 = reference(in);
        }
        int[] n = check(csv, v1);
        assertEquals(27_296, n[0]);
        assertEquals(2_074, n[1], "every structure v1 rejected for its size now gets neighbour lists");
    }
}
