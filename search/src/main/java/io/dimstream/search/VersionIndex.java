package io.dimstream.search;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The index of one model version: the newest embedding per id of that version, in an {@link ExactIndex}
 * (memory: exact search and id look-ups) and an on-disk {@link HnswIndex} (the approximate search and the
 * persistence: a restart reloads the vectors from it without rebuilding the graph).
 */
final class VersionIndex implements AutoCloseable {

    final int version;
    final Path dir;
    final ExactIndex exact = new ExactIndex();
    final HnswIndex hnsw;
    /**
     * Since when this version embeds new structures, as far as this process knows: the {@code embeddedAt} of its
     * first record seen here, or the time the index was reopened after a restart. Freshness counts only live
     * structures submitted after it (not those that waited for the first model, nor the backlog of a restart).
     */
    volatile long servingSinceMs = System.currentTimeMillis();

    private VersionIndex(int version, Path dir, HnswIndex hnsw) {
        this.version = version;
        this.dir = dir;
        this.hnsw = hnsw;
    }

    static Path dirOf(Path dataDir, int version) {
        return dataDir.resolve("v" + version);
    }

    /** Opens (or creates) version {@code version}'s index under {@code dataDir}, reloading what it holds. */
    static VersionIndex open(Path dataDir, int version, HnswIndex.Params params) {
        Path dir = dirOf(dataDir, version);
        VersionIndex v = new VersionIndex(version, dir, HnswIndex.open(dir, params));
        v.hnsw.forEach((id, unit, meta) -> v.exact.upsert(id, unit, meta));
        return v;
    }

    /** Versions with an index directory under {@code dataDir}. */
    static List<Integer> onDisk(Path dataDir) {
        if (!Files.isDirectory(dataDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dataDir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("v\\d+"))
                    .map(n -> Integer.parseInt(n.substring(1))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void upsert(String id, float[] vector, Meta meta) {
        exact.upsert(id, vector, meta);
        hnsw.upsert(id, vector, meta);
    }

    /** New metadata for an id already indexed (the HNSW document is rewritten with the kept vector). */
    void updateMeta(String id, Meta meta) {
        float[] v = exact.vector(id);
        if (v != null && !meta.equals(exact.meta(id))) {
            exact.updateMeta(id, meta);
            hnsw.upsert(id, v, meta);
        }
    }

    List<Neighbour> search(float[] query, int k, SearchFilter filter, boolean exactSearch) {
        return exactSearch ? exact.search(query, k, filter) : hnsw.search(query, k, filter);
    }

    int size() {
        return exact.size();
    }

    void refresh() {
        hnsw.refresh();
    }

    void commit(Map<String, String> userData) {
        hnsw.commit(userData);
    }

    @Override
    public void close() {
        hnsw.close();
    }

    /** Closes and deletes the index directory (a version that will never serve again). */
    void delete() {
        close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
