package io.dimstream.trainer.dim;

import io.dimstream.core.crystal.Element;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Element fractions of a crystal from its reduced formula (the {@code formula} of a featurized crystal,
 * e.g. {@code O2Ti} or the fractional {@code O36Al8.73Si9K3Fe0.27} of a disordered cell): the target of the
 * composition loss. Index Z − 1 for Z = 1..118; the fractions sum to 1.
 */
public final class ElementFractions {

    /** Elements covered (H..Og). */
    public static final int ELEMENTS = 118;

    private static final Pattern TOKEN = Pattern.compile("([A-Z][a-z]?)([0-9]*\\.?[0-9]*)");

    private ElementFractions() {
    }

    /**
     * The fractions, or empty when the formula is blank or names no known element (such a crystal has no
     * composition target and is left out of the loss).
     */
    public static Optional<float[]> of(String formula) {
        if (formula == null || formula.isBlank()) {
            return Optional.empty();
        }
        double[] amount = new double[ELEMENTS];
        double total = 0;
        Matcher m = TOKEN.matcher(formula);
        while (m.find()) {
            Optional<Element> e = Element.bySymbol(m.group(1));
            if (e.isEmpty() || e.get().z() < 1 || e.get().z() > ELEMENTS) {
                continue;
            }
            double a = m.group(2).isEmpty() || m.group(2).equals(".") ? 1.0 : Double.parseDouble(m.group(2));
            if (a > 0 && Double.isFinite(a)) {
                amount[e.get().z() - 1] += a;
                total += a;
            }
        }
        if (!(total > 0)) {
            return Optional.empty();
        }
        float[] f = new float[ELEMENTS];
        for (int z = 0; z < ELEMENTS; z++) {
            f[z] = (float) (amount[z] / total);
        }
        return Optional.of(f);
    }
}
