package io.dimstream.trainer;

import java.time.Duration;

/**
 * When training stops: after {@code epochs} passes, {@code maxTime}, {@code maxSteps} optimizer steps
 * or {@code maxStructures} structures seen, whichever comes first (0 / null = no limit; at least one
 * limit must be set), or as soon as {@code stop} says so.
 */
public record Budget(int epochs, Duration maxTime, long maxSteps, long maxStructures,
                     java.util.function.BooleanSupplier stop) {
    public Budget {
        if (epochs <= 0 && maxTime == null && maxSteps <= 0 && maxStructures <= 0) {
            throw new IllegalArgumentException("a training budget needs epochs, time, steps or structures");
        }
        if (stop == null) {
            stop = () -> false;
        }
    }

    public Budget(int epochs, Duration maxTime, long maxSteps, long maxStructures) {
        this(epochs, maxTime, maxSteps, maxStructures, null);
    }

    /** This budget, also ending at the first step after {@code stopRequested} turns true (e.g. a shutdown). */
    public Budget withStop(java.util.function.BooleanSupplier stopRequested) {
        return new Budget(epochs, maxTime, maxSteps, maxStructures, stopRequested);
    }

    public static Budget epochs(int n) {
        return new Budget(n, null, 0, 0);
    }

    public static Budget minutes(double m) {
        return new Budget(0, Duration.ofMillis((long) (m * 60_000)), 0, 0);
    }

    public static Budget steps(long n) {
        return new Budget(0, null, n, 0);
    }

    public static Budget structures(long n) {
        return new Budget(0, null, 0, n);
    }

    public boolean exhausted(int epoch, long steps, long structures, Duration elapsed) {
        return (epochs > 0 && epoch >= epochs)
                || (maxSteps > 0 && steps >= maxSteps)
                || (maxStructures > 0 && structures >= maxStructures)
                || (maxTime != null && elapsed.compareTo(maxTime) >= 0)
                || stop.getAsBoolean();
    }
}
