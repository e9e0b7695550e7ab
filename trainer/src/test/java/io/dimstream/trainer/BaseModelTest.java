package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.trainer.model.SiteNetConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which base model (if any) the trainer service's first version warm-starts from. */
class BaseModelTest {

    private static final int V = io.dimstream.core.featurize.SiteNetFeaturizer.VERSION;

    @Test
    void selectsOnlyAMatchingCompleteBaseModel(@TempDir Path home) throws Exception {
        SiteNetConfig tiny = SiteNetConfig.tiny(SyntheticCrystals.F);
        // off
        for (String off : new String[] {"none", "NONE", " ", ""}) {
            BaseModel.Selection s = BaseModel.select(off, home, V, tiny);
            assertTrue(s.dir().isEmpty(), off);
            assertTrue(s.reason().contains("off"), s.reason());
        }
        // missing
        BaseModel.Selection missing = BaseModel.select("models/base", home, V, tiny);
        assertTrue(missing.dir().isEmpty());
        assertEquals("no base model at " + home.resolve("models/base") + ": starting from random weights",
                missing.reason());

        // a real (tiny) model directory at <home>/models/base
        TrainConfig cfg = DimTrainerTest.tiny(4);
        TrainResult r = new DimTrainer(cfg).train(SyntheticCrystals.generate(12, 2, 3), List.of(), Budget.steps(1),
                Optional.empty(), null);
        Path base = home.resolve("models/base");
        ModelBundle.create("base", 3, r, cfg).write(base);

        BaseModel.Selection ok = BaseModel.select("models/base", home, V, tiny);
        assertEquals(Optional.of(base), ok.dir());
        assertTrue(ok.reason().contains("base v3"), ok.reason());
        // absolute paths are taken as they are
        assertEquals(Optional.of(base), BaseModel.select(base.toString(), Path.of("/elsewhere"), V, tiny).dir());

        BaseModel.Selection otherFeaturizer = BaseModel.select("models/base", home, V + 1, tiny);
        assertTrue(otherFeaturizer.dir().isEmpty());
        assertTrue(otherFeaturizer.reason().contains("featurizer v" + V + ", this build featurizes with v" + (V + 1)),
                otherFeaturizer.reason());

        BaseModel.Selection otherArch = BaseModel.select("models/base", home, V, SiteNetConfig.defaults());
        assertTrue(otherArch.dir().isEmpty());
        assertTrue(otherArch.reason().contains("another architecture"), otherArch.reason());

        // an ONNX-only directory cannot seed training
        Files.delete(base.resolve(Checkpoint.FILE_NAME));
        BaseModel.Selection noState = BaseModel.select("models/base", home, V, tiny);
        assertTrue(noState.dir().isEmpty());
        assertTrue(noState.reason().contains("has no checkpoint.bin"), noState.reason());
    }
}
