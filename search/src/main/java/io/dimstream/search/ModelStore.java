package io.dimstream.search;

import io.dimstream.core.DimstreamException;
import io.dimstream.core.Sha256;
import io.dimstream.core.encoder.CrystalEncoder;
import io.dimstream.core.encoder.OnnxEncoder;
import io.dimstream.core.kafka.ModelRecords;
import io.dimstream.schemas.ModelStatus;
import io.dimstream.schemas.ModelVersion;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The promoted model versions (from {@code models.history}, which keeps every version, unlike the compacted
 * registry), so that an uploaded CIF is embedded with exactly the version the index serves. The encoder of
 * one version is loaded on first use (sha256 of the bytes checked) and kept until another version is asked
 * for.
 */
final class ModelStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);

    private final String modelName;
    private final OnnxEncoder.Options options;
    private final Map<Integer, ModelVersion> promoted = new ConcurrentHashMap<>();
    private CrystalEncoder loaded;

    ModelStore(String modelName, OnnxEncoder.Options options) {
        this.modelName = modelName;
        this.options = options;
    }

    void onRecord(ModelVersion mv) {
        if (modelName.equals(mv.getModelName()) && mv.getStatus() == ModelStatus.PROMOTED && mv.getOnnx() != null) {
            promoted.put(mv.getVersion(), mv);
        }
    }

    /** Forgets versions below {@code version} (never served again). */
    void dropBelow(int version) {
        promoted.keySet().removeIf(v -> v < version);
    }

    boolean has(int version) {
        return promoted.containsKey(version);
    }

    /** The encoder of {@code version} ({@code search.no_model} when the history has no such promoted version). */
    synchronized CrystalEncoder encoder(int version) {
        if (loaded != null && loaded.modelVersion() == version) {
            return loaded;
        }
        ModelVersion mv = promoted.get(version);
        if (mv == null) {
            throw new SearchException(SearchException.NO_MODEL, "model " + modelName + " v" + version
                    + " is not in the model history: cannot embed an uploaded structure with it");
        }
        ByteBuffer b = mv.getOnnx().duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        if (!Sha256.hex(bytes).equalsIgnoreCase(mv.getSha256())) {
            throw new SearchException(SearchException.NO_MODEL, "model " + modelName + " v" + version + ": sha256 mismatch");
        }
        try {
            CrystalEncoder e = OnnxEncoder.fromBytes(bytes, ModelRecords.metadata(mv), options);
            if (loaded != null) {
                loaded.close();
            }
            loaded = e;
            LOG.info("search: loaded {} v{} for uploaded structures", modelName, version);
            return e;
        } catch (DimstreamException | IllegalArgumentException e) {
            throw new SearchException(SearchException.NO_MODEL, "model " + modelName + " v" + version + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (loaded != null) {
            loaded.close();
            loaded = null;
        }
    }
}
