package io.dimstream.trainer;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.data.Corpus;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class NanProbeTest {
    @Test
    void probe() throws Exception {
        Assumptions.assumeTrue(System.getProperty("probe") != null);
        List<FeaturizedCrystal> cs = Corpus.load(List.of(Path.of("/work/shared/data/train.csv.gz")), 400,
                new SiteNetFeaturizer()).crystals();
        int bad = 0;
        for (FeaturizedCrystal c : cs) {
            boolean nf = false;
            for (float f : c.siteFeatures()) nf |= !Float.isFinite(f);
            for (float f : c.distances()) nf |= !Float.isFinite(f);
            if (nf) bad++;
        }
        double maxAbs = cs.stream().flatMapToDouble(c -> { double m = 0; for (float f : c.siteFeatures()) m = Math.max(m, Math.abs(f)); return java.util.stream.DoubleStream.of(m);}).max().orElse(0);
        double maxD = cs.stream().flatMapToDouble(c -> { double m = 0; for (float f : c.distances()) m = Math.max(m, f); return java.util.stream.DoubleStream.of(m);}).max().orElse(0);
        System.out.println("non-finite crystals " + bad + " max |feature| " + maxAbs + " max d " + maxD);
        new DimTrainer(TrainConfig.defaults().withProgressBar(false)).train(cs, List.of(), Budget.steps(4), java.util.Optional.empty(), null);
    }
}
