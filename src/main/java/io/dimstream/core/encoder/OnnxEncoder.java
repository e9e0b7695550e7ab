package io.dimstream.core.encoder;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.ops.ModelVerificationException;
import io.dimstream.core.ops.ModelVerifier;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p>Native stack: ONNX Runtime's environment/session creation and inference run on the encoder's own
 * daemon threads with a {@value #NATIVE_STACK_MIB} MiB stack ({@code onnx-<model>-v<version>-N}, a cached
 * pool: one thread per concurrent caller, idle ones exit after 30 s), never on the caller's thread, so
 * callers need no special stack size (the JVM's default thread stack is 1 MiB). Callers block until their
 * call is done (not interruptible, like the native call itself; an interrupt is kept for the caller).
 * {@link #close()} waits for calls in flight, then frees the session and stops the threads.
 */
public final class OnnxEncoder implements CrystalEncoder {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxEncoder.class);
    private static final Pattern CUDA = Pattern.compile("cuda:(\\d+)");
    /** Stack of the threads that call into ONNX Runtime (reserved address space; touched pages only are used). */
    static final int NATIVE_STACK_MIB = 64;
    private static final long CLOSE_WAIT_SECONDS = 120;
    /** Concurrent ONNX Runtime calls per embed() on CPU. */
    private static final int CPU_WORKERS = Math.max(1, Runtime.getRuntime().availableProcessors());

    /** A thread of an encoder's pool: calls from it run inline. */
    private static final class NativeThread extends Thread {
        NativeThread(Runnable r, String name) {
            super(null, r, name, (long) NATIVE_STACK_MIB << 20);
            setDaemon(true);
        }
    }

    /**
     * Runtime options. {@code maxPairsPerBatch} (default 8192 padded pairs) keeps each ONNX Runtime call's
     * [B,S,J,64] pair tensors around 2 MB, cache-sized: larger calls are memory-bound and slower per
     * structure. {@code intraOpThreads}: ONNX Runtime threads per call, default 1 (on CPU the cache-sized
     * calls of one batch already run concurrently, one per core; more intra-op threads oversubscribe the
     * cores: bench embed on the whole 29,370-structure file ran at 1,711/s with 1, 1,457/s with all);
     * 0 = ONNX Runtime's default (all cores). {@code precision}: the
     * graph's numeric precision ({@link Precision}, rewritten from the verified fp32 graph at load).
     * {@code profilePrefix}: when set, ONNX Runtime's per-node profiler writes a JSON trace with that file
     * prefix ({@link #endProfiling()}). {@code fuseLayerNorm}: the load-time graph rewrite of
     * {@link GraphOptimizer} (same function, faster kernels; on by default).
     */
    public record Options(String device, int intraOpThreads, int maxSitesPerBatch, long maxPairsPerBatch,
            int maxBatch, Precision precision, String profilePrefix, boolean fuseLayerNorm) {
        public Options {
            precision = precision == null ? Precision.FP32 : precision;
        }

        public static Options defaults() {
            return new Options("auto", 1, 4096, 8192L, 256, Precision.FP32, null, true);
        }

        public Options withDevice(String d) {
            return new Options(d, intraOpThreads, maxSitesPerBatch, maxPairsPerBatch, maxBatch, precision, profilePrefix, fuseLayerNorm);
        }

        public Options withThreads(int t) {
            return new Options(device, t, maxSitesPerBatch, maxPairsPerBatch, maxBatch, precision, profilePrefix, fuseLayerNorm);
        }

        public Options withMaxBatch(int b) {
            return new Options(device, intraOpThreads, maxSitesPerBatch, maxPairsPerBatch, b, precision, profilePrefix, fuseLayerNorm);
        }

        public Options withMaxPairsPerBatch(long p) {
            return new Options(device, intraOpThreads, maxSitesPerBatch, p, maxBatch, precision, profilePrefix, fuseLayerNorm);
        }

        public Options withPrecision(Precision p) {
            return new Options(device, intraOpThreads, maxSitesPerBatch, maxPairsPerBatch, maxBatch, p, profilePrefix, fuseLayerNorm);
        }

        public Options withProfiling(String prefix) {
            return new Options(device, intraOpThreads, maxSitesPerBatch, maxPairsPerBatch, maxBatch, precision, prefix, fuseLayerNorm);
        }

        /** Whether the load-time Mish + LayerNorm fusion ({@link GraphOptimizer}) is applied (default true). */
        public Options withFusedLayerNorm(boolean on) {
            return new Options(device, intraOpThreads, maxSitesPerBatch, maxPairsPerBatch, maxBatch, precision, profilePrefix, on);
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
    private final ThreadPoolExecutor nativeThreads;

    private OnnxEncoder(byte[] onnx, ModelMetadata meta, Options options) {
        this.meta = Objects.requireNonNull(meta, "metadata");
        this.options = options;
        if (meta.onnxSha256() != null && !meta.onnxSha256().isBlank()) {
            try {
                ModelVerifier.checkSha256(onnx, meta.onnxSha256());
            } catch (ModelVerificationException e) {
                throw new EncoderException(EncoderException.CHECKSUM_MISMATCH, "model " + meta.name() + " v"
                        + meta.version() + ": model.onnx does not match model.json: " + e.getMessage(), e);
            }
        }
        checkDeclared(meta);
        byte[] graph = PrecisionRewriter.rewrite(options.fuseLayerNorm() ? GraphOptimizer.fuseLayerNorm(onnx) : onnx,
                options.precision());
        String prefix = "onnx-" + meta.name() + "-v" + meta.version() + "-";
        AtomicInteger n = new AtomicInteger();
        this.nativeThreads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> new NativeThread(r, prefix + n.incrementAndGet()));
        Object[] opened;
        try {
            opened = onNativeThread(() -> openSession(graph));
        } catch (RuntimeException | Error e) {
            nativeThreads.shutdown();
            throw e;
        }
        this.env = (OrtEnvironment) opened[0];
        this.session = (OrtSession) opened[1];
        this.device = (String) opened[2];
        try {
            onNativeThread(() -> {
                checkSession();
                return null;
            });
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Whether the CPU fallback of {@code auto} was logged at INFO already (once per process is enough). */
    private static final AtomicBoolean DEVICE_LOGGED = new AtomicBoolean();

    /** The CPU fallback line: INFO for the first encoder of the process, DEBUG for every later one (hot-swaps). */
    private static void logDevice(String format, Object... args) {
        if (DEVICE_LOGGED.compareAndSet(false, true)) {
            LOG.info(format, args);
        } else {
            LOG.debug(format, args);
        }
    }

    /** Environment, session and device actually used; runs on a native thread. */
    private Object[] openSession(byte[] onnx) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String dev = options.device() == null ? "auto" : options.device().trim().toLowerCase();
        OrtSession s;
        String used;
        try {
            if (dev.equals("cpu")) {
                s = open(env, onnx, -1);
                used = "cpu";
            } else if (dev.equals("auto")) {
                if (!cudaDevicePresent()) {
                    logDevice("encoder {} v{}: no CUDA device found, running on CPU", meta.name(), meta.version());
                    s = open(env, onnx, -1);
                    used = "cpu";
                } else {
                    OrtSession tried;
                    String u;
                    try {
                        tried = open(env, onnx, 0);
                        u = "cuda:0";
                    } catch (OrtException | RuntimeException e) {
                        logDevice("encoder {} v{}: CUDA unavailable ({}), running on CPU", meta.name(), meta.version(),
                                firstLine(e.getMessage()));
                        tried = open(env, onnx, -1);
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
                    s = open(env, onnx, id);
                } catch (OrtException | RuntimeException e) {
                    throw new EncoderException(EncoderException.DEVICE_UNAVAILABLE, "device " + dev
                            + " requested but CUDA is not available: " + firstLine(e.getMessage())
                            + " (use --device auto or cpu)", e);
                }
                used = dev;
            }
        } catch (OrtException e) {
            if (options.precision() != Precision.FP32 && e.getMessage() != null && e.getMessage().contains("NOT_IMPLEMENTED")) {
                throw new EncoderException(EncoderException.PRECISION_UNSUPPORTED, "precision "
                        + options.precision().label() + " of model " + meta.name() + " v" + meta.version()
                        + " has no kernels on " + (dev.startsWith("cuda") ? dev : "this device (ONNX Runtime CPU)")
                        + ": " + firstLine(e.getMessage()), e);
            }
            throw new EncoderException(EncoderException.BAD_MODEL, "ONNX Runtime cannot load model " + meta.name()
                    + " v" + meta.version() + ": " + firstLine(e.getMessage()), e);
        }
        return new Object[] {env, s, used};
    }

    /**
     * Runs {@code task} on one of the encoder's large-stack threads (inline when already on one) and waits
     * for it; its exceptions are rethrown as they are.
     */
    private <T> T onNativeThread(Callable<T> task) {
        if (Thread.currentThread() instanceof NativeThread) {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        Future<T> f;
        try {
            f = nativeThreads.submit(task);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("encoder " + meta.name() + " v" + meta.version() + " is closed");
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the native call cannot be abandoned half-way; finish, then re-flag
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(c);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
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

    private OrtSession open(OrtEnvironment env, byte[] onnx, int cudaDevice) throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
                so.setInterOpNumThreads(1);
            }
            // no busy-waiting between ops: the encoder shares cores with Kafka Streams threads
            so.addConfigEntry("session.intra_op.allow_spinning", "0");
            if (options.profilePrefix() != null) {
                so.enableProfiling(options.profilePrefix());
            }
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
        for (int k = 0; k < want.size(); k++) {
            int rank = ModelMetadata.STANDARD_INPUTS.get(k).shape().size();
            if (meta.inputs().get(k).shape().size() != rank) {
                throw new EncoderException(EncoderException.MODEL_SIGNATURE_MISMATCH, "model " + meta.name() + " v"
                        + meta.version() + " declares input " + meta.inputs().get(k) + ", this runtime needs "
                        + ModelMetadata.STANDARD_INPUTS.get(k) + " (a graph exported before featurizer v2: "
                        + "retrain, or re-export its checkpoint with this version)");
            }
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
        if (batch.isEmpty()) {
            return new Output(new float[0][], wantLocal ? new float[0][][] : null);
        }
        // calls already handed over finish before close() frees the session
        return onNativeThread(() -> runHere(batch, wantLocal));
    }

    private Output runHere(List<FeaturizedCrystal> batch, boolean wantLocal) {
        float[][] emb = new float[batch.size()][];
        float[][][] local = wantLocal ? new float[batch.size()][][] : null;
        List<int[]> groups = SizeBatcher.planMinCost(batch, options.maxSitesPerBatch(), options.maxPairsPerBatch(),
                options.maxBatch(), SizeBatcher.CALL_OVERHEAD_PAIRS);
        // On CPU the cache-sized calls of one batch run concurrently, one per core: ONNX Runtime's
        // intra-op parallelism alone keeps ~1 core busy on these small graphs. Each call writes
        // disjoint rows of emb/local; Future.get orders those writes before the return.
        int workers = device.startsWith("cuda") ? 1 : Math.min(groups.size(), CPU_WORKERS);
        if (workers <= 1) {
            for (int[] group : groups) {
                runGroup(batch, group, emb, local);
            }
            return new Output(emb, local);
        }
        List<Future<?>> pending = new ArrayList<>(workers - 1);
        List<Integer> inlineShares = new ArrayList<>();
        inlineShares.add(0);
        for (int w = 1; w < workers; w++) {
            int first = w;
            int stride = workers;
            try {
                pending.add(nativeThreads.submit(() -> {
                    for (int g = first; g < groups.size(); g += stride) {
                        runGroup(batch, groups.get(g), emb, local);
                    }
                    return null;
                }));
            } catch (RejectedExecutionException e) {
                // close() began after this call was accepted: finish its share here, close() waits for us
                inlineShares.add(w);
            }
        }
        RuntimeException failure = null;
        try {
            for (int share : inlineShares) {
                for (int g = share; g < groups.size(); g += workers) {
                    runGroup(batch, groups.get(g), emb, local);
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure != null ? failure : new IllegalStateException("interrupted while embedding", e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (failure == null) {
                    failure = c instanceof RuntimeException re ? re : new IllegalStateException(c);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return new Output(emb, local);
    }

    private void runGroup(List<FeaturizedCrystal> batch, int[] group, float[][] emb, float[][][] local) {
        List<FeaturizedCrystal> sub = new ArrayList<>(group.length);
        for (int g : group) {
            sub.add(batch.get(g));
        }
        runPadded(PaddedBatch.of(sub), group, emb, local);
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
            in.put("image_of", OnnxTensor.createTensor(env, LongBuffer.wrap(p.imageOf),
                    new long[] {b, p.imageRows, j}));
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

    /** The graph's numeric precision. */
    public Precision precision() {
        return options.precision();
    }

    /**
     * Stops ONNX Runtime's profiler (enabled by {@link Options#withProfiling}) and returns the JSON trace it
     * wrote; null when profiling was off.
     */
    public Path endProfiling() {
        if (options.profilePrefix() == null) {
            return null;
        }
        return onNativeThread(() -> Path.of(session.endProfiling()));
    }

    /** Waits for calls in flight, frees the native session and stops the encoder's threads; idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        nativeThreads.shutdown();
        boolean interrupted = false;
        try {
            if (!(Thread.currentThread() instanceof NativeThread)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
                while (true) {
                    try {
                        if (nativeThreads.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                            break;
                        }
                        LOG.warn("closing ONNX session of {} v{}: calls still running after {} s; closing anyway",
                                meta.name(), meta.version(), CLOSE_WAIT_SECONDS);
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (session != null) {
                session.close();
            }
        } catch (OrtException e) {
            LOG.warn("closing ONNX session of {} v{}: {}", meta.name(), meta.version(), e.getMessage());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Threads the encoder currently keeps for native calls (for tests). */
    int nativeThreadCount() {
        return nativeThreads.getPoolSize();
    }
}
