package io.dimstream.core.ops;

/**
 * The outcome of one health or readiness check.
 *
 * @param state  {@link State#UP}, {@link State#WAITING} (ready, explicitly waiting for something that
 *               will come, e.g. the first model) or {@link State#DOWN}
 * @param detail one short human line, e.g. {@code "serving sitenet-dim v3"}
 */
public record CheckResult(State state, String detail) {

    public enum State {
        UP, WAITING, DOWN;

        /** UP and WAITING count as ready; DOWN does not. */
        public boolean ok() {
            return this != DOWN;
        }
    }

    public CheckResult {
        if (state == null) {
            throw new IllegalArgumentException("state is required");
        }
        detail = detail == null ? "" : detail;
    }

    public static CheckResult up(String detail) {
        return new CheckResult(State.UP, detail);
    }

    public static CheckResult waiting(String detail) {
        return new CheckResult(State.WAITING, detail);
    }

    public static CheckResult down(String detail) {
        return new CheckResult(State.DOWN, detail);
    }

    public boolean ok() {
        return state.ok();
    }
}
