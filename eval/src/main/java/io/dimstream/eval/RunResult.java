package io.dimstream.eval;

/** One run of the protocol: a method fitted on {@code labels} labelled structures drawn with {@code seed}. */
public record RunResult(String property, String method, int labels, long seed, double mae) {
}
