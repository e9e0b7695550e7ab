package io.dimstream.search;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntPoint;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;

/**
 * Approximate cosine search on Lucene's HNSW vectors ({@code KnnFloatVectorField} with
 * {@code DOT_PRODUCT} on unit vectors, {@code KnnFloatVectorQuery}). One Lucene document per id (upserts
 * by the {@code id} term) carries the vector and the filter fields (elements, element count, sites), so
 * filters run inside the graph search (Lucene switches to an exact scan when a filter leaves few
 * documents). Each search asks the graph for {@code max(k, candidates)} hits and keeps the {@code k}
 * nearest: {@code candidates} is the recall/latency knob (ef-search).
 *
 * <p>In memory ({@link #inMemory}) or on disk ({@link #open}): on disk, {@link #commit(Map)} makes the
 * index durable with user data (the service keeps its Kafka offsets there) and a restart reopens it
 * without rebuilding the graph.
 */
public final class HnswIndex implements VectorIndex {

    static final String ID = "id";
    static final String VEC = "vec";
    static final String EL = "el";
    static final String NEL = "nel";
    static final String SITES = "sites";
    static final String KNOWN = "known";
    static final String FORMULA = "formula";
    static final String SG = "sg";
    static final String SITES_STORED = "sites_s";

    /** HNSW parameters: graph degree (M), construction beam width, search candidates (ef-search). */
    public record Params(int maxConn, int beamWidth, int candidates) {
        public static final Params DEFAULTS = new Params(16, 100, 100);

        public Params {
            if (maxConn < 2 || beamWidth < 2 || candidates < 1) {
                throw new IllegalArgumentException("hnsw parameters must be positive: " + maxConn + ", " + beamWidth + ", " + candidates);
            }
        }
    }

    private final Directory dir;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final Params params;
    private volatile int dim;

    private HnswIndex(Directory dir, Params params) throws IOException {
        this.dir = dir;
        this.params = params;
        IndexWriterConfig cfg = new IndexWriterConfig();
        Lucene99HnswVectorsFormat format = new Lucene99HnswVectorsFormat(params.maxConn(), params.beamWidth());
        cfg.setCodec(new Lucene912Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return format;
            }
        });
        cfg.setRAMBufferSizeMB(64);
        cfg.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
        this.writer = new IndexWriter(dir, cfg);
        this.searchers = new SearcherManager(writer, null);
        IndexSearcher s = searchers.acquire();
        try {
            for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
                var info = leaf.reader().getFieldInfos().fieldInfo(VEC);
                if (info != null) {
                    dim = info.getVectorDimension();
                }
            }
        } finally {
            searchers.release(s);
        }
    }

    public static HnswIndex inMemory(Params params) {
        try {
            return new HnswIndex(new ByteBuffersDirectory(), params);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens (or creates) the index in {@code path}. */
    public static HnswIndex open(Path path, Params params) {
        try {
            Files.createDirectories(path);
            return new HnswIndex(FSDirectory.open(path), params);
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "cannot open the index in " + path + ": " + e.getMessage(), e);
        }
    }

    /** The user data of the last commit in {@code path} (empty when there is none). */
    public static Map<String, String> committedUserData(Path path) {
        try (Directory d = FSDirectory.open(path)) {
            if (!DirectoryReader.indexExists(d)) {
                return Map.of();
            }
            return new HashMap<>(SegmentInfos.readLatestCommit(d).getUserData());
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "cannot read the index in " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void upsert(String id, float[] vector, Meta meta) {
        float[] u = Vectors.unit(vector);
        int d = dim;
        if (d != 0 && u.length != d) {
            throw new SearchException(SearchException.DIMENSION, "vector of width " + u.length + " for " + id
                    + ", the index holds width " + d);
        }
        dim = u.length;
        try {
            writer.updateDocument(new Term(ID, id), document(id, u, meta == null ? Meta.UNKNOWN : meta));
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index write failed: " + e.getMessage(), e);
        }
    }

    private static Document document(String id, float[] unit, Meta meta) {
        Document doc = new Document();
        doc.add(new StringField(ID, id, Field.Store.YES));
        doc.add(new KnnFloatVectorField(VEC, unit, VectorSimilarityFunction.DOT_PRODUCT));
        if (meta.known()) {
            doc.add(new StringField(KNOWN, "1", Field.Store.NO));
            for (String e : meta.elements()) {
                doc.add(new StringField(EL, e, Field.Store.NO));
            }
            doc.add(new IntPoint(NEL, meta.elementCount()));
            doc.add(new IntPoint(SITES, meta.sites()));
            doc.add(new StoredField(SITES_STORED, meta.sites()));
            doc.add(new StoredField(FORMULA, meta.formula()));
            if (meta.spaceGroup() != null) {
                doc.add(new StoredField(SG, meta.spaceGroup()));
            }
        }
        return doc;
    }

    /**
     * Lucene does not change a document in place: the id's vector is read back from the last refreshed view
     * and the document rewritten with the new metadata. False when the id is not in that view.
     */
    @Override
    public boolean updateMeta(String id, Meta meta) {
        float[] v = vector(id);
        if (v == null) {
            return false;
        }
        upsert(id, v, meta);
        return true;
    }

    /** The unit vector stored for {@code id} as of the last refresh, or null. */
    public float[] vector(String id) {
        try {
            IndexSearcher s = searchers.acquire();
            try {
                TopDocs hit = s.search(new TermQuery(new Term(ID, id)), 1);
                if (hit.scoreDocs.length == 0) {
                    return null;
                }
                int doc = hit.scoreDocs[0].doc;
                for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
                    if (doc >= leaf.docBase && doc < leaf.docBase + leaf.reader().maxDoc()) {
                        FloatVectorValues vv = leaf.reader().getFloatVectorValues(VEC);
                        if (vv != null && vv.advance(doc - leaf.docBase) == doc - leaf.docBase) {
                            return vv.vectorValue().clone();
                        }
                    }
                }
                return null;
            } finally {
                searchers.release(s);
            }
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean remove(String id) {
        try {
            writer.deleteDocuments(new Term(ID, id));
            return true;
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index write failed: " + e.getMessage(), e);
        }
    }

    static Query filterQuery(SearchFilter f) {
        if (f == null || (!f.needsMeta() && f.excludeId() == null)) {
            return null;
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        b.add(f.needsMeta() ? new TermQuery(new Term(KNOWN, "1")) : new MatchAllDocsQuery(), Occur.FILTER);
        for (String e : f.include()) {
            b.add(new TermQuery(new Term(EL, e)), Occur.FILTER);
        }
        for (String e : f.exclude()) {
            b.add(new TermQuery(new Term(EL, e)), Occur.MUST_NOT);
        }
        if (f.minElements() > 0 || f.maxElements() != Integer.MAX_VALUE) {
            b.add(IntPoint.newRangeQuery(NEL, f.minElements(), f.maxElements()), Occur.FILTER);
        }
        if (f.minSites() > 0 || f.maxSites() != Integer.MAX_VALUE) {
            b.add(IntPoint.newRangeQuery(SITES, f.minSites(), f.maxSites()), Occur.FILTER);
        }
        if (f.excludeId() != null) {
            b.add(new TermQuery(new Term(ID, f.excludeId())), Occur.MUST_NOT);
        }
        return b.build();
    }

    @Override
    public List<Neighbour> search(float[] query, int k, SearchFilter filter) {
        return search(query, k, filter, params.candidates());
    }

    /** A search with {@code candidates} instead of the configured ef-search. */
    public List<Neighbour> search(float[] query, int k, SearchFilter filter, int candidates) {
        if (k < 1) {
            throw new SearchException(SearchException.BAD_REQUEST, "k must be >= 1, got " + k);
        }
        float[] q = Vectors.unit(query);
        int d = dim;
        if (d == 0) {
            return List.of();
        }
        if (q.length != d) {
            throw new SearchException(SearchException.DIMENSION, "query of width " + q.length + ", the index holds width " + d);
        }
        try {
            IndexSearcher s = searchers.acquire();
            try {
                int n = Math.max(k, candidates);
                TopDocs top = s.search(new KnnFloatVectorQuery(VEC, q, n, filterQuery(filter)), n);
                StoredFields stored = s.storedFields();
                List<Neighbour> out = new ArrayList<>(top.scoreDocs.length);
                for (ScoreDoc sd : top.scoreDocs) {
                    String id = stored.document(sd.doc, Set.of(ID)).get(ID);
                    // DOT_PRODUCT score = (1 + cos) / 2
                    out.add(new Neighbour(id, Vectors.distanceFromDot(2.0 * sd.score - 1.0)));
                }
                out.sort(Comparator.comparingDouble(Neighbour::distance).thenComparing(Neighbour::id));
                return out.size() > k ? new ArrayList<>(out.subList(0, k)) : out;
            } finally {
                searchers.release(s);
            }
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void refresh() {
        try {
            searchers.maybeRefresh();
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index refresh failed: " + e.getMessage(), e);
        }
    }

    /** Durable commit (on-disk indexes) with {@code userData} stored in it. */
    public void commit(Map<String, String> userData) {
        try {
            writer.setLiveCommitData(new HashMap<>(userData).entrySet());
            writer.commit();
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index commit failed: " + e.getMessage(), e);
        }
    }

    /** Merges into one segment (one graph: fastest searches; for batch builds). */
    public void optimize() {
        try {
            writer.forceMerge(1);
            searchers.maybeRefreshBlocking();
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index merge failed: " + e.getMessage(), e);
        }
    }

    /** Every live document as (id, unit vector, metadata), as of the last refresh: to rebuild memory state after a restart. */
    public void forEach(Entry f) {
        try {
            IndexSearcher s = searchers.acquire();
            try {
                for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
                    FloatVectorValues vv = leaf.reader().getFloatVectorValues(VEC);
                    if (vv == null) {
                        continue;
                    }
                    Bits live = leaf.reader().getLiveDocs();
                    StoredFields stored = leaf.reader().storedFields();
                    for (int doc = vv.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = vv.nextDoc()) {
                        if (live != null && !live.get(doc)) {
                            continue;
                        }
                        Document d = stored.document(doc);
                        Meta meta = Meta.UNKNOWN;
                        if (d.getField(SITES_STORED) != null) {
                            meta = Meta.ofFormula(d.get(FORMULA), d.getField(SITES_STORED).numericValue().intValue(), d.get(SG));
                        }
                        f.accept(d.get(ID), vv.vectorValue().clone(), meta);
                    }
                }
            } finally {
                searchers.release(s);
            }
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index read failed: " + e.getMessage(), e);
        }
    }

    /** Receives the documents of {@link #forEach}. */
    @FunctionalInterface
    public interface Entry {
        void accept(String id, float[] unitVector, Meta meta);
    }

    @Override
    public int size() {
        try {
            IndexSearcher s = searchers.acquire();
            try {
                return s.getIndexReader().numDocs();
            } finally {
                searchers.release(s);
            }
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public int dimension() {
        return dim;
    }

    @Override
    public String kind() {
        return "hnsw";
    }

    public Params params() {
        return params;
    }

    /** A read-only view of this index that searches with {@code candidates} (benchmarks: recall vs ef). */
    public VectorIndex withCandidates(int candidates) {
        HnswIndex self = this;
        return new VectorIndex() {
            @Override public void upsert(String id, float[] vector, Meta meta) { throw new UnsupportedOperationException("read-only view"); }
            @Override public boolean updateMeta(String id, Meta meta) { throw new UnsupportedOperationException("read-only view"); }
            @Override public boolean remove(String id) { throw new UnsupportedOperationException("read-only view"); }
            @Override public List<Neighbour> search(float[] q, int k, SearchFilter f) { return self.search(q, k, f, candidates); }
            @Override public int size() { return self.size(); }
            @Override public int dimension() { return self.dimension(); }
            @Override public String kind() { return "hnsw"; }
            @Override public void close() { }
        };
    }

    @Override
    public void close() {
        try {
            searchers.close();
            writer.close();
            dir.close();
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "index close failed: " + e.getMessage(), e);
        }
    }

}
