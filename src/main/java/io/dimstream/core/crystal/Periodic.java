package io.dimstream.core.crystal;

/** Periodic-boundary helpers shared by the CIF structure builder, space-group code and primitive-cell search. */
public final class Periodic {
    private Periodic() {
    }

    /** A fractional coordinate wrapped into [0,1); values within 1e-12 of an integer become exactly 0. */
    public static double wrap(double v) {
        double w = v - Math.floor(v);
        return (w >= 1 - 1e-12 || w < 1e-12) ? 0.0 : w;
    }
}
