package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.eval.PrototypeCheck.Metric;
import io.dimstream.eval.PrototypeCheck.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrototypeCheckTest {

    /**
     * Four corpus points whose two columns have mean 0 and equal variance (2.5), so standardising only rescales
     * and the Euclidean ranking can be worked out by hand on the raw values.
     */
    static final double[][] CORPUS = {{2, 1}, {1, -2}, {-2, -1}, {-1, 2}};
    static final String[] CORPUS_IDS = {"a1", "a2", "b1", "b2"};
    static final String[] CORPUS_KEYS = {"A", "A", "B", "B"};

    @Test
    void handWorkedExampleWithK2() {
        double[][] q = {{1.5, 1.5}, {-1.8, -0.5}, {0, 0}, {5, 5}};
        String[] ids = {"q1", "q2", "q3", "q4"};
        String[] keys = {"A", "B", "C", ""};
        // q1: squared distances a1 0.5, b2 6.5, a2 12.5, b1 18.5 -> top-1 A (hit), top-2 {A, B}: 1/2
        // q2: b1 0.29, b2 6.89, a2 10.09, a1 16.69 -> hit, 2/2
        // q3: prototype C is not in the corpus; q4: no key -> both skipped
        Result r = PrototypeCheck.run(q, ids, keys, CORPUS, CORPUS_IDS, CORPUS_KEYS, Metric.EUCLIDEAN_STANDARDIZED, 2);
        assertEquals(4, r.queries());
        assertEquals(2, r.evaluated());
        assertEquals(1.0, r.top1(), 1e-12);
        assertEquals((0.5 + 1.0) / 2, r.precision(), 1e-12);
        assertEquals(0.5, r.chance(), 1e-12, "2 of 4 corpus points share each query's prototype");

        // cosine (raw vectors): q1 ranks a1 (cos .949), b2 (.316), a2 (-.316), b1 (-.949) -> 1/2;
        // q2 ranks b1 (.982), b2 (.192), a2 (-.192), a1 (-.982) -> 2/2
        Result c = PrototypeCheck.run(q, ids, keys, CORPUS, CORPUS_IDS, CORPUS_KEYS, Metric.COSINE, 2);
        assertEquals(2, c.evaluated());
        assertEquals(1.0, c.top1(), 1e-12);
        assertEquals((0.5 + 1.0) / 2, c.precision(), 1e-12);
        // a query of prototype A at (-1.8, 0.9): cosines b2 .8, b1 .6, a1 -.6, a2 -.8 -> a miss and 0/2
        Result c2 = PrototypeCheck.run(new double[][] {{-1.8, 0.9}}, new String[] {"q"}, new String[] {"A"}, CORPUS,
                CORPUS_IDS, CORPUS_KEYS, Metric.COSINE, 2);
        assertEquals(0.0, c2.top1(), 1e-12, "both nearest directions are B's");
        assertEquals(0.0, c2.precision(), 1e-12);
    }

    @Test
    void theQueryItselfIsExcludedAndMustHaveAnotherOfItsPrototype() {
        // leave-one-out over the corpus: a1's nearest other is a2? a1-a2 10, a1-b2 10, a1-b1 20: tie -> corpus
        // order (a2 first) -> hit. Query "x" of prototype A without an id in the corpus is evaluated normally.
        double[][] q = {{2, 1}, {2.1, 1}};
        Result r = PrototypeCheck.run(q, new String[] {"a1", "x"}, new String[] {"A", "A"}, CORPUS, CORPUS_IDS,
                CORPUS_KEYS, Metric.EUCLIDEAN_STANDARDIZED, 1);
        assertEquals(2, r.evaluated());
        assertEquals(1.0, r.top1(), 1e-12);
        assertEquals((1.0 / 3 + 2.0 / 4) / 2, r.chance(), 1e-12, "a1 itself is not part of its chance level");
        // a prototype held only by the query itself is not evaluated
        Result alone = PrototypeCheck.run(new double[][] {{0, 0}}, new String[] {"a1"}, new String[] {"A"},
                new double[][] {{2, 1}, {0, 1}}, new String[] {"a1", "b"}, new String[] {"A", "B"},
                Metric.COSINE, 1);
        assertEquals(0, alone.evaluated());
        assertTrue(Double.isNaN(alone.top1()));
    }

    /** Three prototypes, 11 points each in tight, far-apart clusters; 30% of queries placed in a wrong cluster. */
    @Test
    void knownRatesOnSyntheticClusters() {
        Random rnd = new Random(1);
        int dim = 3;
        double[][] centres = new double[3][dim];
        for (int p = 0; p < 3; p++) {
            centres[p][p] = 20;
        }
        double[][] corpus = new double[33][];
        String[] cIds = new String[33];
        String[] cKeys = new String[33];
        for (int i = 0; i < 33; i++) {
            corpus[i] = jitter(centres[i % 3], rnd);
            cIds[i] = "c" + i;
            cKeys[i] = "P" + (i % 3);
        }
        // leave-one-out on the corpus: every neighbour list is the query's own cluster (10 others)
        for (Metric m : Metric.values()) {
            Result loo = PrototypeCheck.run(corpus, cIds, cKeys, corpus, cIds, cKeys, m);
            assertEquals(33, loo.evaluated(), m.toString());
            assertEquals(1.0, loo.top1(), 1e-12, m.toString());
            assertEquals(1.0, loo.precision(), 1e-12, m.toString());
            assertEquals(10.0 / 32, loo.chance(), 1e-12, m.toString());
        }
        // 20 new queries: 14 in their own prototype's cluster, 6 in the next prototype's cluster
        double[][] q = new double[20][];
        String[] qIds = new String[20];
        String[] qKeys = new String[20];
        for (int i = 0; i < 20; i++) {
            int p = i % 3;
            q[i] = jitter(centres[i < 14 ? p : (p + 1) % 3], rnd);
            qIds[i] = "q" + i;
            qKeys[i] = "P" + p;
        }
        for (Metric m : Metric.values()) {
            Result r = PrototypeCheck.run(q, qIds, qKeys, corpus, cIds, cKeys, m);
            assertEquals(20, r.evaluated());
            assertEquals(0.7, r.top1(), 1e-12, m.toString());
            assertEquals(0.7, r.precision(), 1e-12, m.toString());
            assertEquals(11.0 / 33, r.chance(), 1e-12);
        }
    }

    /** Standardising makes Euclidean neighbours independent of each column's unit; cosine is not. */
    @Test
    void euclideanIsInvariantToColumnScaleAndShiftCosineSeesDirection() {
        Random rnd = new Random(3);
        int n = 60;
        double[][] x = new double[n][];
        double[][] scaled = new double[n][];
        String[] ids = new String[n];
        String[] keys = new String[n];
        for (int i = 0; i < n; i++) {
            // prototype by direction in the first two columns, random magnitudes 1..50
            double angle = (i % 2) * Math.PI / 2 + 0.1 * rnd.nextGaussian();
            double mag = 1 + 49 * rnd.nextDouble();
            x[i] = new double[] {mag * Math.cos(angle), mag * Math.sin(angle), rnd.nextGaussian()};
            scaled[i] = new double[] {x[i][0] * 1000 + 7, x[i][1] * 0.01 - 3, x[i][2]};
            ids[i] = "s" + i;
            keys[i] = "D" + (i % 2);
        }
        Result a = PrototypeCheck.run(x, ids, keys, x, ids, keys, Metric.EUCLIDEAN_STANDARDIZED);
        Result b = PrototypeCheck.run(scaled, ids, keys, scaled, ids, keys, Metric.EUCLIDEAN_STANDARDIZED);
        assertEquals(a.top1(), b.top1(), 1e-12);
        assertEquals(a.precision(), b.precision(), 1e-12);
        Result cos = PrototypeCheck.run(x, ids, keys, x, ids, keys, Metric.COSINE);
        assertEquals(1.0, cos.top1(), 1e-12, "direction decides the prototype: cosine finds it");
        assertTrue(cos.precision() > a.precision(), cos + " vs " + a);
    }

    @Test
    void readsTheOracleFileAndRejectsMismatchedInput(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("prototypes.csv.gz");
        try (var out = new GZIPOutputStream(Files.newOutputStream(f))) {
            out.write(("id,split,spacegroup,anonymous_formula,wyckoff,prototype\n"
                    + "mp-2,train,225,A,a,225|A|a\nmp-9,val,,,,\n").getBytes(StandardCharsets.UTF_8));
        }
        Map<String, PrototypeCheck.Prototype> p = PrototypeCheck.readPrototypes(f);
        assertEquals(2, p.size());
        assertEquals(new PrototypeCheck.Prototype("mp-2", "train", "225|A|a"), p.get("mp-2"));
        assertEquals("", p.get("mp-9").key());
        assertThrows(IllegalArgumentException.class, () -> PrototypeCheck.run(new double[1][2], new String[] {"a"},
                new String[] {"A"}, new double[1][3], new String[] {"b"}, new String[] {"A"}, Metric.COSINE));
    }

    /** The checked-in oracle (tools/prototypes.py output) agrees with the counts the tool printed. */
    @Test
    void checkedInOracleIsComplete() throws Exception {
        Path f = Path.of("..", "tools", "data", "prototypes.csv.gz");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(f), "no " + f.toAbsolutePath());
        Map<String, PrototypeCheck.Prototype> p = PrototypeCheck.readPrototypes(f);
        assertEquals(33_049, p.size(), "29,370 train + 3,679 val");
        java.util.Set<String> train = new java.util.HashSet<>();
        p.values().stream().filter(x -> x.split().equals("train")).forEach(x -> train.add(x.key()));
        long val = p.values().stream().filter(x -> x.split().equals("val")).count();
        long valInTrain = p.values().stream().filter(x -> x.split().equals("val") && train.contains(x.key())).count();
        assertEquals(3_679, val);
        assertEquals(2_872, valInTrain);
        assertEquals("225|AB|ab", p.get("mp-22862").key(), "NaCl: rock salt");
        assertEquals("216|AB|ac", p.get("mp-2534").key(), "GaAs: zincblende");
        assertTrue(p.values().stream().noneMatch(x -> x.key().isBlank()), "every structure has a key");
    }

    private static double[] jitter(double[] centre, Random rnd) {
        double[] v = centre.clone();
        for (int d = 0; d < v.length; d++) {
            v[d] += 0.5 * rnd.nextGaussian();
        }
        return v;
    }
}
