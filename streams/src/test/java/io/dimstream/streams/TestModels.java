package io.dimstream.streams;

import io.dimstream.core.Sha256;
import io.dimstream.core.encoder.CrystalEncoder;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny deterministic encoder for topology tests: its "model bytes" are the text
 * {@code test-encoder scale=<s>}; embedding = [scale * mean site feature, S, J, mean distance].
 */
final class TestModels {

    static final AtomicInteger OPEN = new AtomicInteger();

    static final EncoderLoader LOADER = (mv, bytes) -> {
        String s = new String(bytes, StandardCharsets.UTF_8);
        if (!s.startsWith("test-encoder scale=")) {
            throw new ModelRejectedException("onnx_load", "not a model: " + s.substring(0, Math.min(20, s.length())));
        }
        float scale = Float.parseFloat(s.substring("test-encoder scale=".length()));
        return new Enc(mv.getModelName(), mv.getVersion(), mv.getFeaturizerVersion(), scale);
    };

    static ModelVersion model(String name, int version, int featurizerVersion, String bytes) {
        byte[] b = bytes.getBytes(StandardCharsets.UTF_8);
        return ModelVersion.newBuilder().setModelName(name).setVersion(version)
                .setParentVersion(version > 1 ? version - 1 : null).setCreatedAt(Instant.now())
                .setFeaturizerVersion(featurizerVersion).setInputSpec("{}").setOutputSpec("{}")
                .setOnnx(ByteBuffer.wrap(b)).setSha256(Sha256.hex(b)).setStatus(ModelStatus.PROMOTED)
                .build();
    }

    static final class Enc implements CrystalEncoder {
        final String name;
        final int version;
        final int fv;
        final float scale;

        Enc(String name, int version, int fv, float scale) {
            this.name = name;
            this.version = version;
            this.fv = fv;
            this.scale = scale;
            OPEN.incrementAndGet();
        }

        @Override public String modelName() { return name; }
        @Override public int modelVersion() { return version; }
        @Override public int featurizerVersion() { return fv; }
        @Override public int embeddingDim() { return 4; }

        @Override
        public float[][] embed(List<FeaturizedCrystal> batch) {
            float[][] out = new float[batch.size()][];
            for (int i = 0; i < out.length; i++) {
                FeaturizedCrystal c = batch.get(i);
                if (c.featureDim() != 9) {
                    throw new IllegalArgumentException("feature width " + c.featureDim());
                }
                double sf = 0;
                for (float f : c.siteFeatures()) {
                    sf += f;
                }
                double d = 0;
                for (float f : c.distances()) {
                    d += f;
                }
                out[i] = new float[] {(float) (scale * sf / c.siteFeatures().length), c.primSites(),
                    c.supercellSites(), (float) (d / c.distances().length)};
            }
            return out;
        }

        @Override
        public void close() {
            OPEN.decrementAndGet();
        }
    }

    /** Payload "sites=N;x=V" → N-site point set; "bad ..." → parse error; "unknown ..." → featurize error. */
    static final Featurize FAKE_FEATURIZE = new Featurize() {
        @Override
        public FeaturizedCrystal apply(io.dimstream.schemas.CrystalSubmission s) throws StageException {
            String p = s.getPayload();
            if (p.startsWith("bad")) {
                throw new StageException("parse", "cif.syntax", s.getId() + " line 1: not a CIF");
            }
            if (p.startsWith("unknown")) {
                throw new StageException("featurize", "unknown_element", s.getId() + ": element 'Xx' is unknown");
            }
            String[] kv = p.split(";");
            int n = Integer.parseInt(kv[0].substring("sites=".length()));
            float x = Float.parseFloat(kv[1].substring("x=".length()));
            float[] sf = new float[n * 9];
            java.util.Arrays.fill(sf, x);
            float[] d = new float[n * n];
            java.util.Arrays.fill(d, 2.5f);
            int[] img = new int[n];
            for (int i = 0; i < n; i++) {
                img[i] = i;
            }
            return new FeaturizedCrystal(s.getId(), 1, n, n, 9, sf, d, img, "X" + n, s.getSource());
        }

        @Override
        public int featurizerVersion() {
            return 1;
        }
    };

    private TestModels() {
    }
}
