package io.dimstream.search;

import io.dimstream.core.DimstreamException;

/**
 * Expected failures of the search stage, code {@code search.<reason>}: bad requests (unknown id, bad
 * filter, bad k), nothing serving yet, a vector of the wrong width. No stack trace is recorded: these are
 * answered as one line (CLI) or a 4xx JSON body (HTTP).
 */
public final class SearchException extends DimstreamException {

    public static final String BAD_REQUEST = "search.bad_request";
    public static final String UNKNOWN_ID = "search.unknown_id";
    public static final String NOT_SERVING = "search.not_serving";
    public static final String DIMENSION = "search.dimension_mismatch";
    public static final String ZERO_VECTOR = "search.zero_vector";
    public static final String NO_MODEL = "search.no_model";
    public static final String INDEX_IO = "search.index_io";

    public SearchException(String code, String message) {
        super(code, message, null, false);
    }

    public SearchException(String code, String message, Throwable cause) {
        super(code, message, cause, false);
    }
}
