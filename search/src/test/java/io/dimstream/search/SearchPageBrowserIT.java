package io.dimstream.search;

import static io.dimstream.search.SearchIT.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import io.dimstream.core.kafka.Topics;
import io.dimstream.schemas.CrystalEmbedding;
import io.dimstream.schemas.CrystalFeatures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page in a real browser: headless Chromium (Debian package {@code chromium}; {@code .ci/run} installs
 * it) loads the page with {@code ?id=...}, whose script fills the form and presses Search; the DOM after
 * the search must hold the results table (the exact nearest neighbours, their formulas and space groups),
 * the model version and the status panel. Skipped, saying so, where no Chromium is installed.
 */
class SearchPageBrowserIT {

    static final Pattern ROW = Pattern.compile("<tr data-id=\"([^\"]+)\">(.*?)</tr>", Pattern.DOTALL);
    static final Pattern CELL = Pattern.compile("<td[^>]*>(.*?)</td>", Pattern.DOTALL);

    static String chromium() {
        for (String c : List.of(System.getenv().getOrDefault("DIMSTREAM_CHROMIUM", ""), "/usr/bin/chromium",
                "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (!c.isEmpty() && Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        return null;
    }

    /** The DOM after load and the page's fetches, by {@code chromium --headless --dump-dom}. */
    static String dumpDom(String browser, String url, Path profile) throws Exception {
        Process p = new ProcessBuilder(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--virtual-time-budget=8000", "--dump-dom", url)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium did not finish");
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void theSearchPageShowsTheNeighboursInHeadlessChromium(@TempDir Path tmp) throws Exception {
        String browser = chromium();
        Assumptions.assumeTrue(browser != null,
                "SKIPPED: no headless Chromium (apt-get install chromium, or set DIMSTREAM_CHROMIUM); .ci/run installs it");
        String prefix = "page";
        Topics topics = Topics.from(SearchIT.topicNames(prefix));
        float[][] v = TestVectors.clustered(40, 16, 4, 21);
        String[] formulas = {"NaCl", "Fe2O3", "SiO2", "LiFePO4"};
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().tempDir().build().start()) {
            Map<String, String> cfg = new HashMap<>(SearchIT.topicNames(prefix));
            cfg.put("bootstrap.servers", broker.bootstrapServers());
            cfg.put(SearchConfig.DATA_DIR, tmp.resolve("search").toString());
            cfg.put(SearchConfig.HTTP_PORT, "0");
            cfg.put("topics.partitions", "1");
            try (SearchService search = new SearchService(new SearchConfig(cfg)).start();
                 KafkaProducer<String, byte[]> producer = SearchIT.producer(broker.bootstrapServers())) {
                ExactIndex exact = new ExactIndex();
                for (int j = 0; j < v.length; j++) {
                    String id = TestVectors.id(j);
                    String formula = formulas[j % formulas.length];
                    SearchIT.send(producer, topics.features(), id, CrystalFeatures.newBuilder().setId(id).setFeaturizerVersion(1)
                            .setPrimSites(1 + j % 7).setSupercellSites(1).setSiteFeatures(java.util.Collections.nCopies(9, 0f))
                            .setDistances(List.of(0f)).setImageOf(List.of(0)).setFormula(formula).build(), CrystalFeatures.class);
                    List<Float> e = new ArrayList<>();
                    for (float x : v[j]) {
                        e.add(x);
                    }
                    SearchIT.send(producer, topics.embeddings(), id, CrystalEmbedding.newBuilder().setId(id).setEmbedding(e)
                            .setModelName("sitenet-dim").setModelVersion(1).setFeaturizerVersion(1).setBackfill(false)
                            .setSubmittedAt(Instant.now()).setEmbeddedAt(Instant.now()).build(), CrystalEmbedding.class);
                    exact.upsert(id, v[j], Meta.UNKNOWN);
                }
                producer.flush();
                waitFor("40 embeddings indexed", () -> search.state().serving() != null
                        && search.state().sizes().getOrDefault(1, 0) == 40, Duration.ofMinutes(1));

                String query = TestVectors.id(7);
                String dom = dumpDom(browser, search.url() + "?id=" + query + "&k=5", tmp.resolve("profile"));
                assertTrue(dom.contains("data-state=\"done\""), "the search completed in the page:\n" + dom);
                List<String> ids = new ArrayList<>();
                List<List<String>> cells = new ArrayList<>();
                Matcher m = ROW.matcher(dom);
                while (m.find()) {
                    ids.add(m.group(1));
                    List<String> row = new ArrayList<>();
                    Matcher c = CELL.matcher(m.group(2));
                    while (c.find()) {
                        row.add(c.group(1).replaceAll("<[^>]+>", ""));
                    }
                    cells.add(row);
                }
                List<String> expected = exact.search(v[7], 5, SearchFilter.excluding(query)).stream().map(Neighbour::id).toList();
                assertEquals(expected, ids, "the table lists the exact 5 nearest, the query excluded");
                int first = Integer.parseInt(ids.get(0).substring(3));
                assertEquals(List.of("1", ids.get(0), formulas[first % formulas.length]), cells.get(0).subList(0, 3));
                assertEquals(Vectors.cosineDistance(v[7], v[first]), Double.parseDouble(cells.get(0).get(3)), 1e-4);
                assertEquals(String.valueOf(1 + first % 7), cells.get(0).get(5), "sites");
                assertTrue(dom.contains("<span id=\"model-version\">1</span>"), "model version shown");
                assertTrue(dom.contains("5 nearest of " + query), "summary line");
                assertTrue(dom.contains("<dd id=\"st-serving\">v1 (hnsw)</dd>"), "status panel: serving version");
                assertTrue(dom.contains("v1: 40"), "status panel: embeddings per version");

                String missing = dumpDom(browser, search.url() + "?id=no-such-id", tmp.resolve("profile2"));
                assertTrue(missing.contains("search.unknown_id"), "the error is shown:\n" + missing);
                assertTrue(!ROW.matcher(missing).find(), "no rows for an unknown id");
            }
        }
    }
}
