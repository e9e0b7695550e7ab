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
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's corpus on disk ({@code corpus.store=disk}, issue 20): the latest features record per id in
 * an embedded RocksDB whose memory is bounded by configuration, not by the corpus size: one LRU block
 * cache ({@code corpus.cache.mb}) that also holds the index and filter blocks, two 8 MiB write buffers,
 * at most 256 open table files. Superseded (same id re-sent) and deleted (tombstone) records are dropped
 * by RocksDB's compaction; {@link #compact} forces it.
 *
 * <p>Keys are an 8-byte hash of the id (high bit set) followed by the id, so key order is a fixed
 * pseudo-random permutation of the corpus. An epoch is streamed in blocks ({@link #blocks}): starting at a
 * random point of the key space (per seed and epoch), wrapping around once, each block of consecutive keys
 * is shuffled in memory; the trainer plans its size-bucketed batches within a block. Every record is
 * visited exactly once per epoch and only one block is decoded at a time.
 *
 * <p>Meta keys (first byte 0x00) hold the record count, the count per validation bucket
 * ({@link TrainerService#bucket}: the held-out share is known without a scan), the changes since the last
 * round and the consumer positions. Every {@link #apply} writes the record and the counters in one atomic
 * batch; {@link #checkpoint} writes the positions with a synced WAL write, which makes every earlier write
 * durable too, so the store always holds at least what the saved positions claim (the same guarantee as
 * {@link LocalCorpus}).
 */
public final class DiskCorpus implements TrainerCorpus {

    static {
        RocksDB.loadLibrary();
    }

    private static final Logger log = LoggerFactory.getLogger(DiskCorpus.class);
    private static final byte[] COUNT_KEY = meta("count");
    private static final byte[] BUCKETS_KEY = meta("buckets");
    private static final byte[] CHANGES_KEY = meta("changes");
    private static final String OFFSET_PREFIX = "offset.";
    static final int BUCKETS = 100;

    private final Path dir;
    private final AvroSerde<CrystalFeatures> serde = AvroSerde.of(CrystalFeatures.class);
    private final LRUCache cache;
    private final BloomFilter bloom;
    private final Options options;
    private final RocksDB db;
    private final WriteOptions writes = new WriteOptions();
    private final WriteOptions syncWrites = new WriteOptions().setSync(true);
    private final Map<TopicPartition, Long> offsets = new HashMap<>();
    private final long[] buckets = new long[BUCKETS];
    private final AtomicLong decoded = new AtomicLong();
    private long count;
    private long changes;

    /**
     * Opens (or creates) the corpus at {@code dir}.
     *
     * @param cacheBytes the block cache: the bound on what reads keep in memory (data, index and filter blocks)
     * @throws CorpusException {@code corpus.locked} when another process has it open, {@code corpus.open} else
     */
    public DiskCorpus(Path dir, long cacheBytes) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        this.cache = new LRUCache(cacheBytes);
        this.bloom = new BloomFilter(10);
        this.options = new Options().setCreateIfMissing(true)
                .setWriteBufferSize(8L << 20)
                .setMaxWriteBufferNumber(2)
                .setMaxOpenFiles(256)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setTargetFileSizeBase(64L << 20)
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom)
                        .setBlockSize(64 << 10).setCacheIndexAndFilterBlocks(true)
                        .setPinL0FilterAndIndexBlocksInCache(true));
        RocksDB opened;
        try {
            opened = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            closeNative();
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("lock") || msg.contains("LOCK")) {
                throw new CorpusException(CorpusException.LOCKED, "the corpus at " + dir
                        + " is open in another process (another trainer with the same corpus.dir?): " + msg, e);
            }
            throw new CorpusException(CorpusException.OPEN, "cannot open the corpus at " + dir + ": " + msg, e);
        }
        this.db = opened;
        try {
            byte[] c = db.get(COUNT_KEY);
            count = c == null ? 0 : ByteBuffer.wrap(c).getLong();
            byte[] ch = db.get(CHANGES_KEY);
            changes = ch == null ? 0 : ByteBuffer.wrap(ch).getLong();
            byte[] b = db.get(BUCKETS_KEY);
            if (b != null) {
                ByteBuffer bb = ByteBuffer.wrap(b);
                for (int i = 0; i < BUCKETS; i++) {
                    buckets[i] = bb.getLong();
                }
            }
            byte[] prefix = meta(OFFSET_PREFIX);
            try (RocksIterator it = db.newIterator()) {
                for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                    String tp = new String(it.key(), prefix.length, it.key().length - prefix.length, StandardCharsets.UTF_8);
                    int dash = tp.lastIndexOf('-');
                    offsets.put(new TopicPartition(tp.substring(0, dash), Integer.parseInt(tp.substring(dash + 1))),
                            ByteBuffer.wrap(it.value()).getLong());
                }
            }
        } catch (RocksDBException | RuntimeException e) {
            close();
            throw new CorpusException(CorpusException.OPEN, "cannot read the corpus state at " + dir + ": "
                    + e.getMessage(), e);
        }
        log.info("corpus {} (disk, cache {} MiB): {} structures, resuming at {}", dir, cacheBytes >> 20, count,
                offsets);
    }

    private static byte[] meta(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[n.length + 1];
        System.arraycopy(n, 0, k, 1, n.length);
        return k; // 0x00 + name: sorts before every data key
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
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

    private static boolean isData(byte[] k) {
        return k.length >= 8 && (k[0] & 0x80) != 0;
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    @Override
    public synchronized void apply(String id, CrystalFeatures value) throws IOException {
        if (id == null) {
            return;
        }
        byte[] k = key(id);
        int bucket = TrainerService.bucket(id);
        try (WriteBatch batch = new WriteBatch()) {
            boolean existed = db.get(k) != null; // the bloom filter answers most new ids without a read
            long newCount = count;
            long newBucket = buckets[bucket];
            long newChanges = changes;
            if (value == null) {
                if (!existed) {
                    return;
                }
                batch.delete(k);
                newCount--;
                newBucket--;
            } else {
                batch.put(k, serde.toBytes(value));
                newChanges++;
                if (!existed) {
                    newCount++;
                    newBucket++;
                }
            }
            if (newCount != count) {
                batch.put(COUNT_KEY, longBytes(newCount));
                long[] nb = buckets.clone();
                nb[bucket] = newBucket;
                batch.put(BUCKETS_KEY, bucketBytes(nb));
            }
            if (newChanges != changes) {
                batch.put(CHANGES_KEY, longBytes(newChanges));
            }
            db.write(writes, batch);
            count = newCount;
            buckets[bucket] = newBucket;
            changes = newChanges;
        } catch (RocksDBException e) {
            throw new CorpusException(CorpusException.WRITE, "corpus " + dir + ": writing " + id + " failed: "
                    + e.getMessage(), e);
        }
    }

    private static byte[] bucketBytes(long[] b) {
        ByteBuffer bb = ByteBuffer.allocate(8 * BUCKETS);
        for (long v : b) {
            bb.putLong(v);
        }
        return bb.array();
    }

    @Override
    public synchronized void checkpoint(Map<TopicPartition, Long> positions) throws IOException {
        try (WriteBatch batch = new WriteBatch()) {
            for (var e : positions.entrySet()) {
                batch.put(meta(OFFSET_PREFIX + e.getKey().topic() + "-" + e.getKey().partition()),
                        longBytes(e.getValue()));
            }
            db.write(syncWrites, batch); // the synced WAL write makes every earlier write durable too
            offsets.putAll(positions);
        } catch (RocksDBException e) {
            throw new CorpusException(CorpusException.WRITE, "corpus " + dir + ": saving positions failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Map<TopicPartition, Long> offsets() {
        return new HashMap<>(offsets);
    }

    @Override
    public synchronized long size() {
        return count;
    }

    /** Records whose id falls in a validation bucket below {@code percent} ({@link TrainerService#bucket}). */
    public synchronized long heldOut(int percent) {
        long n = 0;
        for (int i = 0; i < Math.min(percent, BUCKETS); i++) {
            n += buckets[i];
        }
        return n;
    }

    @Override
    public synchronized long changesSinceTraining() {
        return changes;
    }

    @Override
    public synchronized void markTrained() throws IOException {
        try {
            db.put(syncWrites, CHANGES_KEY, longBytes(0));
            changes = 0;
        } catch (RocksDBException e) {
            throw new CorpusException(CorpusException.WRITE, "corpus " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The record of {@code id}. */
    public Optional<FeaturizedCrystal> get(String id) throws IOException {
        byte[] v;
        try {
            v = db.get(key(id));
        } catch (RocksDBException e) {
            throw new CorpusException(CorpusException.READ, "corpus " + dir + ": reading " + id + " failed: "
                    + e.getMessage(), e);
        }
        return v == null ? Optional.empty() : Optional.of(decode(id, v));
    }

    private FeaturizedCrystal decode(String id, byte[] v) {
        try {
            FeaturizedCrystal f = FeaturizedCrystal.fromAvro(serde.fromBytes(v));
            decoded.incrementAndGet();
            return f;
        } catch (RuntimeException e) {
            throw new CorpusException(CorpusException.RECORD, "corpus " + dir + ": the record of " + id
                    + " cannot be decoded: " + e.getMessage(), e);
        }
    }

    /** Records decoded from disk since this corpus was opened (every read path counts). */
    public long decodedRecords() {
        return decoded.get();
    }

    /** Every record, in key (hash) order, decoded one at a time. */
    @Override
    public void forEach(Consumer<FeaturizedCrystal> action) {
        scan(id -> true, f -> {
            action.accept(f);
            return true;
        });
    }

    /**
     * Walks the records in key order: those whose id passes {@code ids} are decoded and handed to
     * {@code action} until it returns false. Ids are read from the keys, so skipped records cost no decoding.
     */
    public void scan(Predicate<String> ids, Predicate<FeaturizedCrystal> action) {
        try (ReadOptions ro = new ReadOptions().setFillCache(false).setReadaheadSize(2 << 20);
             RocksIterator it = db.newIterator(ro)) {
            for (it.seek(new byte[] {(byte) 0x80}); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (!isData(k)) {
                    continue;
                }
                String id = idOf(k);
                if (ids.test(id) && !action.test(decode(id, it.value()))) {
                    return;
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new CorpusException(CorpusException.READ, "corpus " + dir + ": scan failed: " + e.getMessage(), e);
        }
    }

    /**
     * Up to {@code max} records whose id passes {@code ids} and whose record passes {@code keep}, the first
     * ones in key order: deterministic for a given corpus, and spread uniformly over it (keys are hashes).
     */
    public List<FeaturizedCrystal> firstMatching(Predicate<String> ids, Predicate<FeaturizedCrystal> keep, int max) {
        List<FeaturizedCrystal> out = new ArrayList<>();
        if (max <= 0) {
            return out;
        }
        scan(ids, f -> {
            if (keep.test(f)) {
                out.add(f);
            }
            return out.size() < max;
        });
        return out;
    }

    /** Flushes the memtables to table files (e.g. before measuring the size on disk). */
    public void flush() throws IOException {
        try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            db.flush(fo);
        } catch (RocksDBException e) {
            throw new CorpusException(CorpusException.WRITE, "corpus " + dir + ": flush failed: " + e.getMessage(), e);
        }
    }

    /** Compacts the whole key range now: superseded and deleted records are dropped from the files. */
    public void compact() throws IOException {
        try {
            flush();
            db.compactRange();
        } catch (RocksDBException e) {
            throw new CorpusException(CorpusException.WRITE, "corpus " + dir + ": compaction failed: "
                    + e.getMessage(), e);
        }
    }

    /** Bytes of the table files (live data after compaction; excludes the WAL). */
    public long tableBytes() {
        try {
            return db.getLongProperty("rocksdb.total-sst-files-size");
        } catch (RocksDBException e) {
            throw new CorpusException(CorpusException.READ, "corpus " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Bytes of every file in the corpus directory. */
    public long diskBytes() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // a file removed by a concurrent compaction
                }
            }).sum();
        }
    }

    /** An epoch's blocks; {@link #close} frees the reader when the epoch is left early. */
    public interface Blocks extends Iterator<List<FeaturizedCrystal>>, AutoCloseable {
        @Override
        void close();
    }

    /** {@link #blocks(long, int, int, Predicate, Predicate)} over every record. */
    public Blocks blocks(long seed, int epoch, int blockSize) {
        return blocks(seed, epoch, blockSize, id -> true, f -> true);
    }

    /**
     * One epoch in shuffled blocks of at most {@code blockSize} records: the walk starts at a point of the key
     * space drawn from {@code (seed, epoch)} and wraps around once; each block is shuffled. Records whose id
     * fails {@code ids} are skipped without decoding, decoded ones failing {@code keep} are dropped. A block
     * is read only when asked for ({@link Iterator#hasNext}), so at most one block is held here.
     */
    public Blocks blocks(long seed, int epoch, int blockSize, Predicate<String> ids, Predicate<FeaturizedCrystal> keep) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("block size must be >= 1");
        }
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + epoch);
        long start = r.nextLong() | Long.MIN_VALUE;
        byte[] startKey = ByteBuffer.allocate(8).putLong(start).array();
        ReadOptions ro = new ReadOptions().setFillCache(false).setReadaheadSize(2 << 20); // a scan must not evict the cache
        RocksIterator it = db.newIterator(ro);
        it.seek(startKey);
        return new Blocks() {
            private boolean wrapped;
            private List<FeaturizedCrystal> next;
            private boolean done;

            private boolean inRange() {
                if (!it.isValid()) {
                    return false;
                }
                byte[] k = it.key();
                if (!isData(k)) {
                    return false;
                }
                return !wrapped || Arrays.compareUnsigned(k, 0, 8, startKey, 0, 8) < 0;
            }

            private void advanceToData() {
                while (!wrapped && !inRange()) {
                    wrapped = true;
                    it.seek(new byte[] {(byte) 0x80});
                }
            }

            private List<FeaturizedCrystal> fill() {
                List<FeaturizedCrystal> block = new ArrayList<>(Math.min(blockSize, 4096));
                while (block.size() < blockSize) {
                    advanceToData();
                    if (!inRange()) {
                        break;
                    }
                    byte[] k = it.key();
                    String id = idOf(k);
                    if (ids.test(id)) {
                        FeaturizedCrystal f = decode(id, it.value());
                        if (keep.test(f)) {
                            block.add(f);
                        }
                    }
                    it.next();
                }
                try {
                    it.status();
                } catch (RocksDBException e) {
                    close();
                    throw new CorpusException(CorpusException.READ, "corpus " + dir + ": reading epoch " + epoch
                            + " failed: " + e.getMessage(), e);
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
                        close();
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

            @Override
            public void close() {
                if (!done) {
                    done = true;
                    next = null;
                    it.close();
                    ro.close();
                }
            }
        };
    }

    private void closeNative() {
        writes.close();
        syncWrites.close();
        options.close();
        cache.close();
        bloom.close();
    }

    @Override
    public synchronized void close() {
        if (db != null) {
            db.close();
        }
        closeNative();
    }
}
