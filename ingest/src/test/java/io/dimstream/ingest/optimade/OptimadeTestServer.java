package io.dimstream.ingest.optimade;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small OPTIMADE v1 server on 127.0.0.1 for tests: {@code GET /v1/structures} with {@code filter}
 * ({@code last_modified > / >= "..."} only), {@code page_limit}, offset pagination through absolute
 * {@code links.next} URLs, {@code response_fields}, and the JSON:API envelope (data, links, meta). Faults can
 * be queued: an HTTP status with an optional Retry-After, or a garbage body.
 */
final class OptimadeTestServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LM = Pattern.compile("last_modified\\s*(>=|>)\\s*\"([^\"]+)\"");

    record Fault(int status, String retryAfter, String body) {
    }

    private final HttpServer server;
    private final List<ObjectNode> entries = new ArrayList<>();
    private final Deque<Fault> faults = new ArrayDeque<>();
    final List<String> requests = new ArrayList<>();

    OptimadeTestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/structures", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Loads the bundled resources (real MP structures + the disordered COD one). */
    static List<ObjectNode> fixture() throws IOException {
        try (InputStream in = OptimadeTestServer.class.getResourceAsStream("/optimade/structures.json")) {
            List<ObjectNode> out = new ArrayList<>();
            for (JsonNode n : JSON.readTree(in)) {
                out.add((ObjectNode) n);
            }
            return out;
        }
    }

    synchronized void put(ObjectNode entry) {
        String id = entry.get("id").asText();
        entries.removeIf(e -> e.get("id").asText().equals(id));
        entries.add(entry);
    }

    synchronized void fault(int status, String retryAfter, String body) {
        faults.add(new Fault(status, retryAfter, body));
    }

    synchronized List<String> requests() {
        return new ArrayList<>(requests);
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            Fault f;
            List<ObjectNode> page;
            String next = null;
            int total;
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            synchronized (this) {
                requests.add(ex.getRequestURI().toString());
                f = faults.poll();
                if (f == null) {
                    List<ObjectNode> matching = new ArrayList<>();
                    String filter = q.get("filter");
                    Instant bound = null;
                    boolean inclusive = false;
                    if (filter != null) {
                        Matcher m = LM.matcher(filter);
                        if (!m.find()) {
                            send(ex, 400, null, error("Bad Request", "unsupported filter: " + filter));
                            return;
                        }
                        inclusive = m.group(1).equals(">=");
                        bound = Instant.parse(m.group(2));
                    }
                    for (ObjectNode e : entries) {
                        Instant lm = Instant.parse(e.get("attributes").get("last_modified").asText());
                        if (bound == null || lm.isAfter(bound) || (inclusive && lm.equals(bound))) {
                            matching.add(e);
                        }
                    }
                    // a server without a sort order of its own: newest first, the reverse of what a client might hope
                    matching.sort(Comparator.comparing((ObjectNode e) -> e.get("attributes").get("last_modified").asText()).reversed());
                    int limit = Integer.parseInt(q.getOrDefault("page_limit", "20"));
                    int offset = Integer.parseInt(q.getOrDefault("page_offset", "0"));
                    total = matching.size();
                    page = matching.subList(Math.min(offset, total), Math.min(offset + limit, total));
                    if (offset + limit < total) {
                        StringBuilder u = new StringBuilder(baseUrl()).append("/v1/structures?page_limit=").append(limit)
                                .append("&page_offset=").append(offset + limit);
                        if (filter != null) {
                            u.append("&filter=").append(java.net.URLEncoder.encode(filter, StandardCharsets.UTF_8));
                        }
                        next = u.toString();
                    }
                    page = new ArrayList<>(page);
                } else {
                    total = 0;
                    page = null;
                }
            }
            if (f != null) {
                send(ex, f.status(), f.retryAfter(), f.body() != null ? f.body() : error("Too Many Requests", "slow down"));
                return;
            }
            ObjectNode doc = JSON.createObjectNode();
            ArrayNode data = doc.putArray("data");
            page.forEach(data::add);
            ObjectNode links = doc.putObject("links");
            if (next == null) {
                links.putNull("next");
            } else if (total % 2 == 0) {
                links.putObject("next").put("href", next); // the links-object form
            } else {
                links.put("next", next);
            }
            ObjectNode meta = doc.putObject("meta");
            meta.put("api_version", "1.1.0");
            meta.put("data_returned", total);
            meta.put("more_data_available", next != null);
            send(ex, 200, null, JSON.writeValueAsString(doc));
        } catch (RuntimeException e) {
            send(ex, 500, null, error("Internal Server Error", String.valueOf(e)));
        }
    }

    private static String error(String title, String detail) {
        return "{\"errors\":[{\"status\":\"\",\"title\":\"" + title + "\",\"detail\":\"" + detail.replace("\"", "'") + "\"}],\"meta\":{}}";
    }

    private static void send(HttpExchange ex, int status, String retryAfter, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/vnd.api+json");
        if (retryAfter != null) {
            ex.getResponseHeaders().add("Retry-After", retryAfter);
        }
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new LinkedHashMap<>();
        if (raw == null) {
            return m;
        }
        for (String kv : raw.split("&")) {
            int i = kv.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
            String v = i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
            m.put(k, v);
        }
        return m;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
