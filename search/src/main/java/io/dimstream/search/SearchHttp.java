package io.dimstream.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dimstream.core.cif.CifParser;
import io.dimstream.core.crystal.Element;
import io.dimstream.core.io.RawCif;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's HTTP side on the JDK's built-in server (no extra dependency): the JSON API under
 * {@code /api/}, the page ({@code /}, plain HTML + JS from the classpath) and {@code /health},
 * {@code /ready}. Bad input is answered {@code 4xx} with {@code {"error": code, "message": reason}} (the
 * parser's reason for a bad CIF), never a stack trace. See docs/search.md for the API.
 */
final class SearchHttp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SearchHttp.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html", "/index.html", "index.html", "/app.js", "app.js", "/style.css", "style.css");

    private final HttpServer server;
    private final ExecutorService pool;
    private final SearchService service;
    private final SearchConfig cfg;

    private SearchHttp(HttpServer server, ExecutorService pool, SearchService service, SearchConfig cfg) {
        this.server = server;
        this.pool = pool;
        this.service = service;
        this.cfg = cfg;
    }

    static SearchHttp start(SearchConfig cfg, SearchService service) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(cfg.getString(SearchConfig.HTTP_BIND),
                    cfg.getInt(SearchConfig.HTTP_PORT)), 64);
            ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(null, r, "search-http", 16L << 20);
                t.setDaemon(true);
                return t;
            });
            s.setExecutor(pool);
            SearchHttp h = new SearchHttp(s, pool, service, cfg);
            s.createContext("/", h::handle);
            s.start();
            LOG.info("search: page and API on {}", h.url());
            return h;
        } catch (IOException e) {
            throw new SearchException(SearchException.INDEX_IO, "cannot listen on " + cfg.getString(SearchConfig.HTTP_BIND)
                    + ":" + cfg.getInt(SearchConfig.HTTP_PORT) + ": " + e.getMessage(), e);
        }
    }

    String url() {
        var a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return "http://" + host + ":" + a.getPort() + "/";
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            try {
                if (STATIC.containsKey(path) && method.equals("GET")) {
                    resource(ex, STATIC.get(path));
                } else if (path.equals("/health")) {
                    send(ex, 200, JSON.createObjectNode().put("status", service.failure() == null ? "UP" : "DOWN"));
                } else if (path.equals("/ready")) {
                    boolean ready = service.caughtUp() && service.state().serving() != null;
                    send(ex, ready ? 200 : 503, JSON.createObjectNode().put("ready", ready));
                } else if (path.equals("/api/status")) {
                    send(ex, 200, status());
                } else if (path.equals("/api/search") || path.equals("/api/duplicates")) {
                    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
                    boolean dup = path.equals("/api/duplicates");
                    if (method.equals("GET")) {
                        send(ex, 200, byId(q, dup));
                    } else if (method.equals("POST")) {
                        send(ex, 200, byCif(q, body(ex), dup));
                    } else {
                        error(ex, 405, SearchException.BAD_REQUEST, "use GET ?id=... or POST a CIF");
                    }
                } else {
                    error(ex, 404, "search.not_found", "no such page: " + path);
                }
            } catch (SearchException e) {
                int code = switch (e.code()) {
                    case SearchException.UNKNOWN_ID -> 404;
                    case SearchException.NOT_SERVING, SearchException.NO_MODEL -> 503;
                    case SearchException.INDEX_IO -> 500;
                    default -> 400;
                };
                error(ex, code, e.code(), e.getMessage());
            } catch (TooLarge e) {
                error(ex, 413, "search.too_large", e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("search: {} {} failed: {}", method, io.dimstream.core.LogSafe.escape(path), io.dimstream.core.LogSafe.escape(e));
                error(ex, 500, "search.internal", String.valueOf(e.getMessage()));
            }
        }
    }

    private ObjectNode status() {
        SearchState st = service.state();
        ObjectNode o = JSON.createObjectNode();
        SearchState.Serving s = st.serving();
        if (s == null) {
            o.putNull("serving_version");
        } else {
            o.put("serving_version", s.version());
        }
        o.put("model_name", cfg.getString(SearchConfig.MODEL_NAME));
        o.put("index", cfg.getString(SearchConfig.INDEX_TYPE));
        ObjectNode per = o.putObject("embeddings_per_version");
        st.sizes().forEach((v, n) -> per.put(String.valueOf(v), n));
        ArrayNode pending = o.putArray("pending_versions");
        st.pending().forEach(pending::add);
        o.put("backfill", service.backfillSignal());
        o.put("structures_with_metadata", st.metaCount());
        ObjectNode dl = o.putObject("dead_letters");
        st.deadLetters().forEach(dl::put);
        long now = System.currentTimeMillis();
        o.put("throughput_per_s", Math.round(st.stats().throughput(now) * 10) / 10.0);
        o.put("embeddings_indexed", st.stats().total());
        ObjectNode fr = o.putObject("freshness_ms");
        fr.put("count", st.stats().freshnessCount());
        fr.put("p50", st.stats().freshnessPercentile(0.5));
        fr.put("p99", st.stats().freshnessPercentile(0.99));
        o.put("switches", st.switches());
        o.put("caught_up", service.caughtUp());
        o.put("duplicate_threshold", cfg.getDouble(SearchConfig.DUPLICATES_THRESHOLD));
        o.put("duplicates_reported", service.duplicatesReported());
        return o;
    }

    private ObjectNode byId(Map<String, String> q, boolean dup) {
        String id = q.get("id");
        if (id == null || id.isBlank()) {
            throw new SearchException(SearchException.BAD_REQUEST, "give ?id=<structure id>, or POST a CIF");
        }
        int k = dup ? 10 : k(q);
        SearchState.Result r = service.state().byId(id.trim(), k, dup ? SearchFilter.NONE : filter(q), exact(q));
        ObjectNode o = result(r, dup);
        Meta m = service.state().meta(r.query());
        o.set("query_meta", meta(m));
        return o;
    }

    private ObjectNode byCif(Map<String, String> q, String cif, boolean dup) {
        if (cif.isBlank()) {
            throw new SearchException(SearchException.BAD_REQUEST, "the request body is empty: POST the CIF text");
        }
        SearchState.Serving s = service.state().serving();
        if (s == null) {
            throw new SearchException(SearchException.NOT_SERVING, "no embeddings indexed yet");
        }
        CifEmbedder embedder = new CifEmbedder(service.models().encoder(s.version()), 1);
        String label = q.getOrDefault("name", "uploaded");
        List<CifEmbedder.Failure> failures = new ArrayList<>();
        List<CifEmbedder.Embedded> got = embedder.embed(List.of(new RawCif(label, "upload", cif, Map.of())), failures::add);
        if (got.isEmpty()) {
            CifEmbedder.Failure f = failures.isEmpty() ? new CifEmbedder.Failure(label, SearchException.BAD_REQUEST, "no structure")
                    : failures.get(0);
            throw new SearchException(f.code(), f.message());
        }
        CifEmbedder.Embedded e = got.get(0);
        int k = dup ? 10 : k(q);
        SearchState.Result r = service.state().byVector(e.id(), embedder.modelVersion(), e.vector(), k,
                dup ? SearchFilter.NONE : filter(q), exact(q));
        ObjectNode o = result(r, dup);
        o.set("query_meta", meta(e.meta()));
        if (got.size() > 1) {
            o.put("note", "the CIF holds " + got.size() + " structures; the first (" + e.id() + ") was searched");
        }
        return o;
    }

    private ObjectNode result(SearchState.Result r, boolean dup) {
        double threshold = cfg.getDouble(SearchConfig.DUPLICATES_THRESHOLD);
        ObjectNode o = JSON.createObjectNode();
        o.put("query", r.query());
        o.put("model_version", r.modelVersion());
        o.put("index", r.index());
        if (dup) {
            o.put("threshold", threshold);
        }
        ArrayNode a = o.putArray(dup ? "duplicates" : "neighbours");
        for (Neighbour n : r.neighbours()) {
            if (dup && n.distance() > threshold) {
                break;
            }
            ObjectNode x = a.addObject();
            x.put("id", n.id());
            x.put("distance", n.distance());
            Meta m = service.state().meta(n.id());
            x.put("formula", m == null ? null : m.formula());
            x.put("space_group", m == null ? null : m.spaceGroup());
            if (m != null && m.known()) {
                x.put("sites", m.sites());
            } else {
                x.putNull("sites");
            }
        }
        if (dup) {
            o.put("is_duplicate", a.size() > 0);
        }
        return o;
    }

    private static ObjectNode meta(Meta m) {
        ObjectNode o = JSON.createObjectNode();
        if (m == null || !m.known()) {
            return o;
        }
        o.put("formula", m.formula());
        o.put("sites", m.sites());
        o.put("space_group", m.spaceGroup());
        return o;
    }

    private int k(Map<String, String> q) {
        String s = q.getOrDefault("k", "10").trim();
        int k;
        try {
            k = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new SearchException(SearchException.BAD_REQUEST, "k must be a whole number, got '" + s + "'");
        }
        int max = cfg.getInt(SearchConfig.MAX_K);
        if (k < 1 || k > max) {
            throw new SearchException(SearchException.BAD_REQUEST, "k must be between 1 and " + max + ", got " + k);
        }
        return k;
    }

    private boolean exact(Map<String, String> q) {
        String e = q.get("exact");
        if (e == null || e.isBlank()) {
            return cfg.getString(SearchConfig.INDEX_TYPE).equals("exact");
        }
        if (!e.equals("true") && !e.equals("false")) {
            throw new SearchException(SearchException.BAD_REQUEST, "exact must be true or false, got '" + e + "'");
        }
        return e.equals("true");
    }

    /** Filters from {@code include}, {@code exclude} (element lists), {@code elements} and {@code sites} (ranges). */
    static SearchFilter filter(Map<String, String> q) {
        Set<String> include = elements("include", q.get("include"));
        Set<String> exclude = elements("exclude", q.get("exclude"));
        int[] nel = range("elements", q.get("elements"));
        int[] sites = range("sites", q.get("sites"));
        return new SearchFilter(include, exclude, nel[0], nel[1], sites[0], sites[1], null);
    }

    private static Set<String> elements(String name, String v) {
        Set<String> out = new LinkedHashSet<>();
        if (v == null || v.isBlank()) {
            return out;
        }
        for (String s : v.split("[,\\s]+")) {
            if (s.isBlank()) {
                continue;
            }
            Element e = Element.bySymbolIgnoreCase(s.trim()).orElseThrow(() -> new SearchException(SearchException.BAD_REQUEST,
                    name + ": '" + s.trim() + "' is not an element symbol"));
            out.add(e.symbol());
        }
        return out;
    }

    /** {@code n}, {@code lo-hi}, {@code lo-} or {@code -hi} (inclusive). */
    static int[] range(String name, String v) {
        if (v == null || v.isBlank()) {
            return new int[] {0, Integer.MAX_VALUE};
        }
        String s = v.trim().replace("..", "-");
        try {
            int dash = s.indexOf('-');
            if (dash < 0) {
                int n = Integer.parseInt(s);
                return new int[] {n, n};
            }
            String lo = s.substring(0, dash).trim();
            String hi = s.substring(dash + 1).trim();
            return new int[] {lo.isEmpty() ? 0 : Integer.parseInt(lo), hi.isEmpty() ? Integer.MAX_VALUE : Integer.parseInt(hi)};
        } catch (NumberFormatException e) {
            throw new SearchException(SearchException.BAD_REQUEST, name + " must be n, lo-hi, lo- or -hi, got '" + v + "'");
        }
    }

    static Map<String, String> query(String raw) {
        Map<String, String> m = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return m;
        }
        for (String p : raw.split("&")) {
            int eq = p.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8);
            m.put(k, v);
        }
        return m;
    }

    private static final class TooLarge extends RuntimeException {
        TooLarge(String m) {
            super(m, null, false, false);
        }
    }

    private static String body(HttpExchange ex) throws IOException {
        int max = CifParser.MAX_TEXT_CHARS;
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(max + 1);
            if (b.length > max) {
                throw new TooLarge("the CIF is larger than " + max + " bytes");
            }
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    private static void resource(HttpExchange ex, String name) throws IOException {
        try (InputStream in = SearchHttp.class.getResourceAsStream("web/" + name)) {
            if (in == null) {
                error(ex, 404, "search.not_found", name);
                return;
            }
            byte[] b = in.readAllBytes();
            String type = name.endsWith(".html") ? "text/html; charset=utf-8"
                    : name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            ex.getResponseHeaders().set("Content-Type", type);
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        send(ex, status, JSON.createObjectNode().put("error", code).put("message", message));
    }

    private static void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] b;
        try {
            b = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
