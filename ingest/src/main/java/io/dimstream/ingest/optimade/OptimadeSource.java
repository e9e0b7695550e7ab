package io.dimstream.ingest.optimade;

import com.fasterxml.jackson.databind.JsonNode;
import io.dimstream.core.cif.CifWriter;
import io.dimstream.core.crystal.Structure;
import io.dimstream.ingest.BadRecord;
import io.dimstream.ingest.IngestException;
import io.dimstream.ingest.IngestSource;
import io.dimstream.ingest.SourceBatch;
import io.dimstream.ingest.SourceRecord;
import io.dimstream.ingest.Watermark;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an OPTIMADE {@code /v1/structures} endpoint incrementally.
 *
 * <p>A pass asks for {@code last_modified>="W"} (plus the user's filter), follows {@code links.next} page
 * by page, converts every entry to a P1 CIF, and skips entries at or below the watermark (last_modified,
 * id) — the inclusive bound keeps entries that share the watermark's timestamp but were not yet seen.
 * Because OPTIMADE does not promise an order, the watermark moves to the largest (last_modified, id) of a
 * pass only when the pass is complete; a pass cut short is redone, and the content hash keeps that from
 * producing duplicates.
 */
public final class OptimadeSource implements IngestSource {
    /** Fields a structure needs; sent as {@code response_fields}. */
    public static final String RESPONSE_FIELDS = "last_modified,lattice_vectors,cartesian_site_positions,"
            + "species_at_sites,species,dimension_types,chemical_formula_reduced,assemblies";

    private final String baseUrl;
    private final String userFilter;
    private final int pageLimit;
    private final String idPrefix;
    private final OptimadeClient client;

    private Watermark from = Watermark.NONE;
    private URI nextPage;
    private Set<URI> seenPages = new HashSet<>();
    private Instant passMaxTime;
    private String passMaxRaw;
    private String passMaxId;
    private boolean inPass;

    /**
     * @param baseUrl   provider base URL, e.g. {@code https://optimade.materialsproject.org}; a trailing
     *                  {@code /v1}, {@code /v1/structures} or slash is accepted ({@link #normalizeBaseUrl})
     * @param filter    an extra OPTIMADE filter ANDed to the watermark filter, or null
     * @param pageLimit page size to request
     * @param idPrefix  prepended to OPTIMADE ids to make the Kafka key (e.g. {@code "cod-"}), or ""
     */
    public OptimadeSource(String baseUrl, String filter, int pageLimit, String idPrefix, OptimadeClient client) {
        this.baseUrl = normalizeBaseUrl(baseUrl);
        this.userFilter = filter == null || filter.isBlank() ? null : filter.trim();
        this.pageLimit = pageLimit;
        this.idPrefix = idPrefix == null ? "" : idPrefix;
        this.client = client;
    }

    /**
     * The provider base URL in one form, so that every spelling of the same source has the same key and
     * requests: surrounding blanks, a query or fragment, trailing slashes and a trailing {@code /v1},
     * {@code /v1/structures} or {@code /structures} (any version {@code /vN[.N…]}) are removed, and the
     * scheme and host are lower-cased. {@code https://x.org/optimade/v1/structures/} →
     * {@code https://x.org/optimade}.
     */
    public static String normalizeBaseUrl(String url) {
        String b = url.trim();
        int cut = b.indexOf('#');
        if (cut >= 0) {
            b = b.substring(0, cut);
        }
        cut = b.indexOf('?');
        if (cut >= 0) {
            b = b.substring(0, cut);
        }
        b = stripSlashes(b);
        if (b.endsWith("/structures")) {
            b = stripSlashes(b.substring(0, b.length() - "/structures".length()));
        }
        b = stripSlashes(b.replaceFirst("/v[0-9]+(\\.[0-9]+)*$", ""));
        int scheme = b.indexOf("://");
        if (scheme > 0) {
            int hostEnd = b.indexOf('/', scheme + 3);
            hostEnd = hostEnd < 0 ? b.length() : hostEnd;
            b = b.substring(0, hostEnd).toLowerCase(java.util.Locale.ROOT) + b.substring(hostEnd);
        }
        return b;
    }

    private static String stripSlashes(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '/') {
            end--;
        }
        return s.substring(0, end);
    }

    /** The normalized base URL ({@link #normalizeBaseUrl}). */
    public String baseUrl() {
        return baseUrl;
    }

    @Override
    public String key() {
        return "optimade:" + baseUrl + (userFilter == null ? "" : "?filter=" + userFilter)
                + (idPrefix.isEmpty() ? "" : ";id_prefix=" + idPrefix);
    }

    @Override
    public void start(Watermark wm) {
        this.from = wm == null ? Watermark.NONE : wm;
        this.inPass = false;
    }

    /** The first page of a pass. */
    URI firstPage() {
        String filter = userFilter;
        String lm = from.get("last_modified");
        if (lm != null) {
            String wmFilter = "last_modified>=\"" + lm.replace("\"", "\\\"") + "\"";
            filter = filter == null ? wmFilter : wmFilter + " AND (" + filter + ")";
        }
        StringBuilder u = new StringBuilder(baseUrl).append("/v1/structures?page_limit=").append(pageLimit)
                .append("&response_fields=").append(enc(RESPONSE_FIELDS));
        if (filter != null) {
            u.append("&filter=").append(enc(filter));
        }
        return URI.create(u.toString());
    }

    @Override
    public SourceBatch next() throws IngestException {
        if (!inPass) {
            inPass = true;
            nextPage = firstPage();
            seenPages = new HashSet<>();
            passMaxTime = parseTime(from.get("last_modified"));
            passMaxRaw = from.get("last_modified");
            passMaxId = from.get("id");
        }
        URI page = nextPage;
        if (!seenPages.add(page)) {
            inPass = false;
            throw new IngestException("optimade.pagination_loop", page + ": links.next points to a page already read");
        }
        JsonNode doc;
        try {
            doc = client.get(page);
        } catch (IngestException e) {
            inPass = false;
            throw e;
        }
        JsonNode data = doc.get("data");
        if (data == null || !data.isArray()) {
            inPass = false;
            throw new IngestException("optimade.bad_response", page + ": no 'data' list in the response"
                    + (doc.has("errors") ? " (errors: " + doc.get("errors") + ")" : ""));
        }
        Instant wmTime = parseTime(from.get("last_modified"));
        String wmId = from.get("id");
        List<SourceRecord> records = new ArrayList<>();
        List<BadRecord> bad = new ArrayList<>();
        for (JsonNode entry : data) {
            String rawId = OptimadeConverter.text(entry, "id");
            String where = baseUrl + " structure " + rawId;
            String lmRaw = OptimadeConverter.text(entry.path("attributes"), "last_modified");
            Instant lm = parseTime(lmRaw);
            if (rawId != null && lm != null && wmTime != null && compare(lm, rawId, wmTime, wmId) <= 0) {
                continue; // already ingested in an earlier pass
            }
            try {
                if (lmRaw != null && lm == null) {
                    throw new IngestException("optimade.bad_timestamp", rawId + ": last_modified '" + lmRaw + "' is not ISO 8601");
                }
                Structure s = OptimadeConverter.toStructure(entry);
                Map<String, String> md = new LinkedHashMap<>();
                md.put("optimade_id", rawId);
                md.put("optimade_base_url", baseUrl);
                if (lmRaw != null) {
                    md.put("last_modified", lmRaw);
                }
                String formula = OptimadeConverter.text(entry.path("attributes"), "chemical_formula_reduced");
                if (formula != null) {
                    md.put("chemical_formula_reduced", formula);
                }
                md.put("ordered", Boolean.toString(s.isOrdered()));
                records.add(new SourceRecord(idPrefix + rawId, "cif", CifWriter.write(s.withId(idPrefix + rawId)), md));
            } catch (IngestException e) {
                bad.add(BadRecord.of(where, e));
            } catch (RuntimeException e) {
                bad.add(new BadRecord(where, "optimade.bad_entry", String.valueOf(e.getMessage())));
            }
            if (rawId != null && lm != null && (passMaxTime == null || compare(lm, rawId, passMaxTime, passMaxId) > 0)) {
                passMaxTime = lm;
                passMaxRaw = lmRaw;
                passMaxId = rawId;
            }
        }
        URI next = nextLink(doc, page);
        if (next == null) {
            inPass = false;
            Watermark commit = passMaxRaw == null ? from : Watermark.of("last_modified", passMaxRaw, "id", passMaxId);
            from = commit;
            return new SourceBatch(records, bad, commit, true);
        }
        nextPage = next;
        return new SourceBatch(records, bad, null, false);
    }

    private static URI nextLink(JsonNode doc, URI current) throws IngestException {
        JsonNode next = doc.path("links").get("next");
        if (next == null || next.isNull()) {
            return null;
        }
        String href = next.isObject() ? OptimadeConverter.text(next, "href") : next.asText();
        if (href == null || href.isBlank()) {
            return null;
        }
        try {
            return current.resolve(href);
        } catch (IllegalArgumentException e) {
            throw new IngestException("optimade.bad_link", current + ": links.next '" + href + "' is not a URL");
        }
    }

    private static int compare(Instant t1, String id1, Instant t2, String id2) {
        int c = t1.compareTo(t2);
        if (c != 0) {
            return c;
        }
        return id2 == null ? 1 : id1.compareTo(id2);
    }

    /** ISO 8601 with or without offset (no offset = UTC, as OPTIMADE's examples use). Null when unparseable. */
    static Instant parseTime(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
