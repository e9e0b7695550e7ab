package io.dimstream.streams;

import io.dimstream.core.encoder.CrystalEncoder;
import io.dimstream.core.ops.ModelVerificationException;
import io.dimstream.core.ops.ModelVerifier;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import io.dimstream.core.kafka.RegistryState;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model serving slot of one app instance. Model records offered by the registry follower are
 * collected in a {@link RegistryState} (latest record per version) on a dedicated loader thread (never
 * a stream thread), which serves the highest PROMOTED version that verifies: never a lower one than the
 * serving version unless that one was withdrawn (republished RETIRED, an explicit rollback), and a
 * rejected newest version falls back to the one below it. Verification is core's {@link ModelVerifier} (featurizer version, size cap, sha256 of
 * the bytes and, when a key is configured, the Ed25519 signature), then any extra {@link ModelCheck}s,
 * then the ONNX load and input-spec check of the {@link EncoderLoader}. A model that
 * passes is swapped in atomically (in-flight batches finish on the old one, which is then closed);
 * one that fails is logged in one line and counted ({@code models.rejected.<reason>}) and the
 * serving model stays.
 */
public final class ModelManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelManager.class);

    /** An extra verification (e.g. a signature check) run before the ONNX bytes are loaded. */
    @FunctionalInterface
    public interface ModelCheck {
        void check(ModelVersion version, byte[] onnx) throws ModelRejectedException;
    }

    /** A served model and the record it came from. */
    public record Serving(CrystalEncoder encoder, ModelVersion record) {
        public int version() {
            return record.getVersion();
        }
    }

    private final String modelName;
    private final int featurizerVersion;
    private final ModelVerifier verifier;
    private final EncoderLoader loader;
    private final List<ModelCheck> checks;
    private final Counters counters;
    private final java.util.concurrent.ScheduledExecutorService loaderThread;
    /** The pending first decision while no model serves (records restored at start arrive in a burst). */
    private java.util.concurrent.ScheduledFuture<?> firstDecision;
    /** How long the first decision waits for more records (restore of the registry at start). */
    static final long FIRST_DECISION_QUIET_MS = 200;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final List<Consumer<Integer>> swapListeners = new CopyOnWriteArrayList<>();
    private volatile Serving serving;
    /** The registry view (latest record per version); guarded by itself. */
    private final RegistryState registry;
    /** version → its record that failed verification or loading (not tried again; a changed record is). */
    private final Map<Integer, ModelVersion> failed = new ConcurrentHashMap<>();
    private volatile String lastRejection = "";

    /** A manager that checks size cap and sha256 only (no signature). */
    public ModelManager(String modelName, int featurizerVersion, long maxModelBytes, EncoderLoader loader,
                        List<ModelCheck> checks, Counters counters) {
        this(modelName, featurizerVersion, ModelVerifier.unsigned(maxModelBytes), loader, checks, counters);
    }

    /**
     * @param verifier the model checks every record passes before it is loaded
     * @param checks   extra checks, run after the verifier
     */
    public ModelManager(String modelName, int featurizerVersion, ModelVerifier verifier, EncoderLoader loader,
                        List<ModelCheck> checks, Counters counters) {
        this.modelName = modelName;
        this.featurizerVersion = featurizerVersion;
        this.verifier = verifier;
        this.loader = loader;
        this.checks = List.copyOf(checks);
        this.counters = counters;
        this.registry = new RegistryState(modelName);
        // verification and loading off the stream threads; ONNX Runtime itself runs on the encoder's
        // own large-stack threads (OnnxEncoder), so this thread needs no special stack size
        this.loaderThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "model-loader-" + modelName);
            t.setDaemon(true);
            return t;
        });
    }

    public String modelName() {
        return modelName;
    }

    public int featurizerVersion() {
        return featurizerVersion;
    }

    /**
     * Queues a registry record (returns at once): the loader thread adds it to the registry view and
     * serves whatever the view then chooses ({@link RegistryState#choose}).
     */
    public void offer(ModelVersion record) {
        if (!modelName.equals(record.getModelName())) {
            return;
        }
        synchronized (registry) {
            if (serving == null) {
                // nothing serves yet: collect what arrives in a burst (the registry restored at start, in log
                // order) and decide once, so a restart loads one model, not every version in turn
                registry.apply(record);
                if (firstDecision != null) {
                    firstDecision.cancel(false);
                }
                firstDecision = loaderThread.schedule(this::reconcile, FIRST_DECISION_QUIET_MS, TimeUnit.MILLISECONDS);
                return;
            }
        }
        loaderThread.execute(() -> {
            note(record);
            reconcile();
        });
    }

    /**
     * Queues the records restored at start (any order): all enter the registry view first, then one
     * decision is made, so a restart loads one model, not every version in turn.
     */
    public void offerAll(List<ModelVersion> records) {
        List<ModelVersion> mine = records.stream().filter(r -> modelName.equals(r.getModelName())).toList();
        if (mine.isEmpty()) {
            return;
        }
        loaderThread.execute(() -> {
            synchronized (registry) {
                mine.forEach(registry::apply);
            }
            reconcile();
        });
    }

    /** A tombstone for {@code version} on the registry: it leaves the view (withdrawn when it serves). */
    public void removed(int version) {
        loaderThread.execute(() -> {
            synchronized (registry) {
                registry.remove(version);
            }
            log.info("model {} v{} deleted from the registry", modelName, version);
            reconcile();
        });
    }

    /** The serving version, if any. */
    public Optional<Integer> currentVersion() {
        Serving s = serving;
        return s == null ? Optional.empty() : Optional.of(s.version());
    }

    public Optional<ModelVersion> currentRecord() {
        Serving s = serving;
        return s == null ? Optional.empty() : Optional.of(s.record());
    }

    public String lastRejection() {
        return lastRejection;
    }

    /**
     * Runs {@code f} with the serving model; the model is not closed while {@code f} runs. Returns
     * empty when no model is serving yet.
     */
    public <R> Optional<R> withModel(Function<Serving, R> f) {
        lock.readLock().lock();
        try {
            Serving s = serving;
            return s == null ? Optional.empty() : Optional.ofNullable(f.apply(s));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Called (on the loader thread) with the new version after each swap. */
    public void addSwapListener(Consumer<Integer> l) {
        swapListeners.add(l);
    }

    /** Waits until {@code version} (or newer) serves; for tests and the demo. */
    public boolean awaitVersion(int version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Serving s = serving;
            if (s != null && s.version() >= version) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Blocks until every record offered so far has been handled. */
    public void drain(Duration timeout) throws InterruptedException {
        try {
            while (true) {
                java.util.concurrent.ScheduledFuture<?> first;
                synchronized (registry) {
                    first = firstDecision;
                }
                if (first == null || first.isDone()) {
                    break;
                }
                try {
                    first.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.CancellationException e) {
                    // replaced by a later one: wait for that
                }
            }
            loaderThread.submit(() -> { }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("model loader did not drain: " + e, e);
        }
    }

    /** Adds one live record to the view, with the log line and counter of a record that will not serve. */
    private void note(ModelVersion record) {
        int v = record.getVersion();
        Serving cur = serving;
        synchronized (registry) {
            registry.apply(record);
        }
        if (v <= 0) {
            log.warn("model {} record with version {} ignored (versions start at 1)", modelName, v);
            counters.inc("models.ignored.bad_version");
        } else if (record.getStatus() != ModelStatus.PROMOTED) {
            if (cur != null && cur.version() == v) {
                log.warn("model {} v{} withdrawn (status {}): rolling back to the highest PROMOTED version below it",
                        modelName, v, record.getStatus());
            } else {
                log.info("model {} v{} has status {}: not served", modelName, v, record.getStatus());
                counters.inc("models.ignored.not_promoted");
            }
        } else if (cur != null && v < cur.version() && registryPromoted(cur.version())) {
            log.info("model {} v{} ignored: older than serving v{} (no downgrade; `dimstream model rollback` "
                    + "withdraws the newer versions)", modelName, v, cur.version());
            counters.inc("models.ignored.older");
        }
    }

    private boolean registryPromoted(int version) {
        synchronized (registry) {
            return registry.isPromoted(version);
        }
    }

    /**
     * Serves what the registry view chooses: the highest PROMOTED version that verifies and loads, never
     * below the serving one unless that one was withdrawn. A version that fails is remembered (by version
     * record) and the next one below is tried.
     */
    void reconcile() {
        while (true) {
            Serving cur = serving;
            int curVersion = cur == null ? 0 : cur.version();
            Optional<ModelVersion> pick;
            synchronized (registry) {
                pick = registry.choose(curVersion, r -> isServing(r)
                        || r.getVersion() > 0 && !r.equals(failed.get(r.getVersion())));
            }
            if (pick.isEmpty()) {
                if (cur != null && !registryPromoted(curVersion)) {
                    log.warn("model {} v{} is withdrawn but no other PROMOTED version can serve: still serving v{}",
                            modelName, curVersion, curVersion);
                } else if (cur == null && lastRejection.isEmpty()) {
                    log.debug("model {}: no PROMOTED version to serve yet", modelName);
                }
                return;
            }
            ModelVersion r = pick.get();
            if (isServing(r)) {
                return;
            }
            if (verifyAndSwap(r)) {
                return;
            }
            failed.put(r.getVersion(), r);
        }
    }

    private boolean isServing(ModelVersion r) {
        Serving cur = serving;
        return cur != null && cur.version() == r.getVersion() && cur.record().getSha256().equals(r.getSha256());
    }

    /** Verifies, loads and swaps in {@code record}; false (logged, counted) when it is rejected. */
    boolean verifyAndSwap(ModelVersion record) {
        int v = record.getVersion();
        Serving cur = serving;
        long t0 = System.nanoTime();
        CrystalEncoder enc;
        try {
            byte[] onnx = verifiedBytes(record);
            for (ModelCheck c : checks) {
                c.check(record, onnx);
            }
            log.info("model {} v{}: verifying and loading {} bytes", modelName, v, onnx.length);
            try {
                enc = loader.load(record, onnx);
            } catch (ModelRejectedException e) {
                throw e;
            } catch (RuntimeException | LinkageError e) {
                throw new ModelRejectedException("onnx_load", "ONNX model does not load: " + e.getMessage());
            }
            try {
                ModelVerifier.checkFeaturizerVersion(enc.featurizerVersion(), featurizerVersion);
            } catch (ModelVerificationException e) {
                enc.close();
                throw rejected(e);
            }
        } catch (ModelRejectedException e) {
            lastRejection = "v" + v + " " + e.reason() + ": " + e.getMessage();
            counters.inc("models.rejected." + e.reason());
            counters.inc("models.rejected");
            log.warn("model {} v{} rejected ({}): {}; still serving {}", modelName, v, e.reason(), e.getMessage(),
                    cur == null ? "no model" : "v" + cur.version());
            return false;
        }
        boolean rollback = cur != null && v < cur.version();
        counters.inc("models.swaps"); // counted before the swap is visible (readers that see it see the count)
        if (rollback) {
            counters.inc("models.rollbacks");
        }
        Serving old;
        lock.writeLock().lock();
        try {
            old = serving;
            serving = new Serving(enc, record);
        } finally {
            lock.writeLock().unlock();
        }
        if (old != null) {
            try {
                old.encoder().close();
            } catch (RuntimeException e) {
                log.warn("closing model v{}: {}", old.version(), e.toString());
            }
        }
        log.info("model {} v{} now serving (was {}{}), loaded and verified in {} ms", modelName, v,
                old == null ? "none" : "v" + old.version(), rollback ? ", rolled back" : "",
                (System.nanoTime() - t0) / 1_000_000);
        for (Consumer<Integer> l : swapListeners) {
            try {
                l.accept(v);
            } catch (RuntimeException e) {
                log.warn("swap listener failed: {}", e.toString());
            }
        }
        return true;
    }

    /** The record's ONNX bytes (inline or from its uri), through the verifier. */
    private byte[] verifiedBytes(ModelVersion record) throws ModelRejectedException {
        try {
            ModelVerifier.checkFeaturizerVersion(record.getFeaturizerVersion(), featurizerVersion);
            byte[] bytes;
            ByteBuffer inline = record.getOnnx();
            if (inline != null) {
                ByteBuffer b = inline.duplicate();
                verifier.checkSize(b.remaining());
                bytes = new byte[b.remaining()];
                b.get(bytes);
            } else if (record.getUri() != null) {
                bytes = readUri(record.getUri());
            } else {
                throw new ModelRejectedException("no_bytes", "record has neither ONNX bytes nor a uri");
            }
            verifier.verify(record, bytes);
            return bytes;
        } catch (ModelVerificationException e) {
            throw rejected(e);
        }
    }

    private static ModelRejectedException rejected(ModelVerificationException e) {
        return new ModelRejectedException(e.reason(), e.getMessage());
    }

    private byte[] readUri(String uri) throws ModelRejectedException, ModelVerificationException {
        try {
            URI u = URI.create(uri);
            if (!"file".equals(u.getScheme())) {
                throw new ModelRejectedException("uri", "unsupported model uri scheme: " + uri);
            }
            Path p = Path.of(u);
            verifier.checkSize(Files.size(p));
            try (InputStream in = Files.newInputStream(p)) {
                return in.readAllBytes();
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelRejectedException("uri", "cannot read model from " + uri + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        loaderThread.shutdownNow();
        try {
            loaderThread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.writeLock().lock();
        try {
            if (serving != null) {
                serving.encoder().close();
                serving = null;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
