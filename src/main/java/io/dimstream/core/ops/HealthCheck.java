package io.dimstream.core.ops;

/** A named check asked on each {@code /health} or {@code /ready} request; must be cheap and not block. */
@FunctionalInterface
public interface HealthCheck {
    CheckResult check();
}
