package io.dimstream.trainer;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.bench.TrainThroughput;
import io.dimstream.trainer.data.Corpus;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ThroughputProbeTest {
    @Test
    void probe() throws Exception {
        Assumptions.assumeTrue(System.getProperty("probe") != null);
        List<FeaturizedCrystal> cs = Corpus.load(List.of(Path.of("/work/shared/data/train.csv.gz")), 400,
                new SiteNetFeaturizer()).crystals();
        double s = cs.stream().mapToInt(FeaturizedCrystal::primSites).average().orElseThrow();
        double j = cs.stream().mapToInt(FeaturizedCrystal::supercellSites).average().orElseThrow();
        System.out.printf("corpus %d, mean S %.1f mean J %.1f%n", cs.size(), s, j);
        System.out.println(TrainThroughput.measure(cs, TrainConfig.defaults(), 3, 10));
    }
}
