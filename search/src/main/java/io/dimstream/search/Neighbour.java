package io.dimstream.search;

/** One search hit: a corpus id and its cosine distance to the query (1 − cos, in [0, 2]). */
public record Neighbour(String id, double distance) {
}
