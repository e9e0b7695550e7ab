package io.dimstream.cli.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.core.encoder.EncoderException;
import io.dimstream.core.encoder.ModelMetadata;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.encoder.TensorSpec;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.featurize.SiteNetFeaturizer;
import io.dimstream.trainer.Checkpoint;
import io.dimstream.trainer.ModelBundle;
import io.dimstream.trainer.model.Params;
import io.dimstream.trainer.model.SiteNetConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ModelUpgradeCommandTest {

    @TempDir
    Path dir;

    /** A featurizer-v1 model directory as session 3 wrote them: image_of declared [B,J], checkpoint of v1. */
    private Path v1Model(SiteNetConfig arch, Map<String, Params.Tensor> w) throws Exception {
        Path m = dir.resolve("v1");
        ModelBundle b = ModelBundle.create("sitenet-dim", 7, 1, arch, w, Map.of("val_total", 2.5), Map.of(),
                new Checkpoint(arch, 1, 3L, 4, 0, 100, 1000, w, Map.of()));
        b.write(m);
        ModelMetadata meta = b.metadata();
        List<TensorSpec> legacy = new ArrayList<>(meta.inputs());
        legacy.set(2, new TensorSpec("image_of", "int64", List.of("B", "J")));
        new ModelMetadata(meta.name(), meta.version(), 1, meta.featureDim(), meta.embeddingDim(), meta.localDim(),
                legacy, meta.outputs(), meta.metrics(), meta.onnxSha256(), meta.createdAt(), meta.config())
                .write(m.resolve(ModelMetadata.FILE_NAME));
        return m;
    }

    private static List<FeaturizedCrystal> crystals() throws Exception {
        SiteNetFeaturizer f = new SiteNetFeaturizer();
        Random r = new Random(1);
        List<FeaturizedCrystal> out = new ArrayList<>();
        for (int n : new int[] {3, 70}) { // a small cell and a large one (neighbour lists)
            List<io.dimstream.core.crystal.Site> sites = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sites.add(io.dimstream.core.crystal.Site.of(i % 2 == 0 ? io.dimstream.core.crystal.Element.Mg
                        : io.dimstream.core.crystal.Element.O, r.nextDouble(), r.nextDouble(), r.nextDouble()));
            }
            double a = Math.cbrt(n / 0.08);
            out.add(f.featurize(new io.dimstream.core.crystal.Structure("s" + n,
                    io.dimstream.core.crystal.Lattice.fromParameters(a, a * 1.1, a * 0.9, 88, 92, 95), sites), "s" + n, "t"));
        }
        return out;
    }

    private int run(ModelCommand.Upgrade cmd, ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        cmd.stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.stderr = new PrintStream(err, true, StandardCharsets.UTF_8);
        return new CommandLine(cmd).execute(args);
    }

    @Test
    void upgradesAFeaturizerV1ModelKeepingItsWeights() throws Exception {
        SiteNetConfig arch = SiteNetConfig.defaults();
        Map<String, Params.Tensor> w = Params.initHost(arch, 5);
        Path m = v1Model(arch, w);
        EncoderException old = assertThrows(EncoderException.class, () -> OnnxEncoder.load(m, "cpu"));
        assertEquals(EncoderException.MODEL_SIGNATURE_MISMATCH, old.code());

        Path up = dir.resolve("v2");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, run(new ModelCommand.Upgrade(), out, err, m.toString(), "--out", up.toString()),
                err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("for featurizer v2 (was v1)"));
        ModelBundle b = ModelBundle.read(up);
        assertEquals(SiteNetFeaturizer.VERSION, b.metadata().featurizerVersion());
        assertEquals(7, b.metadata().version());
        assertEquals(2.5, b.metadata().metrics().get("val_total"));
        assertEquals(SiteNetFeaturizer.VERSION, b.checkpoint().featurizerVersion());
        assertEquals(100, b.checkpoint().step());

        // the upgraded model embeds small and large cells exactly like a model exported fresh from the weights
        Path fresh = dir.resolve("fresh");
        ModelBundle.create("sitenet-dim", 7, SiteNetFeaturizer.VERSION, arch, w, Map.of(), Map.of(), null).write(fresh);
        List<FeaturizedCrystal> cs = crystals();
        try (OnnxEncoder a = OnnxEncoder.load(up, "cpu"); OnnxEncoder c = OnnxEncoder.load(fresh, "cpu")) {
            float[][] ea = a.embed(cs);
            float[][] ec = c.embed(cs);
            for (int i = 0; i < cs.size(); i++) {
                assertArrayEquals(ec[i], ea[i], 1e-6f);
            }
        }
        // again: nothing to do
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        assertEquals(0, run(new ModelCommand.Upgrade(), again, new ByteArrayOutputStream(), up.toString()));
        assertTrue(again.toString(StandardCharsets.UTF_8).contains("already for featurizer v2"));
    }

    @Test
    void refusesAModelWithoutCheckpoint() throws Exception {
        SiteNetConfig arch = SiteNetConfig.defaults();
        Path m = v1Model(arch, Params.initHost(arch, 6));
        Files.delete(m.resolve(Checkpoint.FILE_NAME));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(1, run(new ModelCommand.Upgrade(), new ByteArrayOutputStream(), err, m.toString()));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.startsWith("model.upgrade_refused: ") && e.contains("has no checkpoint.bin"), e);
        assertFalse(e.contains("Exception"), e);
    }
}
