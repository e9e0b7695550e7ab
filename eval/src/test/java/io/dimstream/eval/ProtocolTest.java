package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProtocolTest {

    private static final List<String> PROPS = List.of("formation_energy_per_atom", "band_gap");

    private static EvalConfig config(Set<Method> methods) {
        return EvalConfig.defaults().with(PROPS, List.of(10, 40), methods).withSeeds(List.of(0L, 1L))
                .withFinetune(10, 8, 1e-3, 5);
    }

    private static MagpieMean magpie() {
        double[][] byZ = new double[100][];
        for (int z = 1; z < 100; z++) {
            byZ[z] = new double[] {z, Math.sqrt(z), z % 2 == 0 ? Double.NaN : 1.0};
        }
        return new MagpieMean(List.of("Number", "sqrtZ", "odd"), byZ);
    }

    @Test
    void pretrainingSeesOnlyTrainingFeaturesNeverLabelsOrTestStructures() {
        EvalSplit train = Synthetic.split("train", 120, 1);
        EvalSplit test = Synthetic.split("test", 60, 2);
        Synthetic.SpyBackend spy = new Synthetic.SpyBackend();
        new Evaluation(config(EnumSet.allOf(Method.class)), spy, magpie()).runProtocol(train, test);
        assertEquals(1, spy.pretrainCalls.size());
        PretrainCorpus seen = spy.pretrainCalls.get(0);
        assertEquals(train.allFeatures(), seen.crystals());
        Set<String> testIds = new HashSet<>(test.ids());
        assertFalse(seen.crystals().stream().anyMatch(c -> testIds.contains(c.id())));
    }

    @Test
    void pretrainingInputDoesNotDependOnLabels() {
        EvalSplit train = Synthetic.split("train", 80, 1);
        // same structures, labels scrambled and one property dropped
        double[] noise = new SplittableRandom(5).doubles(80).toArray();
        LabelTable other = new LabelTable(80).put("band_gap", noise);
        EvalSplit relabelled = new EvalSplit("train", train.samples(), other);
        assertEquals(train.pretrainCorpus(), relabelled.pretrainCorpus());
    }

    @Test
    void pretrainCorpusTypeCarriesNoLabels() {
        RecordComponent[] rc = PretrainCorpus.class.getRecordComponents();
        assertEquals(1, rc.length);
        assertEquals(List.class, rc[0].getType());
        assertTrue(rc[0].getGenericType().getTypeName().contains(FeaturizedCrystal.class.getName()));
        // the encoder input has no label-carrying component either
        for (RecordComponent c : FeaturizedCrystal.class.getRecordComponents()) {
            assertFalse(c.getType() == LabelTable.class || c.getType() == java.util.Map.class
                    || c.getType() == double.class || c.getType() == Double.class, c.getName());
        }
        // and the backend's pretraining entry point takes nothing else
        assertTrue(Arrays.stream(EncoderBackend.class.getMethods()).filter(m -> m.getName().equals("pretrain"))
                .allMatch(m -> Arrays.stream(m.getParameterTypes()).noneMatch(t -> t == LabelTable.class
                        || t == EvalSplit.class || t == EvalSample.class)));
    }

    @Test
    void runsEveryCellAndIsReproducible(@TempDir Path dir) throws Exception {
        EvalSplit train = Synthetic.split("train", 120, 1);
        EvalSplit test = Synthetic.split("test", 60, 2);
        EvalConfig cfg = config(EnumSet.allOf(Method.class));
        Evaluation.Outcome o = new Evaluation(cfg, new Synthetic.SpyBackend(), magpie()).run(train, test, dir);
        assertEquals(2 * 2 * 2 * Method.values().length, o.results().size());
        List<RunResult> again = new Evaluation(cfg, new Synthetic.SpyBackend(), magpie()).runProtocol(train, test);
        assertEquals(o.results(), again);
        assertEquals(o.results(), EvalReport.readResults(dir.resolve("results.json")));
        assertTrue(Files.readString(dir.resolve("report.md")).contains("| dim-ridge |"));
        assertTrue(Files.exists(dir.resolve("mae_vs_labels_band_gap.png")));
        assertTrue(Files.exists(dir.resolve("timings.json")));
        // the informative "DIM" spy beats the random control on the formation-energy signal
        double dim = o.results().stream().filter(r -> r.method().equals("dim-ridge") && r.labels() == 40
                && r.property().equals("formation_energy_per_atom")).mapToDouble(RunResult::mae).max().orElseThrow();
        double rnd = o.results().stream().filter(r -> r.method().equals("random-ridge") && r.labels() == 40
                && r.property().equals("formation_energy_per_atom")).mapToDouble(RunResult::mae).min().orElseThrow();
        assertTrue(dim < 0.2 && rnd > 2 * dim, "dim " + dim + " random " + rnd);
    }

    @Test
    void labelCountsAboveTheAvailableLabelsAreSkipped() {
        EvalSplit train = Synthetic.split("train", 30, 1);
        EvalSplit test = Synthetic.split("test", 20, 2);
        EvalConfig cfg = EvalConfig.defaults().with(List.of("band_gap"), List.of(10, 1000), EnumSet.of(Method.COMPOSITION_RIDGE))
                .withSeeds(List.of(0L));
        List<RunResult> r = new Evaluation(cfg, null, magpie()).runProtocol(train, test);
        assertEquals(1, r.size());
        assertEquals(10, r.get(0).labels());
    }
}
