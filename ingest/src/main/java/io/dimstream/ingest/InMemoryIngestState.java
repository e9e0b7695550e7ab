package io.dimstream.ingest;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Non-durable {@link IngestState} (tests, one-off dry runs). Thread-safe. */
public final class InMemoryIngestState implements IngestState {
    private final Map<String, Watermark> watermarks = new HashMap<>();
    private final Map<String, Long> produced = new HashMap<>();
    private final Map<String, String> hashes = new HashMap<>();
    private final Map<String, String> before = new HashMap<>();

    @Override
    public synchronized Optional<Watermark> watermark(String sourceKey) {
        return Optional.ofNullable(watermarks.get(sourceKey));
    }

    @Override
    public synchronized long recordsProduced(String sourceKey) {
        return produced.getOrDefault(sourceKey, 0L);
    }

    @Override
    public synchronized Optional<String> contentHash(String id) {
        return Optional.ofNullable(hashes.get(id));
    }

    @Override
    public synchronized void putContentHash(String id, String sha256) {
        String old = hashes.put(id, sha256);
        if (!before.containsKey(id)) {
            before.put(id, old);
        }
    }

    @Override
    public synchronized void rollback() {
        before.forEach((k, v) -> {
            if (v == null) {
                hashes.remove(k);
            } else {
                hashes.put(k, v);
            }
        });
        before.clear();
    }

    @Override
    public synchronized void commit(String sourceKey, Watermark watermark, long recordsProduced) {
        before.clear();
        if (watermark != null) {
            watermarks.put(sourceKey, watermark);
        }
        produced.put(sourceKey, recordsProduced);
    }
}
