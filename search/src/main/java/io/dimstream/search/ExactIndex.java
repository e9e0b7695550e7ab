package io.dimstream.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;

/**
 * Brute-force cosine search over unit vectors kept in one float array (id → slot; a removed slot is filled
 * with the last one). Exact by construction: the reference for {@link HnswIndex}, the service's
 * {@code index.type=exact}, and the place the service looks up a stored id's vector. Updates are visible
 * at once.
 */
public final class ExactIndex implements VectorIndex {

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, Integer> slots = new HashMap<>();
    private final List<String> ids = new ArrayList<>();
    private final List<Meta> metas = new ArrayList<>();
    private float[] data = new float[0];
    private int dim;

    @Override
    public void upsert(String id, float[] vector, Meta meta) {
        float[] u = Vectors.unit(vector);
        lock.writeLock().lock();
        try {
            if (dim == 0) {
                dim = u.length;
            } else if (u.length != dim) {
                throw new SearchException(SearchException.DIMENSION, "vector of width " + u.length + " for " + id
                        + ", the index holds width " + dim);
            }
            Integer slot = slots.get(id);
            if (slot == null) {
                slot = ids.size();
                slots.put(id, slot);
                ids.add(id);
                metas.add(meta == null ? Meta.UNKNOWN : meta);
                if (data.length < (slot + 1) * dim) {
                    data = Arrays.copyOf(data, Math.max((slot + 1) * dim, data.length * 3 / 2 + 16 * dim));
                }
            } else {
                metas.set(slot, meta == null ? Meta.UNKNOWN : meta);
            }
            System.arraycopy(u, 0, data, slot * dim, dim);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public boolean updateMeta(String id, Meta meta) {
        lock.writeLock().lock();
        try {
            Integer slot = slots.get(id);
            if (slot == null) {
                return false;
            }
            metas.set(slot, meta);
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public boolean remove(String id) {
        lock.writeLock().lock();
        try {
            Integer slot = slots.remove(id);
            if (slot == null) {
                return false;
            }
            int last = ids.size() - 1;
            if (slot != last) {
                String moved = ids.get(last);
                ids.set(slot, moved);
                metas.set(slot, metas.get(last));
                System.arraycopy(data, last * dim, data, slot * dim, dim);
                slots.put(moved, slot);
            }
            ids.remove(last);
            metas.remove(last);
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** A copy of {@code id}'s unit vector, or null. */
    public float[] vector(String id) {
        lock.readLock().lock();
        try {
            Integer slot = slots.get(id);
            return slot == null ? null : Arrays.copyOfRange(data, slot * dim, slot * dim + dim);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The metadata stored with {@code id}, or null when not indexed. */
    public Meta meta(String id) {
        lock.readLock().lock();
        try {
            Integer slot = slots.get(id);
            return slot == null ? null : metas.get(slot);
        } finally {
            lock.readLock().unlock();
        }
    }

    public boolean contains(String id) {
        lock.readLock().lock();
        try {
            return slots.containsKey(id);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Every id with a copy of its unit vector (under the read lock: do not call back into this index). */
    public void forEach(BiConsumer<String, float[]> f) {
        lock.readLock().lock();
        try {
            for (int i = 0; i < ids.size(); i++) {
                f.accept(ids.get(i), Arrays.copyOfRange(data, i * dim, i * dim + dim));
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    private static final Comparator<Neighbour> NEAREST = Comparator.comparingDouble(Neighbour::distance)
            .thenComparing(Neighbour::id);

    @Override
    public List<Neighbour> search(float[] query, int k, SearchFilter filter) {
        if (k < 1) {
            throw new SearchException(SearchException.BAD_REQUEST, "k must be >= 1, got " + k);
        }
        float[] q = Vectors.unit(query);
        lock.readLock().lock();
        try {
            if (dim != 0 && q.length != dim) {
                throw new SearchException(SearchException.DIMENSION, "query of width " + q.length + ", the index holds width " + dim);
            }
            // max-heap of the k nearest so far (the farthest on top)
            PriorityQueue<Neighbour> heap = new PriorityQueue<>(k + 1, NEAREST.reversed());
            for (int i = 0; i < ids.size(); i++) {
                String id = ids.get(i);
                if (!filter.test(id, metas.get(i))) {
                    continue;
                }
                double d = Vectors.distanceFromDot(Vectors.dot(q, data, i * dim));
                if (heap.size() < k) {
                    heap.add(new Neighbour(id, d));
                } else {
                    Neighbour worst = heap.peek();
                    if (d < worst.distance() || d == worst.distance() && id.compareTo(worst.id()) < 0) {
                        heap.poll();
                        heap.add(new Neighbour(id, d));
                    }
                }
            }
            List<Neighbour> out = new ArrayList<>(heap);
            out.sort(NEAREST);
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public int size() {
        lock.readLock().lock();
        try {
            return ids.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public int dimension() {
        return dim;
    }

    @Override
    public String kind() {
        return "exact";
    }

    @Override
    public void close() {
    }
}
