package io.dimstream.core.encoder;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.dimstream.core.featurize.FeaturizedCrystal;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Site-Net DIM encoder on ONNX Runtime. Thread-safe (one {@link OrtSession}, whose {@code run} may
 * be called concurrently); {@link #close()} frees the native session.
 *
 * <p>Device: {@code cpu}, {@code cuda:N}, or {@code auto}. {@code auto} uses CUDA device 0 when a CUDA
 * device is present and ONNX Runtime can open it, else CPU, saying so in one log line. An explicit
 * {@code cuda:N} that cannot be opened is an error ({@link EncoderException#DEVICE_UNAVAILABLE}): a
 * caller who names a GPU gets it or a clear failure, never a silent slowdown.
 *
 * <p>Before first use the graph's declared inputs and outputs are checked against {@link ModelMetadata}
 * and the fixed signature of this runtime; each input crystal's featurizer version and feature width
 * are checked against the model's.
 */
public final class OnnxEncoder implements CrystalEncoder {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxEncoder.class);
    private static final Pattern CUDA = Pattern.compile("cuda:(\\d+)");

    /**
     * Runtime options. {@code maxPairsPerBatch} (default 8192 padded pairs) keeps each ONNX Runtime call's
     * [B,S,J,64] pair tensors around 2 MB, cache-sized: larger calls are memory-bound and slower per
     * structure. {@code intraOpThreads} 0 = ONNX Runtime's default (all cores).
     */
    public record Options(String device, int intraOpThreads, int maxSitesPerBatch, long maxPairsPerBatch,
            int maxBatch) {
        public static Options defaults() {
            return new Options("auto", 0, 4096, 8192L, 256);
        }

        public Options withDevice(String d) {
            return new Options(d, intraOpThreads, maxSitesPerBatch, maxPairsPerBatch, maxBatch);
        }

        public Options withThreads(int t) {
            return new Options(device, t, maxSitesPerBatch, maxPairsPerBatch, maxBatch);
        }

        public Options withMaxBatch(int b) {
            return new Options(device, intraOpThreads, maxSitesPerBatch, maxPairsPerBatch, b);
        }

        public Options withMaxPairsPerBatch(long p) {
            return new Options(device, intraOpThreads, maxSitesPerBatch, p, maxBatch);
        }
    }

    /** Embeddings and local site vectors of a batch, in input order. */
    public record Output(float[][] embeddings, float[][][] localVectors) {}

    private final ModelMetadata meta;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String device;
    private final Options options;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OnnxEncoder(byte[] onnx, ModelMetadata meta, Options options) {
        this.meta = Objects.requireNonNull(meta, "metadata");
        this.options = options;
        if (meta.onnxSha256() != null && !meta.onnxSha256().isBlank()) {
            String sha = ModelMetadata.sha256(onnx);
            if (!sha.equalsIgnoreCase(meta.onnxSha256())) {
                throw new EncoderException(EncoderException.CHECKSUM_MISMATCH, "model " + meta.name() + " v"
                        + meta.version() + ": model.onnx sha256 " + sha + " does not match model.json " + meta.onnxSha256());
            }
        }
        checkDeclared(meta);
        this.env = OrtEnvironment.getEnvironment();
        String dev = options.device() == null ? "auto" : options.device().trim().toLowerCase();
        OrtSession s;
        String used;
        try {
            if (dev.equals("cpu")) {
                s = open(onnx, -1);
                used = "cpu";
            } else if (dev.equals("auto")) {
                if (!cudaDevicePresent()) {
                    LOG.info("encoder {} v{}: no CUDA device found, running on CPU", meta.name(), meta.version());
                    s = open(onnx, -1);
                    used = "cpu";
                } else {
                    OrtSession tried;
                    String u;
                    try {
                        tried = open(onnx, 0);
                        u = "cuda:0";
                    } catch (OrtException | RuntimeException e) {
                        LOG.info("encoder {} v{}: CUDA unavailable ({}), running on CPU", meta.name(), meta.version(),
                                firstLine(e.getMessage()));
                        tried = open(onnx, -1);
                        u = "cpu";
                    }
                    s = tried;
                    used = u;
                }
            } else {
                Matcher m = CUDA.matcher(dev);
                if (!m.matches()) {
                    throw new EncoderException(EncoderException.BAD_DEVICE, "device '" + options.device()
                            + "' is not one of auto, cpu, cuda:N");
                }
                int id = Integer.parseInt(m.group(1));
                try {
                    s = open(onnx, id);
                } catch (OrtException | RuntimeException e) {
                    throw new EncoderException(EncoderException.DEVICE_UNAVAILABLE, "device " + dev
                            + " requested but CUDA is not available: " + firstLine(e.getMessage())
                            + " (use --device auto or cpu)", e);
                }
                used = dev;
            }
        } catch (OrtException e) {
            throw new EncoderException(EncoderException.BAD_MODEL, "ONNX Runtime cannot load model " + meta.name()
                    + " v" + meta.version() + ": " + firstLine(e.getMessage()), e);
        }
        this.session = s;
        this.device = used;
        try {
            checkSession();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Loads from model bytes + metadata (e.g. from a Kafka record). */
    public static OnnxEncoder fromBytes(byte[] onnx, ModelMetadata meta, Options options) {
        return new OnnxEncoder(onnx, meta, options);
    }

    public static OnnxEncoder fromBytes(byte[] onnx, ModelMetadata meta, String device) {
        return new OnnxEncoder(onnx, meta, Options.defaults().withDevice(device));
    }

    /** Loads {@code dir/model.onnx} + {@code dir/model.json}. */
    public static OnnxEncoder load(Path dir, Options options) {
        Path onnx = dir.resolve(ModelMetadata.ONNX_FILE_NAME);
        Path json = dir.resolve(ModelMetadata.FILE_NAME);
        if (!Files.isRegularFile(onnx) || !Files.isRegularFile(json)) {
            throw new EncoderException(EncoderException.BAD_MODEL, "model directory " + dir + " needs "
                    + ModelMetadata.ONNX_FILE_NAME + " and " + ModelMetadata.FILE_NAME);
        }
        try {
            return new OnnxEncoder(Files.readAllBytes(onnx), ModelMetadata.read(json), options);
        } catch (IOException e) {
            throw new EncoderException(EncoderException.BAD_MODEL, "cannot read " + onnx + ": " + e.getMessage(), e);
        }
    }

    public static OnnxEncoder load(Path dir, String device) {
        return load(dir, Options.defaults().withDevice(device));
    }

    private OrtSession open(byte[] onnx, int cudaDevice) throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
                so.setInterOpNumThreads(1);
            }
            // no busy-waiting between ops: the encoder shares cores with Kafka Streams threads
            so.addConfigEntry("session.intra_op.allow_spinning", "0");
            if (cudaDevice >= 0) {
                so.addCUDA(cudaDevice);
            }
            return env.createSession(onnx, so);
        }
    }

    /** A cheap check before asking ONNX Runtime to load its (large) CUDA provider. */
    static boolean cudaDevicePresent() {
        return Files.exists(Path.of("/dev/nvidia0")) || Files.exists(Path.of("/proc/driver/nvidia/version"))
                || Files.exists(Path.of("/dev/dxg"));
    }

    private static void checkDeclared(ModelMetadata meta) {
        List<String> want = ModelMetadata.STANDARD_INPUTS.stream().map(TensorSpec::name).toList();
        List<String> got = meta.inputs().stream().map(TensorSpec::name).toList();
        if (!got.equals(want)) {
            throw new EncoderException(EncoderException.MODEL_SIGNATURE_MISMATCH, "model " + meta.name() + " v"
                    + meta.version() + " declares inputs " + got + ", this runtime needs " + want);
        }
        List<String> wantOut = ModelMetadata.STANDARD_OUTPUTS.stream().map(TensorSpec::name).toList();
        List<String> gotOut = meta.outputs().stream().map(TensorSpec::name).toList();
        if (!gotOut.containsAll(wantOut)) {
            throw new EncoderException(EncoderException.MODEL_SIGNATURE_MISMATCH, "model " + meta.name() + " v"
                    + meta.version() + " declares outputs " + gotOut + ", this runtime needs " + wantOut);
        }
        if (meta.featureDim() <= 0 || meta.embeddingDim() <= 0 || meta.localDim() <= 0) {
            throw new EncoderException(EncoderException.BAD_MODEL, "model.json of " + meta.name()
                    + " lacks featureDim/embeddingDim/localDim");
        }
    }

    private void checkSession() {
        try {
            Map<String, NodeInfo> in = session.getInputInfo();
            for (TensorSpec spec : meta.inputs()) {
                NodeInfo ni = in.get(spec.name());
                if (ni == null || !(ni.getInfo() instanceof TensorInfo ti)) {
                    throw new EncoderException(EncoderException.MODEL_SIGNATURE_MISMATCH, "model " + meta.name()
                            + " v" + meta.version() + ": graph has no tensor input '" + spec.name() + "' (has "
                            + in.keySet() + ")");
                }
                OnnxJavaType want = spec.type().equals("int64") ? OnnxJavaType.INT64 : OnnxJavaType.FLOAT;
                if (ti.type != want || ti.getShape().length != spec.shape().size()) {
                    throw new EncoderException(EncoderException.MODEL_SIGNATURE_MISMATCH, "model " + meta.name()
                            + " v" + meta.version() + ": input '" + spec.name() + "' is " + ti + ", declared " + spec);
                }
            }
            if (in.size() != meta.inputs().size()) {
                throw new EncoderException(EncoderException.MODEL_SIGNATURE_MISMATCH, "model " + meta.name()
                        + " has inputs " + in.keySet() + ", declared " + meta.inputs().size());
            }
            long f = ((TensorInfo) in.get("site_features").getInfo()).getShape()[2];
            if (f > 0 && f != meta.featureDim()) {
                throw new EncoderException(EncoderException.MODEL_SIGNATURE_MISMATCH, "model " + meta.name()
                        + ": graph takes " + f + " site features, model.json says " + meta.featureDim());
            }
            for (String o : List.of("embedding", "local")) {
                if (!session.getOutputNames().contains(o)) {
                    throw new EncoderException(EncoderException.MODEL_SIGNATURE_MISMATCH, "model " + meta.name()
                            + ": graph has no output '" + o + "'");
                }
            }
        } catch (OrtException e) {
            throw new EncoderException(EncoderException.BAD_MODEL, "cannot inspect model: " + e.getMessage(), e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The device the session runs on: {@code cpu} or {@code cuda:N}. */
    public String device() {
        return device;
    }

    public ModelMetadata metadata() {
        return meta;
    }

    @Override
    public String modelName() {
        return meta.name();
    }

    @Override
    public int modelVersion() {
        return meta.version();
    }

    @Override
    public int featurizerVersion() {
        return meta.featurizerVersion();
    }

    @Override
    public int embeddingDim() {
        return meta.embeddingDim();
    }

    @Override
    public float[][] embed(List<FeaturizedCrystal> batch) {
        return run(batch, false).embeddings();
    }

    /** Embeddings plus the local 32-d site vectors (one row per real primitive site). */
    public Output embedWithLocal(List<FeaturizedCrystal> batch) {
        return run(batch, true);
    }

    private Output run(List<FeaturizedCrystal> batch, boolean wantLocal) {
        if (closed.get()) {
            throw new IllegalStateException("encoder " + meta.name() + " v" + meta.version() + " is closed");
        }
        for (FeaturizedCrystal c : batch) {
            if (c.featurizerVersion() != meta.featurizerVersion()) {
                throw new EncoderException(EncoderException.FEATURIZER_VERSION_MISMATCH, "crystal " + c.id()
                        + " was featurized by version " + c.featurizerVersion() + ", model " + meta.name() + " v"
                        + meta.version() + " needs featurizer version " + meta.featurizerVersion());
            }
            if (c.featureDim() != meta.featureDim()) {
                throw new EncoderException(EncoderException.FEATURE_DIM_MISMATCH, "crystal " + c.id() + " has "
                        + c.featureDim() + " features per site, model " + meta.name() + " needs " + meta.featureDim());
            }
        }
        float[][] emb = new float[batch.size()][];
        float[][][] local = wantLocal ? new float[batch.size()][][] : null;
        if (batch.isEmpty()) {
            return new Output(emb, local);
        }
        for (int[] group : SizeBatcher.plan(batch, options.maxSitesPerBatch(), options.maxPairsPerBatch(),
                options.maxBatch())) {
            List<FeaturizedCrystal> sub = new ArrayList<>(group.length);
            for (int g : group) {
                sub.add(batch.get(g));
            }
            runPadded(PaddedBatch.of(sub), group, emb, local);
        }
        return new Output(emb, local);
    }

    private void runPadded(PaddedBatch p, int[] rows, float[][] emb, float[][][] local) {
        long b = p.batch;
        long s = p.maxSites;
        long j = p.maxAtoms;
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("site_features", OnnxTensor.createTensor(env, FloatBuffer.wrap(p.siteFeatures),
                    new long[] {b, s, p.featureDim}));
            in.put("distances", OnnxTensor.createTensor(env, FloatBuffer.wrap(p.distances), new long[] {b, s, j}));
            in.put("image_of", OnnxTensor.createTensor(env, LongBuffer.wrap(p.imageOf), new long[] {b, j}));
            in.put("site_mask", OnnxTensor.createTensor(env, FloatBuffer.wrap(p.siteMask), new long[] {b, s}));
            in.put("atom_mask", OnnxTensor.createTensor(env, FloatBuffer.wrap(p.atomMask), new long[] {b, j}));
            java.util.Set<String> outs = local == null ? java.util.Set.of("embedding")
                    : java.util.Set.of("embedding", "local");
            try (OrtSession.Result r = session.run(in, outs)) {
                OnnxTensor e = (OnnxTensor) r.get("embedding").orElseThrow();
                FloatBuffer eb = e.getFloatBuffer();
                int ed = meta.embeddingDim();
                for (int k = 0; k < rows.length; k++) {
                    float[] v = new float[ed];
                    eb.get(k * ed, v);
                    emb[rows[k]] = v;
                }
                if (local != null) {
                    FloatBuffer lb = ((OnnxTensor) r.get("local").orElseThrow()).getFloatBuffer();
                    int ld = meta.localDim();
                    for (int k = 0; k < rows.length; k++) {
                        float[][] sites = new float[p.sites[k]][ld];
                        for (int i = 0; i < p.sites[k]; i++) {
                            lb.get((int) ((k * s + i) * ld), sites[i]);
                        }
                        local[rows[k]] = sites;
                    }
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + b + " crystals (S=" + s + ", J="
                    + j + "): " + e.getMessage(), e);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                LOG.warn("closing ONNX session of {} v{}: {}", meta.name(), meta.version(), e.getMessage());
            }
        }
    }
}
