package io.dimstream.ingest.jdbc;

import io.dimstream.core.cif.CifParser;
import io.dimstream.ingest.BadRecord;
import io.dimstream.ingest.CifRecords;
import io.dimstream.ingest.IngestException;
import io.dimstream.ingest.IngestSource;
import io.dimstream.ingest.SourceBatch;
import io.dimstream.ingest.SourceRecord;
import io.dimstream.ingest.Watermark;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a table or query incrementally with a keyset on (change column, id column):
 *
 * <pre>
 * SELECT id, cif, change FROM (...) src
 *  WHERE change &gt; :c OR (change = :c AND id &gt; :i)
 *  ORDER BY change, id LIMIT :batch
 * </pre>
 *
 * so rows sharing a change value are never skipped, however the batches cut them. The first query of each
 * pass (a start, a restart, every {@code --follow} poll) uses {@code change >= :c} instead: it re-reads the
 * rows that share the watermark's change value, so a row committed later with exactly that value and an id
 * below the watermark's is read too (the content-hash check drops the repeats, counted as unchanged). The
 * cost is re-reading those rows once per pass: one row when change values are distinct, all rows of a bulk
 * load that share one timestamp. Every row is parsed first ({@link CifRecords}): an unusable CIF is a bad
 * record with the parser's code, never a record. The watermark is the
 * (change, id) of the last row of a batch, kept with its SQL type (timestamp, timestamptz, date, integer,
 * numeric or text) so it binds back exactly (timestamps to the microsecond). Rows with a NULL id or change
 * value cannot be placed in the keyset and are not read; a NULL or blank CIF is reported as a bad record.
 *
 * <p>The change column must grow on every insert and update and must not be assigned by transactions that
 * commit out of order far behind it (e.g. a sequence from a long transaction); an updated-at column set by
 * a trigger, or {@code now()} in short transactions, fits.
 */
public final class JdbcSource implements IngestSource {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcSource.class);

    private final JdbcSourceConfig cfg;
    private Connection conn;
    private final CifParser parser = new CifParser();
    private Watermark position = Watermark.NONE;
    /** True for the first query of a pass: it re-reads the rows sharing the watermark's change value. */
    private boolean passStart = true;
    private long remaining = -1;

    public JdbcSource(JdbcSourceConfig cfg) {
        this.cfg = cfg;
    }

    @Override
    public String key() {
        String u = cfg.url();
        int q = u.indexOf('?');
        if (q >= 0) {
            u = u.substring(0, q); // parameters may hold credentials
        }
        u = u.replaceAll("//[^/@]*@", "//");
        String what = cfg.table() != null ? cfg.table()
                : "query:" + io.dimstream.ingest.ContentHash.of("sql", cfg.query()).substring(0, 12);
        return u + "#" + what + (cfg.idPrefix().isEmpty() ? "" : ";id_prefix=" + cfg.idPrefix());
    }

    @Override
    public void start(Watermark from) throws IngestException {
        this.position = from == null ? Watermark.NONE : from;
        this.passStart = true;
        connection();
        remaining = countRemaining();
    }

    @Override
    public long estimateRemaining() {
        return remaining;
    }

    private Connection connection() throws IngestException {
        try {
            if (conn == null || !conn.isValid(5)) {
                if (conn != null) {
                    closeQuietly();
                }
                conn = DriverManager.getConnection(cfg.url(), cfg.connection());
                conn.setReadOnly(true);
            }
            return conn;
        } catch (SQLException e) {
            conn = null;
            throw new IngestException("jdbc.connect", key() + ": cannot connect: " + oneLine(e.getMessage()), e);
        }
    }

    private String from() {
        return cfg.table() != null ? cfg.table() + " src" : "(" + cfg.query() + ") src";
    }

    /**
     * The keyset condition. The first query of a pass takes every row from the watermark's change value
     * on ({@code change >= :c}): rows committed later with exactly that value but a smaller id would be
     * invisible to the strict keyset. Within a pass, the strict keyset pages on.
     */
    private String where() {
        String c = "src." + cfg.changeColumn();
        String i = "src." + cfg.idColumn();
        String base = " WHERE " + c + " IS NOT NULL AND " + i + " IS NOT NULL";
        if (position.isNone()) {
            return base;
        }
        return passStart ? base + " AND " + c + " >= ?" : base + " AND (" + c + " > ? OR (" + c + " = ? AND " + i + " > ?))";
    }

    private void bindPosition(PreparedStatement ps) throws SQLException, IngestException {
        if (!position.isNone()) {
            Object change = decode(position.get("change_type"), position.get("change"));
            ps.setObject(1, change);
            if (!passStart) {
                ps.setObject(2, change);
                ps.setObject(3, decode(position.get("id_type"), position.get("id")));
            }
        }
    }

    private long countRemaining() {
        String sql = "SELECT count(*) FROM " + from() + where();
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            bindPosition(ps);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        } catch (SQLException | IngestException e) {
            LOG.debug("count failed: {}", e.getMessage());
            return -1;
        }
    }

    @Override
    public SourceBatch next() throws IngestException {
        Connection c = connection();
        String sql = "SELECT src." + cfg.idColumn() + ", src." + cfg.cifColumn() + ", src." + cfg.changeColumn()
                + " FROM " + from() + where()
                + " ORDER BY src." + cfg.changeColumn() + ", src." + cfg.idColumn() + " LIMIT " + cfg.batchSize();
        List<SourceRecord> records = new ArrayList<>();
        List<BadRecord> bad = new ArrayList<>();
        Watermark last = position;
        int n = 0;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bindPosition(ps);
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                String idType = typeOf(md, 1);
                String changeType = typeOf(md, 3);
                while (rs.next()) {
                    n++;
                    String id = encode(idType, rs, 1);
                    String change = encode(changeType, rs, 3);
                    last = Watermark.of("change", change, "change_type", changeType, "id", id, "id_type", idType);
                    String cif = rs.getString(2);
                    String where = key() + " row " + cfg.idColumn() + "=" + id;
                    if (cif == null || cif.isBlank()) {
                        bad.add(new BadRecord(where, "jdbc.empty_cif", "column " + cfg.cifColumn() + " is NULL or blank"));
                        continue;
                    }
                    Map<String, String> meta = new LinkedHashMap<>();
                    meta.put("jdbc_id", id);
                    meta.put(cfg.changeColumn(), change);
                    CifRecords.convert(cfg.idPrefix() + id, cif, where, meta, parser, records, bad);
                }
            }
        } catch (SQLException e) {
            closeQuietly();
            throw new IngestException("jdbc.query", key() + ": query failed: " + oneLine(e.getMessage()), e);
        }
        position = last;
        passStart = n < cfg.batchSize(); // caught up: the next call starts a new pass
        if (remaining >= 0) {
            remaining = Math.max(0, remaining - n);
        }
        return new SourceBatch(records, bad, last, n < cfg.batchSize());
    }

    /** Our name for a column's SQL type. */
    static String typeOf(ResultSetMetaData md, int col) throws SQLException {
        String name = md.getColumnTypeName(col).toLowerCase(java.util.Locale.ROOT);
        int t = md.getColumnType(col);
        if (name.equals("timestamptz") || t == Types.TIMESTAMP_WITH_TIMEZONE) {
            return "timestamptz";
        }
        return switch (t) {
            case Types.TIMESTAMP -> "timestamp";
            case Types.DATE -> "date";
            case Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT -> "long";
            case Types.NUMERIC, Types.DECIMAL -> "decimal";
            default -> "string";
        };
    }

    private static String encode(String type, ResultSet rs, int col) throws SQLException {
        return switch (type) {
            case "timestamptz" -> rs.getObject(col, OffsetDateTime.class).toString();
            case "timestamp" -> rs.getObject(col, LocalDateTime.class).toString();
            case "date" -> rs.getObject(col, LocalDate.class).toString();
            case "long" -> Long.toString(rs.getLong(col));
            case "decimal" -> rs.getBigDecimal(col).toPlainString();
            default -> rs.getString(col);
        };
    }

    static Object decode(String type, String v) throws IngestException {
        try {
            return switch (type == null ? "string" : type) {
                case "timestamptz" -> OffsetDateTime.parse(v);
                case "timestamp" -> LocalDateTime.parse(v);
                case "date" -> LocalDate.parse(v);
                case "long" -> Long.parseLong(v);
                case "decimal" -> new BigDecimal(v);
                default -> v;
            };
        } catch (RuntimeException e) {
            throw new IngestException("jdbc.bad_watermark", "stored watermark value '" + v + "' is not a " + type);
        }
    }

    private void closeQuietly() {
        try {
            if (conn != null) {
                conn.close();
            }
        } catch (SQLException ignored) {
            // closing a broken connection
        }
        conn = null;
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ");
    }
}
