package io.dimstream.ingest.kafka;

import io.dimstream.ingest.IngestState;
import io.dimstream.ingest.Watermark;
import io.dimstream.schemas.IngestWatermark;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory side shared by the Kafka-backed {@link IngestState}s: the watermarks and content hashes
 * loaded from their compacted topics, and the hashes recorded since the last commit ({@link #pending},
 * guarded by {@code this}). Subclasses load the maps and implement {@link #commit}.
 */
abstract class CachedIngestState implements IngestState {
    protected final Map<String, IngestWatermark> watermarks = new ConcurrentHashMap<>();
    protected final Map<String, String> hashes = new ConcurrentHashMap<>();
    protected final Map<String, String> pending = new LinkedHashMap<>();
    /** The value each pending key had before (null: none), to undo a batch that was not committed. */
    private final Map<String, String> before = new HashMap<>();

    @Override
    public Optional<Watermark> watermark(String sourceKey) {
        IngestWatermark w = watermarks.get(sourceKey);
        return w == null ? Optional.empty() : Optional.of(new Watermark(w.getPosition()));
    }

    @Override
    public long recordsProduced(String sourceKey) {
        IngestWatermark w = watermarks.get(sourceKey);
        return w == null ? 0 : w.getRecordsProduced();
    }

    @Override
    public Optional<String> contentHash(String id) {
        return Optional.ofNullable(hashes.get(id));
    }

    @Override
    public synchronized void putContentHash(String id, String sha256) {
        String old = hashes.put(id, sha256);
        if (!pending.containsKey(id)) {
            before.put(id, old);
        }
        pending.put(id, sha256);
    }

    /** Forgets the hashes put since the last commit (their batch was not produced). */
    protected synchronized void rollbackHashes() {
        for (Map.Entry<String, String> e : before.entrySet()) {
            if (e.getValue() == null) {
                hashes.remove(e.getKey());
            } else {
                hashes.put(e.getKey(), e.getValue());
            }
        }
        before.clear();
        pending.clear();
    }

    /** Subclasses call this once the pending hashes are durable. */
    protected synchronized void pendingCommitted() {
        before.clear();
        pending.clear();
    }

    @Override
    public void rollback() {
        rollbackHashes();
    }
}
