package io.dimstream.ingest.jdbc;

import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * What to read over JDBC.
 *
 * @param url          JDBC URL ({@code jdbc:postgresql://host:5432/db})
 * @param connection   driver properties (user, password, ...)
 * @param table        a table (optionally schema-qualified); or null when {@code query} is set
 * @param query        a SELECT whose rows are read (used as a sub-query); or null when {@code table} is set
 * @param idColumn     the stable id column (unique with the change column; part of the keyset)
 * @param cifColumn    the column with the CIF text
 * @param changeColumn a monotonic change column (updated-at timestamp or a sequence) that grows on every
 *                     insert and update
 * @param batchSize    rows per query
 * @param idPrefix     prepended to the id to make the Kafka key, or ""
 */
public record JdbcSourceConfig(String url, Properties connection, String table, String query, String idColumn,
                               String cifColumn, String changeColumn, int batchSize, String idPrefix) {
    private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?");

    public JdbcSourceConfig {
        Objects.requireNonNull(url, "url");
        if ((table == null) == (query == null)) {
            throw new IllegalArgumentException("give exactly one of a table or a query");
        }
        if (table != null && !IDENT.matcher(table).matches()) {
            throw new IllegalArgumentException("not a table name: '" + table + "'");
        }
        for (String c : new String[] {idColumn, cifColumn, changeColumn}) {
            if (c == null || !IDENT.matcher(c).matches() || c.contains(".")) {
                throw new IllegalArgumentException("not a column name: '" + c + "'");
            }
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive");
        }
        connection = connection == null ? new Properties() : connection;
        idPrefix = idPrefix == null ? "" : idPrefix;
    }
}
