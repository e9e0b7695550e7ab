package io.dimstream.trainer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Regenerates the tiny model fixture used by core's encoder tests (src/test/resources/encoder/tiny-model):
 * {@code mvn -pl trainer -am test -Dtest=TinyModelFixtureTest -Ddimstream.writeFixture=$PWD/src/test/resources/encoder/tiny-model}.
 */
class TinyModelFixtureTest {
    @Test
    void writeFixture() throws Exception {
        String out = System.getProperty("dimstream.writeFixture");
        Assumptions.assumeTrue(out != null, "set -Ddimstream.writeFixture=DIR to regenerate the fixture");
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(48, 1, 5);
        TrainConfig cfg = DimTrainerTest.tiny(1);
        TrainResult r = new DimTrainer(cfg).train(train, train.subList(0, 16), Budget.epochs(2), Optional.empty(), null);
        ModelBundle.create(ModelBundle.DEFAULT_NAME, 1, r, cfg).write(Path.of(out));
        Files.deleteIfExists(Path.of(out, Checkpoint.FILE_NAME));
        assertTrue(Files.size(Path.of(out, "model.onnx")) > 1000);
    }
}
