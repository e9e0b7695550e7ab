package io.dimstream.core.crystal;

import java.util.Objects;

/**
 * An element, optionally with a formal oxidation state.
 *
 * @param element        the element
 * @param oxidationState formal charge, or {@link Double#NaN} when unknown
 */
public record Species(Element element, double oxidationState) {

    public Species {
        Objects.requireNonNull(element, "element");
    }

    /** A species with unknown oxidation state. */
    public static Species of(Element element) {
        return new Species(element, Double.NaN);
    }

    public boolean hasOxidationState() {
        return !Double.isNaN(oxidationState);
    }

    @Override
    public String toString() {
        if (!hasOxidationState()) {
            return element.symbol();
        }
        double ox = oxidationState;
        String mag = ox == Math.rint(ox) ? String.valueOf((long) Math.abs(ox)) : String.valueOf(Math.abs(ox));
        return element.symbol() + mag + (ox < 0 ? "-" : "+");
    }
}
