package io.dimstream.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HnswIndexTest {

    /** recall@10 of the HNSW index against the exact one, 4,000 clustered 64-d vectors, 300 queries. */
    @Test
    void recallAt10AgainstExactIsAtLeast099() {
        float[][] v = TestVectors.clustered(4000, 64, 60, 11);
        try (HnswIndex hnsw = HnswIndex.inMemory(HnswIndex.Params.DEFAULTS); ExactIndex exact = new ExactIndex()) {
            for (int j = 0; j < v.length; j++) {
                hnsw.upsert(TestVectors.id(j), v[j], Meta.UNKNOWN);
                exact.upsert(TestVectors.id(j), v[j], Meta.UNKNOWN);
            }
            hnsw.refresh();
            assertEquals(4000, hnsw.size());
            double recall = Recall.at(hnsw, exact, v, 300, 10);
            System.out.printf("HnswIndexTest: recall@10 = %.4f (4,000 vectors, 300 queries)%n", recall);
            assertTrue(recall >= 0.99, "recall@10 " + recall);
            // the distances are the exact cosine distances of the ids found
            List<Neighbour> got = hnsw.search(v[5], 10, SearchFilter.excluding(TestVectors.id(5)));
            for (Neighbour n : got) {
                assertEquals(Vectors.cosineDistance(v[5], v[Integer.parseInt(n.id().substring(3))]), n.distance(), 1e-5);
            }
        }
    }

    @Test
    void filtersMatchTheExactIndex() {
        float[][] v = TestVectors.clustered(600, 16, 10, 3);
        String[] formulas = {"Fe2O3", "FeO", "Si", "LiFePO4", "NaCl", "MgO", "SiO2"};
        try (HnswIndex hnsw = HnswIndex.inMemory(HnswIndex.Params.DEFAULTS); ExactIndex exact = new ExactIndex()) {
            for (int j = 0; j < v.length; j++) {
                Meta m = j % 50 == 0 ? Meta.UNKNOWN : Meta.ofFormula(formulas[j % formulas.length], 1 + j % 30, null);
                hnsw.upsert(TestVectors.id(j), v[j], m);
                exact.upsert(TestVectors.id(j), v[j], m);
            }
            hnsw.refresh();
            List<SearchFilter> filters = List.of(
                    SearchFilter.excluding(TestVectors.id(1)),
                    new SearchFilter(Set.of("Fe"), Set.of(), 0, Integer.MAX_VALUE, 0, Integer.MAX_VALUE, TestVectors.id(1)),
                    new SearchFilter(Set.of(), Set.of("O"), 0, Integer.MAX_VALUE, 0, Integer.MAX_VALUE, null),
                    new SearchFilter(Set.of("O"), Set.of("Fe"), 2, 2, 5, 20, null),
                    new SearchFilter(Set.of(), Set.of(), 3, 4, 0, 10, null));
            for (SearchFilter f : filters) {
                for (int q = 0; q < 20; q++) {
                    assertEquals(ExactIndexTest.ids(exact.search(v[q], 10, f)), ExactIndexTest.ids(hnsw.search(v[q], 10, f)), f.toString());
                }
            }
        }
    }

    @Test
    void persistsAndReopensWithItsCommitData(@TempDir Path dir) {
        float[][] v = TestVectors.clustered(300, 8, 5, 5);
        try (HnswIndex hnsw = HnswIndex.open(dir, HnswIndex.Params.DEFAULTS)) {
            for (int j = 0; j < v.length; j++) {
                hnsw.upsert(TestVectors.id(j), v[j], Meta.ofFormula("NaCl", 2, "Fm-3m"));
            }
            hnsw.upsert(TestVectors.id(0), v[1], Meta.ofFormula("KCl", 2, null)); // replaced
            hnsw.remove(TestVectors.id(2));
            hnsw.commit(Map.of("offsets", "crystals.embeddings-0=300"));
        }
        assertEquals(Map.of("offsets", "crystals.embeddings-0=300"), HnswIndex.committedUserData(dir));
        try (HnswIndex again = HnswIndex.open(dir, HnswIndex.Params.DEFAULTS)) {
            assertEquals(299, again.size());
            assertEquals(8, again.dimension());
            Map<String, Meta> metas = new HashMap<>();
            Set<String> ids = new HashSet<>();
            again.forEach((id, vec, meta) -> {
                ids.add(id);
                metas.put(id, meta);
                assertEquals(1.0, Math.sqrt(Vectors.dot(vec, vec, 0)), 1e-5);
            });
            assertEquals(299, ids.size());
            assertEquals("KCl", metas.get(TestVectors.id(0)).formula());
            assertEquals(Set.of("K", "Cl"), metas.get(TestVectors.id(0)).elements());
            assertEquals("Fm-3m", metas.get(TestVectors.id(5)).spaceGroup());
            assertEquals(TestVectors.id(0), again.search(v[1], 2, SearchFilter.excluding(TestVectors.id(1))).get(0).id());
            // metadata replaced in place (the vector read back): now found by an element filter
            SearchFilter li = new SearchFilter(Set.of("Li"), Set.of(), 0, Integer.MAX_VALUE, 0, Integer.MAX_VALUE, null);
            assertTrue(again.search(v[7], 5, li).isEmpty());
            assertTrue(again.updateMeta(TestVectors.id(7), Meta.ofFormula("LiF", 2, null)));
            again.refresh();
            List<Neighbour> found = again.search(v[3], 5, li);
            assertEquals(List.of(TestVectors.id(7)), found.stream().map(Neighbour::id).toList());
            assertEquals(Vectors.cosineDistance(v[3], v[7]), found.get(0).distance(), 1e-5);
            assertEquals(false, again.updateMeta("no-such-id", Meta.UNKNOWN));
        }
    }
}
