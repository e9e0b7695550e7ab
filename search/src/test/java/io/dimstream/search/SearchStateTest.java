package io.dimstream.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchStateTest {

    static final String MODEL = "sitenet-dim";

    static SearchState open(Path dir) {
        return new SearchState(dir, HnswIndex.Params.DEFAULTS, MODEL, Map.of("b", "225"));
    }

    @Test
    void servesTheFirstVersionThenSwitchesOnlyWhenToldAndSurvivesARestart(@TempDir Path dir) {
        try (SearchState s = open(dir)) {
            assertThrows(SearchException.class, () -> s.byId("a", 5, SearchFilter.NONE, false));
            s.onFeatures("a", "NaCl", 2);
            s.onFeatures("b", "KCl", 2);
            assertNotNull(s.onEmbedding("a", MODEL, 1, new float[] {1, 0, 0}, true, 0, 0, 1000));
            assertNotNull(s.onEmbedding("b", MODEL, 1, new float[] {0.9f, 0.1f, 0}, true, 0, 0, 1000));
            assertNotNull(s.onEmbedding("c", MODEL, 1, new float[] {0, 1, 0}, false, 500, 500, 1000));
            assertNull(s.onEmbedding("d", "other-model", 1, new float[] {1, 0, 0}, false, 0, 0, 1000));
            s.refresh();
            assertEquals(1, s.serving().version(), "nothing served: the first version serves at once");
            SearchState.Result r = s.byId("a", 5, SearchFilter.NONE, false);
            assertEquals(List.of("b", "c"), r.neighbours().stream().map(Neighbour::id).toList(), "a itself excluded");
            assertEquals(1, r.modelVersion());
            assertEquals("225", s.meta("b").spaceGroup());
            assertEquals(Set.of("K", "Cl"), s.meta("b").elements());
            // c's metadata arrives after its embedding: the filter sees it
            s.onFeatures("c", "Si", 2);
            s.refresh();
            SearchFilter si = new SearchFilter(Set.of("Si"), Set.of(), 0, Integer.MAX_VALUE, 0, Integer.MAX_VALUE, null);
            for (boolean exact : new boolean[] {true, false}) {
                assertEquals(List.of("c"), s.byId("a", 5, si, exact).neighbours().stream().map(Neighbour::id).toList());
            }

            // v2 arrives (backfill): the old version keeps serving
            s.onEmbedding("a", MODEL, 2, new float[] {0, 0, 1}, true, 0, 0, 2000);
            s.onEmbedding("b", MODEL, 2, new float[] {0, 0.1f, 1}, true, 0, 0, 2000);
            s.refresh();
            assertEquals(1, s.serving().version());
            assertEquals(List.of(2), s.pending());
            assertEquals(Map.of(1, 3, 2, 2), s.sizes());
            assertEquals("b", s.byId("a", 1, SearchFilter.NONE, false).neighbours().get(0).id());
            s.switchTo(2);
            assertEquals(2, s.serving().version());
            assertEquals(List.of(), s.pending());
            assertEquals(Map.of(2, 2), s.sizes());
            assertThrows(SearchException.class, () -> s.byId("c", 1, SearchFilter.NONE, false), "c has no v2 embedding yet");
            assertNull(s.onEmbedding("c", MODEL, 1, new float[] {0, 1, 0}, false, 0, 0, 3000), "a late v1 record is ignored");
            s.onDeadLetter("parse/cif.missing_cell");
            s.onDeadLetter("parse/cif.missing_cell");
            assertTrue(Files.isDirectory(dir.resolve("v1")));
            s.checkpoint(Map.of("offsets", "crystals.embeddings:0=7"));
            assertFalse(Files.exists(dir.resolve("v1")), "the retired version is deleted at the checkpoint");
        }
        try (SearchState again = open(dir)) {
            assertEquals(2, again.serving().version());
            assertEquals(Map.of(2, 2), again.sizes());
            assertEquals("crystals.embeddings:0=7", again.checkpoint().get("offsets"));
            assertEquals(Map.of("parse/cif.missing_cell", 2L), again.deadLetters());
            assertEquals("KCl", again.meta("b").formula());
            SearchState.Result r = again.byId("a", 5, SearchFilter.NONE, false);
            assertEquals("b", r.neighbours().get(0).id());
            assertEquals(Vectors.cosineDistance(new float[] {0, 0, 1}, new float[] {0, 0.1f, 1}), r.neighbours().get(0).distance(), 1e-6);
            assertEquals("KCl", again.meta(r.neighbours().get(0).id()).formula());
        }
    }

    @Test
    void aQueryEmbeddedWithAnotherVersionIsRefused(@TempDir Path dir) {
        try (SearchState s = open(dir)) {
            s.onEmbedding("a", MODEL, 3, new float[] {1, 0}, false, 0, 0, 0);
            SearchException e = assertThrows(SearchException.class, () -> s.byVector("q", 2, new float[] {1, 0}, 1, SearchFilter.NONE, true));
            assertEquals(SearchException.NOT_SERVING, e.code());
            assertEquals("a", s.byVector("q", 3, new float[] {1, 0.2f}, 1, SearchFilter.NONE, true).neighbours().get(0).id());
        }
    }

    @Test
    void freshnessCountsLiveStructuresSubmittedWhileTheirVersionEmbedded(@TempDir Path dir) {
        try (SearchState s = open(dir)) {
            s.onEmbedding("waited", MODEL, 5, new float[] {1, 0}, false, 400, 1000, 1100);  // arrived before the model
            s.onEmbedding("fresh", MODEL, 5, new float[] {0, 1}, false, 1500, 1550, 1600);  // searchable at 1700: 200 ms
            s.onEmbedding("old", MODEL, 5, new float[] {1, 1}, true, 1600, 1650, 1800);     // backfill: not freshness
            assertEquals(0, s.stats().freshnessCount(), "searchable only after the refresh");
            s.markSearchable(1700);
            assertEquals(1, s.stats().freshnessCount());
            assertEquals(200, s.stats().freshnessPercentile(0.5));
            assertEquals(3, s.stats().total());
        }
    }

    @Test
    void httpFilterParametersParseOrFailClearly() {
        SearchFilter f = SearchHttp.filter(Map.of("include", "fe, o", "exclude", "Pb", "elements", "2-3", "sites", "-20"));
        assertEquals(Set.of("Fe", "O"), f.include());
        assertEquals(Set.of("Pb"), f.exclude());
        assertEquals(2, f.minElements());
        assertEquals(3, f.maxElements());
        assertEquals(0, f.minSites());
        assertEquals(20, f.maxSites());
        assertEquals(5, SearchHttp.range("sites", "5")[1]);
        assertEquals(Integer.MAX_VALUE, SearchHttp.range("sites", "5-")[1]);
        SearchException e = assertThrows(SearchException.class, () -> SearchHttp.filter(Map.of("include", "Fe,Xq")));
        assertEquals("include: 'Xq' is not an element symbol", e.getMessage());
        assertEquals(SearchException.BAD_REQUEST, assertThrows(SearchException.class,
                () -> SearchHttp.filter(Map.of("sites", "a-b"))).code());
        assertEquals(SearchException.BAD_REQUEST, assertThrows(SearchException.class,
                () -> SearchHttp.filter(Map.of("sites", "9-3"))).code());
    }

    @Test
    void backfillSignalNeedsEveryTask() {
        BackfillSignal s = new BackfillSignal();
        assertFalse(s.complete(1));
        s.partitions(2);
        s.record(0, "2|10|10|true|mp-9");
        assertFalse(s.complete(2), "task 1 unknown");
        s.record(1, "2|3|5|false|mp-4");
        assertFalse(s.complete(2));
        assertTrue(s.complete(1), "every task is past v1");
        s.record(1, "2|5|8|true|");
        assertTrue(s.complete(2));
        s.record(0, "3|0|0|false|");
        assertTrue(s.complete(2));
        assertFalse(s.complete(3));
    }
}
