package io.dimstream.search;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;

/**
 * What is known of each structure id (from {@code crystals.features}: formula, sites; space group from a
 * table), in memory and in a small Lucene index under {@code <data.dir>/meta}. Its commits carry the
 * service's checkpoint (consumer offsets, serving version) as user data: the checkpoint is durable exactly
 * when the metadata it covers is.
 */
final class MetaStore implements AutoCloseable {

    private final Directory dir;
    private final IndexWriter writer;
    private final Map<String, Meta> metas = new ConcurrentHashMap<>();
    private final Map<String, String> committed;

    MetaStore(Path path) {
        try {
            Files.createDirectories(path);
            this.dir = FSDirectory.open(path);
            this.committed = DirectoryReader.indexExists(dir) ? new HashMap<>(SegmentInfos.readLatestCommit(dir).getUserData()) : Map.of();
            this.writer = new IndexWriter(dir, new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
            try (DirectoryReader r = DirectoryReader.open(writer)) {
                for (LeafReaderContext leaf : r.leaves()) {
                    Bits live = leaf.reader().getLiveDocs();
                    StoredFields sf = leaf.reader().storedFields();
                    for (int d = 0; d < leaf.reader().maxDoc(); d++) {
                        if (live == null || live.get(d)) {
                            Document doc = sf.document(d);
                            metas.put(doc.get("id"), Meta.ofFormula(doc.get("formula"),
                                    doc.getField("sites").numericValue().intValue(), doc.get("sg")));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "cannot open the metadata index in " + path + ": " + e.getMessage(), e);
        }
    }

    /** The user data of the last commit when the store was opened (the checkpoint; empty on a fresh start). */
    Map<String, String> checkpoint() {
        return committed;
    }

    Meta get(String id) {
        return metas.get(id);
    }

    int size() {
        return metas.size();
    }

    /** Stores {@code meta}; false when it was already known as such. */
    boolean put(String id, Meta meta) {
        Meta old = metas.put(id, meta);
        if (meta.equals(old)) {
            return false;
        }
        Document doc = new Document();
        doc.add(new StringField("id", id, Field.Store.YES));
        doc.add(new StoredField("formula", meta.formula()));
        doc.add(new StoredField("sites", meta.sites()));
        if (meta.spaceGroup() != null) {
            doc.add(new StoredField("sg", meta.spaceGroup()));
        }
        try {
            writer.updateDocument(new Term("id", id), doc);
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "metadata write failed: " + e.getMessage(), e);
        }
        return true;
    }

    void commit(Map<String, String> userData) {
        try {
            writer.setLiveCommitData(new HashMap<>(userData).entrySet());
            writer.commit();
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "metadata commit failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            writer.close();
            dir.close();
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "metadata close failed: " + e.getMessage(), e);
        }
    }
}
