package io.dimstream.trainer.service;

import io.dimstream.core.featurize.FeaturizedCrystal;
import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.CrystalFeatures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Random;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * The trainer's corpus on disk (issue 20; not wired into the service yet): the latest features record per
 * id in an embedded RocksDB whose memory is bounded by configuration (block cache + write buffer), not by
 * the corpus size; superseded and deleted records are compacted away by RocksDB itself.
 *
 * <p>Keys are an 8-byte hash of the id followed by the id, so key order is a fixed pseudo-random
 * permutation of the corpus. An epoch is streamed in blocks ({@link #blocks}): starting at a random
 * point of the key space (per epoch and seed), wrapping around once, each block of consecutive keys is
 * shuffled in memory; the trainer forms its size-bucketed batches within a block. Every record is
 * visited exactly once per epoch, and only one block is in memory at a time.
 */
public final class DiskCorpus implements AutoCloseable {

    static {
        RocksDB.loadLibrary();
    }

    private static final byte[] COUNT_KEY = "\u0000meta.count".getBytes(StandardCharsets.UTF_8);

    private final AvroSerde<CrystalFeatures> serde = AvroSerde.of(CrystalFeatures.class);
    private final LRUCache cache;
    private final Options options;
    private final RocksDB db;
    private final WriteOptions writes = new WriteOptions();
    private long count;

    /**
     * @param dir        the database directory (created when missing)
     * @param cacheBytes block cache size: the bound on what reads keep in memory
     */
    public DiskCorpus(Path dir, long cacheBytes) throws IOException {
        Files.createDirectories(dir);
        this.cache = new LRUCache(cacheBytes);
        this.options = new Options().setCreateIfMissing(true)
                .setWriteBufferSize(8L << 20)
                .setMaxWriteBufferNumber(2)
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache));
        try {
            this.db = RocksDB.open(options, dir.toString());
            byte[] c = db.get(COUNT_KEY);
            this.count = c == null ? 0 : ByteBuffer.wrap(c).getLong();
        } catch (RocksDBException e) {
            throw new IOException("cannot open the corpus at " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A well-mixed 64-bit hash of the id (FNV-1a followed by the SplitMix64 finaliser). */
    static long hash(String id) {
        long h = 0xcbf29ce484222325L;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }

    static byte[] key(String id) {
        byte[] idb = id.getBytes(StandardCharsets.UTF_8);
        // the high bit set keeps data keys apart from the meta keys (which start with 0x00)
        return ByteBuffer.allocate(8 + idb.length).putLong(hash(id) | Long.MIN_VALUE).put(idb).array();
    }

    static String idOf(byte[] key) {
        return new String(key, 8, key.length - 8, StandardCharsets.UTF_8);
    }

    /** Adds or replaces the record of {@code id}; {@code null} deletes it. */
    public synchronized void apply(String id, CrystalFeatures value) throws IOException {
        byte[] k = key(id);
        try {
            boolean existed = db.get(k) != null;
            if (value == null) {
                if (existed) {
                    db.delete(writes, k);
                    setCount(count - 1);
                }
                return;
            }
            db.put(writes, k, serde.toBytes(value));
            if (!existed) {
                setCount(count + 1);
            }
        } catch (RocksDBException e) {
            throw new IOException("corpus write of " + id + " failed: " + e.getMessage(), e);
        }
    }

    private void setCount(long c) throws RocksDBException {
        count = c;
        db.put(writes, COUNT_KEY, ByteBuffer.allocate(8).putLong(c).array());
    }

    /** Records in the corpus. */
    public synchronized long size() {
        return count;
    }

    /** The record of {@code id}. */
    public Optional<FeaturizedCrystal> get(String id) throws IOException {
        try {
            byte[] v = db.get(key(id));
            return v == null ? Optional.empty() : Optional.of(FeaturizedCrystal.fromAvro(serde.fromBytes(v)));
        } catch (RocksDBException e) {
            throw new IOException("corpus read of " + id + " failed: " + e.getMessage(), e);
        }
    }

    /** Flushes the memtable and syncs (before consumer positions are recorded elsewhere). */
    public void flush() throws IOException {
        try (var fo = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(fo);
        } catch (RocksDBException e) {
            throw new IOException("corpus flush failed: " + e.getMessage(), e);
        }
    }

    /**
     * One epoch in shuffled blocks of at most {@code blockSize} records: the walk starts at a point of
     * the key space drawn from {@code (seed, epoch)} and wraps around once; each block is shuffled.
     */
    public Iterator<List<FeaturizedCrystal>> blocks(long seed, int epoch, int blockSize) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("block size must be >= 1");
        }
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + epoch);
        long start = r.nextLong() | Long.MIN_VALUE;
        byte[] startKey = ByteBuffer.allocate(8).putLong(start).array();
        return new Iterator<>() {
            private final ReadOptions ro = new ReadOptions().setFillCache(false); // a scan must not evict the cache
            private final RocksIterator it = db.newIterator(ro);
            private boolean wrapped;
            private List<FeaturizedCrystal> next;
            private boolean done;

            {
                it.seek(startKey);
            }

            private boolean inRange() {
                if (!it.isValid()) {
                    return false;
                }
                byte[] k = it.key();
                if (k.length < 8 || (k[0] & 0x80) == 0) {
                    return false; // meta keys sort before the data keys
                }
                if (wrapped) {
                    return java.util.Arrays.compareUnsigned(k, 0, 8, startKey, 0, 8) < 0;
                }
                return true;
            }

            private void advanceToData() {
                while (!wrapped && !inRange()) {
                    wrapped = true;
                    it.seek(new byte[] {(byte) 0x80});
                }
            }

            private List<FeaturizedCrystal> fill() {
                List<FeaturizedCrystal> block = new ArrayList<>(blockSize);
                while (block.size() < blockSize) {
                    advanceToData();
                    if (!inRange()) {
                        break;
                    }
                    block.add(FeaturizedCrystal.fromAvro(serde.fromBytes(it.value())));
                    it.next();
                }
                Collections.shuffle(block, r);
                return block;
            }

            @Override
            public boolean hasNext() {
                if (done) {
                    return false;
                }
                if (next == null) {
                    next = fill();
                    if (next.isEmpty()) {
                        done = true;
                        it.close();
                        ro.close();
                        return false;
                    }
                }
                return true;
            }

            @Override
            public List<FeaturizedCrystal> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                List<FeaturizedCrystal> b = next;
                next = null;
                return b;
            }
        };
    }

    @Override
    public synchronized void close() {
        db.close();
        writes.close();
        options.close();
        cache.close();
    }
}
