package io.dimstream.search;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The search service's state, apart from Kafka (tests drive it directly): one {@link VersionIndex} per model
 * version still of use (the serving one and newer ones being backfilled), the metadata of every id, dead
 * letters by reason, throughput and freshness. One writer (the consumer thread), any number of readers
 * (HTTP threads): the serving index is swapped atomically and an old one is closed only at the next
 * checkpoint, after in-flight searches ended.
 */
public final class SearchState implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SearchState.class);

    /** What a search runs against: a version and its index. */
    public record Serving(int version, VersionIndex index) {
    }

    /** A search result. */
    public record Result(String query, int modelVersion, String index, List<Neighbour> neighbours) {
    }

    private final Path dataDir;
    private final HnswIndex.Params params;
    private final String modelName;
    private final Map<String, String> spaceGroups;
    private final MetaStore meta;
    private final ConcurrentSkipListMap<Integer, VersionIndex> versions = new ConcurrentSkipListMap<>();
    private final List<VersionIndex> retired = new ArrayList<>();
    private volatile Serving serving;
    private final Map<String, LongAdder> deadLetters = new ConcurrentHashMap<>();
    final Stats stats = new Stats();
    private volatile long switches;
    /** submittedAt of live embeddings indexed since the last refresh (they become searchable with it). */
    private final List<Long> awaitingRefresh = new ArrayList<>();

    /**
     * Opens the state in {@code dataDir}: the metadata index (with the checkpoint) and every version's index
     * found there; the checkpoint names the serving version (older version directories are deleted).
     */
    public SearchState(Path dataDir, HnswIndex.Params params, String modelName, Map<String, String> spaceGroups) {
        this.dataDir = dataDir;
        this.params = params;
        this.modelName = modelName;
        this.spaceGroups = spaceGroups;
        this.meta = new MetaStore(dataDir.resolve("meta"));
        int servingVersion = Integer.parseInt(meta.checkpoint().getOrDefault("serving", "-1"));
        for (int v : VersionIndex.onDisk(dataDir)) {
            VersionIndex vi = VersionIndex.open(dataDir, v, params);
            if (v < servingVersion) {
                vi.delete();
            } else {
                versions.put(v, vi);
            }
        }
        VersionIndex s = versions.get(servingVersion);
        if (s != null) {
            serving = new Serving(servingVersion, s);
        }
        String dl = meta.checkpoint().get("dead_letters");
        if (dl != null && !dl.isEmpty()) {
            for (String kv : dl.split(",")) {
                int eq = kv.lastIndexOf('=');
                deadLetters.computeIfAbsent(kv.substring(0, eq), k -> new LongAdder()).add(Long.parseLong(kv.substring(eq + 1)));
            }
        }
        if (!versions.isEmpty()) {
            LOG.info("search: reopened {} (serving v{}; {})", dataDir, servingVersion, sizes());
        }
    }

    /** The checkpoint found at start (offsets etc.; empty on a fresh start). */
    public Map<String, String> checkpoint() {
        return meta.checkpoint();
    }

    // ---- the writer's side (consumer thread) ----

    /** A features record: the id's formula and primitive-cell sites. */
    public void onFeatures(String id, String formula, int sites) {
        Meta m = Meta.ofFormula(formula, sites, spaceGroups.get(id));
        if (meta.put(id, m)) {
            for (VersionIndex vi : versions.values()) {
                vi.updateMeta(id, m);
            }
        }
    }

    /**
     * An embedding record. Indexed into its version's index when that version is serving or newer (a newer
     * one is created on its first record; with nothing serving yet it serves at once). Returns the index it
     * went into, or null when ignored (another model, or older than the serving version).
     */
    public VersionIndex onEmbedding(String id, String model, int version, float[] vector, boolean backfill,
                                    long submittedAtMs, long embeddedAtMs, long nowMs) {
        if (!modelName.equals(model)) {
            return null;
        }
        Serving s = serving;
        if (s != null && version < s.version()) {
            return null;
        }
        VersionIndex vi = versions.get(version);
        if (vi == null) {
            vi = VersionIndex.open(dataDir, version, params);
            if (embeddedAtMs > 0) {
                vi.servingSinceMs = embeddedAtMs;
            }
            versions.put(version, vi);
            LOG.info("search: first embedding of {} v{}{}", model, version, s == null ? " (nothing serving: serves now)"
                    : " (serving v" + s.version() + " until its backfill completes)");
        }
        Meta m = meta.get(id);
        vi.upsert(id, vector, m == null ? Meta.UNKNOWN : m);
        if (s == null) {
            serving = new Serving(version, vi);
        }
        // freshness: live records submitted while this version was already embedding (not those that waited for the
        // first model, nor the backlog read after a restart)
        stats.indexed(nowMs);
        if (!backfill && submittedAtMs > 0 && submittedAtMs >= vi.servingSinceMs) {
            synchronized (awaitingRefresh) {
                awaitingRefresh.add(submittedAtMs);
            }
        }
        return vi;
    }

    public void onDeadLetter(String reason) {
        deadLetters.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** Versions newer than the serving one (their backfill not yet seen complete), lowest first. */
    public List<Integer> pending() {
        Serving s = serving;
        return versions.keySet().stream().filter(v -> s == null || v > s.version()).toList();
    }

    /** Serves {@code version} from now on (atomically); older versions are dropped at the next checkpoint. */
    public void switchTo(int version) {
        VersionIndex vi = versions.get(version);
        if (vi == null) {
            throw new IllegalArgumentException("no index for v" + version);
        }
        vi.refresh();
        Serving old = serving;
        serving = new Serving(version, vi);
        switches++;
        for (Integer v : new ArrayList<>(versions.headMap(version).keySet())) {
            synchronized (retired) {
                retired.add(versions.remove(v));
            }
        }
        LOG.info("search: switched from v{} to v{} ({} embeddings)", old == null ? -1 : old.version(), version, vi.size());
    }

    /** Makes the latest updates searchable (and records their freshness). */
    public void refresh() {
        for (VersionIndex vi : versions.values()) {
            vi.refresh();
        }
        markSearchable(System.currentTimeMillis());
    }

    void markSearchable(long nowMs) {
        synchronized (awaitingRefresh) {
            for (long submitted : awaitingRefresh) {
                stats.searchable(nowMs, submitted);
            }
            awaitingRefresh.clear();
        }
    }

    /** Makes everything durable with {@code offsets} etc. as the checkpoint; then drops retired versions. */
    public void checkpoint(Map<String, String> extra) {
        for (VersionIndex vi : versions.values()) {
            vi.commit(Map.of("version", String.valueOf(vi.version)));
        }
        Map<String, String> data = new LinkedHashMap<>(extra);
        Serving s = serving;
        data.put("serving", String.valueOf(s == null ? -1 : s.version()));
        StringBuilder dl = new StringBuilder();
        deadLetters().forEach((k, v) -> dl.append(dl.length() == 0 ? "" : ",").append(k).append('=').append(v));
        data.put("dead_letters", dl.toString());
        meta.commit(data);
        List<VersionIndex> drop;
        synchronized (retired) {
            drop = new ArrayList<>(retired);
            retired.clear();
        }
        for (VersionIndex vi : drop) {
            vi.delete();
        }
    }

    // ---- the readers' side ----

    public Serving serving() {
        return serving;
    }

    /** True when the serving version holds an embedding of {@code id}. */
    public boolean contains(String id) {
        Serving s = serving;
        return s != null && s.index().exact.contains(id);
    }

    public Meta meta(String id) {
        return meta.get(id);
    }

    public int metaCount() {
        return meta.size();
    }

    /** The k nearest of an indexed id (itself excluded) in the serving version. */
    public Result byId(String id, int k, SearchFilter filter, boolean exact) {
        Serving s = requireServing();
        float[] v = s.index().exact.vector(id);
        if (v == null) {
            throw new SearchException(SearchException.UNKNOWN_ID, "no v" + s.version() + " embedding of '" + id + "' is indexed");
        }
        return new Result(id, s.version(), exact ? "exact" : "hnsw", s.index().search(v, k, filter.withExcludeId(id), exact));
    }

    /** The k nearest of a vector embedded with {@code version}, which must be the serving one. */
    public Result byVector(String label, int version, float[] v, int k, SearchFilter filter, boolean exact) {
        Serving s = requireServing();
        if (version != s.version()) {
            throw new SearchException(SearchException.NOT_SERVING, "the query was embedded with v" + version
                    + " but v" + s.version() + " serves now; try again");
        }
        return new Result(label, s.version(), exact ? "exact" : "hnsw", s.index().search(v, k, filter, exact));
    }

    private Serving requireServing() {
        Serving s = serving;
        if (s == null) {
            throw new SearchException(SearchException.NOT_SERVING, "no embeddings indexed yet");
        }
        return s;
    }

    /** Embeddings held per version. */
    public Map<Integer, Integer> sizes() {
        Map<Integer, Integer> m = new TreeMap<>();
        versions.forEach((v, vi) -> m.put(v, vi.size()));
        return m;
    }

    public Map<String, Long> deadLetters() {
        Map<String, Long> m = new TreeMap<>();
        deadLetters.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    public long switches() {
        return switches;
    }

    public Stats stats() {
        return stats;
    }

    @Override
    public void close() {
        for (VersionIndex vi : versions.values()) {
            vi.close();
        }
        synchronized (retired) {
            retired.forEach(VersionIndex::close);
            retired.clear();
        }
        meta.close();
    }
}
