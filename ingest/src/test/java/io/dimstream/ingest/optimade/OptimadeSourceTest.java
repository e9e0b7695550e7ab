package io.dimstream.ingest.optimade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dimstream.core.cif.CifParser;
import io.dimstream.core.crystal.Element;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import io.dimstream.ingest.CollectingSink;
import io.dimstream.ingest.InMemoryIngestState;
import io.dimstream.ingest.IngestException;
import io.dimstream.ingest.IngestStats;
import io.dimstream.ingest.Ingestor;
import io.dimstream.ingest.Watermark;
import io.dimstream.schemas.CrystalSubmission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OptimadeSourceTest {
    private OptimadeTestServer server;
    private final List<Duration> sleeps = new ArrayList<>();
    private OptimadeClient client;

    @BeforeEach
    void setUp() throws Exception {
        server = new OptimadeTestServer();
        for (ObjectNode e : OptimadeTestServer.fixture()) {
            server.put(e);
        }
        client = new OptimadeClient(4, Duration.ofMillis(100), Duration.ofSeconds(30), Duration.ofSeconds(10), sleeps::add);
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private OptimadeSource source(int pageLimit) {
        return new OptimadeSource(server.baseUrl(), null, pageLimit, "", client);
    }

    private static Map<String, CrystalSubmission> byId(CollectingSink sink) {
        return sink.submissions().stream().collect(Collectors.toMap(CrystalSubmission::getId, s -> s, (a, b) -> b));
    }

    @Test
    void readsAllPagesFollowingLinksNext() throws Exception {
        CollectingSink sink = new CollectingSink();
        InMemoryIngestState state = new InMemoryIngestState();
        OptimadeSource src = source(2);
        IngestStats stats = new Ingestor(src, sink, state, null).runOnce();
        assertEquals(9, stats.read());
        assertEquals(9, stats.produced());
        assertEquals(0, stats.bad());
        assertEquals(9, byId(sink).size());
        // 9 entries at 2 per page = 5 pages, both links.next forms (string / {href}) are used by the server
        assertEquals(5, server.requests().size());
        assertTrue(server.requests().get(0).contains("response_fields="));
        assertFalse(server.requests().get(0).contains("filter="), "first pass has no watermark filter");
        // the watermark is the largest (last_modified, id): cod-1501508 < mp-188 < mp-189 at 2020-01-05
        assertEquals(Watermark.of("last_modified", "2020-01-05T00:00:00Z", "id", "mp-189"), state.watermark(io.dimstream.ingest.Ingestor.stateKey(src.key(), "crystals.raw")).orElseThrow());
        CrystalSubmission s = byId(sink).get("mp-170");
        assertEquals("cif", s.getFormat());
        assertEquals("2020-01-01T00:00:00Z", s.getMetadata().get("last_modified"));
        assertEquals(64, s.getMetadata().get("sha256").length());
        assertTrue(s.getPayload().contains("_cell_length_a   3.735261000000"), s.getPayload());
    }

    @Test
    void disorderedSpeciesBecomePartialOccupancies() throws Exception {
        CollectingSink sink = new CollectingSink();
        new Ingestor(source(20), sink, new InMemoryIngestState(), null).runOnce();
        CrystalSubmission pmn = byId(sink).get("cod-1501508");
        assertEquals("false", pmn.getMetadata().get("ordered"));
        String cif = pmn.getPayload();
        assertTrue(cif.contains("Mg  Mg1  0.500000000000  0.500000000000  0.500000000000  0.25\n"), cif);
        assertTrue(cif.contains("Nb  Nb1  0.500000000000  0.500000000000  0.500000000000  0.5\n"), cif);
        assertTrue(cif.contains("Ti  Ti1  0.500000000000  0.500000000000  0.500000000000  0.25\n"), cif);
        assertTrue(cif.contains("O  O3  0.000000000000  0.500000000000  0.500000000000  1\n"), cif);
        assertTrue(cif.contains("_cell_angle_gamma   90.000000000000"), cif);
        // read back: one disordered B site Mg 0.25 + Nb 0.5 + Ti 0.25, the rest full
        Structure back = new CifParser().parse(cif, "pmn").get(0);
        Site b = back.sites().stream().filter(x -> x.species().size() == 3).findFirst().orElseThrow();
        assertEquals(0.25, b.species().get(Species.of(Element.Mg)), 1e-12);
        assertEquals(0.5, b.species().get(Species.of(Element.Nb)), 1e-12);
        assertEquals(0.25, b.species().get(Species.of(Element.Ti)), 1e-12);
        assertEquals(1, back.sites().stream().filter(x -> x.species().size() > 1).count());
    }

    @Test
    void incrementalPassesProduceOnlyNewAndChanged() throws Exception {
        CollectingSink sink = new CollectingSink();
        InMemoryIngestState state = new InMemoryIngestState();
        OptimadeSource src = source(3);
        Ingestor ing = new Ingestor(src, sink, state, null);
        ing.runOnce();
        assertEquals(9, sink.submissions().size());
        server.requests.clear();

        // nothing new: the pass asks from the watermark (inclusive) and produces nothing
        ing.runOnce();
        assertEquals(9, sink.submissions().size());
        assertTrue(server.requests().get(0).contains("filter=last_modified%3E%3D%222020-01-05T00%3A00%3A00Z%22"),
                server.requests().get(0));

        // a new structure at the watermark's timestamp with a larger id, a changed one, and a re-touched one
        List<ObjectNode> fx = OptimadeTestServer.fixture();
        ObjectNode newSameTime = fx.get(0).deepCopy();
        newSameTime.put("id", "mp-9999");
        ((ObjectNode) newSameTime.get("attributes")).put("last_modified", "2020-01-05T00:00:00Z");
        server.put(newSameTime);
        ObjectNode changed = fx.get(1).deepCopy();
        ObjectNode ca = (ObjectNode) changed.get("attributes");
        ca.put("last_modified", "2020-02-01T00:00:00Z");
        ((ArrayNode) ca.get("lattice_vectors").get(0)).set(0, ca.get("lattice_vectors").get(0).get(0).asDouble() * 1.01);
        server.put(changed);
        ObjectNode touched = fx.get(2).deepCopy();
        ((ObjectNode) touched.get("attributes")).put("last_modified", "2020-02-02T00:00:00Z");
        server.put(touched);

        IngestStats stats = ing.runOnce();
        assertEquals(11, sink.submissions().size(), "mp-9999 and the changed " + changed.get("id").asText());
        List<String> last2 = sink.submissions().subList(9, 11).stream().map(CrystalSubmission::getId).sorted().toList();
        assertEquals(List.of(changed.get("id").asText(), "mp-9999"), last2);
        assertEquals(1, stats.unchanged(), "the re-touched structure has the same content");
        assertEquals(Watermark.of("last_modified", "2020-02-02T00:00:00Z", "id", touched.get("id").asText()),
                state.watermark(io.dimstream.ingest.Ingestor.stateKey(src.key(), "crystals.raw")).orElseThrow());
    }

    @Test
    void followModePicksUpNewEntriesUntilStopped() throws Exception {
        CollectingSink sink = new CollectingSink();
        Ingestor ing = new Ingestor(source(4), sink, new InMemoryIngestState(), null);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread t = new Thread(() -> ing.follow(Duration.ofMillis(100), stop::get));
        t.start();
        try {
            waitFor(() -> sink.submissions().size() == 9);
            ObjectNode late = OptimadeTestServer.fixture().get(3).deepCopy();
            late.put("id", "mp-late");
            ((ObjectNode) late.get("attributes")).put("last_modified", "2021-06-01T12:00:00Z");
            server.put(late);
            waitFor(() -> sink.submissions().size() == 10);
            assertEquals("mp-late", sink.submissions().get(9).getId());
        } finally {
            stop.set(true);
            t.join(5000);
        }
        assertFalse(t.isAlive());
        assertTrue(ing.stats().passes() >= 2);
        assertEquals(10, ing.stats().produced());
    }

    private static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!cond.getAsBoolean() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(cond.getAsBoolean(), "condition not met in 10 s");
    }

    @Test
    void retriesOn429HonouringRetryAfterAnd5xxWithBackoff() throws Exception {
        server.fault(429, "2", null);
        server.fault(503, null, "{\"errors\":[]}");
        server.fault(200, null, "<html>gateway hiccup</html>");
        CollectingSink sink = new CollectingSink();
        IngestStats stats = new Ingestor(source(20), sink, new InMemoryIngestState(), null).runOnce();
        assertEquals(9, stats.produced());
        assertEquals(3, client.retries());
        assertEquals(Duration.ofSeconds(2), sleeps.get(0), "Retry-After: 2 honoured");
        // exponential backoff with +-25 % jitter: attempt 1 -> 200 ms, attempt 2 -> 400 ms
        assertTrue(sleeps.get(1).toMillis() >= 150 && sleeps.get(1).toMillis() <= 250, sleeps.toString());
        assertTrue(sleeps.get(2).toMillis() >= 300 && sleeps.get(2).toMillis() <= 500, sleeps.toString());
        assertEquals(4, server.requests().size());
    }

    @Test
    void givesUpAfterMaxAttemptsAndFailsThePass() {
        for (int i = 0; i < 4; i++) {
            server.fault(500, null, null);
        }
        IngestException e = assertThrows(IngestException.class,
                () -> new Ingestor(source(20), new CollectingSink(), new InMemoryIngestState(), null).runOnce());
        assertEquals("optimade.http_status", e.code());
        assertTrue(e.getMessage().contains("gave up after 4 attempts"), e.getMessage());
    }

    @Test
    void everySpellingOfTheBaseUrlIsOneSourceWithTheSameRequests() throws Exception {
        String base = server.baseUrl();
        List<String> forms = List.of(base, base + "/", base + "/v1", base + "/v1/", base + "/v1/structures",
                base + "/v1/structures/", " " + base + "/v1/structures?page_limit=5 ");
        InMemoryIngestState state = new InMemoryIngestState();
        CollectingSink sink = new CollectingSink();
        String key = null;
        for (String form : forms) {
            OptimadeSource src = new OptimadeSource(form, null, 20, "", client);
            assertEquals(base, src.baseUrl(), form);
            key = key == null ? src.key() : key;
            assertEquals(key, src.key(), form + " is the same source");
            new Ingestor(src, sink, state, null).runOnce();
        }
        assertEquals(9, sink.submissions().size(), "the later spellings resume from the first one's watermark");
        assertTrue(server.requests().stream().allMatch(r -> r.startsWith("/v1/structures?")), server.requests().toString());
        assertEquals("https://x.org/optimade", OptimadeSource.normalizeBaseUrl("HTTPS://X.org/optimade/v1.2/structures//"));
        assertEquals(key + ";id_prefix=mp:", new OptimadeSource(base, null, 20, "mp:", client).key(), "the prefix is part of the key");
    }

    @Test
    void aConnectionFailureSaysWhatAndWhere() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        OptimadeClient once = new OptimadeClient(2, Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofSeconds(5), sleeps::add);
        IngestException e = assertThrows(IngestException.class, () -> new Ingestor(
                new OptimadeSource("http://127.0.0.1:" + port + "/v1/structures", null, 20, "", once),
                new CollectingSink(), new InMemoryIngestState(), null).runOnce());
        assertEquals("optimade.io", e.code());
        assertTrue(e.getMessage().startsWith("http://127.0.0.1:" + port + "/v1/structures?page_limit=20&"), e.getMessage());
        assertTrue(e.getMessage().contains(": ConnectException: cannot connect to 127.0.0.1:" + port), e.getMessage());
        assertTrue(e.getMessage().endsWith("(gave up after 2 attempts)"), e.getMessage());
        assertFalse(e.getMessage().contains("  "), "no empty exception text: " + e.getMessage());
    }

    @Test
    void clientErrorsAreNotRetried() {
        server.fault(400, null, "{\"errors\":[{\"title\":\"Bad Request\",\"detail\":\"filter syntax\"}]}");
        IngestException e = assertThrows(IngestException.class,
                () -> new Ingestor(source(20), new CollectingSink(), new InMemoryIngestState(), null).runOnce());
        assertTrue(e.getMessage().contains("HTTP 400 Bad Request filter syntax"), e.getMessage());
        assertEquals(1, server.requests().size());
    }

    @Test
    void badEntriesAreReportedAndCountedWhileTheRestIsIngested() throws Exception {
        List<ObjectNode> fx = OptimadeTestServer.fixture();
        ObjectNode unknown = fx.get(0).deepCopy();
        unknown.put("id", "bad-x");
        ObjectNode ua = (ObjectNode) unknown.get("attributes");
        ((ObjectNode) ua.get("species").get(0)).putArray("chemical_symbols").add("X");
        server.put(unknown);
        ObjectNode slab = fx.get(1).deepCopy();
        slab.put("id", "bad-slab");
        ((ObjectNode) slab.get("attributes")).putArray("dimension_types").add(1).add(1).add(0);
        server.put(slab);
        ObjectNode missing = fx.get(2).deepCopy();
        missing.put("id", "bad-missing");
        ((ObjectNode) missing.get("attributes")).remove("cartesian_site_positions");
        server.put(missing);
        CollectingSink sink = new CollectingSink();
        IngestStats stats = new Ingestor(source(4), sink, new InMemoryIngestState(), null).runOnce();
        assertEquals(9, stats.produced());
        assertEquals(3, stats.bad());
        assertEquals(Map.of("optimade.unknown_symbol", 1L, "optimade.non_periodic", 1L, "optimade.missing_field", 1L), stats.badByType());
        assertNull(byId(sink).get("bad-x"));
    }
}
