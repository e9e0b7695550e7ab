package io.dimstream.trainer;

import io.dimstream.core.featurize.FeaturizedCrystal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Developer tool (not a test): regenerates the tiny model fixture used by core's encoder tests
 * (src/test/resources/encoder/tiny-model). It lives in test sources because it reuses the test
 * helpers ({@link SyntheticCrystals}, {@link DimTrainerTest#tiny}). From the repository root:
 *
 * <pre>
 * mvn -o -B -q -pl trainer -am test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
 * DJL_CACHE_DIR=$PWD/.djl-cache java -Dai.djl.offline=true \
 *   -cp trainer/target/test-classes:trainer/target/classes:$(cat trainer/target/test.classpath) \
 *   io.dimstream.trainer.TinyModelFixture src/test/resources/encoder/tiny-model
 * </pre>
 */
public final class TinyModelFixture {
    private TinyModelFixture() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: TinyModelFixture OUTPUT_DIR   (writes model.onnx + model.json)");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        List<FeaturizedCrystal> train = SyntheticCrystals.generate(48, 1, 5);
        TrainConfig cfg = DimTrainerTest.tiny(1);
        TrainResult r = new DimTrainer(cfg).train(train, train.subList(0, 16), Budget.epochs(2), Optional.empty(), null);
        ModelBundle.create(ModelBundle.DEFAULT_NAME, 1, r, cfg).write(out);
        Files.deleteIfExists(out.resolve(Checkpoint.FILE_NAME));
        long size = Files.size(out.resolve("model.onnx"));
        if (size <= 1000) {
            throw new IllegalStateException("model.onnx has only " + size + " bytes");
        }
        System.out.println("wrote " + out.resolve("model.onnx") + " (" + size + " bytes) and model.json");
    }
}
