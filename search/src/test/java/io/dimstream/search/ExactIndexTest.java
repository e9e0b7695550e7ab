package io.dimstream.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExactIndexTest {

    @Test
    void equalsBruteForceIncludingTheExcludedQuery() {
        float[][] v = TestVectors.clustered(1500, 64, 40, 7);
        try (ExactIndex idx = new ExactIndex()) {
            for (int j = 0; j < v.length; j++) {
                idx.upsert(TestVectors.id(j), v[j], Meta.UNKNOWN);
            }
            assertEquals(1500, idx.size());
            assertEquals(64, idx.dimension());
            for (int q = 0; q < 100; q++) {
                List<Neighbour> got = idx.search(v[q], 10, SearchFilter.excluding(TestVectors.id(q)));
                assertEquals(TestVectors.bruteForce(v, v[q], 10, q), got.stream().map(Neighbour::id).toList());
                assertEquals(Vectors.cosineDistance(v[q], v[Integer.parseInt(got.get(0).id().substring(3))]),
                        got.get(0).distance(), 1e-5);
                for (int i = 1; i < got.size(); i++) {
                    assertTrue(got.get(i - 1).distance() <= got.get(i).distance());
                }
            }
            // without the exclusion the query finds itself at distance 0
            Neighbour self = idx.search(v[3], 1, SearchFilter.NONE).get(0);
            assertEquals(TestVectors.id(3), self.id());
            assertEquals(0.0, self.distance(), 1e-6);
        }
    }

    @Test
    void upsertReplacesAndRemoveForgets() {
        try (ExactIndex idx = new ExactIndex()) {
            idx.upsert("a", new float[] {1, 0}, Meta.UNKNOWN);
            idx.upsert("b", new float[] {0, 1}, Meta.UNKNOWN);
            idx.upsert("c", new float[] {1, 1}, Meta.UNKNOWN);
            assertEquals("a", idx.search(new float[] {1, 0.1f}, 1, SearchFilter.NONE).get(0).id());
            idx.upsert("a", new float[] {-1, 0}, Meta.UNKNOWN); // moved away
            assertEquals("c", idx.search(new float[] {1, 0.1f}, 1, SearchFilter.NONE).get(0).id());
            assertEquals(3, idx.size());
            assertTrue(idx.remove("c"));
            assertFalse(idx.remove("c"));
            assertEquals(2, idx.size());
            assertEquals(List.of("b", "a"), idx.search(new float[] {1, 0.1f}, 5, SearchFilter.NONE).stream().map(Neighbour::id).toList());
            assertNull(idx.vector("c"));
            assertEquals(1.0, idx.search(new float[] {0, 1}, 2, SearchFilter.NONE).get(1).distance(), 1e-6); // a ⟂ b
            assertThrows(SearchException.class, () -> idx.upsert("d", new float[] {1, 2, 3}, Meta.UNKNOWN));
            assertThrows(SearchException.class, () -> idx.upsert("d", new float[] {0, 0}, Meta.UNKNOWN));
        }
    }

    @Test
    void filtersOnElementsElementCountAndSites() {
        try (ExactIndex idx = new ExactIndex()) {
            idx.upsert("fe2o3", new float[] {1, 0, 0}, Meta.ofFormula("Fe2O3", 10, "R-3c"));
            idx.upsert("feo", new float[] {0.9f, 0.1f, 0}, Meta.ofFormula("FeO", 2, "Fm-3m"));
            idx.upsert("si", new float[] {0.8f, 0.2f, 0}, Meta.ofFormula("Si", 2, null));
            idx.upsert("lifepo4", new float[] {0.7f, 0.3f, 0}, Meta.ofFormula("LiFePO4", 28, "Pnma"));
            idx.upsert("unknown", new float[] {1, 0, 0}, Meta.UNKNOWN);
            float[] q = {1, 0, 0};
            assertEquals(List.of("fe2o3", "unknown", "feo", "si", "lifepo4"), ids(idx.search(q, 10, SearchFilter.NONE)));
            assertEquals(List.of("fe2o3", "feo", "lifepo4"),
                    ids(idx.search(q, 10, new SearchFilter(Set.of("fe"), Set.of(), 0, Integer.MAX_VALUE, 0, Integer.MAX_VALUE, null))));
            assertEquals(List.of("fe2o3", "feo", "si"),
                    ids(idx.search(q, 10, new SearchFilter(Set.of(), Set.of("P"), 0, Integer.MAX_VALUE, 0, Integer.MAX_VALUE, null))));
            assertEquals(List.of("feo", "lifepo4"),
                    ids(idx.search(q, 10, new SearchFilter(Set.of("Fe"), Set.of(), 0, Integer.MAX_VALUE, 0, Integer.MAX_VALUE, "fe2o3"))));
            assertEquals(List.of("fe2o3", "feo"),
                    ids(idx.search(q, 10, new SearchFilter(Set.of(), Set.of(), 2, 2, 0, Integer.MAX_VALUE, null))));
            assertEquals(List.of("feo", "si"),
                    ids(idx.search(q, 10, new SearchFilter(Set.of(), Set.of(), 0, Integer.MAX_VALUE, 1, 4, null))));
            assertThrows(SearchException.class, () -> new SearchFilter(Set.of("O"), Set.of("o"), 0, 1, 0, 1, null));
            assertThrows(SearchException.class, () -> new SearchFilter(Set.of(), Set.of(), 3, 2, 0, 1, null));
        }
    }

    static List<String> ids(List<Neighbour> n) {
        return n.stream().map(Neighbour::id).toList();
    }
}
