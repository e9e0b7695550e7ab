package io.dimstream.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.trainer.SyntheticCrystals;
import io.dimstream.trainer.model.SiteNetConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class PooledLocalTest {

    @Test
    void poolAppendsMeanAndStdOverSites() {
        float[] e = {1, 2};
        float[][] local = {{0, 10}, {2, 10}, {4, 10}};
        float[] p = OnnxEmbedding.pool(e, local);
        assertArrayEquals(new float[] {1, 2, 2, 10, (float) Math.sqrt(8.0 / 3), 0}, p, 1e-6f);
    }

    @Test
    void pooledLocalFeaturesExtendTheEmbeddingOfTheSameModel() {
        SiteNetConfig cfg = SiteNetConfig.tiny(SyntheticCrystals.F);
        List<FeaturizedCrystal> cs = SyntheticCrystals.generate(12, 4, 9);
        try (DjlEncoder enc = DjlEncoder.random(cfg, 4)) {
            float[][] plain = enc.embed(cs);
            float[][] pooled = enc.embedWithPooledLocal(cs);
            for (int i = 0; i < cs.size(); i++) {
                assertEquals(cfg.embeddingDim() + 2 * cfg.localDim(), pooled[i].length);
                assertArrayEquals(plain[i], java.util.Arrays.copyOf(pooled[i], cfg.embeddingDim()), 1e-6f);
            }
        }
    }
}
