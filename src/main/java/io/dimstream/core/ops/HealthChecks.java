package io.dimstream.core.ops;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The liveness and readiness checks of one service. Liveness ({@code /health}) says the process
 * works (e.g. its stream threads did not die); readiness ({@code /ready}) says it does its job now
 * (e.g. connected to Kafka, streams app RUNNING, a model loaded or explicitly waiting for the first
 * one). A check that throws counts as DOWN with the exception as detail. No checks = UP.
 */
public final class HealthChecks {

    /** The combined result: overall state plus each check by name, in registration order. */
    public record Report(CheckResult.State state, Map<String, CheckResult> checks) {
        public boolean ok() {
            return state.ok();
        }
    }

    private final Map<String, HealthCheck> liveness = new LinkedHashMap<>();
    private final Map<String, HealthCheck> readiness = new LinkedHashMap<>();

    /** Adds (or replaces) a liveness check. */
    public synchronized HealthChecks liveness(String name, HealthCheck check) {
        liveness.put(name, check);
        return this;
    }

    /** Adds (or replaces) a readiness check. */
    public synchronized HealthChecks readiness(String name, HealthCheck check) {
        readiness.put(name, check);
        return this;
    }

    public Report live() {
        Map<String, HealthCheck> copy;
        synchronized (this) {
            copy = new LinkedHashMap<>(liveness);
        }
        return run(copy);
    }

    /** Readiness: every readiness check, and every liveness check too (a dead service is not ready). */
    public Report ready() {
        Map<String, HealthCheck> copy;
        synchronized (this) {
            copy = new LinkedHashMap<>(liveness);
            copy.putAll(readiness);
        }
        return run(copy);
    }

    private static Report run(Map<String, HealthCheck> checks) {
        Map<String, CheckResult> results = new LinkedHashMap<>();
        CheckResult.State overall = CheckResult.State.UP;
        for (Map.Entry<String, HealthCheck> e : checks.entrySet()) {
            CheckResult r;
            try {
                r = e.getValue().check();
                if (r == null) {
                    r = CheckResult.down("check returned nothing");
                }
            } catch (RuntimeException ex) {
                r = CheckResult.down(ex.getClass().getSimpleName() + ": " + ex.getMessage());
            }
            results.put(e.getKey(), r);
            if (r.state() == CheckResult.State.DOWN) {
                overall = CheckResult.State.DOWN;
            } else if (r.state() == CheckResult.State.WAITING && overall == CheckResult.State.UP) {
                overall = CheckResult.State.WAITING;
            }
        }
        return new Report(overall, results);
    }
}
