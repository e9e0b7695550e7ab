package io.dimstream.core.cif;

import io.dimstream.core.DimstreamException;

/**
 * Bad CIF input. Unchecked so it can cross stream/lambda boundaries, but always thrown with a
 * machine-readable {@link #code()} (e.g. {@code cif.missing_cell}), the data block (may be
 * empty), the 1-based line number (0 when not tied to a line), the origin (file name or record id)
 * and a one-line human reason. {@link #getMessage()} is a single line and carries no stack trace
 * worthy detail; callers print it as is.
 */
public class CifException extends DimstreamException {

    /** Error codes used by the parser. */
    public static final String SYNTAX = "cif.syntax";
    public static final String MALFORMED_LOOP = "cif.malformed_loop";
    public static final String MISSING_CELL = "cif.missing_cell";
    public static final String BAD_CELL = "cif.bad_cell";
    public static final String NO_ATOMS = "cif.no_atoms";
    public static final String NO_SYMOPS = "cif.no_symops";
    public static final String BAD_SYMOP = "cif.bad_symop";
    public static final String BAD_NUMBER = "cif.bad_number";
    public static final String UNKNOWN_ELEMENT = "cif.unknown_element";
    public static final String OCCUPANCY_SUM = "cif.occupancy_sum";
    public static final String TOO_LARGE = "cif.too_large";
    public static final String NO_DATA_BLOCK = "cif.no_data_block";
    public static final String INPUT = "cif.input";
    /** A symbolic link in a folder whose target does not exist. */
    public static final String DANGLING_LINK = "cif.dangling_link";
    /** A symbolic link in a folder that points outside it (not followed unless allowed). */
    public static final String OUTSIDE_LINK = "cif.outside_link";

    private final String origin;
    private final String block;
    private final int line;
    private final String reason;

    public CifException(String errorType, String origin, String block, int line, String reason) {
        super(errorType, format(errorType, origin, block, line, reason), null, false);
        this.origin = origin == null ? "" : origin;
        this.block = block == null ? "" : block;
        this.line = line;
        this.reason = oneLine(reason);
    }

    private static String format(String type, String origin, String block, int line, String reason) {
        StringBuilder sb = new StringBuilder();
        if (block != null && !block.isEmpty()) {
            sb.append("data_").append(block).append(' ');
        }
        if (line > 0) {
            sb.append("line ").append(line).append(' ');
        }
        if (sb.length() > 0) {
            sb.setLength(sb.length() - 1);
            sb.append(": ");
        }
        sb.append(oneLine(reason)).append(" [").append(type).append(']');
        return sb.toString();
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String r = s.replace('\r', ' ').replace('\n', ' ');
        return r.length() > 300 ? r.substring(0, 300) + "..." : r;
    }


    /** File name or record id the text came from (may be empty). */
    public String origin() {
        return origin;
    }

    /** Data block name without {@code data_} (may be empty). */
    public String block() {
        return block;
    }

    /** 1-based line number, or 0 when the error is not tied to a line. */
    public int line() {
        return line;
    }

    /** The human reason alone (one line). */
    public String reason() {
        return reason;
    }

    /** The same error attributed to another origin (e.g. a CSV row id). */
    public CifException withOrigin(String newOrigin) {
        return new CifException(code(), newOrigin, block, line, reason);
    }
}
