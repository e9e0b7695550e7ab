package io.dimstream.search;

import java.util.List;

/**
 * A vector index of the newest embedding per id, searched by cosine distance. Two implementations:
 * {@link ExactIndex} (brute force, the reference) and {@link HnswIndex} (Lucene's HNSW graph, approximate).
 * Safe for one writer and any number of concurrent searchers; a search sees the updates made before the
 * last {@link #refresh()}.
 */
public interface VectorIndex extends AutoCloseable {

    /** Adds or replaces {@code id}'s vector (any non-zero length; the index keeps a unit-length copy) and metadata. */
    void upsert(String id, float[] vector, Meta meta);

    /** Replaces only the metadata of an id already indexed; false when it is not indexed. */
    boolean updateMeta(String id, Meta meta);

    /** Removes an id; false when it was not indexed. */
    boolean remove(String id);

    /** The {@code k} nearest ids passing {@code filter}, nearest first (ties: smaller id first). */
    List<Neighbour> search(float[] query, int k, SearchFilter filter);

    int size();

    /** Vector width, or 0 before the first vector. */
    int dimension();

    /** Makes the updates so far visible to searches (a no-op where they are visible at once). */
    default void refresh() {
    }

    /** "exact" or "hnsw". */
    String kind();

    @Override
    void close();
}
