package io.dimstream.trainer;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Learning-rate schedule: a pure function of the optimizer step, so a run resumed from a checkpoint gets
 * exactly the learning rates of an uninterrupted run.
 *
 * <ul>
 *   <li>warm-up (both kinds, when {@code warmupSteps > 0}): {@code lr(s) = base * (s + 1) / warmupSteps}
 *       for {@code s < warmupSteps};</li>
 *   <li>{@code constant}: {@code base} afterwards;</li>
 *   <li>{@code cosine}: {@code base * 0.5 * (1 + cos(pi * p))} with
 *       {@code p = (s - warmupSteps) / (horizon - warmupSteps)} clamped to [0, 1]; the trainer sets the
 *       horizon to the steps of the epoch budget (or {@code --max-steps}), so the rate reaches 0 at the
 *       end of the budget and stays there.</li>
 * </ul>
 *
 * @param kind        constant or cosine
 * @param warmupSteps linear warm-up steps (0 = none)
 */
public record LrSchedule(Kind kind, int warmupSteps) {
    public enum Kind { CONSTANT, COSINE }

    public LrSchedule {
        if (kind == null) {
            throw new IllegalArgumentException("learning-rate schedule kind is missing");
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        }
    }

    public static LrSchedule constant() {
        return new LrSchedule(Kind.CONSTANT, 0);
    }

    /** Parses {@code constant} or {@code cosine} (case-insensitive); one clear message otherwise. */
    public static LrSchedule parse(String name, int warmupSteps) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "constant" -> new LrSchedule(Kind.CONSTANT, warmupSteps);
            case "cosine" -> new LrSchedule(Kind.COSINE, warmupSteps);
            default -> throw new IllegalArgumentException("unknown learning-rate schedule '" + name
                    + "' (expected constant or cosine)");
        };
    }

    /** Whether the rate depends on the length of the run (then the trainer needs a step horizon). */
    public boolean needsHorizon() {
        return kind == Kind.COSINE;
    }

    /**
     * The learning rate of optimizer step {@code step} (0-based).
     *
     * @param base    peak learning rate
     * @param horizon total steps of the run (ignored by {@code constant})
     */
    public double lr(double base, long step, long horizon) {
        if (warmupSteps > 0 && step < warmupSteps) {
            return base * (step + 1) / warmupSteps;
        }
        if (kind == Kind.CONSTANT) {
            return base;
        }
        long span = horizon - warmupSteps;
        double p = span <= 0 ? 1.0 : Math.min(1.0, Math.max(0.0, (double) (step - warmupSteps) / span));
        return base * 0.5 * (1 + Math.cos(Math.PI * p));
    }

    public String name() {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", name());
        m.put("warmupSteps", warmupSteps);
        return m;
    }

    public static LrSchedule fromMap(Map<String, Object> m) {
        if (m == null) {
            return constant();
        }
        Object w = m.get("warmupSteps");
        return parse(String.valueOf(m.get("kind")), w == null ? 0 : ((Number) w).intValue());
    }
}
