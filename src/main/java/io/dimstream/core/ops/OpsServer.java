package io.dimstream.core.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ops HTTP endpoint of one service (JDK {@code com.sun.net.httpserver}, two daemon threads):
 *
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text exposition of {@link OpsMetrics} (OpenMetrics when the
 *       {@code Accept} header asks for it);</li>
 *   <li>{@code GET /health}: liveness, 200 {@code {"status":"UP",...}} or 503 with the failing
 *       checks;</li>
 *   <li>{@code GET /ready}: readiness, 200 when every check is UP or WAITING, else 503; the JSON body
 *       names each check with its state and detail.</li>
 * </ul>
 * Other paths answer 404, other methods 405. Binds 127.0.0.1 unless configured otherwise.
 */
public final class OpsServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OpsServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;
    private final OpsMetrics metrics;
    private final HealthChecks checks;
    private final Instant started = Instant.now();

    private OpsServer(HttpServer server, ExecutorService executor, OpsMetrics metrics, HealthChecks checks) {
        this.server = server;
        this.executor = executor;
        this.metrics = metrics;
        this.checks = checks;
    }

    /**
     * Starts the server, or returns {@code null} when {@code config} is disabled (port -1).
     *
     * @throws UncheckedIOException when the address cannot be bound (e.g. port in use)
     */
    public static OpsServer start(OpsConfig config, OpsMetrics metrics, HealthChecks checks) {
        if (!config.enabled()) {
            return null;
        }
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(config.bindAddress(), config.port()), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for metrics on " + config.bindAddress() + ":"
                    + config.port() + ": " + e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService ex = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "ops-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        OpsServer ops = new OpsServer(s, ex, metrics, checks);
        s.setExecutor(ex);
        s.createContext("/", ops::handle);
        s.start();
        log.info("{} ops endpoint: http://{}:{}/metrics, /health, /ready", metrics.service(),
                config.bindAddress(), ops.port());
        return ops;
    }

    /** The bound port (the real one when configured with 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://host:port} + path. */
    public String url(String path) {
        String host = server.getAddress().getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port() + path;
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String method = x.getRequestMethod();
            String path = x.getRequestURI().getPath();
            boolean head = "HEAD".equals(method);
            if (!"GET".equals(method) && !head) {
                x.getResponseHeaders().set("Allow", "GET, HEAD");
                send(x, 405, "application/json", json(Map.of("error", "method not allowed: " + method)), head);
                return;
            }
            switch (path) {
                case "/metrics" -> {
                    String accept = x.getRequestHeaders().getFirst("Accept");
                    boolean om = accept != null && accept.contains("application/openmetrics-text");
                    String type = om ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
                    send(x, 200, type, metrics.scrape(om ? "application/openmetrics-text" : "text/plain"), head);
                }
                case "/health" -> report(x, checks.live(), head);
                case "/ready" -> report(x, checks.ready(), head);
                case "/" -> send(x, 200, "application/json",
                        json(Map.of("service", metrics.service(), "endpoints", new String[] {"/metrics", "/health", "/ready"})),
                        head);
                default -> send(x, 404, "application/json", json(Map.of("error", "no such endpoint: " + path)), head);
            }
        } catch (RuntimeException e) {
            log.warn("ops endpoint {}: {}", x.getRequestURI(), e.toString());
            try {
                send(x, 500, "application/json", json(Map.of("error", String.valueOf(e.getMessage()))), false);
            } catch (IOException | RuntimeException ignored) {
                // the response was already started
            }
        }
    }

    private void report(HttpExchange x, HealthChecks.Report r, boolean head) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("status", r.state().name());
        body.put("service", metrics.service());
        body.put("uptime_s", Duration.between(started, Instant.now()).toSeconds());
        ObjectNode cs = body.putObject("checks");
        r.checks().forEach((name, c) -> {
            ObjectNode o = cs.putObject(name);
            o.put("status", c.state().name());
            o.put("detail", c.detail());
        });
        send(x, r.ok() ? 200 : 503, "application/json", JSON.writeValueAsString(body), head);
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(HttpExchange x, int status, String type, String body, boolean head) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.getResponseHeaders().set("Cache-Control", "no-store");
        if (head) {
            x.sendResponseHeaders(status, -1);
            return;
        }
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
