package io.dimstream.ingest.optimade;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dimstream.core.LogSafe;
import io.dimstream.ingest.IngestException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GETs OPTIMADE JSON documents with retries: 429, 5xx, connection failures and unparseable 200 bodies are
 * retried with exponential backoff (base · 2^attempt, ±25 % jitter, capped), honouring {@code Retry-After}
 * (delta-seconds or HTTP-date) when the server sends it. Other 4xx fail at once.
 */
public final class OptimadeClient {
    private static final Logger LOG = LoggerFactory.getLogger(OptimadeClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Sleeping, replaceable in tests. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final HttpClient http;
    private final int maxAttempts;
    private final Duration baseDelay;
    private final Duration maxDelay;
    private final Duration requestTimeout;
    private final Sleeper sleeper;
    private long retries;

    public OptimadeClient(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration requestTimeout, Sleeper sleeper) {
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        this.maxAttempts = Math.max(1, maxAttempts);
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.requestTimeout = requestTimeout;
        this.sleeper = sleeper == null ? d -> Thread.sleep(d.toMillis()) : sleeper;
    }

    public OptimadeClient() {
        this(6, Duration.ofMillis(500), Duration.ofSeconds(60), Duration.ofSeconds(60), null);
    }

    /** Retries done so far (all requests). */
    public long retries() {
        return retries;
    }

    /** GET a JSON document. */
    public JsonNode get(URI uri) throws IngestException {
        IngestException last = null;
        for (int attempt = 0; attempt < maxAttempts; attempt++) {
            Optional<Duration> retryAfter = Optional.empty();
            try {
                HttpRequest req = HttpRequest.newBuilder(uri).timeout(requestTimeout)
                        .header("Accept", "application/vnd.api+json, application/json").GET().build();
                HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
                int sc = resp.statusCode();
                if (sc == 200) {
                    try {
                        JsonNode doc = JSON.readTree(resp.body());
                        if (doc == null || !doc.isObject()) {
                            throw new IOException("not a JSON object");
                        }
                        return doc;
                    } catch (IOException e) {
                        last = new IngestException("optimade.bad_json", uri + ": response is not JSON (" + oneLine(e.getMessage()) + ")");
                    }
                } else if (sc == 429 || sc >= 500) {
                    retryAfter = resp.headers().firstValue("Retry-After").flatMap(OptimadeClient::parseRetryAfter);
                    last = new IngestException("optimade.http_status", uri + ": HTTP " + sc);
                } else {
                    throw new IngestException("optimade.http_status", uri + ": HTTP " + sc + " " + errorDetail(resp.body()));
                }
            } catch (IOException e) {
                last = new IngestException("optimade.io", uri + ": " + describe(uri, e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IngestException("optimade.interrupted", uri + ": interrupted");
            }
            if (attempt + 1 < maxAttempts) {
                Duration wait = retryAfter.isPresent() ? retryAfter.get() : backoff(attempt);
                if (wait.compareTo(maxDelay) > 0) {
                    wait = maxDelay;
                }
                LOG.info("{}; retry {}/{} in {} ms", LogSafe.escape(last.getMessage()), attempt + 1, maxAttempts - 1, wait.toMillis());
                retries++;
                try {
                    sleeper.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IngestException("optimade.interrupted", uri + ": interrupted");
                }
            }
        }
        throw new IngestException(last.code(), last.getMessage() + " (gave up after " + maxAttempts + " attempts)", last.getCause());
    }

    /**
     * A connection failure in words: the exception class, what it says (or its causes say; the JDK's
     * {@code ConnectException} often has no message) and the host, e.g. {@code ConnectException: cannot
     * connect to 127.0.0.1:1 (Connection refused)}.
     */
    static String describe(URI uri, IOException e) {
        String detail = null;
        for (Throwable t = e; t != null && detail == null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                detail = t == e ? oneLine(t.getMessage()) : t.getClass().getSimpleName() + ": " + oneLine(t.getMessage());
            }
            if (t.getCause() == t) {
                break;
            }
        }
        String host = uri.getHost() == null ? String.valueOf(uri.getAuthority())
                : uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
        String what = e instanceof java.net.ConnectException ? "cannot connect to " + host
                : e instanceof java.net.http.HttpTimeoutException ? "no response from " + host + " in time"
                : e instanceof java.net.UnknownHostException ? "unknown host " + host
                : "I/O error talking to " + host;
        return e.getClass().getSimpleName() + ": " + what + (detail == null ? "" : " (" + detail + ")");
    }

    private Duration backoff(int attempt) {
        double ms = baseDelay.toMillis() * Math.pow(2, Math.min(attempt, 20));
        ms = Math.min(ms, maxDelay.toMillis());
        ms *= 0.75 + 0.5 * ThreadLocalRandom.current().nextDouble();
        return Duration.ofMillis((long) ms);
    }

    /** Retry-After as delta-seconds or an HTTP-date. */
    static Optional<Duration> parseRetryAfter(String v) {
        String s = v.trim();
        try {
            long secs = Long.parseLong(s);
            return Optional.of(Duration.ofSeconds(Math.max(0, secs)));
        } catch (NumberFormatException ignored) {
            // not delta-seconds
        }
        try {
            ZonedDateTime t = ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME);
            long ms = t.toInstant().toEpochMilli() - System.currentTimeMillis();
            return Optional.of(Duration.ofMillis(Math.max(0, ms)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String errorDetail(String body) {
        try {
            JsonNode doc = JSON.readTree(body);
            JsonNode errs = doc.get("errors");
            if (errs != null && errs.isArray() && errs.size() > 0) {
                JsonNode e = errs.get(0);
                return oneLine((e.path("title").asText("") + " " + e.path("detail").asText("")).trim());
            }
        } catch (IOException | RuntimeException ignored) {
            // fall through
        }
        return oneLine(body.length() > 200 ? body.substring(0, 200) : body);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ");
    }
}
